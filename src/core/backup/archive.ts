import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CancelledError, throwIfAborted } from '../cancel';
import { GardenerError } from '../errors';
import { ByteRing } from './byteRing';
import { CODEC_IDS, codecOfId, defaultCodec, sniffCodec, type Codec } from './codec';
import { BackupCryptoError, ChunkOpener, DecryptStream, headerLength as cryptoHeaderLength, isEncrypted, MAX_HEADER_LEN, MEMBER_VERSION, CODEC_VERSION, sealedMembers, TAG_LEN } from './crypto';
import { inflaterFor, type Inflater } from './inflater';
import type { ArchiveManifest, ArchiveRecordInfo, ManifestEntry, ManifestTail } from './types';
import { MAX_PIECE, MemberPacker } from './segments';
import { sealManifest } from './manifestFile';
import { ManifestCompressor, manifestLength, manifestPieces } from './manifestWriter';
import { Tap } from './tap';
import { sha256Hex } from './hashFile';
import { BLOCK, fileHeader, headerLength, writeHeader } from './tarHeader';
import { TarParser, type EntryInfo, type EntryReader } from './tarParser';
import type { FileInfo } from './walk';

export const MANIFEST_PATH = '.gardener/manifest.json';
const READ_CHUNK = 256 * 1024;

export type { ArchiveManifest } from './types';

const padOf = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

/**
 * A file up to this size (by the walk's stat) is read whole, with one read, into the member
 * being filled, where its header and padding go too: three system calls (open, read, close)
 * and no buffer of its own. Sources are mostly far smaller.
 */
const SMALL = 256 * 1024;

/**
 * Packs a small file's whole entry (header, data, padding) into the member being filled, with
 * the walk's size, time and mode, and gives its manifest line; undefined, with nothing kept,
 * when the file has grown since the walk (the caller then reads it the general way, from the
 * same descriptor). Its time is the walk's: should the file change in between, the next
 * incremental sees a newer time and compares hashes.
 */
function packSmall(packer: MemberPacker, fd: number, f: FileInfo): ManifestEntry | undefined {
  const at = headerLength(f.path, f.size);
  // Room for one byte more than the walk saw, to tell a file that grew, and for the padding.
  if (at + f.size + BLOCK > MAX_PIECE) return undefined;
  const buf = packer.room(at + f.size + BLOCK);
  let got = 0;
  for (let n; got <= f.size && (n = fs.readSync(fd, buf, at + got, f.size + 1 - got, null)) > 0; ) got += n;
  if (got > f.size) return undefined;
  // The header gives the size of what follows, which may be less than the walk saw.
  writeHeader(buf, 0, f.path, got, f.mode, f.mtimeMs);
  const data = buf.subarray(at, at + got);
  const end = at + got + padOf(got);
  buf.fill(0, at + got, end);
  const line = { path: f.path, size: got, mtimeMs: f.mtimeMs, mode: f.mode, sha256: sha256Hex(data) };
  packer.commit(end, data);
  return line;
}

export interface ArchiveResult {
  /** The files the archive holds, by path; left out by the worker when many (see archiveWorker.ts). */
  files?: ManifestEntry[];
  fileCount: number;
  /** The manifest as the catalog keeps it beside the archive (manifestFile.ts): compressed, sealed when the archive is encrypted. */
  manifestFile: Buffer;
  sha256: string;
  size: number;
}

export interface WriteOptions {
  backupId: string;
  key?: Buffer;
  level: number;
  /** gzip members or zstd frames; `defaultCodec()` (zstd where this Node.js has it) unless said. */
  codec?: Codec;
  /** What the catalog says of this backup, said in the archive too, so a lost catalog can be rebuilt from it. */
  record: ArchiveRecordInfo;
  /** Paths gone since the parent backup, folders and what was left out: asked for once every file is in, so the walk that feeds `files` can find them. */
  tail: () => ManifestTail;
  signal?: AbortSignal;
  onFile?: (file: FileInfo, bytesDone: number) => void;
}

/**
 * Streams files into `out` as tar → gzip members or zstd frames → (encrypt): each file is read once, and its bytes
 * feed both its sha256 and the archive. `files` may still be arriving from a walk. The manifest
 * is the last entry, since only then are all hashes known. Returns the files, the catalog's
 * copy of the manifest (packed) and the archive's own sha256 and size; the caller flushes the
 * file (`flushToDisk`), which it may overlap with other writes.
 */
