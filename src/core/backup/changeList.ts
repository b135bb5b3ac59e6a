import * as fs from 'node:fs';
import * as path from 'node:path';
import { throwIfAborted, timeSlicer } from '../cancel';
import { fits, scopeOf } from './sources';
import type { DirEntry, ManifestEntry, Source } from './types';
import { walkBatches, type FileInfo, type Selection, type WalkReport } from './walk';

/**
 * An incremental whose cost follows the changes, not the tree: a file watcher (the adapter's)
 * notes every path it sees change, and an incremental looks at those paths only, instead of a
 * `stat` of every file. A watcher can drop events without saying so (an overflowing queue, a
 * limit on watches, a folder it excludes), so the list is a shortcut that a full walk checks:
 * it is used only when it covers the whole time since the backup it builds on, for the same
 * folders and globs, and only until the last walk is `walkEveryMs` old. Whatever it misses, the
 * next walk finds (the time check and the hashes compare against the tree, not the list).
 */

/** How long the change list may stand in for a walk: past this, an incremental walks the whole tree again. */
export const WALK_EVERY_MS = 24 * 3600_000;
/** Past this many paths a walk costs less than the list, and the list is dropped. */
const MAX_PATHS = 20_000;

/** What a backup took from the log when it started: to hand back if it fails, and to settle the log when it completes. */
export interface Taken {
  /** The changed paths since the parent, when they may stand in for a walk. */
  paths?: string[];
  noted: string[];
  epoch: number;
  startedAt: number;
  walkedAt: number;
  sources: string;
}

export class ChangeLog {
  private paths = new Set<string>();
  /** The backup the noted paths run from, when no change since it can have been missed. */
  private base: { id: string; walkedAt: number; sources: string } | undefined;
  /** Counts the losses: a backup running while the watcher lost events must not vouch for the list. */
  private epoch = 0;
  /** Whether a watcher reports here: without one, every incremental walks. */
  private watching = false;

  constructor(readonly walkEveryMs = WALK_EVERY_MS) {}

  /** A watcher reports here from now on: the next backup of the workspace walks, and the ones after it may use the list. */
  watch(): void {
    this.lose();
    this.watching = true;
  }

  /**
   * A watcher has noted every change since backup `id`, whose walk began at `walkedAt`, in
   * another process that hands its list on (the benchmarks' parent process); its paths follow
   * through `note`.
   */
  resume(id: string, walkedAt: number, sources: string): void {
    this.watch();
    this.base = { id, walkedAt, sources };
  }

  /** No watcher reports here any more: every incremental walks. */
  stop(): void {
    this.lose();
    this.watching = false;
  }

  /** A path (absolute) the watcher saw created, changed or deleted: a file or a folder. */
  note(abs: string): void {
    if (!this.watching) return;
    this.paths.add(abs);
    if (this.paths.size > MAX_PATHS) this.lose();
  }

  /** The watcher may have missed something (it stopped, failed, overflowed): the next incremental walks. */
  lose(): void {
    this.base = undefined;
    this.paths.clear();
    this.epoch++;
  }

  /**
   * Called as a backup of the workspace starts: from now on, noted paths count toward the next
   * one. Gives the list when it may stand in for a walk: it runs from `parentId`, the folders and
   * globs (`sources`, as text) are the same, and the last walk is recent enough.
   */
  take(parentId: string | undefined, sources: string, now: number): Taken {
    const noted = [...this.paths];
    this.paths.clear();
    const b = this.base;
    const usable = !!b && !!parentId && b.id === parentId && b.sources === sources && now - b.walkedAt < this.walkEveryMs;
    return { ...(usable ? { paths: noted } : {}), noted, epoch: this.epoch, startedAt: now, walkedAt: b?.walkedAt ?? 0, sources };
  }

  /** The backup completed as `id`, from the list (`listed`) or from a walk. */
  done(t: Taken, id: string, listed: boolean): void {
    // Lost since it started (or no watcher): changes it did not see may be unnoted.
    if (t.epoch !== this.epoch || !this.watching) return;
    this.base = { id, walkedAt: listed ? t.walkedAt : t.startedAt, sources: t.sources };
  }

