import * as zlib from 'node:zlib';
import { ByteRing } from './byteRing';
import { hasNativeZstd, storedZstdFrame, type Codec } from './codec';
import { JsZstdInflater } from './jsZstdInflater';
import { RingInflater } from './ringInflater';
import { StreamInflater } from './streamInflater';
import { BackupError } from './types';

/** Inflates a compressed stream (gzip members or zstd frames) into a ring, handing on each region of output. */
export interface Inflater {
  write(input: Buffer): Promise<void>;
  end(): Promise<void>;
  close(): void;
}

/** 'ring': Node's zlib binding inflates straight into the ring (fast, private API); 'public': zlib streams. */
export type InflatePath = 'ring' | 'public';

let tested: Promise<InflatePath> | undefined;

/** `CODEBASE_GARDENER_INFLATE=public` (or `=ring`, for tests) overrides the self-test. */
function forced(): InflatePath | undefined {
  const v = process.env.CODEBASE_GARDENER_INFLATE;
  return v === 'ring' || v === 'public' ? v : undefined;
}

/** The path reads take: forced, or the ring if it passed its self-test (run once, at first use). */
export async function inflatePath(): Promise<InflatePath> {
  return forced() ?? (tested ??= selfTest());
}

/** For tests: the next read runs the self-test again. */
export function retestInflatePath(): void {
  tested = undefined;
}

/** The ring path failed for a reason not the data's: later reads take the public path. */
function giveUpRing(): void {
  tested = Promise.resolve('public');
}

/**
 * An inflater for `codec` on the path `inflatePath` picks; it picks at the first write. zstd on a
 * Node.js without it (Node 20) takes fzstd on either path: plain JavaScript, public API only.
 */
export function inflaterFor(ring: ByteRing, onRegion: (view: Buffer, pos: number) => void, codec: Codec = 'gzip'): Inflater {
  let inner: Inflater | undefined;
  let closed = false;
  const open = async (): Promise<Inflater> => {
    if (inner) return inner;
    const path = await inflatePath();
    if (codec === 'zstd' && !hasNativeZstd()) inner = new JsZstdInflater(ring, onRegion);
    else if (path === 'ring') {
      try {
        inner = new RingInflater(ring, onRegion, codec);
      } catch (err) {
        // Only its "does not expose the zlib binding" check throws: not the data's fault.
        if (forced() === 'ring') throw err;
        giveUpRing();
      }
    }
    inner ??= new StreamInflater(ring, onRegion, codec);
    if (closed) inner.close();
    return inner;
  };
  /** A binding failure (INVALID) is reported as such, never as damage; later reads go around it. */
  const noting = async (step: (i: Inflater) => Promise<void>): Promise<void> => {
    const i = await open();
    try {
      await step(i);
    } catch (err) {
      // (Not after `close`: a closed binding throws too, and says nothing about the binding.)
      if (!closed && i instanceof RingInflater && err instanceof BackupError && err.code === 'INVALID' && !forced()) giveUpRing();
      throw err;
    }
  };
  return {
    write: (input) => noting((i) => i.write(input)),
    end: () => noting((i) => i.end()),
    close: () => {
      closed = true;
      inner?.close();
    },
  };
}

/**
 * Inflates a small known stream (members stored, empty and deflated, more output than the
 * ring holds, fed in odd pieces) on the ring path, and the same stream cut short, for gzip and
 * (where Node.js has it) zstd: the ring path is used only if each first comes out exactly and
 * each second is refused as corrupt.
 */
async function selfTest(): Promise<InflatePath> {
  const parts = [Buffer.from('Codebase Gardener '.repeat(12_000)), Buffer.alloc(0), Buffer.from('stored as is'), Buffer.from('end')];
  const gz = Buffer.concat(parts.map((p, i) => zlib.gzipSync(p, { level: i === 2 ? 0 : 6 })));
  const streams: [Codec, Buffer][] = [['gzip', gz]];
  if (hasNativeZstd()) {
    const zz = zlib as unknown as { zstdCompressSync: (b: Buffer) => Buffer };
    streams.push(['zstd', Buffer.concat(parts.map((p, i) => (i === 2 ? storedZstdFrame(p) : zz.zstdCompressSync(p))))]);
  }
  const inflate = async (codec: Codec, input: Buffer): Promise<Buffer> => {
    const ring = new ByteRing(128 * 1024);
    const out: Buffer[] = [];
    const r = new RingInflater(ring, (view) => {
      out.push(Buffer.from(view));
      ring.parsedAll();
    }, codec);
    try {
      for (let off = 0; off < input.length; off += 333) await r.write(input.subarray(off, off + 333));
      await r.end();
    } finally {
      r.close();
    }
    return Buffer.concat(out);
  };
  try {
    for (const [codec, stream] of streams) {
      const whole = await inflate(codec, stream);
      const cut = await inflate(codec, stream.subarray(0, stream.length - 5)).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!whole.equals(Buffer.concat(parts)) || !(cut instanceof Error && cut.message.startsWith('The archive is corrupt'))) return 'public';
    }
    return 'ring';
  } catch {
    return 'public';
  }
}
