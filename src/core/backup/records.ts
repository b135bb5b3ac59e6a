import * as path from 'node:path';
import type { Codec } from './codec';
import { isId, safeEntryPath } from './guard';
import { isSourceName, ROOT_ID } from './sources';
import {
  BACKUP_TYPES,
  type ArchiveManifest,
  type ArchiveRecordInfo,
  type BackupRecord,
  type DirEntry,
  type ManifestEntry,
  type SkippedEntry,
  type SnapshotRecord,
} from './types';

/**
 * Checks of what the engine reads back from disk: catalog records, manifests and their lists.
 * Every id becomes a file name and every path a place to write or delete, so a value that
 * is not exactly what we write is refused here, before anything uses it. Each check returns a
 * reason, or undefined when the value is sound.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const time = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const hex64 = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
const pathList = (v: unknown): boolean => Array.isArray(v) && v.every(safeEntryPath);
/**
 * Only the fields we write, the others left behind: a record or entry is written back out (the
 * catalog saved, manifests compared as text), and a forged field nested deep enough would
 * overflow the stack there.
 */
function pick<T>(v: Obj, fields: readonly (keyof T & string)[]): T {
  const out: Obj = {};
  for (const f of fields) if (v[f] !== undefined) out[f] = v[f];
  return out as T;
}

const ENTRY_FIELDS = ['path', 'size', 'mtimeMs', 'mode', 'sha256'] as const satisfies readonly (keyof ManifestEntry)[];

/** Whether `v` holds no field but these (checked values): then it can be kept as it is, with no copy. */
function onlyFields(v: Obj, fields: readonly string[]): boolean {
  for (const k in v) if (!fields.includes(k)) return false;
  return true;
}

export const BACKUP_FIELDS = ['id', 'type', 'parentId', 'createdAt', 'status', 'archive', 'sizeBytes', 'fileCount', 'treeFileCount', 'sha256', 'encrypted', 'durationMs', 'error', 'deleted', 'note', 'skippedCount'] as const satisfies readonly (keyof BackupRecord)[];
export const SNAPSHOT_FIELDS = ['id', 'createdAt', 'restoredBackupId', 'target', 'movedCount', 'addedCount', 'listsSha256', 'moved', 'added', 'undoing', 'group', 'work'] as const satisfies readonly (keyof SnapshotRecord)[];

/**
 * The archive file a backup's record must name: derived from its id, never taken from the file.
 * A plain one says its codec by its extension, for `tar` (its own bytes say it to us).
 */
export function archiveName(id: string, encrypted: boolean, codec: Codec = 'gzip'): string {
  return `${id}${encrypted ? '.cgb' : codec === 'zstd' ? '.tar.zst' : '.tar.gz'}`;
}

export function backupRecordProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not a record';
  if (!isId(v.id)) return 'its id is not one we make';
  if (!BACKUP_TYPES.includes(v.type as never)) return 'unknown type';
  if (v.parentId !== undefined && !isId(v.parentId)) return 'its parent id is not one we make';
  if (v.parentId !== undefined && v.type !== 'INCREMENTAL') return 'only an incremental has a parent';
  if (v.parentId === undefined && v.type === 'INCREMENTAL' && v.status === 'completed') return 'an incremental must name the backup it builds on';
  if (v.status !== 'completed' && v.status !== 'failed') return 'unknown status';
  if (typeof v.encrypted !== 'boolean') return 'no encryption flag';
  const wantArchive = v.status === 'failed' ? [''] : [archiveName(v.id, v.encrypted), archiveName(v.id, v.encrypted, 'zstd')];
  if (!wantArchive.includes(v.archive as string)) return `its archive should be "${wantArchive[0]}"`;
  if (![v.createdAt, v.durationMs].every(time) || ![v.sizeBytes, v.fileCount, v.treeFileCount].every(count)) return 'a number is out of range';
  if (v.status === 'completed' ? !hex64(v.sha256) : v.sha256 !== '') return 'its sha256 is malformed';
  if (!optString(v.error) || !optString(v.note)) return 'a message is not text';
  if (v.deleted !== undefined && !pathList(v.deleted)) return 'its list of deleted paths holds an unsafe path';
  if (v.skippedCount !== undefined && !count(v.skippedCount)) return 'a number is out of range';
  return undefined;
}

export function snapshotRecordProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not a record';
  if (!isId(v.id) || !(v.id as string).startsWith('snapshot-')) return 'its id is not one we make';
  if (!isId(v.restoredBackupId)) return 'the backup it restored has an id we do not make';
  if (typeof v.target !== 'string' || !path.isAbsolute(v.target) || path.resolve(v.target) !== v.target) return 'its target is not a plain absolute path';
  // 0.1 kept the lists inline instead of the counts.
  const legacy = v.moved !== undefined && v.added !== undefined;
  if (!time(v.createdAt) || (!legacy && (!count(v.movedCount) || !count(v.addedCount)))) return 'a number is out of range';
  if (v.undoing !== undefined && typeof v.undoing !== 'boolean') return 'a flag is not true or false';
  if (v.group !== undefined && !isId(v.group)) return 'its group is not an id we make';
  if (v.work !== undefined && (typeof v.work !== 'string' || !path.isAbsolute(v.work) || path.resolve(v.work) !== v.work)) return 'its work folder is not a plain absolute path';
  if ((v.moved !== undefined && !pathList(v.moved)) || (v.added !== undefined && !pathList(v.added))) return 'its lists hold an unsafe path';
  if (v.listsSha256 !== undefined && !hex64(v.listsSha256)) return 'its sha256 is malformed';
  return undefined;
}