  /** The backup failed: its paths are the next one's too. */
  failed(t: Taken): void {
    if (t.epoch !== this.epoch) return;
    for (const p of t.noted) this.paths.add(p);
  }
}

/** A noted path as a source's relative path. */
interface Placed {
  source: Source;
  rel: string;
}

/**
 * Each noted path in the source it falls in. Undefined, so that the backup walks, when a path
 * falls in none (a watcher reporting another spelling of the folders: links, case) or is a
 * `.gitignore` of a source that honours them (its rules decide what every other path is).
 */
export function placeChanges(sources: readonly Source[], paths: readonly string[]): Placed[] | undefined {
  const out: Placed[] = [];
  for (const abs of paths) {
    const s = sources.find((x) => abs === x.root || abs.startsWith(x.root.endsWith(path.sep) ? x.root : x.root + path.sep));
    if (!s) return undefined;
    const rel = abs.slice(s.root.length).split(path.sep).filter(Boolean).join('/');
    if (s.gitignore && (rel === '.gitignore' || rel.endsWith('/.gitignore'))) return undefined;
    // The root itself changed (its listing): nothing to look at but what is noted inside it.
    if (rel) out.push({ source: s, rel });
  }
  return out;
}

/**
 * Folders whose insides watchers commonly leave out (VS Code's default `files.watcherExclude`
 * has `.git/objects` and `.hg/store`): every one the tree holds is walked each time, so new
 * commits are never missed. A repository made since shows as a new folder, which is walked.
 */
export const UNWATCHED_FOLDERS = ['.git', '.hg'];

/** The folder a plain `folder/**` glob names (the repository's `.git`), else undefined. */
const keptFolder = (g: string): string | undefined => /^([^*?[\]{}()!+@\\]+)\/\*\*$/.exec(g)?.[1];

export interface ListedResult {
  /** Paths of the tree no longer there. */
  deleted: string[];
  /** The new tree's folders: the parent's, with those under looked-at paths read again. */
  dirs: DirEntry[];
}

/**
 * The files at the noted paths (a folder with everything under it), named as the archive names
 * them, in batches; not yet compared with the tree. What each source always keeps (the
 * repository: `keep` globs of the form `folder/**`) and every repository folder the tree has
 * (UNWATCHED_FOLDERS) are walked every time. When the
 * batches end, `onEnd` gets the tree's paths that are gone and the new list of folders.
 */
