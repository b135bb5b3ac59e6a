import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackupManager } from '../../src/core/backup';
import { parseGitIndex, repositoryOf, trackedFiles } from '../../src/core/backup/gitIndex';
import { DEFAULT_WORKSPACE_EXCLUDES, workspaceSources } from '../../src/core/backup/workspaceSources';
import { systemClock } from '../../src/core/clock';
import { tempDir } from './fixtures';
import { TEST_KEY } from './backupFixtures';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], { encoding: 'utf8' });
}

function write(root: string, rel: string, text = rel): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

/**
 * A repository whose .gitignore matches files it tracks all the same (added with -f, or before
 * the rule), beside untracked files the rules do leave out.
 */
function repo(init: string[] = []): string {
  const ws = tempDir();
  git(ws, 'init', '-q', '-b', 'main', ...init);
  write(ws, 'src/a.ts');
  write(ws, 'notes/ünïcødé.log', 'tracked log');
  write(ws, 'config/local.settings', 'tracked before the rule');
  write(ws, 'vendor/patched/lib.js', 'force-added in an ignored folder');
  git(ws, 'add', '-A');
  write(ws, '.gitignore', '*.log\n*.settings\nvendor/\ngenerated/\n');
  git(ws, 'add', '.gitignore');
  git(ws, 'add', '-f', 'vendor/patched/lib.js');
  git(ws, 'commit', '-q', '-m', 'first');
  write(ws, 'notes/scratch.log', 'untracked, ignored');
  write(ws, 'vendor/other/big.js', 'untracked in an ignored folder');
  write(ws, 'generated/out.txt', 'untracked, ignored folder');
  return ws;
}

const TRACKED_IGNORED = ['config/local.settings', 'notes/ünïcødé.log', 'vendor/patched/lib.js'];
const UNTRACKED_IGNORED = ['generated/out.txt', 'notes/scratch.log', 'vendor/other/big.js'];

function lsFiles(ws: string): string[] {
  return git(ws, '-c', 'core.quotePath=false', 'ls-files').split('\n').filter(Boolean);
}

async function fullBackupPaths(root: string): Promise<string[]> {
  const sources = workspaceSources([root], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 1 << 30, ours: [] });
  const m = new BackupManager(systemClock, tempDir(), `${tempDir()}/b`, { getKey: async () => TEST_KEY }, { encrypt: true, roots: { FULL: sources } });
  await m.init();
  const b = await m.createBackup('FULL');
  const name = sources[0].name;
  return [...(await m.treeOf(b.id)).files.keys()].filter((p) => !p.startsWith(`${name}/.git/`)).map((p) => p.slice(name.length + 1));
}

describe('backup: .gitignore leaves out untracked files only (the git index)', () => {
  for (const [label, setup] of [
    ['version 2', () => undefined],
    ['version 3 (an intent-to-add entry)', (ws: string) => (write(ws, 'src/new.ts'), git(ws, 'add', '-N', 'src/new.ts'))],
    ['version 4 (paths prefix-compressed)', (ws: string) => git(ws, 'update-index', '--index-version', '4')],
  ] as const) {
    it(`reads what git ls-files lists, ${label}`, () => {
      const ws = repo();
      setup(ws);
      const t = trackedFiles(path.join(ws, '.git'));
      assert.ok(t, 'the index parses');
      for (const f of lsFiles(ws)) assert.ok(t.has(f), `${f} is tracked`);
      for (const f of UNTRACKED_IGNORED) assert.ok(!t.has(f), `${f} is not tracked`);
      assert.ok(t.under('vendor') && t.under('vendor/patched') && !t.under('vendor/other') && !t.under('generated'));
    });
  }

  it('reads a SHA-256 repository’s index', function () {
    const ws = tempDir();
    try {
      git(ws, 'init', '-q', '--object-format=sha256');
    } catch {
      this.skip(); // a git without SHA-256 repositories
    }
    write(ws, 'a.txt');
    git(ws, 'add', 'a.txt');
    assert.ok(trackedFiles(path.join(ws, '.git'))?.has('a.txt'));
  });

  it('a Full backup holds tracked files a rule matches, and leaves out untracked ones', async () => {
    const ws = repo();
    const held = await fullBackupPaths(ws);
    for (const f of TRACKED_IGNORED) assert.ok(held.includes(f), `${f} (tracked) is backed up`);
    for (const f of UNTRACKED_IGNORED) assert.ok(!held.includes(f), `${f} (untracked, ignored) is left out`);
    assert.ok(held.includes('src/a.ts') && held.includes('.gitignore'));
  });

  it('a workspace folder inside a repository: its paths are found under the folder’s place in the index', async () => {
    const top = repo();
    // A rule in the folder itself matches a file the repository tracks as vendor/patched/lib.js.
    write(top, 'vendor/.gitignore', '*.js\n');
    assert.equal(repositoryOf(path.join(top, 'vendor'))?.top, top);
    const held = await fullBackupPaths(path.join(top, 'vendor'));
    assert.ok(held.includes('patched/lib.js'), 'tracked, as vendor/patched/lib.js');
    assert.ok(!held.includes('other/big.js'), 'untracked and ignored');
  });

  it('a repository nested in the workspace: its own index says what it tracks', async () => {
    const ws = tempDir();
    write(ws, '.gitignore', '*.log\n');
    write(ws, 'keep.txt');
    const inner = path.join(ws, 'tools', 'inner');
    fs.mkdirSync(inner, { recursive: true });
    git(inner, 'init', '-q');
    write(inner, 'inner-tracked.log', 'tracked by the inner repository');
    git(inner, 'add', '-f', 'inner-tracked.log');
    write(inner, 'inner-untracked.log');
    const held = await fullBackupPaths(ws);
    assert.ok(held.includes('tools/inner/inner-tracked.log'));
    assert.ok(!held.includes('tools/inner/inner-untracked.log'));
  });

  it('an index that is split, damaged or cut short counts as none: the rules alone apply, and nothing throws', async () => {
    const ws = repo();
    const file = path.join(ws, '.git', 'index');
    const good = fs.readFileSync(file);
    assert.ok(parseGitIndex(good, 20));
    for (let cut = 0; cut < good.length; cut += Math.max(1, Math.floor(good.length / 97))) assert.equal(parseGitIndex(good.subarray(0, cut), 20), undefined, `cut at ${cut}`);
    // Flipped bytes fail the checksum; with no checksum (index.skipHash), the parser's own checks must hold.
    const noSum = Buffer.from(good);
    noSum.fill(0, noSum.length - 20);
    for (let i = 0; i < 400; i++) {
      const bad = Buffer.from(noSum);
      const at = 12 + ((i * 7919) % (bad.length - 32));
      bad[at] ^= 1 << i % 8;
      assert.doesNotThrow(() => parseGitIndex(bad, 20));
      const flipped = Buffer.from(good);
      flipped[at] ^= 1 << i % 8;
      assert.equal(parseGitIndex(flipped, 20), undefined);
    }
    fs.writeFileSync(file, Buffer.concat([good.subarray(0, 40), Buffer.alloc(50, 0xff)]));
    const held = await fullBackupPaths(ws);
    assert.ok(held.includes('src/a.ts'));
    assert.ok(!held.includes('notes/scratch.log'));
    // A split index holds only part of the entries.
    const split = repo();
    git(split, 'update-index', '--split-index');
    assert.equal(trackedFiles(path.join(split, '.git')), undefined);
  });
});
