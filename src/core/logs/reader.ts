import * as fs from 'node:fs/promises';

const CHUNK = 1024 * 1024;

export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Streams a file as text made of whole lines (each ending in "\n"), a chunk at a time, so
 * memory stays bounded whatever the file size. Splitting on the newline byte is safe in
 * UTF-8: it never occurs inside a multi-byte character. A last line without its newline (a
 * torn write) is passed on too, with a newline added; the caller decides what to make of it.
 * Returns the bytes read. `visit` returning false stops early; it may be async (to write).
 */
export async function scanFile(file: string, visit: (text: string) => boolean | void | Promise<boolean | void>, signal?: AbortSignal): Promise<number> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0; // Rotated away meanwhile.
    throw err;
  }
  let read = 0;
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      read += bytesRead;
      const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      const nl = data.lastIndexOf(10);
      if (nl < 0) {
        carry = Buffer.from(data);
        continue;
      }
      carry = Buffer.from(data.subarray(nl + 1));
      const r = visit(data.toString('utf8', 0, nl + 1));
      if ((r instanceof Promise ? await r : r) === false) return read;
    }
    if (carry.length) await visit(carry.toString('utf8') + '\n');
    return read;
  } finally {
    await handle.close();
  }
}

/** Calls `line` for every line of `text` (as produced by scanFile), without the newline. */
export function eachLine(text: string, line: (l: string) => boolean | void): boolean {
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) return true;
    if (end > start && line(text.slice(start, end)) === false) return false;
    start = end + 1;
  }
}