export async function* listedFiles(
  placed: readonly Placed[],
  sources: readonly Source[],
  tree: Map<string, ManifestEntry>,
  parentDirs: readonly DirEntry[],
  parentStarted: number,
  signal: AbortSignal | undefined,
  report: WalkReport,
  onEnd: (r: ListedResult) => void,
): AsyncGenerator<FileInfo[]> {
  const present = new Set<string>();
  /** Object folders left as the parent had them (see `objectsUnchanged`): what the tree has in them stays. */
  const keptUnder = new Set<string>();
  const parentsOfDirs = new Set(parentDirs.map((d) => d.path.slice(0, Math.max(0, d.path.lastIndexOf('/')))));
  const parentDirSet = new Set(parentDirs.map((d) => d.path));
  /** Named paths looked at, and folders walked: what the tree has there that is not present is gone. */
  const lookedAt = new Set<string>();
  const walkedUnder: string[] = [];
  const dirs = new Map(parentDirs.map((d) => [d.path, d]));
  const dropDirs = (p: string): void => {
    if (!dirs.delete(p)) return;
    for (const d of dirs.keys()) if (d.startsWith(`${p}/`)) dirs.delete(d);
  };
  const slice = timeSlicer();
  /** Folders found to be real ones (not links), by absolute path: each checked once. */
  const folders = new Set<string>();
  for (const s of sources) {
    const sel = scopeOf(s);
    const prefix = s.name ? `${s.name}/` : '';
    const own: WalkReport = { dirs: [], skipped: [] };
    const rels = new Set(placed.filter((p) => p.source === s).map((p) => p.rel));
    for (const g of s.keep ?? []) {
      const d = keptFolder(g);
      if (d) rels.add(d);
    }
    for (const d of parentDirs) {
      if (!d.path.startsWith(prefix)) continue;
      const rel = d.path.slice(prefix.length);
      if (UNWATCHED_FOLDERS.includes(rel.slice(rel.lastIndexOf('/') + 1))) rels.add(rel);
    }
    let batch: FileInfo[] = [];
    const add = (f: FileInfo): void => {
      const name = prefix + f.path;
      // Noted twice (a folder and a file in it, or a path in the repository, which is walked anyway).
      if (present.has(name) || !fits(s, f, own)) return;
      const named = prefix ? { ...f, path: name } : f;
      present.add(name);
      batch.push(named);
    };
    for (const rel of rels) {
      throwIfAborted(signal);
      if (slice.due()) {
        if (batch.length) yield batch;
        batch = [];
        await slice.yield();
      }
      // Inside a folder the walk would not enter, nothing is in the backup, nor was.
      if (ancestors(rel).some((a) => sel.prunes(a))) continue;
      // Nor through a link to a folder, which the walk never follows: what is there is gone from the tree.
      const reachable = ancestors(rel).every((a) => realFolder(s.root, a, folders));
      lookedAt.add(prefix + rel);
      // Unless it was a file (with nothing under it), what the tree had under it is there only if found again.
      if (!tree.has(prefix + rel)) walkedUnder.push(`${prefix}${rel}/`);
      dropDirs(prefix + rel);
      const abs = path.join(s.root, ...rel.split('/'));
      let st: fs.Stats | undefined;
      try {
        st = reachable ? fs.lstatSync(abs, { throwIfNoEntry: false }) : undefined;
      } catch (err) {
        // A folder on the way became a file (ENOTDIR): nothing is there.
        if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      }
      if (st?.isDirectory()) {
        if (sel.prunes(rel)) continue;
        const unchanged = (relDir: string, abs: string): boolean => {
          const kept = objectsUnchanged(relDir, abs, prefix, parentDirSet, parentsOfDirs, parentStarted, sel, own);
          if (kept) keptUnder.add(`${prefix}${relDir}/`);
          return kept;
        };
        for await (const b of walkBatches(s.root, sel, signal, own, rel, unchanged)) {
          for (const f of b) add(f);
          if (batch.length) yield batch;
          batch = [];
        }
      } else if (st?.isFile()) {
        if (sel.keep(rel)) add({ path: rel, abs, size: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777 });
      } else if (st && sel.keep(rel)) {
        own.skipped.push(st.isSymbolicLink() ? { path: rel, reason: 'symlink', ...linkTarget(abs) } : { path: rel, reason: 'special', detail: 'not a regular file' });
      }
      // The folders on the way to something new, as a walk would have listed them.
      if (st) for (const a of ancestors(rel)) if (!dirs.has(prefix + a)) keptDir(s.root, sel, a, own);
    }
    if (batch.length) yield batch;
    for (const d of own.dirs) dirs.set(prefix + d.path, prefix ? { ...d, path: prefix + d.path } : d);
    const skipped = new Set(report.skipped.map((x) => x.path));
    for (const x of own.skipped) if (!skipped.has(prefix + x.path)) report.skipped.push(prefix ? { ...x, path: prefix + x.path } : x);
  }
  const deleted: string[] = [];
  const under = new Set(walkedUnder);
  for (const p of tree.keys()) {
    if (present.has(p) || (keptUnder.size && inAny(p, keptUnder))) continue;
    if (lookedAt.has(p) || (under.size > 8 ? inAny(p, under) : walkedUnder.some((w) => p.startsWith(w)))) deleted.push(p);
  }
  report.skipped.sort(byPath);
  onEnd({ deleted, dirs: [...dirs.values()].sort(byPath) });
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** A folder directly in a repository's object store: `.git/objects/ab`, `.git/objects/pack`. */
const OBJECTS_FOLDER = /(^|\/)\.git\/objects\/[^/]+$/;

/**
 * Within this long before a backup started, or after, a file's or a folder's time may not show
 * a change: written again in the same timestamp tick (a coarse file system, a clock behind the
 * server's), it keeps its time. Such "racily clean" entries, as git calls them, are looked at
 * again: a file by its hash (archiver.ts), an object folder by listing it.
 */
export const RACY_MS = 2000;

/**
 * Whether a folder of a repository's object store still holds what the parent backup recorded,
 * so an incremental need not list it: git never changes an object, a pack or an index file in
 * place (it writes a temporary file and renames it, or deletes), and each of those changes the
 * folder's time. So a folder with no subfolders in the parent's tree whose time is older than
 * the parent's start holds the same files, unchanged. A repository's objects are most of its
 * files: on the bench's workspace, listing them was ~10 ms of a ~16 ms incremental (and on a
 * big repository, thousands of `stat`s). The folder is recorded as the walk would have.
 */
function objectsUnchanged(relDir: string, abs: string, prefix: string, parentDirs: ReadonlySet<string>, parentsOfDirs: ReadonlySet<string>, parentStarted: number, sel: Selection, own: WalkReport): boolean {
  const named = prefix + relDir;
  if (!OBJECTS_FOLDER.test(relDir) || !parentDirs.has(named) || parentsOfDirs.has(named)) return false;
  const st = fs.lstatSync(abs, { throwIfNoEntry: false });
  if (!st?.isDirectory() || !(st.mtimeMs < parentStarted - RACY_MS)) return false;
  if (sel.keep(relDir) || sel.keep(`${relDir}/\u0000probe`)) own.dirs.push({ path: relDir, mode: st.mode & 0o777 });
  return true;
}

/** Records a folder the walk would have: one the selection keeps, or keeps files directly in. */
function keptDir(root: string, sel: Selection, rel: string, own: WalkReport): void {
  if (!sel.keep(rel) && !sel.keep(`${rel}/\u0000probe`)) return;
  const st = fs.lstatSync(path.join(root, ...rel.split('/')), { throwIfNoEntry: false });
  if (st?.isDirectory()) own.dirs.push({ path: rel, mode: st.mode & 0o777 });
}

/** Whether `rel` under `root` is a folder itself, not a link to one. */
function realFolder(root: string, rel: string, known: Set<string>): boolean {
  const abs = path.join(root, ...rel.split('/'));
  if (known.has(abs)) return true;
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(abs, { throwIfNoEntry: false });
  } catch {
    return false;
  }
  if (!st?.isDirectory()) return false;
  known.add(abs);
  return true;
}

