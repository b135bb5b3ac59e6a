import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extensionListFile, findConfiguration, readExtensionList, writeExtensionList } from '../../src/core/configuration';
import { isGardenerError } from '../../src/core/errors';
import { manager, snapshot, write } from './backupFixtures';
import { tempDir } from './fixtures';

const OUR_STORAGE = 'codebase-gardener.codebase-gardener';
const fileUri = (fsPath: string) => ({ scheme: 'file', fsPath });
const INSTALLED = [
  { id: 'dbaeumer.vscode-eslint', version: '3.0.10' },
  { id: 'ms-python.python', version: '2024.2.1' },
];

/**
 * VS Code's user data folder as the extension finds it: the User folder with configuration and
 * a profile, VS Code's and extensions' state in globalStorage and workspaceStorage, our global
 * storage (where the backups go) and, in workspaceStorage, our data directory.
 */
function fakeVsCode(): { user: string; dataDir: string; backups: string } {
  const user = path.join(tempDir(), 'User');
  write(user, 'settings.json', '{ "editor.fontSize": 14, "files.autoSave": "afterDelay" }\n');
  write(user, 'keybindings.json', '[{ "key": "ctrl+k ctrl+t", "command": "workbench.action.selectTheme" }]\n');
  write(user, 'snippets/ts.json', '{ "log": { "prefix": "cl", "body": "console.log($1);" } }\n');
  write(user, 'snippets/global.code-snippets', '{ "todo": { "prefix": "todo", "body": "// TODO: $1" } }\n');
  write(user, 'profiles/-5a1c2e/settings.json', '{ "python.analysis.typeCheckingMode": "strict" }\n');
  write(user, 'profiles/-5a1c2e/extensions.json', '[{ "identifier": { "id": "ms-python.python" } }]\n');
  write(user, 'profiles/-5a1c2e/snippets/py.json', '{ "main": { "prefix": "main", "body": "if __name__ == \\"__main__\\":" } }\n');
  // Not configuration: state, which a backup neither holds nor a restore touches.
  write(user, 'globalStorage/storage.json', '{ "userDataProfiles": [] }\n');
  write(user, 'globalStorage/state.vscdb', 'SQLite format 3\u0000 global state');
  write(user, 'globalStorage/ms-python.python/settings.json', '{ "not": "the user settings" }\n');
  write(user, 'workspaceStorage/0a1b2c/state.vscdb', 'SQLite format 3\u0000 workspace state');
  write(user, 'workspaceStorage/0a1b2c/workspace.json', '{ "folder": "file:///home/me/proj" }\n');
  write(user, 'profiles/-5a1c2e/globalStorage/state.vscdb', 'profile state');
  write(user, 'History/-7f3a/entries.json', '{}');
  const dataDir = path.join(user, 'workspaceStorage', '0a1b2c', OUR_STORAGE, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  return { user, dataDir, backups: path.join(user, 'globalStorage', OUR_STORAGE, 'backups', 'ws-0000000000000001') };
}

describe('configuration backup and restore', () => {
  it('holds exactly the User folder’s configuration and the extension list, and a restore brings them back without touching globalStorage', async function () {
    this.timeout(60_000);
    const { user, dataDir, backups } = fakeVsCode();
    const listFile = extensionListFile(dataDir);
    await writeExtensionList(listFile, INSTALLED, { now: Date.UTC(2025, 0, 2), vscode: '1.96.0' });
    const found = findConfiguration({ globalStorage: fileUri(path.join(user, 'globalStorage', OUR_STORAGE)), folders: [], dataDir });
    assert.deepEqual(
      found.sources.map((s) => s.name),
      ['user', 'extensions'],
    );

    const m = manager(dataDir, backups, undefined, { roots: { CONFIGURATION: found.sources } });
    await m.init();
    const b = await m.createBackup('CONFIGURATION');
    assert.equal(b.type, 'CONFIGURATION');
    assert.equal(b.encrypted, true);
    assert.deepEqual([...(await m.treeOf(b.id)).files.keys()].sort(), [
      'extensions/extensions.json',
      'user/keybindings.json',
      'user/profiles/-5a1c2e/extensions.json',
      'user/profiles/-5a1c2e/settings.json',
      'user/profiles/-5a1c2e/snippets/py.json',
      'user/settings.json',
      'user/snippets/global.code-snippets',
      'user/snippets/ts.json',
    ]);
    const configuration = snapshot(user, ['globalStorage', 'workspaceStorage', 'History', 'profiles/-5a1c2e/globalStorage', '.gardener-restore']);

    // Work goes on: settings changed, a snippet deleted, extensions uninstalled, and VS Code's
    // own state written meanwhile, which a restore must leave as it is now.
    write(user, 'settings.json', '{ "editor.fontSize": 20 }\n');
    fs.rmSync(path.join(user, 'snippets', 'ts.json'));
    await writeExtensionList(listFile, INSTALLED.slice(0, 1), { now: Date.UTC(2025, 0, 3), vscode: '1.96.0' });
    write(user, 'globalStorage/state.vscdb', 'SQLite format 3\u0000 newer global state');
    write(user, 'globalStorage/other.publisher/cache.json', '{ "written": "after the backup" }\n');
    const state = snapshot(path.join(user, 'globalStorage'), [`${OUR_STORAGE}/backups`]);
    const workspaceState = snapshot(path.join(user, 'workspaceStorage', '0a1b2c'), [OUR_STORAGE]);

    const r = await m.restore(b.id);
    assert.deepEqual(r.added, ['user/snippets/ts.json']);
    assert.deepEqual(r.deleted, []);
    assert.ok(r.overwritten.includes('user/settings.json') && r.overwritten.includes('extensions/extensions.json'));
    assert.deepEqual(snapshot(user, ['globalStorage', 'workspaceStorage', 'History', 'profiles/-5a1c2e/globalStorage', '.gardener-restore']), configuration);
    assert.equal(fs.readFileSync(path.join(user, 'settings.json'), 'utf8'), '{ "editor.fontSize": 14, "files.autoSave": "afterDelay" }\n');
    assert.ok(fs.existsSync(path.join(user, 'snippets', 'ts.json')));
    assert.deepEqual((await readExtensionList(listFile)).list.extensions, INSTALLED);
    assert.deepEqual(snapshot(path.join(user, 'globalStorage'), [`${OUR_STORAGE}/backups`]), state, 'globalStorage untouched');
    assert.deepEqual(snapshot(path.join(user, 'workspaceStorage', '0a1b2c'), [OUR_STORAGE]), workspaceState, 'workspaceStorage untouched');
    assert.equal(fs.readFileSync(path.join(user, 'profiles/-5a1c2e/globalStorage/state.vscdb'), 'utf8'), 'profile state');
  });
});

describe('a backups folder in a folder the source never takes (the User folder’s globalStorage)', () => {
  it('lets the source be restored in place, but no entry of the backup into that folder', async () => {
    // A backup made while `state/` was still backed up, then the backups folder moved into it
    // and `state/` left out: the archive holds what would now land beside the backups.
    const root = tempDir();
    write(root, 'a.txt', 'a');
    write(root, 'state/backups/planted.txt', 'not to be written near the backups');
    const elsewhere = path.join(tempDir(), 'backups');
    const before = manager(tempDir(), elsewhere, undefined, { roots: { FULL: [{ name: 'w', root, include: [], exclude: [] }] } });
    await before.init();
    const b = await before.createBackup('FULL');
    fs.rmSync(path.join(root, 'state', 'backups'), { recursive: true });
    fs.renameSync(elsewhere, path.join(root, 'state', 'backups'));

    const m = manager(tempDir(), path.join(root, 'state', 'backups'), undefined, { roots: { FULL: [{ name: 'w', root, include: [], exclude: ['state/**'] }] } });
    await m.init();
    fs.rmSync(path.join(root, 'a.txt'));
    const held = snapshot(root, []);
    await assert.rejects(m.restore(b.id), (err) => isGardenerError(err, 'UNSAFE_ENTRY') && /w\/state\/backups\/planted\.txt/.test((err as Error).message));
    assert.deepEqual(snapshot(root, []), held, 'nothing changed');

    // A backup made as it is now restores in place.
    write(root, 'a.txt', 'a');
    const now = await m.createBackup('FULL');
    assert.deepEqual([...(await m.treeOf(now.id)).files.keys()], ['w/a.txt']);
    fs.rmSync(path.join(root, 'a.txt'));
    await m.restore(now.id);
    assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'a');
  });

  it('is still refused where the source takes the top-level folder that holds it', async () => {
    const root = tempDir();
    write(root, 'a.txt', 'a');
    const m = manager(tempDir(), path.join(root, 'state', 'backups'), undefined, { roots: { FULL: [{ name: 'w', root, include: [], exclude: ['state/backups/**'] }] } });
    await m.init();
    const b = await m.createBackup('FULL');
    await assert.rejects(m.restore(b.id), (err) => isGardenerError(err, 'INVALID') && /would touch the backups folder/.test((err as Error).message));
    assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'a');
  });
});
