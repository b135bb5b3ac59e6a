import { scanRegions } from './byteSearch';

// Where callers have always found them.
export { CancelledError, throwIfAborted } from '../cancel';

/**
 * Streams a file as text made of whole lines (each ending in "\n"), a chunk at a time, so
 * memory stays bounded whatever the file size; a torn last line comes with a newline added.
 * `visit` may be async (to write what it read). Returns the bytes read.
 */
export function scanFile(file: string, visit: (text: string) => unknown, signal?: AbortSignal): Promise<number> {
  // Decoded before `visit` can await: the region's buffer is reused for the next chunk.
  return scanRegions(file, (buf, start, end) => visit(buf.toString('utf8', start, end)), signal);
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
