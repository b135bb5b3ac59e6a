import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { moveState, planBackupsMove } from '../../src/core/state';
import { fullyBackedUp, manager, snapshot, write } from './backupFixtures';
import { tempDir } from './fixtures';

function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)))
    .sort();
}

describe('moving the backups to a new backups folder', () => {
  it('moves every file of the backups folder (not its lock) while holding the lock; the backups restore from the new folder; the old folder is emptied', async () => {
    const { data, m, b } = await fullyBackedUp(20);
    write(data, 'projects/p1/file-1.txt', 'changed');
    const inc = await m.createBackup('INCREMENTAL');
    const before = files(m.backupsDir).filter((f) => !f.startsWith('.lock'));
    const target = path.join(tempDir(), 'elsewhere', path.basename(m.backupsDir));
    const plan = planBackupsMove(m.backupsDir, target);
    assert.deepEqual(plan.items.map((i) => i.to).sort(), before, 'every file but the lock');
    const journal = path.join(tempDir(), 'journal.json');
    const r = await m.whileLocked(() => moveState(plan, journal));
    assert.equal(r.moved, before.length);
    assert.deepEqual(files(target), before);
    assert.deepEqual(files(m.backupsDir).filter((f) => !f.startsWith('.lock')), [], 'nothing but the released lock is left behind');
    assert.ok(!fs.existsSync(journal));
    // The same backups, from the new folder: the chain restores (its key is found by id).
    const moved = manager(data, target);
    await moved.init();
    assert.deepEqual(moved.catalog.backups.map((x) => x.id), [b.id, inc.id]);
    const expected = snapshot(data);
    fs.rmSync(path.join(data, 'projects'), { recursive: true });
    await moved.restore(inc.id);
    assert.deepEqual(snapshot(data), expected);
    assert.equal((await moved.validate(b.id)).valid, true);
  });

  it('refuses a folder that is not empty, or one inside the other; nothing moves', async () => {
    const { m } = await fullyBackedUp(5);
    const busy = tempDir();
    fs.writeFileSync(path.join(busy, 'someone-elses.txt'), 'x');
    assert.throws(() => planBackupsMove(m.backupsDir, busy), (e: Error & { code?: string }) => e.code === 'INVALID');
    assert.throws(() => planBackupsMove(m.backupsDir, path.join(m.backupsDir, 'inner')), (e: Error & { code?: string }) => e.code === 'INVALID');
    assert.ok(fs.existsSync(path.join(m.backupsDir, 'catalog.json')));
  });
});
