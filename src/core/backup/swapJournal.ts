import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FolderGuard, isId, safeEntryPath } from './guard';
import { keyNamed } from './keyring';
import { isSealed, openJson, sealJsonBytes } from './sealedJson';
import { BackupError, type DirEntry, type KeyProvider, type SnapshotLists, type SnapshotRecord } from './types';

/** The folder a restore works in, inside its target (same file system, so swaps are renames). */
export const RESTORE_DIR = '.gardener-restore';
/** Inside a staging or snapshot folder: marks it as ours. `.gardener` is reserved, so no archive entry can land there. */
const MARK = '.gardener/mark';

/**
 * A restore's journal: what the swap moves, written before the first live file moves and kept
 * in the backups folder (`journals/<snapshot id>.json`, sealed when the backup is encrypted), so
 * every interrupted restore, into any folder, is found and finished at the next start. Every
 * folder it works in is derived from `target` and `id`, never read from the file.
 */
export interface Journal {
  version: 2;
  state: 'staging' | 'swapping';
  id: string;
  /** Random, also written into the snapshot folder: a journal acts only on a folder it made. */
  nonce: string;
  target: string;
  restoredBackupId: string;
  createdAt: number;
  /** The first snapshot of the same restore, when it writes several roots. */
  group?: string;
  /** Paths (relative to target) to take from staging, and live paths to move aside only. */
  ops: { path: string; fromStaging: boolean }[];
  /** Folders the restored tree has, with their modes: empty ones made, modes set. */
  dirs: DirEntry[];
  moved: string[];
  added: string[];
  /** Whether the restored backup is encrypted: then the journal is sealed too. */
  encrypted: boolean;
  /** The folder holding its staging and snapshot folders, when not `<target>/.gardener-restore`: checked against the two places it may be. */
  work?: string;
}

/**
 * Where a restore into a target keeps its staging and snapshot folders (`dir`, each folder from
 * `base` down checked by the guard): in our own state when that is on the target's device, so
 * nothing of ours lands in the user's folders (a repository's `git status` stays clean); else
 * in `<target>/.gardener-restore`, since swapping is renaming and renames stay on one device.
 */
export interface Work {
  dir: string;
  base: string;
}

export const workDir = (target: string): string => path.join(target, RESTORE_DIR);
const inTarget = (target: string): Work => ({ dir: workDir(target), base: target });
const inScratch = (scratch: string, target: string): Work => ({ dir: path.join(scratch, createHash('sha256').update(target).digest('hex').slice(0, 16)), base: scratch });

/** The device of `p`, or of the nearest folder above it that exists. */
function deviceOf(p: string): number {
  for (let at = path.resolve(p); ; at = path.dirname(at)) {
    const st = fs.statSync(at, { throwIfNoEntry: false });
    if (st || path.dirname(at) === at) return st?.dev ?? -1;
  }
}

/** Where a new restore into `target` works. */
export function workFor(scratch: string | undefined, target: string): Work {
  if (!scratch) return inTarget(target);
  fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
  return deviceOf(scratch) === deviceOf(target) ? inScratch(scratch, target) : inTarget(target);
}

/** Where a recorded restore (a journal, a snapshot) works: only either place it may be, else undefined. */
export function workAt(scratch: string | undefined, target: string, recorded: string | undefined): Work | undefined {
  if (recorded === undefined || recorded === workDir(target)) return inTarget(target);
  return scratch && recorded === inScratch(scratch, target).dir ? inScratch(scratch, target) : undefined;
}

/** The guard of a work folder: checked from its base down, so a link in place of it is refused. */
export const workGuard = (w: Work): FolderGuard => new FolderGuard(w.dir, w.base);

/**
 * Removes a restore that never began its swap: its staging and snapshot folders, if either is
 * marked as this restore's (it may have been stopped before making them), and our folder in
 * the target too when nothing else is in it, so the target is left as it was.
 */
export function dropRestore(w: Work, target: string, id: string, nonce: string): void {
  const work = workGuard(w);
  if (isMarked(w, `staging-${id}`, nonce) || isMarked(w, `snapshots/${id}`, nonce)) {
    work.remove(`staging-${id}`, { recursive: true });
    work.remove(`snapshots/${id}`, { recursive: true });
  }
  dropEmptyWork(w, target);
}

/** Our folders in the target that a restore made and left empty (`snapshots`, `.gardener-restore`): the target is left as it was. */
export function dropEmptyWork(w: Work, target: string): void {
  workGuard(w).removeIfEmpty('snapshots');
  if (w.dir === workDir(target)) new FolderGuard(target).removeIfEmpty(RESTORE_DIR);
}

/** Makes a staging or snapshot folder (`rel` in the work folder), owner-only, marked as ours. */
export function makeMarked(w: Work, rel: string, nonce: string): void {
  const work = workGuard(w);
  work.mkdirFor(`${rel}/${MARK}`);
  fs.writeFileSync(work.resolve(`${rel}/${MARK}`), nonce, { mode: 0o600, flag: 'wx' });
}

