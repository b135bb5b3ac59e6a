import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import type { ReadEntry } from 'tar';
import { CancelledError, throwIfAborted } from '../cancel';
import { BackupCryptoError, ChunkOpener, DecryptStream, HEADER_LEN, isEncrypted, MEMBER_VERSION, sealedMembers, TAG_LEN } from './crypto';
import type { ManifestEntry } from './types';
import { gzipSegments } from './segments';
import { Tap } from './tap';
import type { FileInfo } from './walk';

export const MANIFEST_PATH = '.gardener/manifest.json';
const BLOCK = 512;
const READ_CHUNK = 256 * 1024;

export interface ArchiveManifest {
  version: 1;
  backupId: string;
  files: ManifestEntry[];
  deleted: string[];
}

type TarWriter = { Header: typeof import('tar').Header; Pax: typeof import('tar').Pax };
let tarWriter: TarWriter | undefined;
let tarParser: typeof import('tar').Parser | undefined;
/**
 * tar's header and parser modules, each loaded on first use: activation must not pay for them,
 * and writing needs only the header encoder (about a third of the whole package's load time).
 */
function loadTarWriter(): TarWriter {
  /* eslint-disable @typescript-eslint/no-require-imports */
  tarWriter ??= { Header: (require('tar/header') as typeof import('tar')).Header, Pax: (require('tar/pax') as typeof import('tar')).Pax };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return tarWriter;
}
function loadTarParser(): typeof import('tar').Parser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  tarParser ??= (require('tar/parse') as typeof import('tar')).Parser;
  return tarParser;
}

function headerBlocks({ Header, Pax }: TarWriter, h: { path: string; size: number; mode: number; mtime: Date; type: 'File' }): Buffer {
  const header = new Header({ ...h, uid: 0, gid: 0, uname: '', gname: '' });
  const block = Buffer.alloc(BLOCK);
  header.encode(block, 0);
  if (!header.needPax) return block;
  // Long paths need a PAX extended header before the ordinary one.
  const pax = new Pax({ path: h.path, mtime: h.mtime, size: h.size }).encode();
  return Buffer.concat([pax, block]);
}

const pad = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

export interface WriteOptions {
  backupId: string;
  key?: Buffer;
  level: number;
  /** Paths gone since the parent backup: asked for once every file is in, so the walk that feeds `files` can find them. */
  deleted: () => string[];
  signal?: AbortSignal;
  onFile?: (file: FileInfo, bytesDone: number) => void;
}

/**
 * Streams files into `out` as tar → gzip members → (encrypt): each file is read once, and its bytes
 * feed both its sha256 and the archive. `files` may still be arriving from a walk. The manifest
 * is the last entry, since only then are all hashes known. Returns the manifest and the
 * archive's own sha256 and size; the caller flushes the file (`flushToDisk`), which it may
 * overlap with other writes.
 */
