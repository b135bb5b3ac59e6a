/**
 * The tar headers our archives use, written by hand: a plain-file ustar header, after a pax
 * extended header when the path is longer than ustar's 100 bytes or the size past its 8 GB.
 * node-tar's Header encoder (an object per entry, every field through generic encoders) took
 * ~140 ms of a cold Full backup of a 3,224-file workspace in bench:backup's profile, and
 * ~25 ms of a warm one; this takes ~3 ms. GNU tar lists and extracts what it writes (tested),
 * and our reader (`tarParser.ts`) reads it back.
 */

export const BLOCK = 512;
/** The largest number an 11-digit octal field holds (8 GB − 1 as a size; the year 2242 as a time). */
const MAX_OCTAL = 0o77777777777;

/** An octal number in `len` bytes: `len − 1` digits and a NUL. */
function octal(b: Buffer, off: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0'), off, len - 1, 'latin1');
  b[off + len - 1] = 0;
}

/** A size past the octal range, in base 256 (first byte 0x80), as GNU tar and node-tar write it. */
function base256(b: Buffer, off: number, len: number, v: number): void {
  b[off] = 0x80;
  for (let i = off + len - 1; i > off; i--) {
    b[i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** One ustar header block at `off` (which must hold zeros): `type` '0' for a file, 'x' for pax data. */
function ustar(b: Buffer, off: number, name: string, size: number, mode: number, mtimeSec: number, type: '0' | 'x'): void {
  b.write(name, off, 100, 'utf8');
  octal(b, off + 100, 8, mode & 0o7777);
  octal(b, off + 108, 8, 0);
  octal(b, off + 116, 8, 0);
  if (size <= MAX_OCTAL) octal(b, off + 124, 12, size);
  else base256(b, off + 124, 12, size);
  octal(b, off + 136, 12, Math.min(MAX_OCTAL, Math.max(0, mtimeSec)));
  b[off + 156] = type.charCodeAt(0);
  b.write('ustar\u000000', off + 257, 8, 'latin1');
  // The checksum counts its own field as spaces.
  let sum = 8 * 0x20;
  for (let i = off; i < off + 148; i++) sum += b[i];
  for (let i = off + 156; i < off + BLOCK; i++) sum += b[i];
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, off + 148, 8, 'latin1');
}

/** A pax record, `"<length> <key>=<value>\n"`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const rest = key.length + Buffer.byteLength(value) + 3;
  let len = rest + 1;
  while (len !== rest + String(len).length) len = rest + String(len).length;
  return `${len} ${key}=${value}\n`;
}

const padOf = (n: number): number => (BLOCK - (n % BLOCK)) % BLOCK;

/** The pax data a file needs (its long path, its large size), or undefined when ustar holds it all. */
function paxFor(path: string, size: number): Buffer | undefined {
  const long = Buffer.byteLength(path) > 100;
  if (!long && size <= MAX_OCTAL) return undefined;
  return Buffer.from((long ? paxRecord('path', path) : '') + (size > MAX_OCTAL ? paxRecord('size', String(size)) : ''));
}

/** How many bytes the header of a file with this path and size takes (512 unless it needs pax). */
export function headerLength(path: string, size: number): number {
  const pax = paxFor(path, size);
  return pax ? BLOCK + pax.length + padOf(pax.length) + BLOCK : BLOCK;
}

/** Writes the header of a plain file entry at `off` in `buf`, `headerLength(path, size)` bytes of it. */
export function writeHeader(buf: Buffer, off: number, path: string, size: number, mode: number, mtimeMs: number): void {
  const pax = paxFor(path, size);
  const head = pax ? BLOCK + pax.length + padOf(pax.length) + BLOCK : BLOCK;
  buf.fill(0, off, off + head);
  const mtimeSec = Math.floor(mtimeMs / 1000);
  if (pax) {
    // Its own name matters only to a reader that does not know pax: a plain, short one.
    const base = path.slice(path.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
    ustar(buf, off, `PaxHeader/${base}`, pax.length, 0o644, mtimeSec, 'x');
    pax.copy(buf, off + BLOCK);
  }
  // With a pax path, the name field holds what fits of the path; readers take the pax one.
  ustar(buf, off + head - BLOCK, pax ? path.slice(0, 100) : path, size, mode, mtimeSec, '0');
}

/** The header of a plain file entry, in a buffer of its own. */
export function fileHeader(path: string, size: number, mode: number, mtimeMs: number): Buffer {
  const buf = Buffer.allocUnsafe(headerLength(path, size));
  writeHeader(buf, 0, path, size, mode, mtimeMs);
  return buf;
}
