import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from '../atomicFile';
import { BackupError } from './types';

/** Longest relative path we accept: Linux's PATH_MAX. A longer one is forged, not a file. */
const MAX_PATH = 4096;
/** Longest single name: NAME_MAX on every file system we write to. */
const MAX_NAME = 255;

/** Our ids (`full-20261202-082400-a1b2c3`, `snapshot-…`): what a file name made from one may contain. */
const ID = /^[a-z][a-z0-9-]{0,79}$/;

export function isId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

/** An entry path a restore may write: relative, inside the target, no `..`, no drive or NUL, not absurdly long. */
export function safeEntryPath(p: unknown): boolean {
  if (typeof p !== 'string' || !p || p.length > MAX_PATH || p.includes('\0') || p.includes('\\')) return false;
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return false;
  // Segment by segment without splitting: a manifest of 100,000 files is checked path by path
  // on every read, and the arrays a split makes cost more than the rest of the check.
  let named = false;
  for (let start = 0, i = 0; i <= p.length; i++) {
    if (i < p.length && p.charCodeAt(i) !== SLASH) continue;
    const len = i - start;
    const dot = len > 0 && p.charCodeAt(start) === DOT;
    if (len === 2 && dot && p.charCodeAt(start + 1) === DOT) return false;
    if (len > 0 && !(len === 1 && dot)) {
      named = true;
      // A UTF-16 unit is at most 3 bytes of UTF-8: only a long name needs counting.
      if (len * 3 > MAX_NAME && Buffer.byteLength(p.slice(start, i)) > MAX_NAME) return false;
    }
    start = i + 1;
  }
  return named;
}

const SLASH = 0x2f;
const DOT = 0x2e;

const unsafe = (what: string, root: string): BackupError =>
  new BackupError(`Refused: ${what} is not inside ${root}. Nothing there was changed.`, 'UNSAFE_PATH');

/**
 * The one way the backup engine deletes or renames: every path is taken relative to the folder
 * it belongs to, checked as a safe relative path, and each folder on the way is checked with
 * lstat, so neither `..`, an absolute path nor a planted link can carry a delete or a rename
 * outside that folder. Folders already checked are remembered, so a swap of thousands of files
 * pays one lstat per folder, not per file. A root of ours inside another folder (`base`: a
 * target's `.gardener-restore/snapshots`, the backups folder's `journals`) has the folders
 * from `base` down to it checked the same way: a link planted there is refused too.
 */
export class FolderGuard {
  readonly root: string;
  readonly base: string;
  /** The folders from `base` down to the root. */
  private readonly above: string[];
  private readonly checked = new Set<string>();

  constructor(root: string, base?: string) {
    this.root = path.resolve(root);
    this.base = base === undefined ? this.root : path.resolve(base);
    const above = path.relative(this.base, this.root);
    if (above.startsWith('..') || path.isAbsolute(above)) throw unsafe(this.root, this.base);
    this.above = above ? above.split(path.sep) : [];
  }

  /** The absolute path of `rel` under the root, after checking it and every folder above it. */
  resolve(rel: string): string {
    if (!safeEntryPath(rel)) throw unsafe(JSON.stringify(String(rel).slice(0, 200)), this.root);
    const parts = rel.split('/').filter((x) => x !== '' && x !== '.');
    return path.join(this.walk([...this.above, ...parts.slice(0, -1)], rel), parts[parts.length - 1]);
  }

  /** Checks the folders from `base` down to the root, the root included. */
  check(): void {
    this.walk(this.above, this.root);
  }

  /** The folder `parts` lead to from `base`, each checked to be a real folder where it exists. */
  private walk(parts: string[], what: string): string {
    let dir = this.base;
    for (const part of parts) {
      dir = path.join(dir, part);
      if (this.checked.has(dir)) continue;
      const st = fs.lstatSync(dir, { throwIfNoEntry: false });
      // A folder not there yet is fine: whatever makes it (mkdir) makes a real one.
      if (st && !st.isDirectory()) throw unsafe(`${what} (${path.relative(this.base, dir)} is a link or a file)`, this.base);
      if (st) this.checked.add(dir);
    }
    return dir;
  }

  /** Whether `rel` exists (as anything, a link included), checked like every other use. */
  exists(rel: string): boolean {
    return !!fs.lstatSync(this.resolve(rel), { throwIfNoEntry: false });
  }

  /** Removes `rel`: a file, a link (never what it points to), or with `recursive` a folder. */
  remove(rel: string, o: { recursive?: boolean } = {}): void {
    fs.rmSync(this.resolve(rel), { force: true, recursive: !!o.recursive });
  }

  /** Removes the folder `rel` if it is empty, leaving it otherwise. */
  removeIfEmpty(rel: string): void {
    try {
      fs.rmdirSync(this.resolve(rel));
    } catch {
      // Not empty, or gone already: either way nothing to do.
    }
  }


  /** Makes the folders of `rel`'s parent, owner-only, each checked. */
  mkdirFor(rel: string, mode = 0o700): void {
    const abs = this.resolve(rel);
    const dir = path.dirname(abs);
    if (this.checked.has(dir)) return;
    fs.mkdirSync(dir, { recursive: true, mode });
    // What mkdir made is real; anything it found on the way was checked by resolve.
    this.resolve(rel);
    this.checked.add(dir);
  }

  /**
   * Writes the file `rel` atomically (temporary file, fsync, rename), making its folders, each
   * checked. A link at its name is removed first: the atomic write would write where it points.
   */
  async writeFile(rel: string, data: string | Buffer): Promise<void> {
    this.mkdirFor(rel);
    const abs = this.resolve(rel);
    if (fs.lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink()) fs.rmSync(abs);
    await writeFileAtomically(abs, data);
  }

  /** Renames `rel` under this root to `toRel` under `to`'s root, both checked. */
  renameTo(rel: string, to: FolderGuard, toRel: string): void {
    const from = this.resolve(rel);
    to.mkdirFor(toRel);
    fs.renameSync(from, to.resolve(toRel));
  }
}

/**
 * Whether `inner` is `outer` or lies inside it, after resolving links of whatever part exists:
 * a backups folder there would back up its own archives, and a restore would move them aside.
 */
export function isInside(inner: string, outer: string): boolean {
  return pathInside(inner, outer) !== undefined;
}

/** Where `inner` lies inside `outer` ('' when they are the same, '/'-separated), links resolved; undefined when outside. */
export function pathInside(inner: string, outer: string): string | undefined {
  const real = (p: string): string => {
    const abs = path.resolve(p);
    // The deepest part that exists decides where the rest would be.
    let head = abs;
    const tail: string[] = [];
    while (!fs.existsSync(head) && path.dirname(head) !== head) {
      tail.unshift(path.basename(head));
      head = path.dirname(head);
    }
    return path.join(fs.realpathSync(head), ...tail);
  };
  const rel = path.relative(real(outer), real(inner));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)) ? rel.split(path.sep).join('/') : undefined;
}
