import { createHash } from 'node:crypto';
import { gathered, MANIFEST_PATH, readArchive, type EntryInfo, type EntryReader } from './archive';
import type { ByteRing } from './byteRing';
import { safeEntryPath } from './guard';
import { parseManifest } from './records';
import { isGardenerError } from '../errors';
import { BackupError, type ArchiveManifest, type BackupRecord, type ManifestEntry } from './types';

/** Folders of ours that no archive entry may fall under: a restore would carry it into our control files. */
export const RESERVED_DIRS = ['.gardener-restore', '.gardener'];

/** Takes one verified entry's bytes as they are read: a restore stages them. */
export interface EntrySink extends EntryReader {
  /** The sink checks this file's sha256 itself (later, before anything live is touched): the checker need not. */
  hashes: boolean;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  ring?: ByteRing;
  /** Called for each file entry once it has passed every entry rule; returns where its bytes go. */
  sink?: (e: EntryInfo, m: ManifestEntry) => EntrySink | undefined;
  /** Called after each file entry is read whole. */
  onEntry?: (e: EntryInfo) => void;
  /** Told of each named check as it passes or fails: Validate's report. */
  report?: (name: string, ok: boolean, detail?: string) => void;
}

export const CHECK_READ = 'chunks authenticate, archive decompresses and parses';
export const CHECK_SHA = 'sha256 matches catalog';
export const CHECK_MANIFEST = 'manifest inside archive matches catalog';
export const CHECK_ENTRIES = 'every entry matches its sha256';

const canonical = (m: ArchiveManifest): string => JSON.stringify([m.files, m.deleted, m.dirs, m.skipped, m.record ?? null]);

/** Whether an entry path falls under one of our reserved folders (the archive's own manifest aside). */
export function isReserved(p: string, extra: readonly string[] = []): boolean {
  const first = p.split('/').find((x) => x !== '' && x !== '.');
  return RESERVED_DIRS.includes(first ?? '') || extra.some((r) => p === r || p.startsWith(`${r}/`));
}

/**
 * The one archive verifier, used by Validate and by every restore, so the two can never
 * disagree: each entry is a plain file at a safe path outside our reserved folders, listed in
 * the manifest once and matching its sha256; the manifest inside the archive is sound and
 * equals the one beside the catalog; the archive is the one the catalog names (size and
 * sha256); every chunk authenticates. Throws a BackupError at the first problem (so a restore
 * stops before the next entry is read) and resolves with the archive's own manifest, the only
 * source of what an incremental deletes.
 */
