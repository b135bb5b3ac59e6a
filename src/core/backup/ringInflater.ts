import * as zlib from 'node:zlib';
import type { ByteRing } from './byteRing';
import { createZstdDecompress, type Codec } from './codec';
import { BackupError } from './types';

/** The least room worth inflating into: smaller would mean many tiny regions. */
const MIN_REGION = 64 * 1024;
/** A region is handed on at most this big, so its space comes free again soon. */
const MAX_REGION = 512 * 1024;

/** What Node's zlib binding offers under its streams: inflating into a buffer of our choosing. */
interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
  close(): void;
}

/**
 * Inflates a gzip stream (of one or many members), or a zstd stream of many frames where
 * Node.js has zstd, straight into a `ByteRing`, calling `onRegion` with each piece of output
 * where it lies. Node's public zlib API only returns fresh buffers, which for a whole restore
 * meant ~200 MB of page faults and garbage; its binding, which those streams are built on,
 * writes wherever it is told (zstd's the same way as zlib's).
 */
export class RingInflater {
  private readonly stream: zlib.Gunzip;
  private readonly handle: ZlibHandle;
  /** After each call: output space left, input left. */
  private readonly state: Uint32Array;
  private error: Error | undefined;
  /** The binding's flush values: zlib's, or zstd's (continue, end). */
  private readonly flushes: { more: number; finish: number };

  constructor(
    private readonly ring: ByteRing,
    private readonly onRegion: (view: Buffer, pos: number) => void,
    codec: Codec = 'gzip',
  ) {
    this.stream = codec === 'zstd' ? createZstdDecompress() : zlib.createGunzip();
    const c = zlib.constants as typeof zlib.constants & { ZSTD_e_continue: number; ZSTD_e_end: number };
    this.flushes = codec === 'zstd' ? { more: c.ZSTD_e_continue, finish: c.ZSTD_e_end } : { more: c.Z_NO_FLUSH, finish: c.Z_FINISH };
    const s = this.stream as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    if (typeof s._handle?.writeSync !== 'function' || !(s._writeState instanceof Uint32Array)) {
      // Not a damaged archive: say what it is, so nobody goes looking for a good backup.
      throw new BackupError("This version of VS Code's Node.js does not expose the zlib binding that reading archives needs. Nothing was changed.", 'INVALID');
    }
    this.handle = s._handle;
    this.state = s._writeState;
    this.handle.onerror = (message) => (this.error ??= new Error(`The archive is corrupt: ${message}.`));
  }

  /** Inflates all of `input`, waiting for room in the ring whenever it is full. */
  async write(input: Buffer): Promise<void> {
    let off = 0;
    for (;;) {
      const { at, len } = await this.ring.space(MIN_REGION);
      const room = Math.min(len, MAX_REGION);
      this.inflate(this.flushes.more, input, off, at, room);
      if (this.error) throw this.error;
      const produced = room - this.state[0];
      const taken = input.length - off - this.state[1];
      off += taken;
      if (produced) {
        const { view, pos } = this.ring.commit(produced);
        this.onRegion(view, pos);
      }
      // Output space left over means zlib wanted no more: the input is used up, or the stream ended.
      if (produced < room) {
        if (off < input.length && !(taken === 0 && produced === 0)) continue;
        if (off < input.length && input.subarray(off).some((b) => b !== 0)) throw new Error('The archive is corrupt: data follows the end of its compressed stream.');
        return;
      }
    }
  }

  /** The stream must be complete: a gzip stream cut short is an error. */
  async end(): Promise<void> {
    const { at, len } = await this.ring.space(MIN_REGION);
    this.inflate(this.flushes.finish, Buffer.alloc(0), 0, at, Math.min(len, MAX_REGION));
    if (this.error) throw this.error;
    if (Math.min(len, MAX_REGION) - this.state[0] > 0) throw new Error('The archive is corrupt: its compressed stream ends early.');
  }

  /**
   * Damaged data is reported through `onerror`, never thrown: what the binding throws is the
   * binding's fault (a changed signature, say), and must not be taken for a damaged backup.
   */
  private inflate(flush: number, input: Buffer, off: number, at: number, room: number): void {
    try {
      this.handle.writeSync(flush, input, off, input.length - off, this.ring.bytes, at, room);
    } catch (err) {
      throw new BackupError(`Node.js's zlib binding failed while reading the archive (${(err as Error).message}), which is no sign that the backup is damaged. Nothing was changed.`, 'INVALID');
    }
  }

  /** Frees zlib's memory; after `end`, or instead of it when reading failed. */
  close(): void {
    this.stream.close();
  }
}