export async function writeArchive(files: Iterable<FileInfo> | AsyncIterable<FileInfo>, out: string, o: WriteOptions): Promise<{ manifest: ArchiveManifest; sha256: string; size: number }> {
  const tar = loadTarWriter();
  const manifest: ArchiveManifest = { version: 1, backupId: o.backupId, files: [], deleted: [] };
  async function* tarStream(): AsyncGenerator<Buffer> {
    let done = 0;
    for await (const f of files) {
      throwIfAborted(o.signal);
      // Synchronous reads: from the page cache they take microseconds, while four thread-pool
      // round trips per file (open, stat, read, close) dominated the time for small files.
      const fd = fs.openSync(f.abs, 'r');
      try {
        // The size in the header must be what follows: re-stat the open file, not the walk's view.
        const st = fs.fstatSync(fd);
        const size = st.size;
        yield headerBlocks(tar, { path: f.path, size, mode: st.mode & 0o777, mtime: new Date(Math.floor(st.mtimeMs)), type: 'File' });
        const hash = createHash('sha256');
        let left = size;
        while (left > 0) {
          // A fresh buffer per read: the compressor holds on to it until its member is built.
          const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, left));
          const bytesRead = fs.readSync(fd, buf, 0, buf.length, null);
          if (bytesRead === 0) {
            // The file shrank while we read it: fill with zeros and let the hash say so.
            const z = Buffer.alloc(left);
            hash.update(z);
            yield z;
            break;
          }
          const chunk = bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
          hash.update(chunk);
          left -= bytesRead;
          done += bytesRead;
          yield chunk;
        }
        yield pad(size);
        manifest.files.push({ path: f.path, size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o777, sha256: hash.digest('hex') });
        o.onFile?.(f, done);
      } finally {
        fs.closeSync(fd);
      }
    }
    // Files may come in the order a walk found them; the manifest lists them by path.
    manifest.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    manifest.deleted = o.deleted();
    const body = Buffer.from(JSON.stringify(manifest));
    yield headerBlocks(tar, { path: MANIFEST_PATH, size: body.length, mode: 0o600, mtime: new Date(), type: 'File' });
    yield body;
    yield pad(body.length);
    yield Buffer.alloc(BLOCK * 2);
  }
  const members = gzipSegments(tarStream(), { level: o.level });
  const chunks: AsyncIterable<Buffer[]> = o.key ? sealedMembers(members, o.key) : (async function* () {
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
    await writing.catch(() => undefined);
    await fh.close().catch(() => undefined);
    fs.rmSync(out, { force: true });
    throw err;
  }
  await fh.close();
  return { manifest, sha256: hash.digest('hex'), size };
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

export interface EntryInfo {
  path: string;
  type: string;
  size: number;
  mode: number;
  mtimeMs: number;
  linkpath?: string;
}

/**
 * Feeds each chunk of an entry to `onChunk` as it arrives and resolves at its end. Listening
 * for 'data' costs far less than an async iterator, which takes a promise per chunk: with
 * thousands of small files that overhead was most of a restore's CPU time. When `onChunk`
 * returns a promise, the entry (and so the parser) pauses until it settles.
 */
export function eachChunk(data: ReadEntry, onChunk: (chunk: Buffer) => unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (err: unknown): void => {
      reject(err as Error);
      data.resume();
    };
    data.on('data', (chunk: Buffer) => {
      try {
        const wait = onChunk(chunk);
        // Only a promise pauses: a one-line callback returns whatever its call gave back.
        if (wait instanceof Promise) {
          data.pause();
          wait.then(() => data.resume(), failed);
        }
      } catch (err) {
        failed(err);
      }
    });
    data.once('end', () => resolve());
    data.once('error', (err: Error) => reject(err));
  });
}

/**
 * Reads an archive; `onEntry` gets each entry (with its data) and must consume it. The archive's
 * own sha256 is left out (`sha256` undefined) when `hashArchive` is false and the archive's
 * chunks authenticate themselves (format version 2); any other archive is always hashed.
 */