export async function verifyArchive(
  file: string,
  record: BackupRecord,
  key: Buffer | undefined,
  /** The manifest beside the catalog; undefined when the catalog is being rebuilt from this archive. */
  stored: ArchiveManifest | undefined,
  o: VerifyOptions & { reserved?: readonly string[] } = {},
): Promise<ArchiveManifest & { size: number; sha256: string }> {
  /** Problems this checker found and reported: passed on as they are. */
  const mine = new WeakSet<BackupError>();
  const fail = (check: string, message: string, code: BackupError['code']): BackupError => {
    o.report?.(check, false, message);
    const err = new BackupError(message, code);
    mine.add(err);
    return err;
  };
  const expected = stored && new Map(stored.files.map((m) => [m.path, m]));
  /** Each file entry read, with its sha256 when it is checked only at the end (no manifest known yet). */
  const seen = new Map<string, string | undefined>();
  let innerRaw: unknown;
  let read: { sha256: string; size: number };
  try {
    read = await readArchive(
      file,
      key,
      (e) => {
        if (e.path === MANIFEST_PATH && e.type === 'File') {
          if (innerRaw !== undefined) throw fail(CHECK_MANIFEST, `Backup ${record.id} holds two manifests.`, 'CORRUPT');
          return gathered((b) => (innerRaw = parseJson(b)));
        }
        if (e.type !== 'File') throw fail(CHECK_READ, `The archive holds a ${e.type} entry (${e.path}); only files are restored.`, 'UNSAFE_ENTRY');
        if (!safeEntryPath(e.path)) throw fail(CHECK_READ, `The archive holds an unsafe path (${e.path.slice(0, 200)}).`, 'UNSAFE_ENTRY');
        if (isReserved(e.path, o.reserved)) throw fail(CHECK_READ, `The archive holds ${e.path}, inside a folder reserved for Codebase Gardener's own files.`, 'UNSAFE_ENTRY');
        if (seen.has(e.path)) throw fail(CHECK_ENTRIES, `${e.path} is in the archive twice.`, 'CORRUPT');
        seen.set(e.path, undefined);
        const m = expected?.get(e.path);
        if (expected && !m) throw fail(CHECK_ENTRIES, `${e.path} is in the archive but not in its manifest.`, 'CORRUPT');
        const sink = m && o.sink?.(e, m);
        const h = sink?.hashes ? undefined : createHash('sha256');
        return {
          data: (b, pos) => {
            h?.update(b);
            sink?.data(b, pos);
          },
          end: () => {
            const sha256 = h?.digest('hex');
            if (!m) seen.set(e.path, sha256);
            else if (sha256 !== undefined && sha256 !== m.sha256) throw fail(CHECK_ENTRIES, `${e.path} in backup ${record.id} does not match its sha256.`, 'CORRUPT');
            sink?.end();
            o.onEntry?.(e);
          },
        };
      },
      o.signal,
      { ring: o.ring },
    );
  } catch (err) {
    if (mine.has(err as BackupError)) throw err;
    if (isGardenerError(err, 'CANCELLED') || (err as Error).name === 'AbortError' || o.signal?.aborted) throw new BackupError('Cancelled.', 'CANCELLED');
    const e = err as NodeJS.ErrnoException;
    // The file system's errors (a full disk while staging) are not damage to the backup.
    if (!isGardenerError(err) && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) throw err;
    if (isGardenerError(err) && err.code !== 'CORRUPT') throw fail(CHECK_READ, err.message, err.code);
    throw fail(CHECK_READ, `Backup ${record.id} is damaged (${e.message}).`, 'CORRUPT');
  }
  o.report?.(CHECK_READ, true);
  if (stored && (read.size !== record.sizeBytes || read.sha256 !== record.sha256)) {
    throw fail(CHECK_SHA, `Backup ${record.id}'s archive does not match the size and sha256 in the catalog (${read.size} bytes, ${read.sha256.slice(0, 12)}…; the catalog says ${record.sizeBytes} bytes, ${record.sha256.slice(0, 12)}…).`, 'CORRUPT');
  }
  o.report?.(CHECK_SHA, true);
  const inner = innerRaw === undefined ? 'it has none' : parseManifest(innerRaw, record.id);
  if (typeof inner === 'string') throw fail(CHECK_MANIFEST, `Backup ${record.id}'s own manifest is unsound: ${inner}.`, 'CORRUPT');
  if (stored && canonical(inner) !== canonical(stored)) throw fail(CHECK_MANIFEST, `Backup ${record.id}'s manifest does not match the catalog's copy.`, 'CORRUPT');
  o.report?.(CHECK_MANIFEST, true);
  const missing = inner.files.find((m) => !seen.has(m.path));
  if (missing) throw fail(CHECK_ENTRIES, `${missing.path} is in backup ${record.id}'s manifest but not in its archive.`, 'CORRUPT');
  if (!stored) {
    // Read before the manifest that lists them: checked now, against it.
    const byPath = new Map(inner.files.map((m) => [m.path, m.sha256]));
    for (const [p, sha256] of seen) {
      if (!byPath.has(p)) throw fail(CHECK_ENTRIES, `${p} is in the archive but not in its manifest.`, 'CORRUPT');
      if (byPath.get(p) !== sha256) throw fail(CHECK_ENTRIES, `${p} in backup ${record.id} does not match its sha256.`, 'CORRUPT');
    }
  }
  o.report?.(CHECK_ENTRIES, true);
  return Object.assign(inner, { size: read.size, sha256: read.sha256 });
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return null;
  }
}
