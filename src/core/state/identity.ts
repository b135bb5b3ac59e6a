import { GardenerError } from '../errors';

/**
 * Which workspace this is, across renames and moves: the decision, as a pure function of what
 * was recorded before and what is seen now. Backups and keys are filed under the id it returns,
 * so a folder renamed or moved on the same disk keeps its backups.
 */

/** One root folder on disk as seen at a start. */
export interface RootStat {
  path: string;
  /** Decimal strings: a 64-bit inode (NTFS, btrfs) does not fit a double. */
  dev: string;
  ino: string;
  /** 0 where the file system keeps no birth time. */
  birthtimeMs: number;
}

/** What identifies the open workspace now. */
export interface SeenWorkspace {
  /**
   * The path key: a saved multi-root workspace's file, else its folders (paths, or URIs for
   * folders not on disk), one per line. The same key is the same workspace.
   */
  key: string;
  /** The root folders on disk. */
  roots: RootStat[];
}

/** What the registry keeps of one workspace. */
export interface WorkspaceRecord {
  version: 1;
  id: string;
  key: string;
  roots: RootStat[];
  seenAt: number;
}

export type IdentifiedBy = 'path' | 'inode' | 'new';

export interface Identified {
  id: string;
  by: IdentifiedBy;
  /** The record to keep for this workspace from now on. */
  record: WorkspaceRecord;
  /** Whether `record` differs from what was stored, so it should be written. */
  changed: boolean;
}

const ID = /^ws-[0-9a-f]{16}$/;

export function isWorkspaceId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

/**
 * The rule: the record with the same path key; else the record whose root folders are the same
 * folders (device, inode and birth time: a rename or a move on the same disk keeps them); else a
 * new id. Among several matches the one seen last wins. A copy, or a move to another disk, has
 * new inodes and so is a new workspace, which is right: it is another working copy.
 */
export function identify(records: readonly WorkspaceRecord[], seen: SeenWorkspace, o: { newId: () => string; now: number }): Identified {
  const latest = (xs: WorkspaceRecord[]): WorkspaceRecord | undefined => xs.sort((a, b) => b.seenAt - a.seenAt)[0];
  const byPath = latest(records.filter((r) => r.key === seen.key));
  const byInode = byPath ? undefined : latest(records.filter((r) => sameRoots(r.roots, seen.roots)));
  const found = byPath ?? byInode;
  const id = found?.id ?? o.newId();
  if (!isWorkspaceId(id)) throw new GardenerError(`Not a workspace id: ${JSON.stringify(id)}`, 'INVALID');
  const record: WorkspaceRecord = { version: 1, id, key: seen.key, roots: seen.roots, seenAt: o.now };
  const changed = !found || found.key !== seen.key || JSON.stringify(found.roots) !== JSON.stringify(seen.roots);
  return { id, by: byPath ? 'path' : byInode ? 'inode' : 'new', record: changed ? record : found, changed };
}

/** The same set of folders: each one's device and inode, and birth time where both sides know it. */
export function sameRoots(a: readonly RootStat[], b: readonly RootStat[]): boolean {
  if (!a.length || a.length !== b.length) return false;
  const same = (x: RootStat, y: RootStat): boolean =>
    x.dev === y.dev && x.ino === y.ino && (!x.birthtimeMs || !y.birthtimeMs || Math.floor(x.birthtimeMs) === Math.floor(y.birthtimeMs));
  return a.every((x) => b.some((y) => same(x, y))) && b.every((y) => a.some((x) => same(x, y)));
}

/** A record read back from disk, checked field by field; throws saying what is wrong. */
export function checkWorkspaceRecord(v: unknown): WorkspaceRecord {
  const r = v as Partial<WorkspaceRecord> | null;
  if (!r || typeof r !== 'object' || r.version !== 1) throw new Error('is not a workspace record of version 1');
  if (!isWorkspaceId(r.id)) throw new Error('has no valid workspace id');
  if (typeof r.key !== 'string' || !r.key || typeof r.seenAt !== 'number' || !Array.isArray(r.roots)) throw new Error('lacks its key, roots or time');
  const digits = (x: unknown): x is string => typeof x === 'string' && /^[0-9]{1,20}$/.test(x);
  const ms = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!r.roots.every((s) => s && typeof s.path === 'string' && digits(s.dev) && digits(s.ino) && ms(s.birthtimeMs))) throw new Error('has a malformed root');
  return { version: 1, id: r.id, key: r.key, roots: r.roots.map((s) => ({ path: s.path, dev: s.dev, ino: s.ino, birthtimeMs: s.birthtimeMs })), seenAt: r.seenAt };
}
