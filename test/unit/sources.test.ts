import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackupError, type Source } from '../../src/core/backup';
import { manager, seedData, snapshot, TEST_KEY, write } from './backupFixtures';
import { runChild } from './trustFixtures';
import { tempDir } from './fixtures';

/** Two workspace roots whose relative paths clash, and a manager that backs both up as FULL. */
function twoRoots(): { a: string; b: string; m: ReturnType<typeof manager> } {
  const a = tempDir();
  const b = tempDir();
  for (const [root, who] of [
    [a, 'api'],
    [b, 'web'],
  ]) {
    write(root, 'README.md', `# ${who}\n`);
    write(root, 'src/index.ts', `export const who = '${who}';\n`);
    write(root, 'node_modules/dep/index.js', 'regenerable');
  }
  const roots: Source[] = [
    { name: 'api', root: a, include: [], exclude: ['node_modules/**'] },
    { name: 'web', root: b, include: [], exclude: ['node_modules/**'] },
  ];
  const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: roots } });
  return { a, b, m };
}

describe('backup sources: several roots', () => {
  it('two roots with clashing relative paths back up under their own names and restore each to its own root, through an incremental', async () => {
    const { a, b, m } = twoRoots();
    await m.init();
    const full = await m.createBackup('FULL');
    assert.deepEqual([...(await m.treeOf(full.id)).files.keys()].sort(), ['api/README.md', 'api/src/index.ts', 'web/README.md', 'web/src/index.ts']);
    write(a, 'src/index.ts', "export const who = 'api v2';\n");
    fs.rmSync(path.join(b, 'README.md'));
    write(b, 'src/new.ts', 'new');
    const inc = await m.createBackup('INCREMENTAL');
    const atInc = { a: snapshot(a), b: snapshot(b) };
    // Lose work in both roots, then restore the incremental: each root comes back as it was.
    write(a, 'src/index.ts', 'broken');
    write(b, 'src/stray.ts', 'not in any backup');
    fs.rmSync(path.join(b, 'src/new.ts'));
    const r = await m.restore(inc.id);
    assert.deepEqual({ a: snapshot(a), b: snapshot(b) }, atInc);
    assert.deepEqual(r.deleted, ['web/src/stray.ts']);
    assert.equal(r.snapshotIds.length, 2, 'one pre-restore snapshot per root');
    // Undo puts back both roots as they were before the restore.
    await m.undoRestore(r.snapshotId);
    assert.equal(fs.readFileSync(path.join(a, 'src/index.ts'), 'utf8'), 'broken');
    assert.ok(fs.existsSync(path.join(b, 'src/stray.ts')));
    assert.equal(m.catalog.snapshots.length, 0);
  });

  it('Restore To… puts each root under its name in the chosen folder; a path restores into its own root only', async () => {
    const { a, b, m } = twoRoots();
    await m.init();
    const full = await m.createBackup('FULL');
    const elsewhere = tempDir();
    await m.restore(full.id, { target: elsewhere });
    // Each root's pre-restore snapshot folder lies in it; the files are what the backup holds.
    assert.deepEqual(Object.keys(snapshot(elsewhere)).filter((p) => !p.includes('/.gardener-restore/')).sort(), ['api/README.md', 'api/src/index.ts', 'web/README.md', 'web/src/index.ts']);
    write(a, 'src/index.ts', 'broken');
    write(b, 'src/index.ts', 'also broken, left alone');
    const plan = await m.planRestore(full.id, { path: 'api/src' });
    assert.deepEqual(plan, { added: [], overwritten: ['api/src/index.ts'], deleted: [] });
    await m.restore(full.id, { path: 'api/src' });
    assert.equal(fs.readFileSync(path.join(a, 'src/index.ts'), 'utf8'), "export const who = 'api';\n");
    assert.equal(fs.readFileSync(path.join(b, 'src/index.ts'), 'utf8'), 'also broken, left alone');
  });

  it('a root that is no longer configured is not restored in place: a clear NOT_FOUND, nothing changed', async () => {
    const { a, m } = twoRoots();
    await m.init();
    const full = await m.createBackup('FULL');
    m.configure({ roots: { FULL: [{ name: 'api', root: a, include: [], exclude: [] }] } });
    await assert.rejects(m.restore(full.id), (e: unknown) => e instanceof BackupError && e.code === 'NOT_FOUND' && /"web"/.test(e.message));
  });

  it('a type whose sources hold no files fails clearly and records no backup', async () => {
    const empty = tempDir();
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { USER_DATA: [{ name: 'notes', root: empty, include: [], exclude: [] }] } });
    await m.init();
    await assert.rejects(m.createBackup('USER_DATA'), (e: unknown) => e instanceof BackupError && e.code === 'INVALID');
    assert.deepEqual(m.catalog.backups, []);
  });

  it('a backups folder inside any source is refused before anything is written', async () => {
    const root = tempDir();
    write(root, 'a.txt', 'a');
    const m = manager(tempDir(), path.join(root, 'backups'), TEST_KEY, { roots: { FULL: [{ name: 'w', root, include: [], exclude: [] }] } });
    await assert.rejects(m.createBackup('FULL'), (e: unknown) => e instanceof BackupError && e.code === 'INVALID');
    assert.ok(!fs.existsSync(path.join(root, 'backups')));
  });

  it('a backups folder inside a source whose globs leave it out is accepted, and never backed up', async () => {
    const root = tempDir();
    write(root, 'a.txt', 'a');
    const m = manager(tempDir(), path.join(root, 'state', 'backups'), TEST_KEY, { roots: { FULL: [{ name: 'w', root, include: [], exclude: ['state/**'] }] } });
    await m.init();
    const b = await m.createBackup('FULL');
    assert.deepEqual([...(await m.treeOf(b.id)).files.keys()], ['w/a.txt']);
  });

  it('with a scratch folder on the same disk, a restore leaves nothing of ours in the root it restores: staging and the pre-restore snapshot live in the scratch folder, and Undo works', async () => {
    const { a, b, m } = twoRoots();
    const scratchDir = path.join(tempDir(), 'restore');
    m.configure({ ...m.settings(), scratchDir });
    await m.init();
    const full = await m.createBackup('FULL');
    write(a, 'src/index.ts', 'broken');
    const r = await m.restore(full.id);
    for (const root of [a, b]) assert.ok(!fs.existsSync(path.join(root, '.gardener-restore')), `nothing of ours in ${root}`);
    assert.ok(m.catalog.snapshots.every((s) => s.work?.startsWith(scratchDir)), 'the snapshots lie in the scratch folder');
    await m.undoRestore(r.snapshotId);
    assert.equal(fs.readFileSync(path.join(a, 'src/index.ts'), 'utf8'), 'broken');
    assert.deepEqual(fs.readdirSync(path.join(scratchDir, fs.readdirSync(scratchDir)[0], 'snapshots')), [], 'undone: nothing left in the scratch folder');
  });

  it('with a scratch folder, a restore killed at random moments leaves the folder wholly old or wholly new after the next start', async function () {
    this.timeout(300_000);
    const data = tempDir();
    seedData(data, 40);
    const scratchDir = path.join(tempDir(), 'restore');
    const m = manager(data, undefined, TEST_KEY, { scratchDir });
    await m.init();
    const b = await m.createBackup('FULL');
    const fresh = snapshot(data);
    const t0 = Date.now();
    await m.restore(b.id);
    const window = Math.max(50, Date.now() - t0);
    process.env.GARDENER_SCRATCH = scratchDir;
    let killed = 0;
    try {
      for (let i = 0; i < 12; i++) {
        write(data, 'projects/p1/file-1.txt', `old ${i}`);
        fs.rmSync(path.join(data, 'settings/app.json'), { force: true });
        const old = snapshot(data);
        if ((await runChild(['restore', data, m.backupsDir, b.id], { after: 'ready', ms: Math.floor(Math.random() * window) })).outcome === 'killed') killed++;
        await manager(data, m.backupsDir, TEST_KEY, { scratchDir }).init();
        const now = JSON.stringify(snapshot(data));
        assert.ok(now === JSON.stringify(old) || now === JSON.stringify(fresh), `run ${i}: wholly old or wholly new`);
        assert.ok(!fs.existsSync(path.join(data, '.gardener-restore')), `run ${i}: nothing of ours in the data`);
      }
    } finally {
      delete process.env.GARDENER_SCRATCH;
    }
    assert.ok(killed >= 3, `${killed} of 12 runs were killed midway`);
  });
});

