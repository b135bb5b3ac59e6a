import { Decompress } from 'fzstd';
import type { ByteRing } from './byteRing';

/** The largest window (and so the largest buffer fzstd makes) a frame may ask for: ours need ~272 KB. */
const MAX_WINDOW = 8 * 1024 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;
/** A block's content is at most 128 KB (zstd's limit); its compressed size no more. */
const MAX_BLOCK = 128 * 1024;

const corrupt = (why: string): Error => new Error(`The archive is corrupt: ${why}.`);

/**
 * Follows the frames of a zstd stream by their headers and block sizes, without decoding them,
 * so that each frame header is checked before fzstd sees it: fzstd makes a buffer as large as
 * the window a header asks for (up to 2 GB), and a damaged or forged header must not get to.
 */
class FrameScanner {
  /** Bytes of the current field (frame header, block header) gathered so far. */
  private field = Buffer.alloc(18);
  private fieldLen = 0;
  private state: 'frame' | 'block' | 'body' | 'checksum' = 'frame';
  /** Bytes of a block body or checksum still to skip. */
  private skip = 0;
  private lastBlock = false;
  private checksum = false;

  /** Checks `bytes`, the next of the stream; throws at the first thing our frames never hold. */
  scan(bytes: Uint8Array): void {
    let p = 0;
    while (p < bytes.length) {
      if (this.state === 'body' || this.state === 'checksum') {
        const n = Math.min(this.skip, bytes.length - p);
        p += n;
        this.skip -= n;
        if (this.skip === 0) this.afterBody();
        continue;
      }
      this.field[this.fieldLen++] = bytes[p++];
      if (this.state === 'block') {
        if (this.fieldLen < 3) continue;
        const h = this.field[0] | (this.field[1] << 8) | (this.field[2] << 16);
        this.fieldLen = 0;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        if (type === 3) throw corrupt('a zstd block has the reserved type');
        if (size > MAX_BLOCK) throw corrupt('a zstd block is larger than zstd allows');
        this.lastBlock = (h & 1) === 1;
        // An RLE block is one byte repeated `size` times.
        this.skip = type === 1 ? 1 : size;
        this.state = 'body';
        if (this.skip === 0) this.afterBody();
        continue;
      }
      // A frame header: magic (4), descriptor (1), then the window byte, dictionary id and content size it announces.
      if (this.fieldLen < 5) continue;
      const f = Buffer.from(this.field.buffer, this.field.byteOffset, this.fieldLen);
      if (f.readUInt32LE(0) !== ZSTD_MAGIC) throw corrupt('it is not a series of zstd frames');
      const fhd = f[4];
      const single = (fhd >> 5) & 1;
      const fcsFlag = fhd >> 6;
      const dictLen = [0, 1, 2, 4][fhd & 3];
      if (fhd & 8) throw corrupt('a zstd frame header has its reserved bit set');
      if (dictLen) throw corrupt('a zstd frame asks for a dictionary');
      const fcsLen = fcsFlag === 0 ? single : 1 << fcsFlag;
      const need = 5 + (single ? 0 : 1) + fcsLen;
      if (this.fieldLen < need) continue;
      let window: number;
      if (single) {
        window = fcsLen === 1 ? f[5] : fcsLen === 2 ? f.readUInt16LE(5) + 256 : fcsLen === 4 ? f.readUInt32LE(5) : Number(f.readBigUInt64LE(5));
      } else {
        const exp = 10 + (f[5] >> 3);
        window = 2 ** exp + (2 ** exp / 8) * (f[5] & 7);
      }
      if (window > MAX_WINDOW) throw corrupt('a zstd frame asks for a larger window than an archive of ours needs');
      this.checksum = ((fhd >> 2) & 1) === 1;
      this.fieldLen = 0;
      this.state = 'block';
    }
  }

  /** The stream must end between frames. */
  end(): void {
    if (this.state !== 'frame' || this.fieldLen) throw corrupt('its compressed stream ends early');
  }

  private afterBody(): void {
    if (this.state === 'checksum' || (!this.checksum && this.lastBlock)) this.state = 'frame';
    else if (this.lastBlock) {
      this.state = 'checksum';
      this.skip = 4;
    } else this.state = 'block';
  }
}

/**
 * Inflates a zstd stream (of many frames) into a `ByteRing` with fzstd, a zstd decoder in plain
 * JavaScript, for a Node.js without zstd in its zlib (Node 20, the oldest VS Code we support):
 * slower than Node's own, so it is used only there. Each frame header is checked before fzstd
 * reads it (see FrameScanner); everything after that is checked by the archive's hashes.
 */
export class JsZstdInflater {
  private readonly scanner = new FrameScanner();
  private readonly decoder: Decompress;
  private out: Uint8Array[] = [];

  constructor(
    private readonly ring: ByteRing,
    private readonly onRegion: (view: Buffer, pos: number) => void,
  ) {
    this.decoder = new Decompress((chunk) => void (chunk.length && this.out.push(chunk)));
  }

  async write(input: Buffer): Promise<void> {
    this.scanner.scan(input);
    this.decode(() => this.decoder.push(input));
    await this.toRing();
  }

  async end(): Promise<void> {
    this.scanner.end();
    this.decode(() => this.decoder.push(new Uint8Array(0), true));
    await this.toRing();
    // As the other inflaters do: a ring that failed fails the read, even after the output ended.
    await this.ring.space(1);
  }

  close(): void {
    this.out = [];
  }

  private decode(step: () => void): void {
    try {
      step();
    } catch (err) {
      throw corrupt(`zstd: ${(err as Error).message}`);
    }
  }

  /** Copies what fzstd made into the ring, as fast as the ring has room. */
  private async toRing(): Promise<void> {
    const out = this.out;
    this.out = [];
    for (const chunk of out) {
      for (let off = 0; off < chunk.length; ) {
        const { at, len } = await this.ring.space(Math.min(64 * 1024, chunk.length - off));
        const n = Math.min(len, chunk.length - off);
        this.ring.bytes.set(chunk.subarray(off, off + n), at);
        off += n;
        const { view, pos } = this.ring.commit(n);
        this.onRegion(view, pos);
      }
    }
  }
}

/** A whole zstd stream inflated with fzstd, its frame headers checked first; more than `max` bytes out is refused. */
export function inflateZstdJs(data: Buffer, max: number): Buffer {
  const scanner = new FrameScanner();
  scanner.scan(data);
  scanner.end();
  const out: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > max) throw corrupt('it inflates to more than it may');
    out.push(chunk);
  });
  try {
    d.push(data, true);
  } catch (err) {
    throw corrupt(`zstd: ${(err as Error).message}`);
  }
  return Buffer.concat(out);
}