/**
 * Whether the folder `rel` is one a kill cut short while it was being made: a real folder
 * holding nothing but `.gardener/`, and in that at most a mark that is the start of `nonce`
 * (mkdir done, the mark not yet or not wholly written). Nothing else can look like that, so
 * it is safe to remove; a restore with such a folder never wrote anything else.
 */
export function isHalfMade(w: Work, rel: string, nonce: string): boolean {
  try {
    const work = workGuard(w);
    const dir = work.resolve(rel);
    if (!fs.lstatSync(dir).isDirectory()) return false;
    const names = fs.readdirSync(dir);
    if (names.length === 0) return true;
    if (names.length !== 1 || names[0] !== '.gardener' || !fs.lstatSync(path.join(dir, '.gardener')).isDirectory()) return false;
    const inner = fs.readdirSync(path.join(dir, '.gardener'));
    if (inner.length === 0) return true;
    if (inner.length !== 1 || inner[0] !== 'mark') return false;
    const mark = work.resolve(`${rel}/${MARK}`);
    const st = fs.lstatSync(mark);
    return st.isFile() && st.size < nonce.length && nonce.startsWith(fs.readFileSync(mark, 'utf8'));
  } catch {
    return false;
  }
}

/** Removes the folders of restore `id` that a kill left half made (see isHalfMade); says whether any. */
export function dropHalfMade(w: Work, id: string, nonce: string): boolean {
  let any = false;
  for (const rel of [`staging-${id}`, `snapshots/${id}`]) {
    if (isHalfMade(w, rel, nonce)) {
      workGuard(w).remove(rel, { recursive: true });
      any = true;
    }
  }
  return any;
}

/** Whether the folder `rel` of the work folder (`snapshots/<id>`, `staging-<id>`) is a real folder, reached through real folders, that we marked with `nonce`. */
export function isMarked(w: Work, rel: string, nonce: string): boolean {
  try {
    const work = workGuard(w);
    const st = fs.lstatSync(work.resolve(rel));
    const file = work.resolve(`${rel}/${MARK}`);
    const mark = fs.lstatSync(file);
    return st.isDirectory() && mark.isFile() && mark.size < 256 && fs.readFileSync(file, 'utf8') === nonce;
  } catch {
    return false;
  }
}

export class Journals {
  /** The folder's guard, from the backups folder down: a link in place of `journals` is refused. */
  private readonly folder: FolderGuard;

  constructor(
    private readonly dir: string,
    private readonly keys: KeyProvider,
  ) {
    this.folder = new FolderGuard(dir, path.dirname(dir));
  }

  private name(id: string): string {
    if (!isId(id)) throw new BackupError(`"${String(id).slice(0, 80)}" is not a snapshot id.`, 'UNSAFE_PATH');
    return `${id}.json`;
  }

  file(id: string): string {
    return this.folder.resolve(this.name(id));
  }

  /** Writes the journal, sealed with `key` (the restored backup's) when that backup is encrypted. */
  async write(j: Journal, key: Buffer | undefined): Promise<void> {
    if (j.encrypted && !key) throw new BackupError('No backup key is available to seal the restore journal. Nothing was changed.', 'NO_KEY');
    await this.folder.writeFile(this.name(j.id), j.encrypted && key ? sealJsonBytes(key, `journal:${j.id}`, j) : JSON.stringify(j) + '\n');
  }

  remove(id: string): void {
    this.folder.remove(this.name(id));
  }

  /** Every journal in the folder, each read and checked, or the reason it cannot be used. */
  async all(): Promise<{ id: string; journal?: Journal; problem?: string }[]> {
    let names: string[];
    try {
      // A link in the folder's place is not read through: its journals are not ours to act on.
      this.folder.check();
      names = fs.readdirSync(this.dir);
    } catch (err) {
      return err instanceof BackupError ? [{ id: path.basename(this.dir), problem: err.message }] : [];
    }
    const out: { id: string; journal?: Journal; problem?: string }[] = [];
    for (const name of names) {
      const id = name.replace(/\.json$/, '');
      if (!name.endsWith('.json') || !isId(id)) continue;
      try {
        const parsed: unknown = JSON.parse(fs.readFileSync(this.file(id), 'utf8'));
        const value = openJson(parsed, isSealed(parsed) ? await keyNamed(this.keys, parsed.keyId) : undefined, `journal:${id}`, this.file(id));
        const problem = journalProblem(value, id);
        out.push(problem ? { id, problem } : { id, journal: value as Journal });
      } catch (err) {
        out.push({ id, problem: (err as Error).message });
      }
    }
    return out;
  }
}

