import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackupError, type Source } from '../../src/core/backup';
import { manager, snapshot, TEST_KEY, write } from './backupFixtures';
import { tempDir } from './fixtures';

const source = (root: string, o: Partial<Source> = {}): Source => ({ name: 'w', root, include: [], exclude: [], ...o });

describe('restore: edges a real workspace has', () => {
  it('a file the backup left out for its size is never moved aside by a restore', async () => {
    const root = tempDir();
    write(root, 'small.txt', 'small');
    write(root, 'big.bin', Buffer.alloc(5000, 1));
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: [source(root, { maxFileBytes: 1000 })] } });
    await m.init();
    const b = await m.createBackup('FULL');
    assert.deepEqual((await m.catalog.manifest(b.id)).skipped.map((s) => s.reason), ['too-large']);
    const r = await m.restore(b.id);
    assert.deepEqual(r.deleted, []);
    assert.ok(fs.existsSync(path.join(root, 'big.bin')), 'the big file is where it was');
  });

  it('a path that became a folder, and a folder that became a file, restore through an incremental chain and back', async () => {
    const root = tempDir();
    write(root, 'notes', 'a file at first');
    write(root, 'dir/inside.txt', 'a folder at first');
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: [source(root)] } });
    await m.init();
    const full = await m.createBackup('FULL');
    const atFull = snapshot(root);
    fs.rmSync(path.join(root, 'notes'));
    write(root, 'notes/x.md', 'now a folder');
    fs.rmSync(path.join(root, 'dir'), { recursive: true });
    write(root, 'dir', 'now a file');
    const inc = await m.createBackup('INCREMENTAL');
    const atInc = snapshot(root);
    // Back to the full: a live folder where the backup has a file, and a live file where it has a folder.
    await m.restore(full.id);
    assert.deepEqual(snapshot(root), atFull);
    // And forward again, through the chain.
    await m.restore(inc.id);
    assert.deepEqual(snapshot(root), atInc);
  });

  it('a path to restore is read as the archive writes it; one that names nothing is NOT_FOUND', async () => {
    const root = tempDir();
    write(root, 'src/a.ts', 'a');
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: [source(root)] } });
    await m.init();
    const b = await m.createBackup('FULL');
    write(root, 'src/a.ts', 'broken');
    await m.restore(b.id, { path: 'w/./src//' });
    assert.equal(fs.readFileSync(path.join(root, 'src/a.ts'), 'utf8'), 'a');
    await assert.rejects(m.restore(b.id, { path: 'w/nope' }), (e: unknown) => e instanceof BackupError && e.code === 'NOT_FOUND');
  });

  it('a multi-root restore that fails on its second root says the first was restored', async () => {
    const a = tempDir();
    const b = tempDir();
    write(a, 'x.txt', 'a');
    write(b, 'x.txt', 'b');
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: [source(a, { name: 'a' }), source(b, { name: 'b' })] } });
    await m.init();
    const full = await m.createBackup('FULL');
    write(a, 'x.txt', 'changed a');
    // A link where the second root's restore folder would be: that root is refused.
    fs.symlinkSync(tempDir(), path.join(b, '.gardener-restore'));
    await assert.rejects(m.restore(full.id), (e: unknown) => e instanceof BackupError && /^a was restored; then b was not/.test(e.message));
    assert.equal(fs.readFileSync(path.join(a, 'x.txt'), 'utf8'), 'a');
  });

  it('Undo Restore does not silently replace a file edited since the restore: it names it (CHANGED_SINCE), and replaces it only when told to', async () => {
    const root = tempDir();
    write(root, 'a.txt', 'backed up');
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: [source(root)] } });
    await m.init();
    const b = await m.createBackup('FULL');
    write(root, 'a.txt', 'work before the restore');
    const r = await m.restore(b.id);
    await new Promise((ok) => setTimeout(ok, 20));
    write(root, 'a.txt', 'work after the restore');
    await assert.rejects(m.undoRestore(r.snapshotId), (e: unknown) => e instanceof BackupError && e.code === 'CHANGED_SINCE' && e.message.includes('a.txt'));
    assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'work after the restore', 'nothing was changed');
    await m.undoRestore(r.snapshotId, { replaceChanged: true });
    assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'work before the restore');
  });
});

