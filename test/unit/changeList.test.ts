import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackupManager } from '../../src/core/backup';
import { ManualClock } from '../../src/core/clock';
import { watcherSeesAll } from '../../src/core/backup/changeList';
import { DEFAULT_WORKSPACE_EXCLUDES, workspaceSources } from '../../src/core/backup/workspaceSources';
import { keys, manager, snapshot, TEST_KEY, write } from './backupFixtures';
import { tempDir } from './fixtures';

/** A workspace with sources, a folder to rename, one to delete, and a git repository. */
function workspace(): string {
  const ws = tempDir();
  write(ws, '.gitignore', 'node_modules/\n*.log\n');
  write(ws, 'src/a.ts', 'export const a = 1;\n');
  write(ws, 'src/b.ts', 'export const b = 1;\n');
  write(ws, 'src/c.ts', 'export const c = 1;\n');
  write(ws, 'old/x.ts', 'x\n');
  write(ws, 'old/deep/y.ts', 'y\n');
  write(ws, 'gone/z.ts', 'z\n');
  write(ws, 'node_modules/p/index.js', 'module.exports = 1;\n');
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'add', '-A');
  git(ws, 'commit', '-q', '-m', 'first');
  return ws;
}

function git(ws: string, ...args: string[]): void {
  execFileSync('git', ['-C', ws, '-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { stdio: 'ignore' });
}

const sourcesOf = (ws: string) => workspaceSources([ws], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] });

/** A clock that starts now (file times and the racy rule agree) and that a test moves on. */
function clockFromNow(): ManualClock {
  return new ManualClock(Date.now());
}

/** The paths a backup itself holds (not its chain), without the source's name. */
async function heldBy(m: BackupManager, id: string, name: string): Promise<string[]> {
  return (await m.catalog.manifest(id)).files.map((f) => f.path.slice(name.length + 1)).sort();
}

/** A tree as comparable values: each file's path, size, mode and hash, and the folders. */
async function treeOf(m: BackupManager, id: string): Promise<unknown> {
  const t = await m.treeOf(id);
  return { files: [...t.files.values()].map((f) => [f.path, f.size, f.mode, f.sha256]).sort(), dirs: t.dirs.map((d) => [d.path, d.mode]) };
}

/** A manager of `ws` (as the extension backs up a workspace folder) with a watcher reporting, and its first full backup made. */
async function watchedFull(ws: string): Promise<{ m: BackupManager; name: string; roots: ReturnType<typeof sourcesOf> }> {
  const roots = sourcesOf(ws);
  const m = new BackupManager(clockFromNow(), tempDir(), `${tempDir()}/b`, keys(TEST_KEY), { roots: { FULL: roots } });
  await m.init();
  m.changes.watch();
  await m.createBackup('FULL');
  return { m, name: roots[0].name, roots };
}