export async function readArchive(
  file: string,
  key: Buffer | undefined,
  onEntry: (e: EntryInfo, data: ReadEntry) => Promise<void> | void,
  signal?: AbortSignal,
  o: { hashArchive?: boolean } = {},
): Promise<{ sha256?: string; size: number }> {
  const head = Buffer.alloc(5);
  const fd = await fs.promises.open(file, 'r');
  await fd.read(head, 0, 5, 0);
  await fd.close();
  const encrypted = isEncrypted(head);
  if (encrypted && !key) throw Object.assign(new Error('This backup is encrypted and no key is available.'), { code: 'NO_KEY' });
  const Parser = loadTarParser();
  const parser = new Parser({ strict: true });
  const pending: Promise<void>[] = [];
  const open = new Set<ReadEntry>();
  let failure: unknown;
  const unpacking: { stop?: (err: Error) => void } = {};
  /** The first failure wins, and stops the unpacking at once: a parser that failed may never drain. */
  const fail = (err: unknown): void => {
    failure ??= err;
    unpacking.stop?.(failure as Error);
  };
  /** Entries still open when the data is over were cut short: fail them, so nobody waits forever. */
  const failOpen = (streamFailed: boolean): void => {
    for (const entry of open) {
      // After a clean end, an entry fully received but not yet read (its reader starts a
      // tick later) is fine. After a failed stream the parser never ends entries: fail them all.
      if (!streamFailed && entry.remain === 0) continue;
      const err = new Error(`The archive is corrupt: it ends inside ${entry.path}.`);
      failure ??= err;
      // A reader still waiting on the entry gets the error; with none left it must not be thrown.
      entry.on('error', () => undefined);
      entry.destroy(err);
    }
    open.clear();
  };
  parser.on('entry', (entry: ReadEntry) => {
    open.add(entry);
    entry.on('end', () => open.delete(entry));
    const info: EntryInfo = {
      path: entry.path,
      type: entry.type,
      size: entry.size,
      mode: entry.mode ?? 0o644,
      mtimeMs: entry.mtime ? entry.mtime.getTime() : 0,
      linkpath: entry.linkpath,
    };
    const p = Promise.resolve()
      .then(() => onEntry(info, entry))
      .catch((err) => {
        fail(err);
        entry.resume();
      });
    pending.push(p);
  });
  parser.on('warn', (code: string, message: string) => fail(new Error(`The archive is corrupt: ${message} (${code})`)));
  parser.on('error', (err: Error) => fail(err));
  throwIfAborted(signal);
  let read: { sha256?: string; size: number };
  try {
    read = encrypted && head[4] === MEMBER_VERSION ? await unpackMembers(file, key!, parser, unpacking, signal, o.hashArchive ?? true) : await unpack(file, encrypted ? key : undefined, parser, unpacking, signal);
  } catch (err) {
    // The unpacking's own failure (a cancel, a bad chunk) explains the cut-short entries.
    failure ??= err;
    failOpen(true);
    // Entry handlers may still be writing: let them settle before the caller cleans up.
    await Promise.allSettled(pending);
    throw failure;
  }
  failOpen(false);
  await Promise.allSettled(pending);
  if (failure) throw failure;
  return read;
}

type TarSink = { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; end(f: () => void): unknown };

const gunzip = promisify(zlib.gunzip) as (buf: Buffer, o: zlib.ZlibOptions) => Promise<Buffer>;

/**
 * Inflates one whole gzip member on the thread pool into one buffer of the size its trailer
 * gives (ISIZE, the last four bytes): no pieces to collect, copy or pass on one by one, which
 * took this thread more time than the inflating took the pool. A wrong size only means more
 * pieces, copied together.
 */
function inflate(member: Buffer): Promise<Buffer> {
  const size = member.length >= 4 ? member.readUInt32LE(member.length - 4) : 0;
  // Our members hold about 256 KB; the cap keeps a member that claims gigabytes from asking for them.
  return gunzip(member, { chunkSize: Math.min(Math.max(size, 1024), 4 * 1024 * 1024) });
}

/** Members inflating at once on the thread pool while the parser works through earlier ones. */
const INFLATING = 4;

/**
 * Feeds `parser` the tar bytes of a version 2 encrypted archive, where each chunk is one gzip
 * member: each chunk is read whole (and hashed, if asked), authenticated, and its member inflated on the
 * thread pool, several at once, while this thread parses, hashes and writes the ones before.
 * (A gzip stream read as one is inflated serially, and that alone took as long as `tar -xzf`.)
 * Same contract as `unpack`.
 */
