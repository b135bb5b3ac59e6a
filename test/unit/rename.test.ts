import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../../src/core/clock';
import { BackupManager } from '../../src/core/backup';
import { parseManifest } from '../../src/core/backup/records';
import { DEFAULT_WORKSPACE_EXCLUDES, workspaceSources } from '../../src/core/backup/workspaceSources';
import { BackupKeyStore, idOf, keyName, pointerName, statRoot, WorkspaceRegistry, type SecretStore } from '../../src/core/state';
import { isGardenerError } from '../../src/core/errors';
import { manager, snapshot, write } from './backupFixtures';
import { tempDir } from './fixtures';

/** VS Code's SecretStorage as a Map: what the key store sees of it. */
function secrets(): SecretStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: async (n) => map.get(n), store: async (n, v) => void map.set(n, v) };
}

/**
 * What the extension does at each start, without VS Code: the workspace's identity from the
 * registry in global storage, its backups folder and key filed under that identity, and a
 * manager whose Full backups read the workspace folder.
 */
async function start(globalStorage: string, folder: string, s: SecretStore, now: number) {
  const registry = new WorkspaceRegistry(path.join(globalStorage, 'workspaces'));
  const identity = registry.identify({ key: folder, roots: [statRoot(folder)!] }, now);
  if (identity.changed) await registry.save(identity.record);
  const keys = new BackupKeyStore(s, () => ({ identity: identity.id, legacyDataDirs: [] }));
  const roots = workspaceSources([folder], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] });
  const m = new BackupManager(systemClock, path.join(globalStorage, 'data', identity.id), path.join(globalStorage, 'backups', identity.id), keys, { encrypt: true, roots: { FULL: roots } });
  await m.init();
  return { identity, keys, m };
}

describe('a workspace folder renamed', () => {
  it('keeps its identity and its key: a backup made before the rename restores after it, with no recovery key imported', async function () {
    this.timeout(60_000);
    const home = tempDir();
    const globalStorage = path.join(home, 'globalStorage');
    const s = secrets();
    const proj = path.join(home, 'proj');
    write(proj, 'package.json', '{"name":"proj"}');
    write(proj, 'src/index.ts', 'export const a = 1;\n');
    write(proj, 'src/util/math.ts', 'export const add = (a: number, b: number) => a + b;\n');
    write(proj, '.env', 'TOKEN=abc\n', 0o600);

    const before = await start(globalStorage, proj, s, 1);
    assert.equal(before.identity.by, 'new');
    const full = await before.m.createBackup('FULL');
    assert.equal(full.encrypted, true);
    const key = await before.keys.getKey(false);
    assert.ok(key);
    const held = snapshot(proj);
    // What secret storage holds: the key under its id and this workspace's pointer to it.
    const stored = [...s.map.keys()].sort();
    assert.deepEqual(stored, [keyName(idOf(key)), pointerName(before.identity.id)].sort());

    const renamed = path.join(home, 'renamed');
    fs.renameSync(proj, renamed);
    const after = await start(globalStorage, renamed, s, 2);
    assert.deepEqual([after.identity.id, after.identity.by], [before.identity.id, 'inode'], 'the same workspace, told by its folder');
    assert.deepEqual(
      after.m.catalog.backups.map((b) => b.id),
      [full.id],
      'the backups folder filed under the identity is the one the backup went to',
    );

    fs.rmSync(path.join(renamed, 'src', 'index.ts'));
    await after.m.restore(full.id);
    assert.deepEqual(snapshot(renamed), held, 'the deleted file is back, and the rest as it was');
    assert.deepEqual([...s.map.keys()].sort(), stored, 'no key imported, none made');
    assert.ok((await after.keys.getKey(false))!.equals(key));
  });
});

describe('a restore finds a source folder renamed since the backup', () => {
  const roots = (folders: string[]) => workspaceSources(folders, { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] });

  it('by its device and inode, in a multi-root workspace: each folder gets its own files back', async () => {
    const home = tempDir();
    const [api, web] = [path.join(home, 'api'), path.join(home, 'web')];
    write(api, 'src/server.ts', 'export const port = 8080;\n');
    write(web, 'src/app.ts', 'export const app = 1;\n');
    const backups = path.join(home, 'backups');
    const m = manager(path.join(home, 'data'), backups, undefined, { roots: { FULL: roots([api, web]) } });
    await m.init();
    const full = await m.createBackup('FULL');
    const [apiHeld, webHeld] = [snapshot(api), snapshot(web)];

    const frontend = path.join(home, 'frontend');
    fs.renameSync(web, frontend);
    const after = manager(path.join(home, 'data'), backups, undefined, { roots: { FULL: roots([api, frontend]) } });
    await after.init();
    fs.rmSync(path.join(api, 'src', 'server.ts'));
    fs.rmSync(path.join(frontend, 'src', 'app.ts'));
    await after.restore(full.id);
    assert.deepEqual([snapshot(api), snapshot(frontend)], [apiHeld, webHeld]);
  });

  it('never another folder: one under another name is refused (Restore To… is the way), and nothing changes', async () => {
    const home = tempDir();
    const proj = path.join(home, 'proj');
    write(proj, 'a.txt', 'backed up\n');
    const backups = path.join(home, 'backups');
    const m = manager(path.join(home, 'data'), backups, undefined, { roots: { FULL: roots([proj]) } });
    await m.init();
    const full = await m.createBackup('FULL');

    // Beside it, so it is surely another folder (a folder made after one was deleted may reuse its inode).
    const other = path.join(home, 'other');
    write(other, 'b.txt', 'another folder\n');
    const held = snapshot(other);
    const after = manager(path.join(home, 'data'), backups, undefined, { roots: { FULL: roots([other]) } });
    await after.init();
    await assert.rejects(after.restore(full.id), (err) => isGardenerError(err, 'NOT_FOUND') && /workspace-proj/.test((err as Error).message));
    assert.deepEqual(snapshot(other), held);
  });

  it('manifests name one folder identity per source, or are refused', () => {
    const base = { version: 2, backupId: 'full-20250101-000000-abcdef', files: [], deleted: [], dirs: [], skipped: [] };
    const record = { type: 'FULL', createdAt: 1, sources: ['workspace-a', 'workspace-b'] };
    const ok = parseManifest({ ...base, record: { ...record, roots: ['2049:1234:0', '2049:99:1700000000000'] } }, base.backupId);
    assert.ok(typeof ok !== 'string' && ok.record?.roots?.length === 2);
    for (const roots of [['2049:1234:0'], ['2049:1234:0', '../x'], 'x', [1, 2], ['2049:1234', '2049:1:0']]) {
      assert.equal(typeof parseManifest({ ...base, record: { ...record, roots } }, base.backupId), 'string', JSON.stringify(roots));
    }
    assert.equal(typeof parseManifest({ ...base, record: { type: 'FULL', createdAt: 1, roots: ['1:2:3'] } }, base.backupId), 'string', 'no roots without sources');
  });
});
