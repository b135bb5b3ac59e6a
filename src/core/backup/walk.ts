import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted, timeSlicer } from '../cancel';
import type { DirEntry as DirInfo, SkippedEntry } from './types';

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
  /** Told what a folder holds once the walk has listed it, before anything in it is asked about. */
  listed?(relDir: string, entries: readonly { name: string }[]): void;
}

let pm: typeof import('picomatch') | undefined;
/** Loaded on first use, not at activation. */
function picomatch(): typeof import('picomatch') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  pm ??= require('picomatch') as typeof import('picomatch');
  return pm;
}

/** The folder a plain folder glob (`some/folder/**`) names; undefined for any other glob. */
function globDir(g: string): string | undefined {
  return /^([^*?[\]{}()!+@\\]+)\/\*\*$/.exec(g)?.[1];
}

// The name in a glob "**" + "/name/**": a folder of that name anywhere (node_modules, .venv…), a segment of the path.
function anywhereName(g: string): string | undefined {
  return /^\*\*\/([^*?[\]{}()!+@\\/]+)\/\*\*$/.exec(g)?.[1];
}

/**
 * A test for the globs the settings hold by default, decided by comparing strings: `**` (all)
 * and `some/folder/**` (that folder and everything in it, as picomatch has it). Undefined for
 * any other glob.
 */
function plainGlob(g: string): ((p: string) => boolean) | undefined {
  if (g === '**') return () => true;
  const dir = globDir(g);
  if (!dir) return undefined;
  const prefix = `${dir}/`;
  return (p) => p === dir || p.startsWith(prefix);
}

/**
 * Whether a glob may keep something inside a folder: exact for `some/folder/**`, and assumed for
 * any other glob (a wrong guess costs only a visit to the folder).
 */
function reaches(g: string): (relDir: string) => boolean {
  const dir = globDir(g);
  if (!dir) return () => true;
  const prefix = `${dir}/`;
  return (d) => d === dir || d.startsWith(prefix) || prefix.startsWith(`${d}/`);
}

export function select(include: string[], exclude: string[]): Selection {
  // A walk tests every file: string tests where they decide, else plain regular expressions
  // (picomatch's own matchers build a result object per test, which cost more than the stat).
  const anyOf = (globs: string[]): ((p: string) => boolean) => {
    const regexTest = (g: string): ((p: string) => boolean) => {
      const re = picomatch().makeRe(g, { dot: true });
      return (p) => re.test(p);
    };
    // The `**/name/**` globs (the default excludes, twenty of them) as one expression: string
    // tests per glob cost a workspace walk as much as its stats.
    const names = globs.map(anywhereName).filter((n): n is string => n !== undefined);
    const tests = globs.filter((g) => anywhereName(g) === undefined).map((g) => plainGlob(g) ?? regexTest(g));
    if (names.length) {
      const re = new RegExp(`(?:^|/)(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?:/|$)`);
      tests.unshift((p) => re.test(p));
    }
    return tests.length === 1 ? tests[0] : (p) => tests.some((t) => t(p));
  };
  const inc = anyOf(include);
  const exc = anyOf(exclude);
  const reached = include.map(reaches);
  return {
    keep: (rel) => inc(rel) && !exc(rel),
    // A folder no include reaches is as empty of kept files as an excluded one: a configuration
    // backup need not read the projects, nor report a folder there it could not read.
    prunes: (dir) => exc(`${dir}/\u0000probe`) || !reached.some((r) => r(dir)),
  };
}

/** A folder the selection keeps, for a restore to make even when empty, with its mode. */
/** A folder the walk kept, and something it left out: as the manifest records them. */
export type { DirEntry as DirInfo, SkippedEntry } from './types';

/** What a walk finds besides the files, filled in as it goes when a caller passes one. */
export interface WalkReport {
  /** The folders below root (not root itself) the walk read, kept by the selection. */
  dirs: DirInfo[];
  /** What the selection keeps but a backup can't hold: never left out silently. */
  skipped: SkippedEntry[];
}

