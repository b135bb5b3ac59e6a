import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { select, walk, type WalkReport } from '../../src/core/backup/walk';
import {
  describeConfigurationPaths,
  describeConfigurationRestore,
  extensionListFile,
  filesInSources,
  findConfiguration,
  findUserFolder,
  literalGlob,
  missingExtensions,
  nothingToBackUp,
  readExtensionList,
  readProfileNames,
  USER_EXCLUDE,
  USER_INCLUDE,
  userExtensions,
  workspaceSourceNames,
  writeExtensionList,
  type ConfigurationInputs,
} from '../../src/core/configuration';
import { isGardenerError } from '../../src/core/errors';
import { tempDir } from './fixtures';

function file(root: string, rel: string, body = '{}'): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), body);
}

const fileUri = (fsPath: string) => ({ scheme: 'file', fsPath });
const OUR_STORAGE = 'codebase-gardener.codebase-gardener';

/** What a real User folder holds: configuration, and much that is not. */
function fakeUserFolder(): { dataRoot: string; user: string } {
  const dataRoot = tempDir();
  const user = path.join(dataRoot, 'User');
  for (const f of [
    'settings.json',
    'keybindings.json',
    'tasks.json',
    'snippets/javascript.json',
    'snippets/global.code-snippets',
    'profiles/-5a1c2e/settings.json',
    'profiles/-5a1c2e/keybindings.json',
    'profiles/-5a1c2e/tasks.json',
    'profiles/-5a1c2e/extensions.json',
    'profiles/-5a1c2e/snippets/python.json',
    // Not configuration: VS Code's and extensions' state, history, sync state, caches.
    'globalStorage/storage.json',
    'globalStorage/state.vscdb',
    `globalStorage/${OUR_STORAGE}/settings.json`,
    'workspaceStorage/0a1b2c/state.vscdb',
    'workspaceStorage/0a1b2c/settings.json',
    'History/-7f3a/entries.json',
    'History/-7f3a/settings.json',
    'sync/settings/lastSyncsettings.json',
    'profiles/-5a1c2e/globalStorage/state.vscdb',
    'profiles/-5a1c2e/globalStorage/settings.json',
    'caches/CachedConfigurations/settings.json',
    'settings.json.bak',
    'mcp.json',
  ]) {
    file(user, f);
  }
  fs.mkdirSync(path.join(user, 'globalStorage', OUR_STORAGE), { recursive: true });
  return { dataRoot, user };
}

function inputs(over: Partial<ConfigurationInputs> = {}): ConfigurationInputs {
  return { folders: [], dataDir: path.join(tempDir(), 'data'), ...over };
}

