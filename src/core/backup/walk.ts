import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { throwIfAborted } from '../cancel';

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

export function select(include: string[], exclude: string[]): Selection {
  const inc = picomatch()(include, { dot: true });
  const exc = picomatch()(exclude, { dot: true });
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
  const visit = async (dir: string): Promise<void> => {
    throwIfAborted(signal);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      if (e.isDirectory()) {
        if (!sel.prunes(rel)) await visit(abs);
      } else if (e.isFile() && sel.keep(rel)) {
        const st = await fs.stat(abs);
        out.push({ path: rel, abs, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777 });
      }
    }
  };
  await visit(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
