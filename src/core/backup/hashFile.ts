import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { timeSlicer } from '../cancel';

/**
 * A file's sha256, read synchronously through one 128 KB buffer (fast from the page cache, as
 * in the walk), in time slices so big files don't block the event loop.
 */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  const slice = timeSlicer();
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(128 * 1024);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      h.update(buf.subarray(0, n));
      if (slice.due()) await slice.yield();
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** sha256 (hex) of bytes in memory through a Hash object: what `sha256Hex` falls back to. */
export function sha256HexByStream(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

type OneShot = (algorithm: string, data: Uint8Array, encoding: 'hex') => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/**
 * sha256 (hex) of bytes in memory. Node's one-shot `crypto.hash` (Node 20.12+) makes no Hash
 * object: for the thousands of small files of a workspace backup those objects cost more than
 * hashing their bytes. Older runtimes take the Hash object.
 */
export function sha256Hex(b: Uint8Array): string {
  return oneShot ? oneShot('sha256', b, 'hex') : sha256HexByStream(b);
}