function entryProblem(e: unknown): string | undefined {
  if (!isObj(e) || !safeEntryPath(e.path)) return 'an entry has an unsafe path';
  if (!count(e.size) || !time(e.mtimeMs) || !count(e.mode) || (e.mode as number) > 0o7777 || !hex64(e.sha256)) return `${String(e.path)}: malformed entry`;
  return undefined;
}

function recordInfoProblem(r: unknown): string | undefined {
  if (r === undefined) return undefined;
  if (!isObj(r) || !BACKUP_TYPES.includes(r.type as never) || !time(r.createdAt)) return 'its record is malformed';
  if (r.parentId !== undefined && !isId(r.parentId)) return 'its parent id is not one we make';
  if (r.sources !== undefined && (!Array.isArray(r.sources) || !r.sources.every(isSourceName) || new Set(r.sources).size !== r.sources.length)) return 'its source names are not plain, distinct names';
  if (r.roots !== undefined && (!Array.isArray(r.sources) || !Array.isArray(r.roots) || r.roots.length !== r.sources.length || !r.roots.every((x) => typeof x === 'string' && ROOT_ID.test(x)))) {
    return 'its source folders are not one device, inode and time per source';
  }
  return optString(r.note) ? undefined : 'its note is not text';
}

/**
 * A manifest (the archive's last entry, or its copy beside the catalog) as we write it: a list
 * of unique, safe file entries in path order, and safe lists of deletions, folders and what
 * was left out. Version 1 manifests (0.1) and the bare entry lists 0.1 kept beside the catalog
 * are read into the same shape.
 */
export function parseManifest(v: unknown, backupId: string): ArchiveManifest | string {
  const m: Obj = Array.isArray(v) ? { version: 1, backupId, files: v, deleted: [] } : isObj(v) ? v : {};
  if (m.version !== 1 && m.version !== 2) return 'not a manifest we write';
  if (m.backupId !== backupId) return `it belongs to another backup (${String(m.backupId).slice(0, 80)})`;
  if (!Array.isArray(m.files)) return 'it has no file list';
  // We write the list in path order, where each path is greater than the last: then no path
  // can be listed twice, and no set of 100,000 paths is needed to tell. 0.1's lists need one.
  let seen: Set<string> | undefined;
  let last = '';
  for (const e of m.files) {
    const problem = entryProblem(e);
    if (problem) return problem;
    const p = (e as ManifestEntry).path;
    if (!seen && p > last) {
      last = p;
      continue;
    }
    seen ??= new Set((m.files as ManifestEntry[]).slice(0, (m.files as unknown[]).indexOf(e)).map((x) => x.path));
    if (seen.has(p)) return `${p} is listed twice`;
    seen.add(p);
  }
  const deleted = m.deleted ?? [];
  if (!pathList(deleted)) return 'its list of deleted paths holds an unsafe path';
  const dirs = (m.dirs ?? []) as DirEntry[];
  if (!Array.isArray(dirs) || !dirs.every((d) => isObj(d) && safeEntryPath(d.path) && count(d.mode) && d.mode <= 0o7777)) return 'its folder list is malformed';
  const skipped = (m.skipped ?? []) as SkippedEntry[];
  if (!Array.isArray(skipped) || !skipped.every((s) => isObj(s) && typeof s.path === 'string' && typeof s.reason === 'string' && optString(s.detail))) return 'its list of what was left out is malformed';
  const problem = recordInfoProblem(m.record);
  if (problem) return problem;
  return {
    version: m.version,
    backupId,
    ...(m.record ? { record: pick<ArchiveRecordInfo>(m.record as Obj, ['type', 'parentId', 'createdAt', 'note', 'sources', 'roots']) } : {}),
    files: (m.files as Obj[]).map((e) => (onlyFields(e, ENTRY_FIELDS) ? (e as unknown as ManifestEntry) : pick<ManifestEntry>(e, ENTRY_FIELDS))),
    deleted: deleted as string[],
    dirs: dirs.map((d) => pick<DirEntry>(d as unknown as Obj, ['path', 'mode'])),
    skipped: skipped.map((x) => pick<SkippedEntry>(x as unknown as Obj, ['path', 'reason', 'detail'])),
  };
}

/** Keeps the sound records, and says why each other one was left out. */
export function soundRecords<T extends { id: string }>(list: unknown, problemOf: (v: unknown) => string | undefined, what: string, fields: readonly (keyof T & string)[]): { records: T[]; dropped: string[] } {
  const records: T[] = [];
  const dropped: string[] = [];
  const ids = new Set<string>();
  for (const v of Array.isArray(list) ? list : []) {
    const problem = problemOf(v) ?? (ids.has((v as T).id) ? 'its id is used twice' : undefined);
    if (problem) {
      dropped.push(`${what} ${isObj(v) && isId(v.id) ? v.id : '(no valid id)'}: ${problem}`);
      continue;
    }
    ids.add((v as T).id);
    records.push(pick<T>(v as Obj, fields));
  }
  return { records, dropped };
}

export type { BackupRecord, SnapshotRecord };