/** A journal as we write it, for this id, or the reason it is not. */
export function journalProblem(v: unknown, id: string): string | undefined {
  const j = v as Partial<Journal> | null;
  if (!j || typeof j !== 'object' || j.version !== 2) return 'not a journal we write';
  // The id names its folders: 0.1's journal gives it in its body, where it could hold `../`.
  if (!isId(id) || j.id !== id || !id.startsWith('snapshot-')) return 'it names another restore';
  if (j.state !== 'staging' && j.state !== 'swapping') return 'unknown state';
  if (typeof j.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(j.nonce)) return 'no nonce';
  if (typeof j.target !== 'string' || !path.isAbsolute(j.target) || path.resolve(j.target) !== j.target) return 'its target is not a plain absolute path';
  if (j.group !== undefined && !isId(j.group)) return 'its group is not an id we make';
  if (j.work !== undefined && (typeof j.work !== 'string' || !path.isAbsolute(j.work) || path.resolve(j.work) !== j.work)) return 'its work folder is not a plain absolute path';
  if (!isId(j.restoredBackupId) || typeof j.createdAt !== 'number' || typeof j.encrypted !== 'boolean') return 'a field is malformed';
  if (!Array.isArray(j.ops) || !j.ops.every((o) => o && safeEntryPath(o.path) && typeof o.fromStaging === 'boolean')) return 'an operation has an unsafe path';
  if (!Array.isArray(j.dirs) || !j.dirs.every((d) => d && safeEntryPath(d.path) && Number.isInteger(d.mode) && d.mode >= 0 && d.mode <= 0o7777)) return 'a folder has an unsafe path';
  if (!Array.isArray(j.moved) || !j.moved.every(safeEntryPath) || !Array.isArray(j.added) || !j.added.every(safeEntryPath)) return 'its lists hold an unsafe path';
  return undefined;
}

/**
 * Moves live files aside and staged files in; every step can be repeated safely, so a crash at
 * any point is finished by running it again. Every rename goes through the target's guard: a
 * link planted in the target is never written through.
 */
export async function finishSwap(j: Journal, w: Work, onSnapshot: (s: SnapshotRecord) => Promise<void>): Promise<void> {
  const live = new FolderGuard(j.target);
  const staged = new FolderGuard(path.join(w.dir, `staging-${j.id}`), w.base);
  const aside = new FolderGuard(path.join(w.dir, 'snapshots', j.id), w.base);
  // A folder the live tree lacks is renamed in whole: one rename instead of one per file
  // (restoring into a new folder, or a deleted subtree). After a crash, its files are simply
  // no longer in staging, which the per-file steps below already treat as done.
  const liveDirs = new Map<string, boolean>();
  const movedDirs = new Set<string>();
  const movedWhole = (rel: string): boolean => {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (movedDirs.has(dir)) return true;
      let there = liveDirs.get(dir);
      if (there === undefined) liveDirs.set(dir, (there = live.exists(dir)));
      if (there) continue;
      if (staged.exists(dir)) staged.renameTo(dir, live, dir);
      movedDirs.add(dir);
      liveDirs.set(dir, true);
      return true;
    }
    return false;
  };
  /**
   * Whether a live path is there to move aside. A folder replaced by a file of the backup's was
   * moved aside whole, with what was in it: a path under it is then already aside, not refused.
   */
  const liveAt = (rel: string): boolean => {
    try {
      return live.exists(rel);
    } catch (err) {
      if (err instanceof BackupError && err.code === 'UNSAFE_PATH' && aside.exists(rel)) return false;
      throw err;
    }
  };
  for (const op of j.ops) {
    if (op.fromStaging && movedWhole(op.path)) continue;
    const stagedThere = op.fromStaging && staged.exists(op.path);
    if ((stagedThere || !op.fromStaging) && liveAt(op.path) && !aside.exists(op.path)) live.renameTo(op.path, aside, op.path);
    if (stagedThere) staged.renameTo(op.path, live, op.path);
  }
  // Folders: made first, then given their modes deepest first, so a read-only folder does not
  // stop its subfolders being made. chmod follows links: only a real folder gets a mode.
  for (const d of j.dirs) if (!live.exists(d.path)) fs.mkdirSync(live.resolve(d.path), { recursive: true, mode: 0o700 });
  for (const d of [...j.dirs].reverse()) {
    const abs = live.resolve(d.path);
    const st = fs.lstatSync(abs, { throwIfNoEntry: false });
    if (st?.isDirectory() && (st.mode & 0o7777) !== d.mode) fs.chmodSync(abs, d.mode);
  }
  const lists = JSON.stringify({ moved: j.moved, added: j.added } satisfies SnapshotLists);
  const record: SnapshotRecord = {
    id: j.id,
    createdAt: j.createdAt,
    restoredBackupId: j.restoredBackupId,
    target: j.target,
    movedCount: j.moved.length,
    addedCount: j.added.length,
    listsSha256: createHash('sha256').update(lists).digest('hex'),
    ...(j.group ? { group: j.group } : {}),
    ...(w.dir !== workDir(j.target) ? { work: w.dir } : {}),
  };
  await workGuard(w).writeFile(`snapshots/${j.id}.json`, lists);
  await onSnapshot(record);
  workGuard(w).remove(`staging-${j.id}`, { recursive: true });
}
