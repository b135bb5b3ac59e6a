import * as zlib from 'node:zlib';
import { createZstdCompress, type Codec } from './codec';
import type { ArchiveManifest } from './types';

/**
 * Entries per piece of a manifest's JSON: ~25 KB of text each. The manifest of 100,000 files is
 * ~22 MB of JSON; as one string, then one Buffer, then a copy for the catalog, it was most of a
 * full backup's peak memory. In pieces, it is never whole in memory.
 */
const PIECE = 128;

/**
 * The manifest's JSON, exactly as `JSON.stringify(m)` writes it, in pieces. The file list is cut
 * out of the text of the rest: `"files":[]` can only be that key, since inside a JSON string
 * every `"` is escaped.
 */
export function* manifestPieces(m: ArchiveManifest): Generator<string> {
  const skeleton = JSON.stringify({ ...m, files: [] });
  const at = skeleton.indexOf('"files":[]') + '"files":['.length;
  yield skeleton.slice(0, at);
  for (let i = 0; i < m.files.length; i += PIECE) {
    const text = JSON.stringify(m.files.slice(i, i + PIECE));
    yield (i ? ',' : '') + text.slice(1, -1);
  }
  yield skeleton.slice(at);
}

/** The byte length of the manifest's JSON (a tar header gives it before the text), made and dropped piece by piece. */
export function manifestLength(m: ArchiveManifest): number {
  let n = 0;
  for (const p of manifestPieces(m)) n += Buffer.byteLength(p);
  return n;
}

/**
 * Compresses a manifest's JSON as it comes, into what `compressWhole` makes of the whole text
 * (one gzip member, or one zstd frame): the catalog's copy of the manifest, written beside it.
 */
export class ManifestCompressor {
  private readonly stream: zlib.Gzip;
  private readonly out: Buffer[] = [];
  private readonly ended: Promise<void>;

  constructor(codec: Codec) {
    // The levels compressWhole uses, so a manifest packed either way is the same size.
    this.stream = codec === 'gzip' ? zlib.createGzip({ level: 6 }) : createZstdCompress(1);
    this.stream.on('data', (b: Buffer) => this.out.push(b));
    this.ended = new Promise((resolve, reject) => {
      this.stream.once('end', resolve);
      this.stream.once('error', reject);
    });
    this.ended.catch(() => undefined);
  }

  /** Takes `text`; waits while the compressor holds more than its buffer, so input never piles up. */
  async write(text: string): Promise<void> {
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', resolve));
  }

  async end(): Promise<Buffer> {
    this.stream.end();
    await this.ended;
    return Buffer.concat(this.out);
  }

  /** Frees the compressor's memory at once (a cancelled or failed archive). */
  close(): void {
    this.stream.destroy();
  }
}
