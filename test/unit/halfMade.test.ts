import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dropEmptyWork, dropHalfMade, isHalfMade, RESTORE_DIR, workDir } from '../../src/core/backup/swapJournal';
import { tempDir } from './fixtures';

describe('restore: folders a kill left half made', () => {
  const nonce = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const work = () => {
    const dir = tempDir();
    return { w: { dir, base: dir }, dir };
  };
  const make = (dir: string, rel: string, mark?: string, extra?: string) => {
    fs.mkdirSync(path.join(dir, rel, '.gardener'), { recursive: true });
    if (mark !== undefined) fs.writeFileSync(path.join(dir, rel, '.gardener', 'mark'), mark);
    if (extra) fs.writeFileSync(path.join(dir, rel, extra), 'data');
  };

  it('an empty folder, or one with an empty or partial mark, is removed; a whole mark, a wrong mark or any other file keeps it', () => {
    const { w, dir } = work();
    const id = 'snapshot-20261202-000000-abcdef';
    make(dir, `staging-${id}`, '');
    fs.mkdirSync(path.join(dir, 'snapshots', id), { recursive: true });
    assert.equal(dropHalfMade(w, id, nonce), true);
    assert.ok(!fs.existsSync(path.join(dir, `staging-${id}`)) && !fs.existsSync(path.join(dir, 'snapshots', id)));
    make(dir, 'a', nonce.slice(0, 10));
    make(dir, 'b', nonce);
    make(dir, 'c', 'ffff');
    make(dir, 'd', nonce.slice(0, 3), 'restored.txt');
    assert.deepEqual(['a', 'b', 'c', 'd'].map((r) => isHalfMade(w, r, nonce)), [true, false, false, false]);
  });

  it('never follows a link in place of the folder', () => {
    const { w, dir } = work();
    const outside = tempDir();
    fs.symlinkSync(outside, path.join(dir, 'staging-x'));
    assert.equal(isHalfMade(w, 'staging-x', nonce), false);
    assert.equal(dropHalfMade(w, 'x', nonce), false);
    assert.ok(fs.existsSync(outside));
  });

  it("a kill while making the target's .gardener-restore (or its snapshots) leaves nothing once recovery drops the empty folders; one holding anything stays", () => {
    const target = tempDir();
    const w = { dir: workDir(target), base: target };
    fs.mkdirSync(path.join(target, RESTORE_DIR, 'snapshots'), { recursive: true });
    dropEmptyWork(w, target);
    assert.deepEqual(fs.readdirSync(target), []);
    fs.mkdirSync(path.join(target, RESTORE_DIR, 'snapshots', 'snapshot-1'), { recursive: true });
    dropEmptyWork(w, target);
    assert.deepEqual(fs.readdirSync(path.join(target, RESTORE_DIR, 'snapshots')), ['snapshot-1'], 'an earlier restore’s snapshot is kept');
  });
});
