import * as zlib from 'node:zlib';
import type { ByteRing } from './byteRing';
import { createZstdDecompress, type Codec } from './codec';

/** zlib's output pieces: one ring region each, as big as the ring inflater's smallest. */
const CHUNK = 64 * 1024;

/**
 * Does what `RingInflater` does with Node's public zlib API only, for a Node.js whose zlib
 * internals have changed: the same errors for the same data, output handed on in ring regions.
 * Slower (each piece is a fresh buffer, copied into the ring), but it depends on nothing private.
 * Backpressure holds: the gunzip runs only while its output is read, and it is read only as
 * fast as the ring has room, so at most a chunk or two wait beyond the ring.
 */
export class StreamInflater {
  private current: zlib.Gunzip | undefined;
  private error: Error | undefined;
  private ended = false;
  /** The last write ended in zeros that zlib did not take: Node's stream has ended there. */
  private atZeros = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ring: ByteRing,
    private readonly onRegion: (view: Buffer, pos: number) => void,
    private readonly codec: Codec = 'gzip',
  ) {}

  /** The decompress stream, made at first use (the codec is a constructor argument). */
  private get gunzip(): zlib.Gunzip {
    return (this.current ??= this.open());
  }

  private set gunzip(g: zlib.Gunzip) {
    this.current = g;
  }

  /** Inflates all of `input`, waiting for room in the ring whenever it is full. */
  async write(input: Buffer): Promise<void> {
    if (this.atZeros && input[0]) {
      // The binding under the ring inflater starts a new member at a non-zero byte after such
      // zeros; a Node stream cannot go on after its end, so a fresh one does.
      this.gunzip.close();
      this.gunzip = this.open();
      this.ended = false;
    }
    let taken = false;
    const before = this.gunzip.bytesWritten;
    this.gunzip.write(input, () => {
      taken = true;
      this.wakeUp();
    });
    await this.drain(() => taken);
    // What zlib did not take lies after the compressed stream. As in the ring inflater,
    // zeros (padding) are fine there, anything else is not.
    const left = input.length - (this.gunzip.bytesWritten - before);
    if (left > 0 && input.subarray(input.length - left).some((b) => b !== 0)) {
      throw new Error('The archive is corrupt: data follows the end of its compressed stream.');
    }
    if (input.length) this.atZeros = left > 0;
  }

  /** The stream must be complete: a gzip stream cut short is an error. */
  async end(): Promise<void> {
    this.gunzip.end();
    await this.drain(() => this.ended);
    // As the ring inflater's last call does: a ring that failed (a cancelled read, a writer that
    // failed) fails the read, even when the output ended before that was noticed.
    await this.ring.space(CHUNK);
  }

  /** Frees zlib's memory; after `end`, or instead of it when reading failed. */
  close(): void {
    this.current?.close();
  }

  private open(): zlib.Gunzip {
    const g = this.codec === 'zstd' ? createZstdDecompress(CHUNK) : zlib.createGunzip({ chunkSize: CHUNK });
    // A stream replaced (see `write`) may still report its end: only the current one counts.
    g.on('readable', () => g === this.gunzip && this.wakeUp());
    g.on('end', () => {
      if (g !== this.gunzip) return;
      this.ended = true;
      this.wakeUp();
    });
    g.on('error', (err) => {
      if (g !== this.gunzip) return;
      this.error ??= new Error(`The archive is corrupt: ${err.message}.`);
      this.wakeUp();
    });
    return g;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Moves output into the ring until `done()`; zlib goes on only as its output is read. */
  private async drain(done: () => boolean): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      const out = this.gunzip.read() as Buffer | null;
      if (out) await this.toRing(out);
      else if (done()) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async toRing(out: Buffer): Promise<void> {
    for (let off = 0; off < out.length; ) {
      // Asking for no more than the ring inflater does, so any ring that works for it works here.
      const { at, len } = await this.ring.space(Math.min(CHUNK, out.length - off));
      const n = Math.min(len, out.length - off);
      out.copy(this.ring.bytes, at, off, off + n);
      off += n;
      const { view, pos } = this.ring.commit(n);
      this.onRegion(view, pos);
    }
  }
}
