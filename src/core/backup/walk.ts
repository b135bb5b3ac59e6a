import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted, timeSlicer } from '../cancel';

export interface FileInfo {
  /** Relative to the data directory, with forward slashes. */
  path: string;
  abs: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

export interface Selection {
  keep(rel: string): boolean;
  /** Whether everything under this folder is excluded (so the walk need not enter it). */
  prunes(relDir: string): boolean;
}

let pm: typeof import('picomatch') | undefined;
/** Loaded on first use, not at activation. */
function picomatch(): typeof import('picomatch') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  pm ??= require('picomatch') as typeof import('picomatch');
  return pm;
}

/**
 * A test for the globs the settings hold by default, decided by comparing strings: `**` (all)
 * and `some/folder/**` (that folder and everything in it, as picomatch has it). Undefined for
 * any other glob.
 */
function plainGlob(g: string): ((p: string) => boolean) | undefined {
  if (g === '**') return () => true;
  const dir = /^([^*?[\]{}()!+@\\]+)\/\*\*$/.exec(g)?.[1];
  if (!dir) return undefined;
  const prefix = `${dir}/`;
  return (p) => p === dir || p.startsWith(prefix);
}

export function select(include: string[], exclude: string[]): Selection {
  // A walk tests every file: string tests where they decide, else plain regular expressions
  // (picomatch's own matchers build a result object per test, which cost more than the stat).
  const anyOf = (globs: string[]): ((p: string) => boolean) => {
    const regexTest = (g: string): ((p: string) => boolean) => {
      const re = picomatch().makeRe(g, { dot: true });
      return (p) => re.test(p);
    };
    const tests = globs.map((g) => plainGlob(g) ?? regexTest(g));
    return (p) => tests.some((t) => t(p));
  };
  const inc = anyOf(include);
  const exc = anyOf(exclude);
  return {
    keep: (rel) => inc(rel) && !exc(rel),
    prunes: (dir) => exc(`${dir}/\u0000probe`),
  };
}

/**
 * Regular files under `root` that `sel` keeps, sorted by path. Links and special files are
 * skipped: a backup holds only what a restore may write back.
 */
export async function walk(root: string, sel: Selection, signal?: AbortSignal): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const batch of walkBatches(root, sel, signal)) for (const f of batch) out.push(f);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The same files as `walk`, unsorted, in batches as they are found: a caller can work on the
 * first ones while later folders are still being read. Synchronous calls in time slices, a
 * batch each: an async stat per file spent most of its time waiting on the thread pool.
 */
export async function* walkBatches(root: string, sel: Selection, signal?: AbortSignal): AsyncGenerator<FileInfo[]> {
  let batch: FileInfo[] = [];
  const slice = timeSlicer();
  // Folders to visit, as [absolute, relative with '/'], built by concatenation: path.join and
  // path.relative per entry cost more than the stat.
  const dirs: [string, string][] = [[root, '']];
  for (let d = dirs.pop(); d !== undefined; d = dirs.pop()) {
    const [dir, relDir] = d;
    throwIfAborted(signal);
    if (slice.due()) {
      if (batch.length) yield batch;
      batch = [];
      await slice.yield();
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const e of entries) {
      const abs = dir + path.sep + e.name;
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!sel.prunes(rel)) dirs.push([abs, rel]);
      } else if (e.isFile() && sel.keep(rel)) {
        // Deleted between listing and looking: it is simply not part of this backup.
        const st = fs.statSync(abs, { throwIfNoEntry: false });
        if (!st) continue;
        batch.push({ path: rel, abs, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777 });
      }
    }
  }
  if (batch.length) yield batch;
}