/** Whether a folder of `p` (as `dir/`) is one of `folders`. */
function inAny(p: string, folders: ReadonlySet<string>): boolean {
  for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (folders.has(p.slice(0, i + 1))) return true;
  return false;
}

/** `a/b/c` → `a`, `a/b`. */
function ancestors(rel: string): string[] {
  const out: string[] = [];
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) out.push(rel.slice(0, i));
  return out;
}

function linkTarget(abs: string): { detail?: string } {
  try {
    return { detail: fs.readlinkSync(abs) };
  } catch {
    return {};
  }
}

/**
 * Whether a watcher that leaves out `watcherExclude` (VS Code's `files.watcherExclude`: globs,
 * each on or off) still sees every change a backup with these `exclude` globs takes: each glob
 * it leaves out must lie inside a repository folder, which is walked every time, or inside a
 * folder the backup leaves out anyway (the insides of node_modules while node_modules is
 * excluded). Otherwise the list may miss changes for a day, so it is not used.
 */
export function watcherSeesAll(watcherExclude: Readonly<Record<string, boolean>>, exclude: readonly string[]): boolean {
  return Object.entries(watcherExclude).every(([glob, on]) => {
    if (!on) return true;
    const m = /^\*\*\/([^*?[\]{}()!/\\]+)\/./.exec(glob);
    return !!m && (UNWATCHED_FOLDERS.includes(m[1]) || exclude.includes(`**/${m[1]}/**`));
  });
}
