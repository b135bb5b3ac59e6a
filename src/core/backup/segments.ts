import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const gzip = promisify(zlib.gzip) as (buf: Buffer, o: zlib.ZlibOptions) => Promise<Buffer>;

/**
 * Bytes per gzip member: large enough that the per-member cost and lost context don't show
 * (1 MB members made archives only 0.01 % smaller), small enough that the few members being
 * compressed or inflated at once keep memory low (1 MB members cost restores ~40 MB more RSS).
 */
const SEGMENT = 256 * 1024;
/** A run of the other kind shorter than this stays in the current member. */
const MIN_RUN = 64 * 1024;
/** Pieces smaller than this (tar headers, padding, tiny files) don't decide a member's kind. */
const SAMPLE_FROM = 16 * 1024;
const SAMPLE = 4096;
/** Bits per byte above which deflate gains next to nothing (random, compressed, encrypted data). */
const INCOMPRESSIBLE_BITS = 7.5;

/**
 * Whether deflating `buf` is a waste: the byte entropy of a 4 KB sample from its middle. Text
 * and code sit near 4–5 bits per byte; random, compressed and encrypted data near 8.
 */
export function looksIncompressible(buf: Buffer): boolean {
  if (buf.length < SAMPLE_FROM) return false;
  const start = (buf.length - SAMPLE) >> 1;
  const counts = new Uint32Array(256);
  for (let i = start; i < start + SAMPLE; i++) counts[buf[i]]++;
  let bits = 0;
  for (const c of counts) {
    if (c) {
      const p = c / SAMPLE;
      bits -= p * Math.log2(p);
    }
  }
  return bits > INCOMPRESSIBLE_BITS;
}

export interface SegmentOptions {
  level: number;
  /** gzip members being compressed at once, in the thread pool. */
  concurrency?: number;
}

/**
 * Compresses a byte stream as a series of gzip members of about 256 KB, which `gunzip`, `tar -xz`
 * and Node's gunzip read as one stream. Members run in parallel in the thread pool while the
 * caller reads and hashes the next files, and data that deflate cannot shrink is stored
 * (level 0) instead of being compressed for nothing. Output keeps the input's order, and each
 * buffer yielded is one whole member (what a version 2 encrypted archive seals as one chunk).
 */
export async function* gzipSegments(source: AsyncIterable<Buffer> | Iterable<Buffer>, o: SegmentOptions): AsyncGenerator<Buffer> {
  const concurrency = o.concurrency ?? 2;
  const inflight: { job: Promise<Buffer>; input: Buffer }[] = [];
  // A member's bytes are gathered into a buffer that is used again once its member is
  // compressed: fresh memory costs a page fault per 4 KB on these VMs. A member is at most two
  // segments (it ends once it reaches one, and no piece is larger).
  const spare: Buffer[] = [];
  const next = async (): Promise<Buffer> => {
    const { job, input } = inflight.shift()!;
    const out = await job;
    spare.push(input);
    return out;
  };
  let parts: Buffer[] = [];
  let size = 0;
  let storedBytes = 0;
  let kind: 'deflate' | 'store' | undefined;
  const flush = (): void => {
    if (!size) return;
    const level = storedBytes * 2 > size ? 0 : o.level;
    // Stored data comes out a few bytes per 16 KB larger: give it one output buffer that fits,
    // rather than many small ones copied together. Deflated data keeps zlib's small pieces, or a
    // member that shrank to 10 KB would hold on to a 256 KB buffer.
    const input = spare.pop() ?? Buffer.allocUnsafe(2 * SEGMENT);
    let at = 0;
    for (const p of parts) at += p.copy(input, at);
    const job = gzip(input.subarray(0, size), level ? { level } : { level, chunkSize: size + (size >> 10) + 1024 });
    // Awaited in order below; until then a failure must not count as unhandled.
    job.catch(() => undefined);
    inflight.push({ job, input });
    parts = [];
    size = storedBytes = 0;
    kind = undefined;
  };
  const add = (piece: Buffer): void => {
    if (piece.length >= SAMPLE_FROM) {
      const k = looksIncompressible(piece) ? 'store' : 'deflate';
      if (kind && k !== kind && size >= MIN_RUN) flush();
      kind = k;
      if (k === 'store') storedBytes += piece.length;
    }
    parts.push(piece);
    size += piece.length;
    if (size >= SEGMENT) flush();
  };
  for await (const whole of source) {
    // A piece larger than a member (a big manifest) is cut, so no member grows past two.
    for (let off = 0; off < whole.length || off === 0; off += SEGMENT) {
      add(whole.length <= SEGMENT ? whole : whole.subarray(off, off + SEGMENT));
      while (inflight.length > concurrency) yield await next();
    }
  }
  flush();
  while (inflight.length) yield await next();
}