describe('configuration backup: VS Code’s own configuration', () => {
  describe('the User folder', () => {
    it('is found two levels above the extension’s global storage', () => {
      const { dataRoot, user } = fakeUserFolder();
      assert.deepEqual(findUserFolder(fileUri(path.join(user, 'globalStorage', OUR_STORAGE))), { folder: user, dataRoot });
    });

    it('is found from a User folder with only keybindings, or only snippets', () => {
      for (const only of ['keybindings.json', 'snippets/x.json']) {
        const user = path.join(tempDir(), 'User');
        file(user, only);
        const r = findUserFolder(fileUri(path.join(user, 'globalStorage', OUR_STORAGE)));
        assert.ok('folder' in r && r.folder === user, only);
      }
    });

    it('is not guessed when the storage is not on disk, not in globalStorage, or the folder holds no configuration', () => {
      const noDisk = findUserFolder({ scheme: 'vscode-userdata', fsPath: '/User/globalStorage/x' });
      assert.ok('problem' in noDisk && /no storage folder on disk \(vscode-userdata:\)/.test(noDisk.problem));
      assert.ok('problem' in findUserFolder(undefined));

      const { user } = fakeUserFolder();
      const elsewhere = findUserFolder(fileUri(path.join(user, 'somewhereElse', OUR_STORAGE)));
      assert.ok('problem' in elsewhere && /not in a globalStorage folder/.test(elsewhere.problem));
      assert.equal(elsewhere.dataRoot, undefined);

      // A remote server's User folder: VS Code's layout, but no settings of its own.
      const server = path.join(tempDir(), 'data');
      fs.mkdirSync(path.join(server, 'User', 'globalStorage', OUR_STORAGE), { recursive: true });
      const empty = findUserFolder(fileUri(path.join(server, 'User', 'globalStorage', OUR_STORAGE)));
      assert.ok('problem' in empty && /holds no settings\.json, keybindings\.json or snippets folder/.test(empty.problem));
      assert.equal(empty.dataRoot, server);
    });

    it('gives exactly the configuration files: settings, keybindings, tasks, snippets and profiles, never state or history', async () => {
      const { user } = fakeUserFolder();
      const report: WalkReport = { dirs: [], skipped: [] };
      const files = (await walk(user, select(USER_INCLUDE, USER_EXCLUDE), undefined, report)).map((f) => f.path);
      assert.deepEqual(files, [
        'keybindings.json',
        'profiles/-5a1c2e/extensions.json',
        'profiles/-5a1c2e/keybindings.json',
        'profiles/-5a1c2e/settings.json',
        'profiles/-5a1c2e/snippets/python.json',
        'profiles/-5a1c2e/tasks.json',
        'settings.json',
        'snippets/global.code-snippets',
        'snippets/javascript.json',
        'tasks.json',
      ]);
      assert.deepEqual(report.skipped, []);
    });

    it('keeps the walk out of every folder but snippets and profiles', () => {
      const sel = select(USER_INCLUDE, USER_EXCLUDE);
      for (const d of ['globalStorage', `globalStorage/${OUR_STORAGE}`, 'workspaceStorage', 'History', 'sync', 'caches', 'profiles/-5a1c2e/globalStorage']) {
        assert.ok(sel.prunes(d), `${d} is not entered`);
      }
      for (const d of ['snippets', 'profiles', 'profiles/-5a1c2e', 'profiles/-5a1c2e/snippets']) assert.ok(!sel.prunes(d), `${d} is entered`);
    });

    it('never lists the folders it leaves out', async () => {
      const { user } = fakeUserFolder();
      const listed: string[] = [];
      // The walk lists folders with fs.readdirSync: watched (on the module itself, which the
      // walk's import reads through), so what it enters can be told.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const nodeFs = require('node:fs') as { readdirSync: unknown };
      const real = fs.readdirSync;
      const spy = (dir: fs.PathLike, ...rest: unknown[]): unknown => {
        listed.push(path.relative(user, String(dir)).split(path.sep).join('/'));
        return (real as (...a: unknown[]) => unknown)(dir, ...rest);
      };
      nodeFs.readdirSync = spy;
      try {
        await walk(user, select(USER_INCLUDE, USER_EXCLUDE));
      } finally {
        nodeFs.readdirSync = real;
      }
      assert.deepEqual(listed.sort(), ['', 'profiles', 'profiles/-5a1c2e', 'profiles/-5a1c2e/snippets', 'snippets']);
    });

    it('is the `user` source, with a remote server’s Machine settings beside it as `machine`', () => {
      const { dataRoot, user } = fakeUserFolder();
      file(dataRoot, 'Machine/settings.json');
      const found = findConfiguration(inputs({ globalStorage: fileUri(path.join(user, 'globalStorage', OUR_STORAGE)) }));
      assert.equal(found.userFolder, user);
      assert.deepEqual(
        found.sources.map((s) => [s.name, s.root]),
        [
          ['user', user],
          ['machine', path.join(dataRoot, 'Machine')],
          ['extensions', path.join(path.dirname(found.sources[2].root), 'configuration')],
        ],
      );
      assert.deepEqual(found.missing, { folders: 'no folder is open' });
    });

    it('on a remote server with no User settings: only the Machine settings, and the note says why', async () => {
      const server = path.join(tempDir(), 'data');
      fs.mkdirSync(path.join(server, 'User', 'globalStorage', OUR_STORAGE), { recursive: true });
      file(server, 'User/workspaceStorage/abc/state.vscdb');
      file(server, 'Machine/settings.json');
      const found = findConfiguration(inputs({ globalStorage: fileUri(path.join(server, 'User', 'globalStorage', OUR_STORAGE)) }));
      assert.deepEqual(
        found.sources.map((s) => s.name),
        ['machine', 'extensions'],
      );
      assert.equal(found.userFolder, undefined);
      assert.match(found.missing.user ?? '', /holds no settings\.json/);
      assert.deepEqual(await filesInSources(found.sources), ['machine/settings.json']);
    });
  });

  describe('workspace folders and the workspace file', () => {
    it('names each folder’s .vscode source after the folder', () => {
      assert.deepEqual(workspaceSourceNames(['/w/api', '/w/web']), ['workspace-api', 'workspace-web']);
      assert.deepEqual(workspaceSourceNames(['/w/my app (v2)', '/w/ünï']), ['workspace-my-app-v2', 'workspace-ünï']);
      assert.deepEqual(workspaceSourceNames(['/w/...']), ['workspace-folder']);
    });

    it('gives folders with the same name (in any case) names of their own that do not depend on their order', () => {
      const names = workspaceSourceNames(['/a/api', '/b/API', '/c/web']);
      assert.match(names[0], /^workspace-api-[0-9a-f]{6}$/);
      assert.match(names[1], /^workspace-API-[0-9a-f]{6}$/);
      assert.notEqual(names[0].toLowerCase(), names[1].toLowerCase());
      assert.equal(names[2], 'workspace-web');
      assert.deepEqual(workspaceSourceNames(['/c/web', '/b/API', '/a/api']), [...names].reverse());
    });

    it('never gives a folder a name the other sources use', () => {
      const [name] = workspaceSourceNames(['/w/file']);
      assert.notEqual(name, 'workspace-file');
      assert.match(name, /^workspace-file-[0-9a-f]{6}$/);
    });

    it('backs up each folder on disk once: its .vscode folder, nothing else', async () => {
      const ws = tempDir();
      for (const f of ['api/.vscode/launch.json', 'api/.vscode/settings.json', 'api/src/index.ts', 'api/node_modules/x/.vscode/settings.json', 'web/.vscode/tasks.json', 'web/package.json']) file(ws, f);
      const api = path.join(ws, 'api');
      const found = findConfiguration(
        inputs({
          folders: [
            { name: 'api', uri: fileUri(api) },
            { name: 'Frontend', uri: fileUri(path.join(ws, 'web')) },
            { name: 'api again', uri: fileUri(api + path.sep) },
            { name: 'remote', uri: { scheme: 'vscode-vfs', fsPath: '/github/x' } },
          ],
        }),
      );
      assert.deepEqual(
        found.sources.map((s) => s.name),
        ['workspace-api', 'workspace-web', 'extensions'],
      );
      assert.equal(found.labels['workspace-web'], 'folder Frontend');
      assert.deepEqual(found.folderNames, ['api', 'Frontend']);
      assert.deepEqual(await filesInSources(found.sources), ['workspace-api/.vscode/launch.json', 'workspace-api/.vscode/settings.json', 'workspace-web/.vscode/tasks.json']);
      const sel = select(found.sources[0].include, found.sources[0].exclude);
      assert.ok(sel.prunes('node_modules') && sel.prunes('src'), 'the rest of the folder is not walked');
    });

    it('backs up the .code-workspace file alone, whatever its name holds', async () => {
      const ws = tempDir();
      const names = ['team.code-workspace', 'my [v2] {x,y} (a)+b@c!.code-workspace', 'back\\slash.code-workspace'];
      for (const n of names) file(ws, n);
      file(ws, 'other.code-workspace');
      file(ws, 'sub/team.code-workspace');
      for (const n of names) {
        const found = findConfiguration(inputs({ workspaceFile: fileUri(path.join(ws, n)) }));
        const src = found.sources.find((s) => s.name === 'workspace-file');
        assert.ok(src, n);
        assert.equal(src.root, ws);
        assert.equal(src.include[0], literalGlob(n));
        assert.deepEqual(await filesInSources([src]), [`workspace-file/${n}`], n);
        assert.ok(select(src.include, src.exclude).prunes('sub'));
        assert.equal(found.labels['workspace-file'], `workspace file ${n}`);
      }
    });

    it('leaves out an untitled workspace, and one inside a folder’s .vscode (backed up with it)', () => {
      const ws = tempDir();
      const untitled = findConfiguration(inputs({ workspaceFile: { scheme: 'untitled', fsPath: '/Untitled-1' } }));
      assert.ok(!untitled.sources.some((s) => s.name === 'workspace-file'));
      const inside = findConfiguration(
        inputs({ folders: [{ name: 'api', uri: fileUri(path.join(ws, 'api')) }], workspaceFile: fileUri(path.join(ws, 'api', '.vscode', 'api.code-workspace')) }),
      );
      assert.ok(!inside.sources.some((s) => s.name === 'workspace-file'));
      const beside = findConfiguration(inputs({ folders: [{ name: 'api', uri: fileUri(path.join(ws, 'api')) }], workspaceFile: fileUri(path.join(ws, 'api.code-workspace')) }));
      assert.ok(beside.sources.some((s) => s.name === 'workspace-file'));
    });
  });

  describe('nothing to back up', () => {
    it('is said plainly, naming what was looked for', async () => {
      const server = path.join(tempDir(), 'data');
      fs.mkdirSync(path.join(server, 'User', 'globalStorage', OUR_STORAGE), { recursive: true });
      const ws = tempDir();
      file(ws, 'api/README.md');
      const found = findConfiguration(inputs({ globalStorage: fileUri(path.join(server, 'User', 'globalStorage', OUR_STORAGE)), folders: [{ name: 'api', uri: fileUri(path.join(ws, 'api')) }] }));
      assert.deepEqual(await filesInSources(found.sources), []);
      assert.equal(
        nothingToBackUp(found),
        `There is nothing to back up: no VS Code settings were found (${path.join(server, 'User')} holds no settings.json, keybindings.json or snippets folder, so it is not taken for VS Code's User folder), the open folder api has no .vscode folder, and no extensions are installed besides VS Code's built-in ones. Nothing was written.`,
      );
      const none = findConfiguration(inputs());
      assert.match(nothingToBackUp(none), /no folder is open/);
      const two = findConfiguration(inputs({ folders: [{ name: 'a', uri: fileUri('/nonexistent/a') }, { name: 'b', uri: fileUri('/nonexistent/b') }] }));
      assert.match(nothingToBackUp(two), /none of the open folders \(a, b\) has a \.vscode folder/);
    });
  });

  describe('the list of installed extensions', () => {
    const appRoot = '/opt/vscode/resources/app';
    const all = [
      { id: 'vscode.git', extensionPath: `${appRoot}/extensions/git`, packageJSON: { version: '1.0.0', isBuiltin: true } },
      { id: 'vscode.typescript-language-features', extensionPath: `${appRoot}/extensions/typescript-language-features`, packageJSON: { version: '1.0.0' } },
      { id: 'ms-python.python', extensionPath: '/home/me/.vscode/extensions/ms-python.python-2024.2.1', packageJSON: { version: '2024.2.1' } },
      { id: 'dbaeumer.vscode-eslint', extensionPath: '/home/me/.vscode/extensions/dbaeumer.vscode-eslint-3.0.10', packageJSON: { version: '3.0.10' } },
      { id: 'codebase-gardener.codebase-gardener', extensionPath: '/home/me/.vscode/extensions/codebase-gardener', packageJSON: { version: '0.1.0' } },
      // Beside the application folder, not in it.
      { id: 'acme.app-extra', extensionPath: `${appRoot}-extra/x`, packageJSON: {} },
    ];

    it('holds the extensions the user installed, with versions, never the built-in ones', () => {
      assert.deepEqual(userExtensions(all, appRoot), [
        { id: 'acme.app-extra', version: '' },
        { id: 'codebase-gardener.codebase-gardener', version: '0.1.0' },
        { id: 'dbaeumer.vscode-eslint', version: '3.0.10' },
        { id: 'ms-python.python', version: '2024.2.1' },
      ]);
    });

    it('is written where the `extensions` source reads it, and read back', async () => {
      const dataDir = path.join(tempDir(), 'data');
      const listFile = extensionListFile(dataDir);
      const src = findConfiguration(inputs({ dataDir })).sources.find((s) => s.name === 'extensions');
      assert.ok(src);
      await writeExtensionList(listFile, userExtensions(all, appRoot), { now: Date.UTC(2025, 0, 2), vscode: '1.96.0', remote: 'ssh-remote' });
      assert.deepEqual(await filesInSources([src]), ['extensions/extensions.json']);
      assert.equal(fs.statSync(listFile).mode & 0o777, 0o600);
      const { list, dropped } = await readExtensionList(listFile);
      assert.equal(dropped, 0);
      assert.deepEqual(list, { version: 1, savedAt: '2025-01-02T00:00:00.000Z', vscode: '1.96.0', remote: 'ssh-remote', extensions: userExtensions(all, appRoot) });
      // Nothing installed: no list, rather than a stale one.
      await writeExtensionList(listFile, [], { now: 0 });
      assert.ok(!fs.existsSync(listFile));
      assert.deepEqual(await filesInSources([src]), []);
    });

    it('passes on only plain publisher.name ids, and refuses what is not a list', async () => {
      const dir = tempDir();
      const f = path.join(dir, 'extensions.json');
      fs.writeFileSync(f, JSON.stringify({ version: 1, extensions: [{ id: 'a.b', version: '1' }, { id: '--install-extension evil' }, { id: 'https://x/y.vsix' }, 'c.d', { id: 'e.f' }] }));
      const { list, dropped } = await readExtensionList(f);
      assert.deepEqual(list.extensions, [
        { id: 'a.b', version: '1' },
        { id: 'e.f', version: '' },
      ]);
      assert.equal(dropped, 3);
      fs.writeFileSync(f, '{"extensions": []}');
      await assert.rejects(readExtensionList(f), (err) => isGardenerError(err, 'CORRUPT_FILE'));
      fs.writeFileSync(f, 'not json');
      await assert.rejects(readExtensionList(f), (err) => isGardenerError(err, 'CORRUPT_FILE'));
    });

    it('tells which listed extensions are missing, ignoring case and listing each once', () => {
      const listed = [
        { id: 'ms-python.python', version: '2024.2.1' },
        { id: 'Dbaeumer.vscode-eslint', version: '3.0.10' },
        { id: 'esbenp.prettier-vscode', version: '10.1.0' },
        { id: 'ESBENP.prettier-vscode', version: '10.1.0' },
        { id: 'golang.go', version: '0.41.0' },
      ];
      assert.deepEqual(missingExtensions(listed, ['vscode.git', 'MS-PYTHON.python', 'dbaeumer.vscode-eslint']), [
        { id: 'esbenp.prettier-vscode', version: '10.1.0' },
        { id: 'golang.go', version: '0.41.0' },
      ]);
      assert.deepEqual(missingExtensions(listed.slice(0, 2), ['ms-python.python', 'dbaeumer.vscode-eslint']), []);
    });
  });

  describe('what a restore changes, in words', () => {
    const labels = { user: 'User', 'workspace-api': 'folder api', 'workspace-web-1a2b3c': 'folder web', extensions: 'the list of extensions' };

    it('names settings files and counts snippets, grouped by where they go', () => {
      assert.equal(
        describeConfigurationPaths(['user/settings.json', 'user/snippets/a.json', 'user/keybindings.json', 'user/snippets/b.code-snippets', 'workspace-api/.vscode/launch.json'], { labels }),
        'User settings.json, keybindings.json, 2 snippets; .vscode/launch.json in folder api',
      );
    });

    it('names profiles by name when VS Code’s state has it, else by id', () => {
      const paths = ['user/profiles/-5a1c2e/settings.json', 'user/profiles/-5a1c2e/snippets/py.json', 'user/profiles/77aa/keybindings.json', 'user/tasks.json'];
      assert.equal(describeConfigurationPaths(paths, { labels, profiles: { '-5a1c2e': 'Python' } }), 'User tasks.json; settings.json, 1 snippet in profile Python; keybindings.json in profile 77aa');
    });

    it('says the rest briefly: long lists, the workspace file, Machine settings, the extension list, other files', () => {
      const paths = [
        'workspace-web-1a2b3c/.vscode/a.json',
        'workspace-web-1a2b3c/.vscode/b.json',
        'workspace-web-1a2b3c/.vscode/c.json',
        'workspace-web-1a2b3c/.vscode/d.json',
        'workspace-web-1a2b3c/.vscode/e.json',
        'workspace-file/team.code-workspace',
        'extensions/extensions.json',
        'machine/settings.json',
        'workspace-gone/.vscode/settings.json',
        'settings/old.json',
      ];
      assert.equal(
        describeConfigurationPaths(paths, { labels }),
        'Remote settings.json; .vscode/settings.json in folder gone; .vscode/a.json, .vscode/b.json, .vscode/c.json and 2 more in folder web; workspace file team.code-workspace; the list of extensions; 1 other file',
      );
      assert.equal(describeConfigurationPaths([]), '');
    });

    it('tells what is written from what is deleted', () => {
      const d = describeConfigurationRestore(
        { added: ['user/snippets/new.json'], overwritten: ['user/settings.json', 'extensions/extensions.json'], deleted: ['user/snippets/since.json', 'workspace-api/.vscode/tasks.json'] },
        { labels },
      );
      assert.deepEqual(d, { restores: 'User settings.json, 1 snippet; the list of extensions', deletes: 'User 1 snippet; .vscode/tasks.json in folder api' });
    });
  });

  describe('profile names', () => {
    it('are read from VS Code’s state, whether it stores locations as strings or URIs', () => {
      const { user } = fakeUserFolder();
      file(
        user,
        'globalStorage/storage.json',
        JSON.stringify({
          userDataProfiles: [
            { location: { $mid: 1, path: '/home/me/.config/Code/User/profiles/-5a1c2e', scheme: 'file' }, name: 'Python' },
            { location: 'file:///home/me/.config/Code/User/profiles/77aa', name: 'Writing' },
            { name: 'no location' },
          ],
        }),
      );
      assert.deepEqual(readProfileNames(user), { '-5a1c2e': 'Python', '77aa': 'Writing' });
      file(user, 'globalStorage/storage.json', 'not json');
      assert.deepEqual(readProfileNames(user), {});
      assert.deepEqual(readProfileNames(undefined), {});
    });
  });
});
