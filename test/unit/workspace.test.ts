import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_WORKSPACE_EXCLUDES, workspaceSources } from '../../src/core/backup/workspaceSources';
import { manager, snapshot, TEST_KEY, write } from './backupFixtures';
import { tempDir } from './fixtures';

/**
 * A workspace as a developer has one: sources, a real git repository with objects and an
 * unpushed commit, thousands of files in node_modules, a build output, a .env that .gitignore
 * ignores, and a nested project with its own .gitignore.
 */
function realWorkspace(): string {
  const ws = tempDir();
  write(ws, 'package.json', '{"name":"app"}');
  write(ws, 'src/index.ts', 'export const a = 1;\n');
  write(ws, 'src/util/math.ts', 'export const add = (a: number, b: number) => a + b;\n');
  write(ws, 'README.md', '# app\n');
  write(ws, '.gitignore', 'node_modules/\ndist/\n.env\n*.log\ntmp/\n');
  write(ws, '.env', 'API_TOKEN=secret\n');
  write(ws, 'debug.log', 'noise');
  write(ws, 'tmp/scratch.txt', 'ignored by git');
  for (let i = 0; i < 2000; i++) write(ws, `node_modules/pkg${i % 40}/lib/f${i}.js`, `module.exports = ${i};\n`);
  write(ws, 'dist/index.js', 'built');
  write(ws, 'packages/nested/package.json', '{"name":"nested"}');
  write(ws, 'packages/nested/.gitignore', 'generated/\n!keep.log\n');
  write(ws, 'packages/nested/generated/big.txt', 'regenerated');
  write(ws, 'packages/nested/keep.log', 'negated by the nested .gitignore');
  write(ws, 'packages/nested/src/lib.ts', 'export {};\n');
  const git = (...args: string[]) => execFileSync('git', ['-C', ws, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  write(ws, 'src/index.ts', 'export const a = 2; // not pushed anywhere\n');
  git('commit', '-q', '-am', 'unpushed work');
  return ws;
}

const files = (dir: string) => Object.keys(snapshot(dir, ['.gardener-restore'])).sort();

describe('backup of a real workspace', () => {
  it('a Full backup holds the sources, .git and .env, and none of node_modules, dist or what .gitignore ignores; an Incremental after edits, a rename and a deletion restores the edited tree exactly', async function () {
    this.timeout(120_000);
    const ws = realWorkspace();
    const roots = workspaceSources([ws], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] });
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: roots } });
    await m.init();
    const full = await m.createBackup('FULL');
    const name = roots[0].name;
    const held = [...(await m.treeOf(full.id)).files.keys()].map((p) => p.slice(name.length + 1)).sort();
    const gitFiles = files(path.join(ws, '.git')).map((p) => `.git/${p}`);
    assert.ok(gitFiles.some((p) => p.startsWith('.git/objects/')), 'the repository has objects');
    assert.deepEqual(
      held,
      [
        ...gitFiles,
        '.env',
        '.gitignore',
        'README.md',
        'package.json',
        'packages/nested/.gitignore',
        'packages/nested/keep.log',
        'packages/nested/package.json',
        'packages/nested/src/lib.ts',
        'src/index.ts',
        'src/util/math.ts',
      ].sort(),
    );

    // Work goes on: an edit, a rename, a deletion, a new file.
    write(ws, 'src/util/math.ts', 'export const add = (a: number, b: number) => b + a;\n');
    fs.renameSync(path.join(ws, 'README.md'), path.join(ws, 'README.markdown'));
    fs.rmSync(path.join(ws, 'packages/nested/src/lib.ts'));
    write(ws, 'src/new.ts', 'export const n = 1;\n');
    const inc = await m.createBackup('INCREMENTAL');
    assert.equal(inc.parentId, full.id);
    const edited = snapshot(ws, ['.gardener-restore']);

    // Then it is lost: the incremental brings back exactly the edited tree (what it holds, and the rest untouched).
    write(ws, 'src/util/math.ts', 'broken');
    fs.rmSync(path.join(ws, 'src'), { recursive: true });
    write(ws, 'stray.ts', 'not in any backup');
    await m.restore(inc.id);
    const after = snapshot(ws, ['.gardener-restore']);
    assert.deepEqual(after, edited);
    assert.match(execFileSync('git', ['-C', ws, 'log', '--oneline'], { encoding: 'utf8' }), /unpushed work/, 'the unpushed commit is back');
  });

  it('a .gitignore edited, added or removed between backups counts at the next one (the rules are kept between walks by the file’s size, time and inode)', async () => {
    const ws = tempDir();
    write(ws, '.gitignore', 'a.log\n');
    for (const f of ['a.log', 'b.log', 'sub/c.txt', 'sub/d.txt']) write(ws, f, f);
    const roots = workspaceSources([ws], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] });
    const m = manager(tempDir(), undefined, TEST_KEY, { roots: { FULL: roots } });
    await m.init();
    const held = async (id: string) => [...(await m.treeOf(id)).files.keys()].map((p) => p.slice(roots[0].name.length + 1)).sort();
    const full = await m.createBackup('FULL');
    assert.deepEqual(await held(full.id), ['.gitignore', 'b.log', 'sub/c.txt', 'sub/d.txt']);

    // The same size, another time: read again. And a .gitignore where none was.
    write(ws, '.gitignore', 'b.log\n');
    fs.utimesSync(path.join(ws, '.gitignore'), new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    write(ws, 'sub/.gitignore', 'c.txt\n');
    const inc = await m.createBackup('INCREMENTAL');
    assert.deepEqual(await held(inc.id), ['.gitignore', 'a.log', 'sub/.gitignore', 'sub/d.txt']);

    fs.rmSync(path.join(ws, 'sub/.gitignore'));
    const inc2 = await m.createBackup('INCREMENTAL');
    assert.deepEqual(await held(inc2.id), ['.gitignore', 'a.log', 'sub/c.txt', 'sub/d.txt']);
  });
});