/** The listing calls the walk makes: a Dirent, or a byte-named one under its UTF-8 name. */
type Entry = Pick<fs.Dirent, 'name' | 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>;

class Renamed implements Entry {
  constructor(
    readonly name: string,
    private readonly d: fs.Dirent<Buffer>,
  ) {}
  isFile(): boolean {
    return this.d.isFile();
  }
  isDirectory(): boolean {
    return this.d.isDirectory();
  }
  isSymbolicLink(): boolean {
    return this.d.isSymbolicLink();
  }
  isFIFO(): boolean {
    return this.d.isFIFO();
  }
  isSocket(): boolean {
    return this.d.isSocket();
  }
  isCharacterDevice(): boolean {
    return this.d.isCharacterDevice();
  }
  isBlockDevice(): boolean {
    return this.d.isBlockDevice();
  }
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * Regular files under `root` that `sel` keeps, sorted by path. Links and special files are
 * left out (a backup holds only what a restore may write back), and said so in `report` with
 * the folders kept, both sorted by path.
 */
export async function walk(root: string, sel: Selection, signal?: AbortSignal, report?: WalkReport): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for await (const batch of walkBatches(root, sel, signal, report)) for (const f of batch) out.push(f);
  report?.dirs.sort(byPath);
  report?.skipped.sort(byPath);
  return out.sort(byPath);
}

/**
 * The same files as `walk`, unsorted, in batches as they are found: a caller can work on the
 * first ones while later folders are still being read. Synchronous calls in time slices, a
 * batch each: an async stat per file spent most of its time waiting on the thread pool.
 * `report` gets folders and what was left out as they are found, unsorted. With `from` (a
 * folder relative to root), only what is under that folder (itself included) is walked; a
 * folder `unchanged` says yes to is not (nor anything under it).
 */
export async function* walkBatches(root: string, sel: Selection, signal?: AbortSignal, report?: WalkReport, from = '', unchanged?: (relDir: string, abs: string) => boolean): AsyncGenerator<FileInfo[]> {
  let batch: FileInfo[] = [];
  const slice = timeSlicer();
  // Folders to visit, as [absolute, relative with '/'], built by concatenation: path.join and
  // path.relative per entry cost more than the stat. `from` walks one folder of root's only.
  const dirs: [string, string][] = [[from ? root + path.sep + from.split('/').join(path.sep) : root, from]];
  for (let d = dirs.pop(); d !== undefined; d = dirs.pop()) {
    const [dir, relDir] = d;
    throwIfAborted(signal);
    if (slice.due()) {
      if (batch.length) yield batch;
      batch = [];
      await slice.yield();
    }
    // A folder the caller knows to hold what it held (and records itself) is not listed.
    if (relDir && unchanged?.(relDir, dir)) continue;
    let entries: Entry[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // No data directory yet means nothing to back up; a folder deleted (or replaced by a
      // file) since it was listed is simply not part of this backup.
      if (code === 'ENOENT' || (relDir && code === 'ENOTDIR')) continue;
      // One folder the user can't read should not cost the whole backup; the root should.
      const why = relDir ? denied(err) : undefined;
      if (!why) throw err;
      report?.skipped.push({ path: relDir, reason: 'unreadable', detail: why });
      continue;
    }
    sel.listed?.(relDir, entries);
    // Recorded when the selection keeps the folder's own path (`settings/**` keeps `settings`)
    // or a file directly in it, named so no glob singles it out (`**` with `*.tmp` excluded
    // keeps `x.tmp/`'s files, so the folder too). Folders that only lead to kept ones
    // (`projects` for `projects/p1/**`) are left to be made by the restore like any parent.
    if (report && relDir && (sel.keep(relDir) || sel.keep(`${relDir}/\u0000probe`))) {
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      if (st?.isDirectory()) report.dirs.push({ path: relDir, mode: st.mode & 0o777 });
    }
    // U+FFFD is how a name that is not UTF-8 comes out of a string listing; only then the
    // folder is read again, as bytes, to tell such names from ones that really hold U+FFFD.
    if (entries.some((e) => e.name.includes('\uFFFD'))) entries = utf8Entries(dir, relDir, sel, report);
    for (const e of entries) {
      const abs = dir + path.sep + e.name;
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!sel.prunes(rel)) dirs.push([abs, rel]);
      } else if (e.isFile()) {
        if (!sel.keep(rel)) continue;
        let st: fs.Stats | undefined;
        try {
          // Deleted between listing and looking: it is simply not part of this backup.
          st = fs.statSync(abs, { throwIfNoEntry: false });
        } catch (err) {
          // A folder that can be listed but not searched (r without x) lets no file be looked at.
          const why = denied(err);
          if (!why) throw err;
          report?.skipped.push({ path: rel, reason: 'unreadable', detail: why });
          continue;
        }
        if (!st) continue;
        batch.push({ path: rel, abs, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777 });
      } else if (report && sel.keep(rel)) {
        if (e.isSymbolicLink()) {
          let target: string;
          try {
            target = fs.readlinkSync(abs);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
            // Still a link left out, even if where it points can't be told.
            report.skipped.push({ path: rel, reason: 'symlink' });
            continue;
          }
          report.skipped.push({ path: rel, reason: 'symlink', detail: target });
        } else {
          report.skipped.push({ path: rel, reason: 'special', detail: kind(e) });
        }
      }
    }
  }
  if (batch.length) yield batch;
}

