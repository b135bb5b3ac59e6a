import * as fs from 'node:fs';
import * as path from 'node:path';

const FLUSH_BYTES = 64 * 1024;

export function rotatedName(file: string, n: number): string {
  return `${file}.${n}`;
}

/**
 * An append-only log file that rotates by rename and reopen (never copy-and-truncate).
 * Lines are buffered whole and written with synchronous appends, so no line can be split,
 * lost or written twice, whatever else is logging at the same moment: a rotation happens
 * only between two whole lines.
 */
export class ChannelFile {
  private fd: number | undefined;
  private size = -1;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(
    readonly file: string,
    private maxBytes: number,
    private maxFiles: number,
  ) {}

  configure(maxBytes: number, maxFiles: number): void {
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
  }

  append(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size < 0) this.size = this.currentSize();
    if (this.size + this.pendingBytes > 0 && this.size + this.pendingBytes + bytes > this.maxBytes) {
      this.flush();
      this.rotate();
    }
    this.pending.push(line);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (!this.pending.length) return;
    const data = Buffer.from(this.pending.join(''));
    const fd = this.open();
    // Lines leave the buffer only once written; if the disk is full they wait for the next flush.
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done);
    this.pending = [];
    this.pendingBytes = 0;
    this.size += data.length;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** The live file and its rotated files, newest first, as they exist now. */
  files(): string[] {
    const out = fs.existsSync(this.file) ? [this.file] : [];
    for (let i = 1; i <= this.maxFiles + 20; i++) {
      const f = rotatedName(this.file, i);
      if (fs.existsSync(f)) out.push(f);
      else if (i > this.maxFiles) break;
    }
    return out;
  }

  /**
   * Rotates now if the live file is over its size, or its first line was written more than
   * `maxAgeMs` before `now` (the log-rotation task's "older than a day"). Says whether it did.
   */
  rotateIfDue(now: number, maxAgeMs: number): boolean {
    this.flush();
    const size = this.currentSize();
    if (size === 0) return false;
    if (size <= this.maxBytes) {
      const first = firstLineTime(this.file);
      if (first === undefined || now - first <= maxAgeMs) return false;
    }
    this.rotate();
    return true;
  }

  private open(): number {
    if (this.fd === undefined) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.fd = fs.openSync(this.file, 'a', 0o600);
      this.size = fs.fstatSync(this.fd).size;
    }
    return this.fd;
  }

  private currentSize(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  private rotate(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    // Shift .N-1 → .N … .1 → .2, dropping what falls past maxFiles, then the live file → .1.
    fs.rmSync(rotatedName(this.file, this.maxFiles), { force: true });
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = rotatedName(this.file, i);
      if (fs.existsSync(from)) fs.renameSync(from, rotatedName(this.file, i + 1));
    }
    if (this.maxFiles > 0 && fs.existsSync(this.file)) fs.renameSync(this.file, rotatedName(this.file, 1));
    else fs.rmSync(this.file, { force: true });
    this.size = 0;
  }
}

/** The `ts` of a log file's first line, if it reads as one of ours. */
function firstLineTime(file: string): number | undefined {
  const buf = Buffer.alloc(512);
  let n: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      n = fs.readSync(fd, buf, 0, buf.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const m = /^\{"ts":"([^"]{10,40})"/.exec(buf.subarray(0, n).toString('utf8'));
  const t = m ? Date.parse(m[1]) : NaN;
  return Number.isFinite(t) ? t : undefined;
}
