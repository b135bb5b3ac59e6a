// The workspace-shaped tree of bench:backup: what a Full backup of a developer's folder meets.
// Sources (small text files in nested folders, TypeScript-like, of uneven sizes), a real git
// repository of them (committed, packed by `git gc`, then one more commit whose objects stay
// loose, as in a repository in use), and a large node_modules that `.gitignore` and the default
// excludes leave out, as `tar --exclude=node_modules` does.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Workspace {
  root: string;
  /** The source files (absolute, sorted): not `.git`, not node_modules. */
  sources: string[];
  sourceBytes: number;
  gitFiles: number;
  gitBytes: number;
  nodeModulesFiles: number;
}

/** A small deterministic generator (mulberry32): the same tree on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'health alert backup restore sample metric disk memory probe component runbook gardener context result value index count error status config'.split(' ');

/** A source file of about `size` bytes: code-shaped lines with names, numbers and strings. */
function sourceText(rand: () => number, i: number, size: number): string {
  const word = () => WORDS[Math.floor(rand() * WORDS.length)];
  const name = () => word() + word().charAt(0).toUpperCase() + word().slice(1);
  const lines = [`// module ${i}: ${word()} ${word()}`, `import { ${name()} } from './${word()}';`, ''];
  let n = lines.join('\n').length;
  while (n < size) {
    const line =
      rand() < 0.3
        ? `export function ${name()}${i}(${word()}: number, ${word()}: string): boolean {\n  return ${word()}.length > ${Math.floor(rand() * 1000)};\n}\n`
        : `const ${name()}_${Math.floor(rand() * 10000)} = { ${word()}: ${Math.floor(rand() * 100000)}, ${word()}: '${word()} ${word()}' };\n`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n');
}

function write(file: string, text: string): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return Buffer.byteLength(text);
}

/** Every file under `dir`, skipping the folders named in `skip` at any depth; sorted. */
export function filesUnder(dir: string, skip: readonly string[] = []): string[] {
  const all: string[] = [];
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (!skip.includes(e.name)) visit(path.join(d, e.name));
      } else all.push(path.join(d, e.name));
    }
  };
  visit(dir);
  return all.sort();
}

function bytesOf(files: readonly string[]): number {
  let n = 0;
  for (const f of files) n += fs.statSync(f).size;
  return n;
}

/** The source files of a generated workspace: what a test changes between backups. */
export function sourceFiles(root: string): string[] {
  return filesUnder(root, ['.git', 'node_modules']);
}

export function generateWorkspace(root: string, sources: number, nodeModules: number): Workspace {
  const rand = random(12);
  write(path.join(root, '.gitignore'), 'node_modules/\n');
  write(path.join(root, 'package.json'), JSON.stringify({ name: 'bench-app', private: true, workspaces: ['packages/*'] }, null, 2));
  write(path.join(root, 'README.md'), '# bench-app\n\nA generated workspace.\n');
  const packages = Math.max(1, Math.round(sources / 500));
  for (let i = 3; i < sources; i++) {
    // packages/<p>/src/<module>/<sub>/…: four to five levels, a few dozen files per folder.
    const p = i % packages;
    const mod = Math.floor(i / packages) % 12;
    const sub = Math.floor(i / (packages * 12)) % 4;
    const dir = path.join(root, 'packages', `pkg${p}`, i % 10 === 0 ? 'test' : 'src', `${WORDS[mod]}`, `${WORDS[(mod + sub + 5) % WORDS.length]}`);
    // Mostly 0.3–4 KB, a few up to ~30 KB: a long tail, as real sources have.
    const size = Math.floor(300 + 3700 * rand() * rand() + (rand() < 0.03 ? 26000 * rand() : 0));
    const kind = i % 25 === 0 ? 'json' : i % 17 === 0 ? 'md' : 'ts';
    write(path.join(dir, `${WORDS[i % WORDS.length]}${i}.${kind}`), sourceText(rand, i, size));
  }
  // node_modules: hundreds of packages of small files, as npm installs them.
  for (let i = 0; i < nodeModules; i++) {
    const pkg = `node_modules/dep${i % Math.max(1, Math.round(nodeModules / 50))}`;
    write(path.join(root, pkg, 'lib', `m${i % 7}`, `f${i}.js`), `'use strict';\nmodule.exports = function f${i}(x) { return x * ${i}; };\n`);
  }

  const git = (...args: string[]): void => {
    execFileSync('git', ['-C', root, '-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', '-c', 'gc.auto=0', ...args], { stdio: 'ignore' });
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial import');
  git('gc', '-q');
  // Work since the last gc: a commit touching 2% of the files, its objects loose.
  const src = sourceFiles(root);
  for (let i = 0; i < src.length; i += 50) fs.appendFileSync(src[i], `// edited ${i}\n`);
  git('commit', '-q', '-am', 'work in progress');

  const gitFiles = filesUnder(path.join(root, '.git'));
  return { root, sources: src, sourceBytes: bytesOf(src), gitFiles: gitFiles.length, gitBytes: bytesOf(gitFiles), nodeModulesFiles: nodeModules };
}
