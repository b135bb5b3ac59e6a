import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { inflateZstdJs } from './jsZstdInflater';
import { BackupError } from './types';

/**
 * How an archive's tar stream is compressed: a series of independent gzip members or zstd
 * frames of ~256 KB each. A plain archive says which by its first bytes (each format's magic);
 * an encrypted one in its header (see crypto.ts), where a codec this version does not know is
 * refused as UNSUPPORTED, never taken for damage.
 */
export type Codec = 'gzip' | 'zstd';

/** The codec's byte in a version 3 encrypted header. Never reuse a number. */
export const CODEC_IDS: Readonly<Record<Codec, number>> = { gzip: 0, zstd: 1 };

export function codecOfId(id: number): Codec | undefined {
  return (Object.keys(CODEC_IDS) as Codec[]).find((c) => CODEC_IDS[c] === id);
}

const ZSTD_MAGIC = 0xfd2fb528;

/** The codec a plain archive's first bytes name, if any. */
export function sniffCodec(head: Buffer): Codec | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC) return 'zstd';
  return undefined;
}

type ZstdZlib = typeof zlib & {
  zstdCompress?: (buf: Buffer, o: { params: Record<number, number>; pledgedSrcSize?: number }, cb: (err: Error | null, out: Buffer) => void) => void;
  createZstdDecompress?: (o?: { chunkSize?: number; params?: Record<number, number> }) => zlib.Gunzip;
};
const z = zlib as ZstdZlib;
/** zstd's constants, in Node's zlib where it has zstd (undefined elsewhere: used only there). */
const zc = zlib.constants as typeof zlib.constants & { ZSTD_c_compressionLevel: number; ZSTD_c_checksumFlag: number; ZSTD_d_windowLogMax: number };

/** Whether this Node.js has zstd in its zlib (Node 22.15 / 23.8 and later). */
export function hasNativeZstd(): boolean {
  return typeof z.zstdCompress === 'function' && typeof z.createZstdDecompress === 'function';
}

/**
 * The codec new archives use: zstd where this Node.js has it (at the same level it compresses
 * source-like data to about gzip's size with a third of the CPU; see bench/README.md), else gzip.
 * `CODEBASE_GARDENER_CODEC` pins one (tests, and users who want `tar -xzf`).
 */
export function defaultCodec(): Codec {
  const v = process.env.CODEBASE_GARDENER_CODEC;
  if (v === 'gzip') return 'gzip';
  if (v === 'zstd' && !hasNativeZstd()) throw new BackupError('CODEBASE_GARDENER_CODEC=zstd, but this Node.js has no zstd compressor (Node 22.15 or later has).', 'UNSUPPORTED');
  return hasNativeZstd() ? 'zstd' : 'gzip';
}

/**
 * The zstd level for the `compressionLevel` setting (1–9, gzip's scale): the same number. Measured
 * on the bench's 100,000-file tree in 256 KB frames against gzip 6 (112.5 MB in 6.7 s of CPU):
 * zstd 3 116.0 MB in 0.76 s, zstd 6 113.0 MB in 2.3 s; so the default 6 gives gzip's size at a
 * third of its CPU.
 */
export function zstdLevel(level: number): number {
  return Math.max(1, Math.min(19, Math.round(level)));
}

/** The largest window a zstd frame of ours needs (~272 KB); a frame asking more is refused by the readers. */
export const ZSTD_WINDOW_LOG_MAX = 23;

const gzip = promisify(zlib.gzip) as (buf: Buffer, o: zlib.ZlibOptions) => Promise<Buffer>;