async function unpackMembers(
  file: string,
  key: Buffer,
  parser: TarSink,
  control: { stop?: (err: Error) => void },
  signal: AbortSignal | undefined,
  hashArchive: boolean,
): Promise<{ sha256?: string; size: number }> {
  const hash = hashArchive ? createHash('sha256') : undefined;
  let size = 0;
  let stopped: Error | undefined;
  let wake: ((err: Error) => void) | undefined;
  control.stop = (err) => {
    stopped ??= err;
    wake?.(stopped);
  };
  /** Waits for the parser, or for a stop: a parser that failed may never drain or end. */
  const parserDone = (register: (done: () => void) => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (stopped) return reject(stopped);
      wake = reject;
      register(() => {
        wake = undefined;
        resolve();
      });
    });
  const onAbort = () => control.stop?.(new CancelledError());
  signal?.addEventListener('abort', onAbort, { once: true });
  const fh = await fs.promises.open(file, 'r');
  // One read buffer for every chunk: the cipher copies out of it, so it can be reused at once.
  let buf = Buffer.allocUnsafe(1024 * 1024 + TAG_LEN + 4);
  const readExactly = async (n: number): Promise<Buffer> => {
    if (buf.length < n) buf = Buffer.allocUnsafe(n);
    let got = 0;
    for (let r; got < n && (r = await fh.read(buf, got, n - got, size + got)).bytesRead > 0; ) got += r.bytesRead;
    const out = buf.subarray(0, got);
    hash?.update(out);
    size += got;
    return out;
  };
  const truncated = () => new BackupCryptoError('The archive is truncated or has trailing data: its last chunk is missing.');
  const inflating: Promise<Buffer>[] = [];
  const feed = async (data: Buffer): Promise<void> => {
    if (stopped) throw stopped;
    if (!parser.write(data)) await parserDone((done) => parser.once('drain', done));
  };
  try {
    throwIfAborted(signal);
    const head = await readExactly(HEADER_LEN);
    if (head.length < HEADER_LEN) throw new BackupCryptoError('The archive is too short to hold an encryption header.');
    const opener = new ChunkOpener(key, head);
    const first = await readExactly(4);
    if (first.length < 4) throw truncated();
    let word = first.readUInt32BE(0);
    while (!opener.done) {
      if (stopped) throw stopped;
      const { len, final } = opener.lengthOf(word);
      // The chunk and the next one's length word, in one read.
      const frame = await readExactly(len + TAG_LEN + (final ? 0 : 4));
      if (frame.length < len + TAG_LEN + (final ? 0 : 4)) throw truncated();
      if (!final) word = frame.readUInt32BE(len + TAG_LEN);
      const d = opener.next(final);
      const plain = d.update(frame.subarray(0, len));
      opener.close(d, frame.subarray(len, len + TAG_LEN), final);
      if (len) {
        const job = inflate(plain);
        job.catch(() => undefined);
        inflating.push(job);
      }
      while (inflating.length > INFLATING) await feed(await inflating.shift()!);
    }
    if ((await readExactly(1)).length) throw new BackupCryptoError('The archive has data after its final chunk.');
    while (inflating.length) await feed(await inflating.shift()!);
    await parserDone((done) => parser.end(done));
  } catch (err) {
    throw stopped ?? err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await fh.close();
  }
  if (stopped) throw stopped;
  return { sha256: hash?.digest('hex'), size };
}

/**
 * Feeds `parser` the tar bytes of `file`: read, hashed, decrypted (when `key` is given) and
 * inflated as one streaming pipeline. Resolves with the archive's own sha256 and size once the
 * parser has taken everything; `control.stop(err)` or a cancel ends it at once with that error.
 * (Running this part on a worker thread made restores ~25 % faster but pushed peak memory past
 * 150 MB, with a second heap and malloc arena for 200 MB of buffers passing through.)
 */
async function unpack(
  file: string,
  key: Buffer | undefined,
  parser: TarSink,
  control: { stop?: (err: Error) => void },
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const tap = new Tap();
  const source = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream)[] = [source, tap];
  if (key) stages.push(new DecryptStream(key));
  stages.push(
    zlib.createGunzip({ chunkSize: 256 * 1024 }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        if (parser.write(chunk)) cb();
        else parser.once('drain', () => cb());
      },
      final(cb) {
        parser.end(() => cb());
      },
    }),
  );
  let stopped: Error | undefined;
  control.stop = (err) => {
    stopped ??= err;
    source.destroy(err);
  };
  const onAbort = () => control.stop?.(new CancelledError());
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(stages);
  } catch (err) {
    throw stopped ?? err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (stopped) throw stopped;
  return { sha256: tap.hash.digest('hex'), size: tap.bytes };
}
