/**
 * A strict reader of the tar format our archives use (ustar headers, with pax extended headers
 * for long paths), working on bytes where they lie: entry data is handed on as views, never
 * copied or wrapped in a stream per entry. The `tar` package's parser cost a restore more CPU
 * than inflating and writing the files. Anything that is not a plain file is reported with its
 * type for the caller to refuse; nothing here writes anywhere.
 */

import { isCode, name as typeNames } from 'tar/types';

export interface EntryInfo {
  path: string;
  type: string;
  size: number;
  mode: number;
  mtimeMs: number;
  linkpath?: string;
}

/** Takes one entry's data: views valid only during the call, with the position of their first byte. */
export interface EntryReader {
  data(bytes: Buffer, pos: number): void;
  end(): void;
}

const BLOCK = 512;
/** A pax header longer than this is not one we wrote: refused rather than buffered. */
const MAX_PAX = 1024 * 1024;

const corrupt = (why: string): Error => new Error(`The archive is corrupt: ${why}.`);

const str = (b: Buffer, off: number, len: number): string => {
  const s = b.toString('utf8', off, off + len);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
};

/** An octal field, or a base-256 one (first byte 0x80) for values octal cannot hold. */
function num(b: Buffer, off: number, len: number, field: string): number {
  if (b[off] === 0x80) {
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + b[i];
    if (!Number.isSafeInteger(v)) throw corrupt(`a tar header's ${field} is too large`);
    return v;
  }
  const s = str(b, off, len).trim();
  if (!/^[0-7]*$/.test(s)) throw corrupt(`a tar header's ${field} is not a number`);
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(b: Buffer): boolean {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += b[i];
  for (let i = 156; i < BLOCK; i++) sum += b[i];
  return sum === num(b, 148, 8, 'checksum');
}

/** pax records: "<length> <key>=<value>\n", each length counting the whole record. */
function paxRecords(b: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < b.length && b[at] !== 0) {
    const space = b.indexOf(0x20, at);
    const len = space > at ? Number(b.toString('latin1', at, space)) : NaN;
    if (!Number.isSafeInteger(len) || len <= space - at || at + len > b.length || b[at + len - 1] !== 0x0a) throw corrupt('a pax header is malformed');
    const record = b.toString('utf8', space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw corrupt('a pax header is malformed');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

export class TarParser {
  private state: 'header' | 'data' | 'pad' | 'pax' | 'eof' = 'header';
  /** A header (or pax data) that arrived split across regions, gathered here. */
  private partial: Buffer = Buffer.alloc(BLOCK);
  private partialLen = 0;
  private pax: Map<string, string> | undefined;
  private paxData: Buffer | undefined;
  private entry: EntryInfo | undefined;
  private reader: EntryReader | undefined;
  private left = 0;
  private padLeft = 0;
  private sawZero = false;

  constructor(private readonly onEntry: (e: EntryInfo) => EntryReader) {}

  /** Parses the next bytes of the tar stream; `pos` is the position of `bytes[0]`. */
  write(bytes: Buffer, pos: number): void {
    let p = 0;
    while (p < bytes.length) {
      switch (this.state) {
        case 'header': {
          let block: Buffer;
          if (this.partialLen === 0 && bytes.length - p >= BLOCK) {
            block = bytes.subarray(p, p + BLOCK);
            p += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.partialLen, bytes.length - p);
            bytes.copy(this.partial, this.partialLen, p, p + n);
            this.partialLen += n;
            p += n;
            if (this.partialLen < BLOCK) break;
            this.partialLen = 0;
            block = this.partial;
          }
          this.header(block);
          break;
        }
        case 'data': {
          const n = Math.min(this.left, bytes.length - p);
          this.reader!.data(bytes.subarray(p, p + n), pos + p);
          p += n;
          this.left -= n;
          if (this.left === 0) this.endEntry();
          break;
        }
        case 'pax': {
          const n = Math.min(this.left, bytes.length - p);
          bytes.copy(this.paxData!, this.paxData!.length - this.left, p, p + n);
          p += n;
          this.left -= n;
          if (this.left === 0) {
            this.pax = paxRecords(this.paxData!);
            this.paxData = undefined;
            this.state = this.padLeft ? 'pad' : 'header';
          }
          break;
        }
        case 'pad': {
          const n = Math.min(this.padLeft, bytes.length - p);
          p += n;
          this.padLeft -= n;
          if (this.padLeft === 0) this.state = 'header';
          break;
        }
        case 'eof':
          // What follows the end-of-archive blocks (tar's blocking) is never read.
          return;
      }
    }
  }

  /** The stream is over: anything cut short is an error. */
  end(): void {
    if (this.state === 'data' || this.state === 'pad') throw corrupt(`it ends inside ${this.entry?.path ?? 'an entry'}`);
    if (this.state === 'pax' || this.partialLen > 0) throw corrupt('it ends inside a tar header');
  }

  private header(b: Buffer): void {
    if (b.every((x) => x === 0)) {
      if (this.sawZero) this.state = 'eof';
      this.sawZero = true;
      return;
    }
    if (this.sawZero) throw corrupt('a tar header follows an end-of-archive block');
    if (!checksumOk(b)) throw corrupt('a tar header fails its checksum');
    // Named as the `tar` package names them (callers and messages use those names); NUL is an old plain file.
    const flag = b[156] === 0 ? '0' : String.fromCharCode(b[156]);
    const type = (isCode(flag) && typeNames.get(flag)) || `unknown type ${JSON.stringify(flag)}`;
    let size = num(b, 124, 12, 'size');
    this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'ExtendedHeader') {
      if (this.pax) throw corrupt('two pax headers in a row');
      if (size > MAX_PAX) throw corrupt('a pax header is too large');
      this.paxData = Buffer.alloc(size);
      this.left = size;
      this.state = size ? 'pax' : this.padLeft ? 'pad' : 'header';
      if (!size) this.pax = new Map();
      return;
    }
    let path = str(b, 0, 100);
    if (str(b, 257, 6) === 'ustar' && str(b, 263, 2) === '00') {
      // As the `tar` package writes it: a prefix past 130 bytes leaves no room for atime and ctime.
      const prefix = b[475] !== 0 ? str(b, 345, 155) : str(b, 345, 130);
      if (prefix) path = `${prefix}/${path}`;
    }
    let mtimeMs = num(b, 136, 12, 'mtime') * 1000;
    let linkpath: string | undefined = str(b, 157, 100) || undefined;
    const pax = this.pax;
    this.pax = undefined;
    if (pax) {
      path = pax.get('path') ?? path;
      linkpath = pax.get('linkpath') ?? linkpath;
      if (pax.has('size')) {
        size = Number(pax.get('size'));
        if (!Number.isSafeInteger(size) || size < 0) throw corrupt('a pax header gives a bad size');
        this.padLeft = (BLOCK - (size % BLOCK)) % BLOCK;
      }
      if (pax.has('mtime')) mtimeMs = Math.round(Number(pax.get('mtime')) * 1000);
    }
    this.entry = { path, type, size, mode: num(b, 100, 8, 'mode'), mtimeMs, linkpath };
    this.reader = this.onEntry(this.entry);
    this.left = size;
    if (size) this.state = 'data';
    else this.endEntry();
  }

  private endEntry(): void {
    const r = this.reader!;
    this.reader = undefined;
    this.state = this.padLeft ? 'pad' : 'header';
    r.end();
  }
}
