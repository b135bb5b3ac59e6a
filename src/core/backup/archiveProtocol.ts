import type { ArchiveResult } from './archive';
import type { Codec } from './codec';
import type { ArchiveRecordInfo, ManifestTail } from './types';
import type { FileInfo } from './walk';

/** What the host asks of the archive worker; each backup is one job, its files sent in batches as they are found. */
export type ArchiveRequest =
  | { t: 'start'; job: number; out: string; backupId: string; record: ArchiveRecordInfo; key?: Uint8Array; level: number; codec?: Codec }
  | { t: 'files'; job: number; files: FileInfo[] }
  | { t: 'end'; job: number; tail: ManifestTail }
  | { t: 'cancel'; job: number };

/** What the archive worker answers: progress now and then, then one `done` or `failed` per job. */
export type ArchiveReply =
  | { t: 'progress'; job: number; files: number; bytes: number }
  | ({ t: 'done'; job: number } & ArchiveResult)
  | { t: 'failed'; job: number; name: string; message: string; code?: string };
