import type { ArchiveResult } from './archive';
import type { Codec } from './codec';
import type { ArchiveRecordInfo, ManifestTail } from './types';
import type { FileInfo } from './walk';

/**
 * Up to this many files, the host gets a full backup's file list, and keeps the newest backup's
 * tree in memory for the next incremental (~5 MB at most); beyond, the next incremental reads
 * it from the catalog's manifest instead (~0.3 s for 100,000 files), rather than the extension
 * host holding ~30 MB between backups. An incremental's files (its changes) always cross.
 */
export const FILES_CROSS_MAX = 20_000;

/** What the host asks of the archive worker; each backup is one job, its files sent in batches as they are found. */
export type ArchiveRequest =
  | { t: 'start'; job: number; out: string; backupId: string; record: ArchiveRecordInfo; key?: Uint8Array; level: number; codec?: Codec }
  | { t: 'files'; job: number; files: FileInfo[] }
  | { t: 'end'; job: number; tail: ManifestTail }
  | { t: 'cancel'; job: number };

/** What the archive worker answers: progress now and then, then one `done` or `failed` per job. */
export type ArchiveReply =
  | { t: 'progress'; job: number; files: number; bytes: number }
  /** A batch of files was taken from the queue: the host sends another (it keeps only a few in flight). */
  | { t: 'took'; job: number }
  | ({ t: 'done'; job: number } & ArchiveResult)
  | { t: 'failed'; job: number; name: string; message: string; code?: string };