/** Why a file system call was refused, in words, when it was for lack of permission. */
function denied(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' ? 'permission denied' : code === 'EPERM' ? 'operation not permitted' : undefined;
}

function kind(e: Entry): string {
  if (e.isFIFO()) return 'named pipe (fifo)';
  if (e.isSocket()) return 'socket';
  if (e.isCharacterDevice()) return 'character device';
  if (e.isBlockDevice()) return 'block device';
  return 'not a regular file';
}

/**
 * A folder's entries read as bytes, each under its UTF-8 name. A name that is not UTF-8 can't
 * be opened by the string it was decoded to, nor stored as one in a manifest: it is reported
 * (a folder with all it holds), with its stray bytes escaped so the user can find it.
 */
function utf8Entries(dir: string, relDir: string, sel: Selection, report?: WalkReport): Entry[] {
  let raw: fs.Dirent<Buffer>[];
  try {
    raw = fs.readdirSync(dir, { encoding: 'buffer', withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Entry[] = [];
  for (const d of raw) {
    const name = d.name.toString('utf8');
    if (Buffer.from(name, 'utf8').equals(d.name)) {
      out.push(new Renamed(name, d));
      continue;
    }
    const shown = escapeBytes(d.name);
    const rel = relDir ? `${relDir}/${shown}` : shown;
    if (d.isDirectory() ? !sel.prunes(rel) : sel.keep(rel)) report?.skipped.push({ path: rel, reason: 'not-utf8', detail: 'name is not valid UTF-8' });
  }
  return out;
}

/** The name as text, each byte that is not part of a UTF-8 character as `\xNN`. */
function escapeBytes(b: Buffer): string {
  let out = '';
  let i = 0;
  next: while (i < b.length) {
    // The shortest run from here that survives a round trip is one whole character.
    for (let n = 1; n <= 4 && i + n <= b.length; n++) {
      const run = b.subarray(i, i + n);
      const s = run.toString('utf8');
      if (Buffer.from(s, 'utf8').equals(run)) {
        out += s;
        i += n;
        continue next;
      }
    }
    out += `\\x${b[i].toString(16).padStart(2, '0')}`;
    i++;
  }
  return out;
}