export async function writeArchive(files: Iterable<FileInfo> | AsyncIterable<FileInfo>, out: string, o: WriteOptions): Promise<ArchiveResult> {
  const manifest: ArchiveManifest = { version: 2, backupId: o.backupId, record: o.record, files: [], deleted: [], dirs: [], skipped: [] };
  const codec = o.codec ?? defaultCodec();
  const packer = new MemberPacker({ level: o.level, codec });
  let side: ManifestCompressor | undefined;
  let manifestFile: Buffer | undefined;
  /** The tar stream of the files and the manifest, as compressed members in order. */
  async function* tarMembers(): AsyncGenerator<Buffer> {
    let done = 0;
    for await (const f of files) {
      throwIfAborted(o.signal);
      // Synchronous reads: from the page cache they take microseconds, while four thread-pool
      // round trips per file (open, stat, read, close) dominated the time for small files.
      const fd = fs.openSync(f.abs, 'r');
      try {
        const small = f.size <= SMALL ? packSmall(packer, fd, f) : undefined;
        if (small) {
          done += small.size;
          manifest.files.push(small);
          o.onFile?.(f, done);
          while (packer.full) yield await packer.next();
          continue;
        }
        // The size in the header must be what follows: re-stat the open file, not the walk's
        // view (a small file that grew is read again from its start).
        const st = fs.fstatSync(fd);
        const size = st.size;
        packer.write(fileHeader(f.path, size, st.mode & 0o777, Math.floor(st.mtimeMs)));
        let pos = 0;
        const hash = createHash('sha256');
        let left = size;
        while (left > 0) {
          const buf = packer.room(Math.min(READ_CHUNK, left));
          const bytesRead = fs.readSync(fd, buf, 0, buf.length, pos);
          if (bytesRead === 0) {
            // The file shrank while we read it: fill with zeros and let the hash say so.
            const z = Buffer.alloc(left);
            hash.update(z);
            packer.write(z);
            break;
          }
          const chunk = buf.subarray(0, bytesRead);
          hash.update(chunk);
          packer.commit(bytesRead, chunk);
          left -= bytesRead;
          pos += bytesRead;
          done += bytesRead;
          while (packer.full) yield await packer.next();
        }
        packer.write(Buffer.alloc(padOf(size)));
        manifest.files.push({ path: f.path, size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777, sha256: hash.digest('hex') });
        o.onFile?.(f, done);
        while (packer.full) yield await packer.next();
      } finally {
        fs.closeSync(fd);
      }
    }
    // Files may come in the order a walk found them; the manifest lists them by path.
    manifest.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    Object.assign(manifest, o.tail());
    // The manifest goes into the archive and into the catalog's compressed copy piece by
    // piece: whole, 100,000 files' JSON (~22 MB) was held several times over.
    const length = manifestLength(manifest);
    packer.write(fileHeader(MANIFEST_PATH, length, 0o600, Date.now()));
    side = new ManifestCompressor(codec);
    for (const piece of manifestPieces(manifest)) {
      packer.write(Buffer.from(piece));
      await side.write(piece);
      while (packer.full) yield await packer.next();
    }
    packer.write(Buffer.alloc(padOf(length) + BLOCK * 2));
    packer.flush();
    while (packer.backlog) yield await packer.next();
    manifestFile = sealManifest(await side.end(), o.key, `manifest:${o.backupId}`, codec);
  }
  const members = tarMembers();
  const chunks: AsyncIterable<Buffer[]> = o.key ? sealedMembers(members, o.key, CODEC_IDS[codec]) : (async function* () {
    for await (const m of members) yield [m];
  })();
  const hash = createHash('sha256');
  let size = 0;
  const fh = await fs.promises.open(out, 'wx', 0o600);
  // One gathered write per chunk, and one in flight while the next is made.
  let writing: Promise<unknown> = Promise.resolve();
  try {
    for await (const pieces of chunks) {
      throwIfAborted(o.signal);
      for (const p of pieces) {
        hash.update(p);
        size += p.length;
      }
      await writing;
      writing = writeAll(fh, pieces);
    }
    await writing;
    throwIfAborted(o.signal);
  } catch (err) {
    side?.close();
    await writing.catch(() => undefined);
    await fh.close().catch(() => undefined);
    fs.rmSync(out, { force: true });
    throw err;
  }
  await fh.close();
  return { files: manifest.files, fileCount: manifest.files.length, manifestFile: manifestFile!, sha256: hash.digest('hex'), size };
}