describe('incrementals from a change list', () => {
  it('look only at the noted paths (a folder with all it holds, and the repository every time), and restore the edited tree exactly as a walked incremental does', async function () {
    this.timeout(60_000);
    const ws = workspace();
    const { m, name, roots } = await watchedFull(ws);
    const note = (...rels: string[]) => rels.forEach((r) => m.changes.note(path.join(ws, ...r.split('/'))));

    // An edit, a new file in a new folder, a renamed folder, a deleted folder, a deleted file, a commit.
    write(ws, 'src/a.ts', 'export const a = 22;\n');
    write(ws, 'lib/new/n.ts', 'n\n');
    fs.renameSync(path.join(ws, 'old'), path.join(ws, 'renamed'));
    fs.rmSync(path.join(ws, 'gone'), { recursive: true });
    fs.rmSync(path.join(ws, 'src/c.ts'));
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'unpushed');
    // Changed but not noted: a list this incremental trusts does not see it (the walk below will).
    write(ws, 'src/b.ts', 'export const b = 2;\n');
    // A link to a folder outside: the walk never follows one, nor does the list.
    const outside = tempDir();
    write(outside, 'secret.txt', 'not ours');
    fs.symlinkSync(outside, path.join(ws, 'linked'));
    note('src/a.ts', 'lib', 'lib/new/n.ts', 'old', 'renamed', 'gone', 'src/c.ts', 'debug.log', 'node_modules/p/index.js', 'linked', 'linked/secret.txt');
    const inc = await m.createBackup('INCREMENTAL');
    const held = await heldBy(m, inc.id, name);
    assert.ok(held.includes('src/a.ts') && held.includes('lib/new/n.ts') && held.includes('renamed/x.ts') && held.includes('renamed/deep/y.ts'), held.join(', '));
    assert.ok(!held.includes('src/b.ts'), 'a change nobody noted is not looked for');
    assert.ok(!held.some((p) => p.startsWith('linked')), 'nothing through a link');
    assert.ok(held.some((p) => p.startsWith('.git/objects/')), 'the new commit is in, though the watcher said nothing of .git');
    const deleted = (await m.catalog.manifest(inc.id)).deleted.map((p) => p.slice(name.length + 1)).sort();
    assert.deepEqual(deleted, ['gone/z.ts', 'old/deep/y.ts', 'old/x.ts', 'src/c.ts']);

    // The same tree as an incremental that walks everything (a fresh manager, with no list), but for the unnoted file.
    write(ws, 'src/b.ts', 'export const b = 1;\n');
    fs.utimesSync(path.join(ws, 'src/b.ts'), new Date(Date.now() - 3600_000), new Date(Date.now() - 3600_000));
    const walker = new BackupManager(clockFromNow(), m.dataDir, m.backupsDir, keys(TEST_KEY), { roots: { FULL: roots } });
    await walker.init();
    const walked = await walker.createBackup('INCREMENTAL');
    assert.deepEqual(await heldBy(walker, walked.id, name), [], 'the walk finds nothing the list missed');
    assert.deepEqual(await treeOf(walker, walked.id), await treeOf(m, inc.id));

    const edited = snapshot(ws, ['.gardener-restore']);
    fs.rmSync(path.join(ws, 'renamed'), { recursive: true });
    write(ws, 'src/a.ts', 'broken');
    await m.restore(inc.id);
    assert.deepEqual(snapshot(ws, ['.gardener-restore']), edited);
  });

  it('the repository’s object folders untouched since the parent backup are not listed again; a commit’s new objects are in, and the restored repository is whole', async function () {
    this.timeout(60_000);
    const ws = workspace();
    const objects = path.join(ws, '.git', 'objects');
    const hourAgo = new Date(Date.now() - 3600_000);
    const folders = fs.readdirSync(objects).map((d) => path.join(objects, d));
    for (const f of folders) fs.utimesSync(f, hourAgo, hourAgo);
    const { m, name } = await watchedFull(ws);
    write(ws, 'src/a.ts', 'export const a = 3;\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'second');
    // Changed in place with its folder's time kept, as git never does: not looked at, so not taken.
    const looseDir = folders.find((f) => /[0-9a-f]{2}$/.test(f) && Math.abs(fs.statSync(f).mtimeMs - hourAgo.getTime()) < 1 && fs.readdirSync(f).length)!;
    const loose = path.join(looseDir, fs.readdirSync(looseDir)[0]);
    fs.chmodSync(loose, 0o644);
    fs.appendFileSync(loose, 'x');
    fs.utimesSync(looseDir, hourAgo, hourAgo);
    m.changes.note(path.join(ws, 'src', 'a.ts'));
    const inc = await m.createBackup('INCREMENTAL');
    const held = await heldBy(m, inc.id, name);
    const rel = (abs: string): string => path.relative(ws, abs).split(path.sep).join('/');
    assert.ok(!held.includes(rel(loose)), 'a folder whose time says nothing changed is not listed');
    const fresh = held.filter((p) => p.startsWith('.git/objects/'));
    assert.ok(fresh.length >= 3, `the commit, its tree and the edited file's blob: ${fresh.join(', ')}`);
    // The chain restores a repository git finds whole (the loose object as it was), with the new commit.
    const target = tempDir();
    await m.restore(inc.id, { target });
    const back = path.join(target, name);
    execFileSync('git', ['-C', back, 'fsck', '--full', '--strict'], { stdio: 'pipe' });
    assert.match(execFileSync('git', ['-C', back, 'log', '--oneline'], { encoding: 'utf8' }), /second/);
    assert.equal(fs.readFileSync(path.join(back, 'src', 'a.ts'), 'utf8'), 'export const a = 3;\n');
  });

  it('a change the watcher missed is still caught: by the walk once the last one is a day old, after the list was lost, and when a noted path cannot be placed', async function () {
    this.timeout(60_000);
    const ws = workspace();
    const roots = sourcesOf(ws);
    const name = roots[0].name;
    const clock = clockFromNow();
    const m = new BackupManager(clock, tempDir(), `${tempDir()}/b`, keys(TEST_KEY), { roots: { FULL: roots } });
    await m.init();
    m.changes.watch();
    await m.createBackup('FULL');
    const edit = (rel: string, text: string) => {
      write(ws, rel, text);
      // Another time than the one recorded, whatever the file system's resolution.
      clock.advance(5000);
      fs.utimesSync(path.join(ws, rel), new Date(clock.now()), new Date(clock.now()));
    };

    edit('src/a.ts', 'noted 1;\n');
    edit('src/b.ts', 'missed1;\n');
    m.changes.note(path.join(ws, 'src/a.ts'));
    const listed = await m.createBackup('INCREMENTAL');
    assert.deepEqual(await heldBy(m, listed.id, name), ['src/a.ts']);

    // A day on: the walk comes back, and finds what the watcher missed.
    clock.advance(m.changes.walkEveryMs);
    const daily = await m.createBackup('INCREMENTAL');
    assert.deepEqual(await heldBy(m, daily.id, name), ['src/b.ts']);

    // The list is trusted again after a walk…
    edit('src/c.ts', 'missed2;\n');
    assert.deepEqual(await heldBy(m, (await m.createBackup('INCREMENTAL')).id, name), []);
    // …until the watcher says it may have missed something.
    m.changes.lose();
    assert.deepEqual(await heldBy(m, (await m.createBackup('INCREMENTAL')).id, name), ['src/c.ts']);

    // A path outside every source (another spelling of the folder) makes the backup walk.
    edit('src/a.ts', 'missed3;\n');
    m.changes.note(path.join(tempDir(), 'elsewhere.ts'));
    assert.deepEqual(await heldBy(m, (await m.createBackup('INCREMENTAL')).id, name), ['src/a.ts']);

    // So does a .gitignore: its rules decide about every other path.
    edit('debug.log', 'now kept');
    edit('src/b.ts', 'missed4;\n');
    edit('.gitignore', 'node_modules/\n');
    m.changes.note(path.join(ws, '.gitignore'));
    assert.deepEqual(await heldBy(m, (await m.createBackup('INCREMENTAL')).id, name), ['.gitignore', 'debug.log', 'src/b.ts']);

    // And so do other folders or globs than the list ran with.
    edit('src/c.ts', 'missed5;\n');
    m.configure({ roots: { FULL: workspaceSources([ws], { exclude: [...DEFAULT_WORKSPACE_EXCLUDES, '**/*.tmp'], useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] }) } });
    assert.deepEqual(await heldBy(m, (await m.createBackup('INCREMENTAL')).id, name), ['src/c.ts']);
  });

  it('a file rewritten within its recorded time, at the same size, is compared by hash (racily clean, as git says)', async () => {
    const data = tempDir();
    write(data, 'f.txt', 'aaaa');
    const m = manager(data);
    await m.init();
    const full = await m.createBackup('FULL');
    const before = (await m.treeOf(full.id)).files.get('f.txt');
    assert.ok(before);
    // Same size, and the very time the full recorded: only the content says it changed.
    write(data, 'f.txt', 'bbbb');
    fs.utimesSync(path.join(data, 'f.txt'), new Date(before.mtimeMs), new Date(before.mtimeMs));
    const inc = await m.createBackup('INCREMENTAL');
    assert.deepEqual(
      (await m.catalog.manifest(inc.id)).files.map((f) => f.path),
      ['f.txt'],
    );
  });
});

describe('whether a watcher sees everything a backup takes', () => {
  it('VS Code’s default watcher excludes pass (repositories are walked, node_modules is left out); anything else the watcher leaves out does not', () => {
    const defaults = { '**/.git/objects/**': true, '**/.git/subtree-cache/**': true, '**/node_modules/*/**': true, '**/.hg/store/**': true };
    assert.equal(watcherSeesAll(defaults, DEFAULT_WORKSPACE_EXCLUDES), true);
    assert.equal(watcherSeesAll(defaults, []), false, 'node_modules backed up but not watched');
    assert.equal(watcherSeesAll({ ...defaults, '**/data/**': true }, DEFAULT_WORKSPACE_EXCLUDES), false);
    assert.equal(watcherSeesAll({ ...defaults, '**/data/**': false }, DEFAULT_WORKSPACE_EXCLUDES), true);
    assert.equal(watcherSeesAll({ 'src/**': true }, DEFAULT_WORKSPACE_EXCLUDES), false);
  });
});
