import { compressMember, type Codec } from './codec';

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
  /** gzip members or zstd frames; gzip unless said. */
  codec?: Codec;
  /** gzip members being compressed at once, in the thread pool. */
  concurrency?: number;
}

/** The largest piece `room` gives: a segment, plus a tar header with a long path before it. */
export const MAX_PIECE = SEGMENT + 16 * 1024;

/**
 * Packs a byte stream into gzip members (or zstd frames) of about 256 KB, which `gunzip`,
 * `tar -xz` and Node's gunzip (`zstd -d`, `tar --zstd`) read as one stream. The caller writes each piece straight into the member being
 * filled (`room`, then `commit`): a file is read into the member itself, never into a buffer of
 * its own that is copied again, and a member's buffer is used again once it is compressed
 * (fresh memory costs a page fault per 4 KB on these VMs, and every buffer is work for the
 * garbage collector). Members run in parallel in the thread pool while the caller reads and
 * hashes the next files; data that deflate cannot shrink is stored (level 0) instead of being
 * compressed for nothing. `next()` gives the members in order, each one whole (what a version 2
 * encrypted archive seals as one chunk).
 */
export class MemberPacker {
  private readonly concurrency: number;
  private readonly inflight: { job: Promise<Buffer>; input: Buffer }[] = [];
  private readonly spare: Buffer[] = [];
  private buf: Buffer | undefined;
  private size = 0;
  private storedBytes = 0;
  private kind: 'deflate' | 'store' | undefined;

  constructor(private readonly o: SegmentOptions) {
    this.concurrency = o.concurrency ?? 2;
  }

  /** Members compressing or compressed and not yet taken: take one (`next`) while this is above the concurrency. */
  get backlog(): number {
    return this.inflight.length;
  }

  get full(): boolean {
    return this.inflight.length > this.concurrency;
  }

  /** Up to `n` (≤ MAX_PIECE) bytes to write at the end of the member being filled; only what `commit` counts is kept. */
  room(n: number): Buffer {
    if (n > MAX_PIECE) throw new RangeError(`A piece of ${n} bytes is larger than a member holds.`);
    // A member ends once it reaches a segment, so what it holds plus a piece always fits.
    this.buf ??= this.spare.pop() ?? Buffer.allocUnsafe(SEGMENT + MAX_PIECE);
    return this.buf.subarray(this.size, this.size + n);
  }

  /**
   * Keeps `n` bytes written at the start of the last `room`. `judge`, a part of them at least
   * 16 KB long (a file's data), decides the member's kind: a change of kind after a long enough
   * run ends the member before these bytes.
   */
  commit(n: number, judge?: Buffer): void {
    if (judge && judge.length >= SAMPLE_FROM) {
      const k = looksIncompressible(judge) ? 'store' : 'deflate';
      if (this.kind && k !== this.kind && this.size >= MIN_RUN) {
        // The piece moves to the start of a member of its own (a copy only at such turns).
        const piece = this.buf!.subarray(this.size, this.size + n);
        const next = this.spare.pop() ?? Buffer.allocUnsafe(SEGMENT + MAX_PIECE);
        piece.copy(next, 0);
        this.flush();
        this.buf = next;
      }
      this.kind = k;
      if (k === 'store') this.storedBytes += n;
    }
    this.size += n;
    if (this.size >= SEGMENT) this.flush();
  }

  /** Copies `bytes` in, in pieces (for bytes held elsewhere: the manifest, a caller's stream). */
  write(bytes: Buffer): void {
    for (let off = 0; off < bytes.length; off += SEGMENT) {
      const piece = bytes.subarray(off, off + SEGMENT);
      piece.copy(this.room(piece.length));
      this.commit(piece.length, piece);
    }
  }

  /** The member being filled goes to the compressor. */
  flush(): void {
    if (!this.size) return;
    const { size } = this;
    const input = this.buf!;
    const level = this.storedBytes * 2 > size ? 0 : this.o.level;
    const job = compressMember(this.o.codec ?? 'gzip', input.subarray(0, size), level);
    // Taken in order by `next`; until then a failure must not count as unhandled.
    job.catch(() => undefined);
    this.inflight.push({ job, input });
    this.buf = undefined;
    this.size = this.storedBytes = 0;
    this.kind = undefined;
  }

  /** The oldest member, compressed; its buffer is used again. */
  async next(): Promise<Buffer> {
    const { job, input } = this.inflight.shift()!;
    try {
      return await job;
    } finally {
      this.spare.push(input);
    }
  }
}

/**
 * The members of a byte stream given as buffers (copied into the members): see `MemberPacker`.
 * Output keeps the input's order.
 */
export async function* gzipSegments(source: AsyncIterable<Buffer> | Iterable<Buffer>, o: SegmentOptions): AsyncGenerator<Buffer> {
  const packer = new MemberPacker(o);
  for await (const whole of source) {
    packer.write(whole);
    while (packer.full) yield await packer.next();
  }
  packer.flush();
  while (packer.backlog) yield await packer.next();
}