/** Writes `pieces` in one gathered write, and what a short write left (a filling disk) after it. */
async function writeAll(fh: fs.promises.FileHandle, pieces: Buffer[]): Promise<void> {
  const { bytesWritten } = await fh.writev(pieces);
  let total = 0;
  for (const p of pieces) total += p.length;
  if (bytesWritten === total) return;
  let rest = Buffer.concat(pieces).subarray(bytesWritten);
  while (rest.length) {
    // On a full disk this throws ENOSPC.
    const { bytesWritten: n } = await fh.write(rest, 0, rest.length);
    rest = rest.subarray(n);
  }
}

/** Flushes a written file to disk: an archive must be whole on disk before it is renamed into place. */
export async function flushToDisk(file: string): Promise<void> {
  const fd = await fs.promises.open(file, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

export type { EntryInfo, EntryReader } from './tarParser';

/** The ring a read uses when the caller brings none: the parser frees each region at once. */
const OWN_RING = 1024 * 1024;
const DECIPHER_PIECE = 64 * 1024;

/**
 * Reads an archive: `onEntry` gets each entry's header and returns the reader of its data,
 * which is handed over in views of `ring` (the caller's, when a worker writes files straight
 * from it). Bytes go read (and hashed) → (decrypt) → inflate into the ring → parse where they
 * lie. Resolves with the archive's own sha256 and size. Anything an entry reader throws ends
 * the read with that error.
 */
export async function readArchive(
  file: string,
  key: Buffer | undefined,
  onEntry: (e: EntryInfo) => EntryReader,
  signal?: AbortSignal,
  o: { ring?: ByteRing } = {},
): Promise<{ sha256: string; size: number }> {
  const head = Buffer.alloc(MAX_HEADER_LEN);
  const fd = await fs.promises.open(file, 'r');
  const { bytesRead } = await fd.read(head, 0, head.length, 0);
  await fd.close();
  const encrypted = isEncrypted(head);
  if (encrypted && !key) throw new GardenerError('This backup is encrypted and no key is available.', 'NO_KEY');
  throwIfAborted(signal);
  const ring = o.ring ?? new ByteRing(OWN_RING);
  const parser = new TarParser(onEntry);
  let inflater: Inflater | undefined;
  const open = (codec: Codec): Inflater =>
    (inflater = inflaterFor(
      ring,
      (view, pos) => {
        parser.write(view, pos);
        ring.parsedAll();
      },
      codec,
    ));
  const onAbort = () => ring.fail(new CancelledError());
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let read: { sha256: string; size: number };
    if (encrypted && (head[4] === MEMBER_VERSION || head[4] === CODEC_VERSION)) read = await unpackMembers(file, key!, open, signal);
    else {
      // A plain archive says its codec by its first bytes; version 1 encrypted ones are all gzip.
      const codec = encrypted ? 'gzip' : sniffCodec(head.subarray(0, bytesRead));
      if (!codec) throw new BackupCryptoError('The archive is neither gzip nor zstd data, nor encrypted.');
      read = await unpack(file, encrypted ? key : undefined, open(codec), signal);
    }
    await inflater!.end();
    parser.end();
    return read;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    (inflater as Inflater | undefined)?.close();
  }
}

/**
 * Inflates a version 2 or 3 encrypted archive, where each chunk is one gzip member or zstd
 * frame: each chunk is read whole (and hashed, if asked) and authenticated before its
 * plaintext goes on. The next chunk is read while this one is opened and inflated. `open`
 * makes the inflater for the header's codec once the first chunk has authenticated the header:
 * a codec byte this version does not know is then refused as UNSUPPORTED, while a damaged one
 * fails authentication (CORRUPT) as any damage does.
 */
async function unpackMembers(file: string, key: Buffer, open: (codec: Codec) => Inflater, signal: AbortSignal | undefined): Promise<{ sha256: string; size: number }> {
  let inflater: Inflater | undefined;
  const hash = createHash('sha256');
  let size = 0;
  const fh = await fs.promises.open(file, 'r');
  // One read buffer for every chunk: the cipher copies out of it before the next read starts.
  let buf = Buffer.allocUnsafe(1024 * 1024 + TAG_LEN + 4);
  const readExactly = async (n: number): Promise<Buffer> => {
    if (buf.length < n) buf = Buffer.allocUnsafe(n);
    let got = 0;
    for (let r; got < n && (r = await fh.read(buf, got, n - got, size + got)).bytesRead > 0; ) got += r.bytesRead;
    const out = buf.subarray(0, got);
    hash.update(out);
    size += got;
    return out;
  };
  const truncated = () => new BackupCryptoError('The archive is truncated or has trailing data: its last chunk is missing.');
  /** The next chunk, read while this one inflates. */
  let ahead: Promise<Buffer> | undefined;
  try {
    // Copied: the next read reuses the buffer it lies in.
    const start = Buffer.from(await readExactly(5));
    const head = Buffer.concat([start, await readExactly(cryptoHeaderLength(start[4] ?? 0) - start.length)]);
    if (head.length < cryptoHeaderLength(start[4] ?? 0)) throw new BackupCryptoError('The archive is too short to hold an encryption header.');
    const opener = new ChunkOpener(key, head);
    const first = await readExactly(4);
    if (first.length < 4) throw truncated();
    let word = first.readUInt32BE(0);
    while (!opener.done) {
      throwIfAborted(signal);
      const { len, final } = opener.lengthOf(word);
      // The chunk and the next one's length word, in one read.
      const want = len + TAG_LEN + (final ? 0 : 4);
      const frame = await (ahead ?? readExactly(want));
      ahead = undefined;
      if (frame.length < want) throw truncated();
      if (!final) word = frame.readUInt32BE(len + TAG_LEN);
      const d = opener.next(final);
      // Deciphered in pieces: malloc reuses a small output buffer as soon as it is collected,
      // where a chunk-sized one was fresh memory each time, a page fault per 4 KB (4× slower).
      const plain: Buffer[] = [];
      for (let at = 0; at < len; at += DECIPHER_PIECE) plain.push(d.update(frame.subarray(at, Math.min(len, at + DECIPHER_PIECE))));
      opener.close(d, frame.subarray(len, len + TAG_LEN), final);
      if (!final) {
        const n = opener.lengthOf(word);
        ahead = readExactly(n.len + TAG_LEN + (n.final ? 0 : 4));
        ahead.catch(() => undefined);
      }
      if (!inflater) {
        const codec = codecOfId(opener.codecId);
        if (!codec) {
          throw new GardenerError(
            `This backup was compressed with a method this version of Codebase Gardener does not know (codec ${opener.codecId}); its encryption checks out, so it is likely intact. Update the extension to restore or validate it. Nothing was changed.`,
            'UNSUPPORTED',
          );
        }
        inflater = open(codec);
      }
      for (const p of plain) await inflater.write(p);
    }
    if ((await readExactly(1)).length) throw new BackupCryptoError('The archive has data after its final chunk.');
  } finally {
    await ahead?.catch(() => undefined);
    await fh.close();
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Inflates any other archive (version 1 encrypted, or plain gzip) as one stream: read, hashed,
 * decrypted when `key` is given. Resolves with the archive's own sha256 and size.
 */
async function unpack(file: string, key: Buffer | undefined, inflater: Inflater, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const tap = new Tap();
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream)[] = [fs.createReadStream(file, { highWaterMark: 256 * 1024 }), tap];
  if (key) stages.push(new DecryptStream(key));
  stages.push(
    new Writable({
      write(chunk: Buffer, _e, cb) {
        inflater.write(chunk).then(() => cb(), cb);
      },
    }),
  );
  await pipeline(stages, { signal });
  return { sha256: tap.hash.digest('hex'), size: tap.bytes };
}

/** An entry reader that gathers the bytes (copied out of the ring) and gives them whole to `done`. */
export function gathered(done: (bytes: Buffer) => void): EntryReader {
  const parts: Buffer[] = [];
  return { data: (b) => void parts.push(Buffer.from(b)), end: () => done(Buffer.concat(parts)) };
}

/** An entry reader that hashes the bytes and gives their sha256 (hex) to `done`. */
export function hashed(done: (sha256: string) => void): EntryReader {
  const h = createHash('sha256');
  return { data: (b) => void h.update(b), end: () => done(h.digest('hex')) };
}
