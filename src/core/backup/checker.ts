import { createHash } from 'node:crypto';
import { gathered, hashed, MANIFEST_PATH, readArchive, type EntryInfo, type EntryReader } from './archive';
import { manifestJsonSha256 } from './catalog';
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

/**
 * The sha256 of JSON.stringify([m.files, m.deleted, m.dirs, m.skipped, m.record ?? null]),
 * made a file entry at a time: two manifests are equal when these are, with no 22 MB string
 * (100,000 files) made of either.
 */
function canonicalSha256(m: ArchiveManifest): string {
  const h = createHash('sha256').update('[[');
  for (let i = 0; i < m.files.length; i++) h.update(i ? `,${JSON.stringify(m.files[i])}` : JSON.stringify(m.files[i]));
  return h.update(`],${JSON.stringify([m.deleted, m.dirs, m.skipped, m.record ?? null]).slice(1)}`).digest('hex');
}

/** An entry reader that drops what it is given. */
const ignored: EntryReader = { data: () => undefined, end: () => undefined };

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
  /** With a manifest known, each of its entries by path, until it is read: then null. */
  let expected: Map<string, ManifestEntry | null> | undefined;
  if (stored) {
    expected = new Map();
    for (const m of stored.files) expected.set(m.path, m);
  }
  /** Without one, each file entry read, with its sha256, checked at the end. */
  const seen = new Map<string, string | undefined>();
  /** The sha256 of the catalog's copy's JSON text, when known: the archive's own manifest is then only hashed, not kept. */
  const storedText = stored && manifestJsonSha256(stored);
  let innerFound = false;
  let innerRaw: unknown;
  let innerText: string | undefined;
  let read: { sha256: string; size: number };
  const readFailed = (err: unknown): never => {
    if (mine.has(err as BackupError)) throw err;
    if (isGardenerError(err, 'CANCELLED') || (err as Error).name === 'AbortError' || o.signal?.aborted) throw new BackupError('Cancelled.', 'CANCELLED');
    const e = err as NodeJS.ErrnoException;
    // The file system's errors (a full disk while staging) are not damage to the backup.
    if (!isGardenerError(err) && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) throw err;
    if (isGardenerError(err) && err.code !== 'CORRUPT') throw fail(CHECK_READ, err.message, err.code);
    throw fail(CHECK_READ, `Backup ${record.id} is damaged (${e.message}).`, 'CORRUPT');
  };
  try {
    read = await readArchive(
      file,
      key,
      (e) => {
        if (e.path === MANIFEST_PATH && e.type === 'File') {
          if (innerFound) throw fail(CHECK_MANIFEST, `Backup ${record.id} holds two manifests.`, 'CORRUPT');
          innerFound = true;
          return storedText ? hashed((h) => (innerText = h)) : gathered((b) => (innerRaw = parseJson(b)));
        }
        if (e.type !== 'File') throw fail(CHECK_READ, `The archive holds a ${e.type} entry (${e.path}); only files are restored.`, 'UNSAFE_ENTRY');
        if (!safeEntryPath(e.path)) throw fail(CHECK_READ, `The archive holds an unsafe path (${e.path.slice(0, 200)}).`, 'UNSAFE_ENTRY');
        if (isReserved(e.path, o.reserved)) throw fail(CHECK_READ, `The archive holds ${e.path}, inside a folder reserved for Codebase Gardener's own files.`, 'UNSAFE_ENTRY');
        if (expected ? expected.get(e.path) === null : seen.has(e.path)) throw fail(CHECK_ENTRIES, `${e.path} is in the archive twice.`, 'CORRUPT');
        const m = expected?.get(e.path);
        if (expected && !m) throw fail(CHECK_ENTRIES, `${e.path} is in the archive but not in its manifest.`, 'CORRUPT');
        if (expected) expected.set(e.path, null);
        else seen.set(e.path, undefined);
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
    return readFailed(err);
  }
  o.report?.(CHECK_READ, true);
  const unlike = (r: { sha256: string; size: number }): boolean => r.size !== record.sizeBytes || r.sha256 !== record.sha256;
  if (stored && unlike(read)) {
    throw fail(CHECK_SHA, `Backup ${record.id}'s archive does not match the size and sha256 in the catalog (${read.size} bytes, ${read.sha256.slice(0, 12)}…; the catalog says ${record.sizeBytes} bytes, ${record.sha256.slice(0, 12)}…).`, 'CORRUPT');
  }
  o.report?.(CHECK_SHA, true);
  let inner: ArchiveManifest | string;
  if (!innerFound) inner = 'it has none';
  // The very text of the catalog's copy, which was parsed and checked as it was read.
  else if (storedText && innerText === storedText) inner = stored!;
  else {
    if (storedText) {
      // Another text (a manifest the catalog's copy was rebuilt from, by an older version): only
      // hashed on the first read, it is read again, alone, from the same bytes.
      try {
        const again = await readArchive(file, key, (e) => (e.path === MANIFEST_PATH && e.type === 'File' ? gathered((b) => (innerRaw = parseJson(b))) : ignored), o.signal);
        if (unlike(again)) throw fail(CHECK_SHA, `Backup ${record.id}'s archive changed while it was read.`, 'CORRUPT');
      } catch (err) {
        readFailed(err);
      }
    }
    inner = parseManifest(innerRaw, record.id);
  }
  if (typeof inner === 'string') throw fail(CHECK_MANIFEST, `Backup ${record.id}'s own manifest is unsound: ${inner}.`, 'CORRUPT');
  if (stored && inner !== stored && canonicalSha256(inner) !== canonicalSha256(stored)) throw fail(CHECK_MANIFEST, `Backup ${record.id}'s manifest does not match the catalog's copy.`, 'CORRUPT');
  o.report?.(CHECK_MANIFEST, true);
  const missing = expected ? inner.files.find((m) => expected.get(m.path) !== null) : inner.files.find((m) => !seen.has(m.path));
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
  // A copy: `inner` may be the catalog's cached manifest.
  return { ...inner, size: read.size, sha256: read.sha256 };
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return null;
  }
}
