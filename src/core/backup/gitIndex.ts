import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The files a git repository tracks, read from its index (`.git/index`), so that a `.gitignore`
 * rule leaves out only untracked files, as in git: a file added with `git add -f`, or tracked
 * before a rule came to match it, is the user's work all the same.
 *
 * Format (git's Documentation/gitformat-index.txt): "DIRC", version 2–4, entry count, then the
 * entries sorted by path: 40 bytes of stat data with the mode at 24, the object id (20 bytes,
 * or 32 in a SHA-256 repository), 16 bits of flags, 16 more when version 3 sets the extended
 * flag, then the path, NUL-terminated and padded to 8 bytes (version 2–3), or, in version 4, a
 * varint of bytes to drop from the previous path and the rest of the path, NUL-terminated.
 * Extensions and a trailing checksum follow. Every byte is checked as it is read: an index that
 * does not parse (or is split, holding only part of the entries) counts as none, and the rules
 * apply alone, as before tracked files were told apart.
 */
export interface TrackedFiles {
  /** Whether `rel` (a path under the repository's top, `/`-separated) is tracked. */
  has(rel: string): boolean;
  /** Whether some tracked path lies under the folder `rel`. */
  under(rel: string): boolean;
}

const MAGIC = 0x44495243; // "DIRC"
const STAT = 40;

/** The tracked paths of an index file's bytes; undefined when they are not a whole, sound index. */
export function parseGitIndex(bytes: Buffer, hashLen: 20 | 32): TrackedFiles | undefined {
  if (bytes.length < 12 + hashLen || bytes.readUInt32BE(0) !== MAGIC) return undefined;
  const version = bytes.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = bytes.readUInt32BE(8);
  const end = bytes.length - hashLen;
  // The trailing checksum, unless git was told to skip it (index.skipHash writes zeros).
  const trailer = bytes.subarray(end);
  if (trailer.some((b) => b !== 0)) {
    const sum = createHash(hashLen === 20 ? 'sha1' : 'sha256').update(bytes.subarray(0, end)).digest();
    if (!sum.equals(trailer)) return undefined;
  }
  const files = new Set<string>();
  const dirs = new Set<string>();
  const sparse: string[] = [];
  let at = 12;
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = at;
    if (at + STAT + hashLen + 2 > end) return undefined;
    const mode = bytes.readUInt32BE(at + 24);
    const flags = bytes.readUInt16BE(at + STAT + hashLen);
    at += STAT + hashLen + 2;
    if (flags & 0x4000) {
      if (version < 3) return undefined;
      at += 2;
    }
    let name: Buffer;
    if (version === 4) {
      const v = varint(bytes, at, end);
      if (!v || v.value > prev.length) return undefined;
      at = v.next;
      const nul = bytes.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      name = Buffer.concat([prev.subarray(0, prev.length - v.value), bytes.subarray(at, nul)]);
      at = nul + 1;
    } else {
      const nul = bytes.indexOf(0, at);
      if (nul < 0 || nul >= end) return undefined;
      name = bytes.subarray(at, nul);
      at = start + ((nul - start + 8) & ~7);
      if (at > end) return undefined;
    }
    prev = name;
    const rel = name.toString('utf8');
    if (!rel || rel.startsWith('/') || rel.includes('\0')) return undefined;
    // A sparse index's folder entry stands for everything under it.
    if ((mode & 0o170000) === 0o040000 && rel.endsWith('/')) {
      sparse.push(rel);
      addDirs(dirs, rel.slice(0, -1));
      dirs.add(rel.slice(0, -1));
      continue;
    }
    files.add(rel);
    addDirs(dirs, rel);
  }
  // A split index holds only what changed since its shared part: not the whole list.
  if (hasExtension(bytes, at, end, 'link')) return undefined;
  return {
    has: (rel) => files.has(rel) || sparse.some((d) => rel.startsWith(d)),
    under: (rel) => dirs.has(rel) || sparse.some((d) => rel.startsWith(d)),
  };
}

/** Each folder above `rel`, as a tracked file's folder. */
function addDirs(dirs: Set<string>, rel: string): void {
  for (let cut = rel.lastIndexOf('/'); cut > 0; cut = rel.lastIndexOf('/', cut - 1)) {
    const dir = rel.slice(0, cut);
    if (dirs.has(dir)) return;
    dirs.add(dir);
  }
}

/** git's offset varint: 7 bits a byte, each continuation adding one before the shift. */
function varint(bytes: Buffer, at: number, end: number): { value: number; next: number } | undefined {
  if (at >= end) return undefined;
  let b = bytes[at++];
  let value = b & 0x7f;
  while (b & 0x80) {
    if (at >= end || value > 0xffffff) return undefined;
    b = bytes[at++];
    value = ((value + 1) << 7) | (b & 0x7f);
  }
  return { value, next: at };
}

/** Whether the extensions after the entries include `sig`: each is a 4-byte signature and a 32-bit length. */
function hasExtension(bytes: Buffer, at: number, end: number, sig: string): boolean {
  while (at + 8 <= end) {
    if (bytes.toString('latin1', at, at + 4) === sig) return true;
    at += 8 + bytes.readUInt32BE(at + 4);
  }
  return false;
}

/**
 * The repository a folder belongs to: the nearest `.git` at it or above it, a folder or (a
 * worktree, a submodule) a file saying `gitdir: <path>`. Gives the folder its paths are relative
 * to and where its index and config lie.
 */
export function repositoryOf(dir: string): { top: string; gitDir: string } | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, '.git');
    const st = fs.statSync(dotGit, { throwIfNoEntry: false });
    if (st?.isDirectory()) return { top: d, gitDir: dotGit };
    if (st?.isFile() && st.size < 4096) {
      const m = /^gitdir: (.+?)\s*$/m.exec(fs.readFileSync(dotGit, 'utf8'));
      if (m) return { top: d, gitDir: path.resolve(d, m[1]) };
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** The tracked files of the repository whose git folder is `gitDir`; undefined when its index cannot be read whole. */
export function trackedFiles(gitDir: string): TrackedFiles | undefined {
  try {
    const bytes = fs.readFileSync(path.join(gitDir, 'index'));
    return parseGitIndex(bytes, objectFormat(gitDir) === 'sha256' ? 32 : 20);
  } catch {
    return undefined;
  }
}

/** `extensions.objectFormat` of the repository (a worktree's is in the common folder's config). */
function objectFormat(gitDir: string): string {
  const read = (f: string): string | undefined => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  const common = read(path.join(gitDir, 'commondir'))?.trim();
  const config = read(path.join(gitDir, 'config')) ?? (common ? read(path.join(path.resolve(gitDir, common), 'config')) : undefined) ?? '';
  return /^\s*objectformat\s*=\s*sha256\s*$/im.test(config) ? 'sha256' : 'sha1';
}
