import * as fs from 'node:fs';
import { throwIfAborted, timeSlicer } from '../cancel';

/**
 * Small enough to stay in the CPU's L2 cache between being copied in by read() and scanned:
 * 128 KB reads made a cold search of 104 MB twice as fast as 1 MB reads did.
 */
const CHUNK = 128 * 1024;

// Bytes from most to least common in our JSON lines; a byte not listed counts as rarest.
const COMMON = ' "etaoinsrlhdc:,umpg0123456789fyw.bvk_-TSACIRHMEOLNPDBFGUVWYKJXQZxjqz{}';
const rank = (b: number): number => {
  const i = COMMON.indexOf(String.fromCharCode(b));
  return i < 0 ? COMMON.length : i;
};

const isUpper = (b: number): boolean => b >= 65 && b <= 90;
const isLower = (b: number): boolean => b >= 97 && b <= 122;

/**
 * Finds an ASCII needle in raw bytes, optionally ignoring ASCII case, the way grep does:
 * jump between occurrences of the needle's rarest byte (a memchr in Buffer.indexOf) and
 * compare the rest in place. Nothing is decoded until a line matches.
 */
export class ByteNeedle {
  private readonly needle: Uint8Array;
  private readonly anchor: number;
  private readonly anchorBytes: number[];

  constructor(
    text: string,
    private readonly ignoreCase: boolean,
  ) {
    const bytes = Buffer.from(text, 'latin1');
    this.needle = ignoreCase ? bytes.map((b) => (isUpper(b) ? b | 32 : b)) : bytes;
    let best = 0;
    for (let i = 1; i < this.needle.length; i++) if (rank(this.needle[i]) > rank(this.needle[best])) best = i;
    this.anchor = best;
    const a = this.needle[best];
    this.anchorBytes = ignoreCase && isLower(a) ? [a, a & ~32] : [a];
  }

  /** Whether the needle can be searched for as bytes (ASCII only). */
  static fits(text: string): boolean {
    return text.length > 0 && /^[\x20-\x7e]*$/.test(text);
  }

  /** Calls `hit` with the offset of each match in buf[from, to), in order; `hit` may return where to resume. */
  each(buf: Buffer, from: number, to: number, hit: (at: number) => number | void): void {
    const n = this.needle;
    const k = this.anchor;
    const len = n.length;
    const fold = this.ignoreCase;
    const [b0, b1 = -1] = this.anchorBytes;
    let p0 = buf.indexOf(b0, from + k);
    let p1 = b1 >= 0 ? buf.indexOf(b1, from + k) : -1;
    for (;;) {
      // The nearer of the anchor's two cases.
      let pos: number;
      if (p0 >= 0 && p0 < to && (p1 < 0 || p1 >= to || p0 < p1)) pos = p0;
      else if (p1 >= 0 && p1 < to) pos = p1;
      else return;
      const start = pos - k;
      let ok = start >= from && start + len <= to;
      // Cheapest rejection first: the byte after the anchor.
      if (ok && k + 1 < len) {
        let b = buf[pos + 1];
        if (fold && b >= 65 && b <= 90) b |= 32;
        ok = b === n[k + 1];
      }
      for (let j = 0; ok && j < len; j++) {
        let b = buf[start + j];
        if (fold && b >= 65 && b <= 90) b |= 32;
        ok = b === n[j];
      }
      let resume = pos + 1;
      if (ok) {
        const skipTo = hit(start);
        if (typeof skipTo === 'number' && skipTo > resume) resume = skipTo;
      }
      if (p0 >= 0 && p0 < resume) p0 = buf.indexOf(b0, resume);
      if (p1 >= 0 && p1 < resume) p1 = buf.indexOf(b1, resume);
    }
  }
}

/**
 * Streams a file through one reused buffer, handing `region` spans of whole lines
 * (buf[start, end) ends with "\n"). A line that crosses a chunk boundary is handed alone, in
 * its own small buffer; a torn last line without "\n" is handed with one added. The buffer
 * is reused: `region` must copy out what it keeps before it awaits. Returns the bytes read.
 *
 * Reads are synchronous — from the page cache they cost a quarter of a thread-pool round
 * trip — and the loop yields to the event loop every few milliseconds, so the host stays
 * responsive and a cancel is seen within milliseconds.
 */
export async function scanRegions(
  file: string,
  region: (buf: Buffer, start: number, end: number) => unknown,
  signal?: AbortSignal,
): Promise<number> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let total = 0;
  const slice = timeSlicer();
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer | undefined;
    for (;;) {
      if (slice.due()) await slice.yield();
      throwIfAborted(signal);
      const bytesRead = fs.readSync(fd, buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      let from = 0;
      if (carry) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= bytesRead) {
          carry = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
          continue;
        }
        const line = Buffer.concat([carry, buf.subarray(0, nl + 1)]);
        carry = undefined;
        await region(line, 0, line.length);
        from = nl + 1;
      }
      const last = buf.lastIndexOf(10, bytesRead - 1);
      if (last >= from) {
        await region(buf, from, last + 1);
        from = last + 1;
      }
      if (from < bytesRead) carry = Buffer.from(buf.subarray(from, bytesRead));
    }
    if (carry) {
      const line = Buffer.concat([carry, Buffer.from('\n')]);
      await region(line, 0, line.length);
    }
    return total;
  } finally {
    fs.closeSync(fd);
  }
}