/** One member (gzip) or frame (zstd) of `input`, compressed in the thread pool; level 0 stores it. */
export function compressMember(codec: Codec, input: Buffer, level: number): Promise<Buffer> {
  if (codec === 'gzip') {
    // Stored data comes out a few bytes per 16 KB larger: give it one output buffer that fits,
    // rather than many small ones copied together. Deflated data keeps zlib's small pieces, or a
    // member that shrank to 10 KB would hold on to a 256 KB buffer.
    return gzip(input, level ? { level } : { level, chunkSize: input.length + (input.length >> 10) + 1024 });
  }
  // zstd's fastest level still searches random data for matches (~3× the time of storing it).
  if (!level) return Promise.resolve(storedZstdFrame(input));
  const params = {
    [zc.ZSTD_c_compressionLevel]: zstdLevel(level),
    // As gzip's CRC: `zstd -d` and `tar --zstd` check each frame.
    [zc.ZSTD_c_checksumFlag]: 1,
  };
  // The size known up front lets zstd size its tables and window to the frame (faster, less
  // memory) and puts it in the frame header, so readers need no more window than that.
  return new Promise((resolve, reject) => z.zstdCompress!(input, { params, pledgedSrcSize: input.length }, (err, out) => (err ? reject(err) : resolve(out))));
}

/** A raw block holds at most this much (zstd's block size limit). */
const RAW_BLOCK = 128 * 1024;

/**
 * A zstd frame holding `input` as raw blocks, as zstd itself stores what it cannot shrink:
 * magic, a single-segment frame header with the 4-byte content size, then blocks of up to
 * 128 KB, each a 3-byte header (last flag, type 0 = raw, size) and the bytes as they are.
 */
export function storedZstdFrame(input: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(input.length / RAW_BLOCK));
  const out = Buffer.allocUnsafe(9 + blocks * 3 + input.length);
  out.writeUInt32LE(ZSTD_MAGIC, 0);
  // Frame header descriptor: content size in 4 bytes (0b10), single segment (bit 5), no checksum, no dictionary.
  out[4] = 0xa0;
  out.writeUInt32LE(input.length, 5);
  let at = 9;
  for (let b = 0; b < blocks; b++) {
    const from = b * RAW_BLOCK;
    const n = Math.min(RAW_BLOCK, input.length - from);
    out.writeUIntLE(((n << 3) | (b === blocks - 1 ? 1 : 0)) >>> 0, at, 3);
    input.copy(out, at + 3, from, from + n);
    at += 3 + n;
  }
  return out;
}

/** A zstd compress stream of Node's zlib at `level`, one frame; only where `hasNativeZstd()`. */
export function createZstdCompress(level: number): zlib.Gzip {
  return (z as unknown as { createZstdCompress: (o: object) => zlib.Gzip }).createZstdCompress({ params: { [zc.ZSTD_c_compressionLevel]: level } });
}

/** A zstd decompress stream of Node's zlib; only where `hasNativeZstd()`. */
export function createZstdDecompress(chunkSize?: number): zlib.Gunzip {
  return z.createZstdDecompress!({ chunkSize, params: { [zc.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX } });
}

/** The most a whole compressed buffer (a manifest) may inflate to: far above 100,000 files' 22 MB. */
const MAX_WHOLE = 1024 * 1024 * 1024;

/**
 * `data` compressed whole, in the thread pool: one gzip member, or one zstd frame. zstd level 1:
 * a manifest's 22 MB of JSON came out smaller at 1 than at 3 (5.1 against 5.5 MB), and faster.
 */
export function compressWhole(codec: Codec, data: Buffer): Promise<Buffer> {
  if (codec === 'gzip') return gzip(data, { level: 6 });
  return new Promise((resolve, reject) => z.zstdCompress!(data, { params: { [zc.ZSTD_c_compressionLevel]: 1 } }, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * What `compressWhole` made, inflated; through fzstd for zstd on a Node.js without it (the
 * frame headers checked first, as for archives). Damaged data throws.
 */
export async function decompressWhole(codec: Codec, data: Buffer): Promise<Buffer> {
  if (codec === 'gzip') return promisify(zlib.gunzip)(data, { maxOutputLength: MAX_WHOLE } as zlib.ZlibOptions) as Promise<Buffer>;
  if (hasNativeZstd()) {
    const unzstd = promisify((z as unknown as { zstdDecompress: (b: Buffer, o: object, cb: (e: Error | null, r: Buffer) => void) => void }).zstdDecompress);
    return unzstd(data, { maxOutputLength: MAX_WHOLE, params: { [zc.ZSTD_d_windowLogMax]: ZSTD_WINDOW_LOG_MAX } });
  }
  return inflateZstdJs(data, MAX_WHOLE);
}
