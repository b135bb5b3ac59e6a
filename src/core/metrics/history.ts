import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomically } from '../atomicFile';
import { FolderGuard } from '../backup/guard';

/** One sample of the charted metrics; null where it was not measured. */
export interface MetricPoint {
  t: number;
  cpu: number | null;
  memory: number | null;
  disk: number | null;
  /** The slowest component probe's response time, ms. */
  responseMs: number | null;
  /** Share of the user's probes that pass, %. */
  score: number | null;
}

export const FIELDS = ['cpu', 'memory', 'disk', 'responseMs', 'score'] as const;

/**
 * The tiers the history keeps: every sample for a day, 5-minute averages for a week, hourly
 * averages for a month. Each is a file of its own, appended to as its buckets close.
 */
export const TIERS = [
  { name: 'raw', bucketMs: 0, keepMs: 24 * 3_600_000 },
  { name: '5m', bucketMs: 5 * 60_000, keepMs: 7 * 86_400_000 },
  { name: '1h', bucketMs: 3_600_000, keepMs: 30 * 86_400_000 },
] as const;

type TierName = (typeof TIERS)[number]['name'];

const MAX_LINE = 200;
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A line as we write it: `t,cpu,memory,disk,responseMs,score`, empty for null. Compact, and fast to scan. */
export function formatLine(p: MetricPoint): string {
  const f = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : String(Math.round(v * 10) / 10));
  return `${Math.round(p.t)},${FIELDS.map((k) => f(p[k])).join(',')}\n`;
}

/** A line read back, or undefined if it is not one we write (the file is not trusted). */
export function parseLine(line: string): MetricPoint | undefined {
  if (line.length > MAX_LINE) return undefined;
  const parts = line.split(',');
  if (parts.length !== FIELDS.length + 1 || !/^\d{1,15}$/.test(parts[0])) return undefined;
  const values: (number | null)[] = [];
  for (const v of parts.slice(1)) {
    if (v === '') values.push(null);
    else if (/^-?\d{1,12}(\.\d{1,3})?$/.test(v)) values.push(Number(v));
    else return undefined;
  }
  const [cpu, memory, disk, responseMs, score] = values;
  return { t: Number(parts[0]), cpu, memory, disk, responseMs, score };
}

/** The mean of each field over `points` (nulls left out), at the bucket's start. */
export function average(points: readonly MetricPoint[], t: number): MetricPoint {
  const out: MetricPoint = { t, cpu: null, memory: null, disk: null, responseMs: null, score: null };
  for (const k of FIELDS) {
    const vs = points.map((p) => p[k]).filter((v): v is number => v !== null);
    out[k] = vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
  }
  return out;
}

/**
 * Metric history in our state folder (`<data>/metrics/`), appended to at every sample and kept
 * coarser as it ages, so that it survives reloads and stays small: a sample every 30 s is
 * ~100 KB a day at full resolution, and a month of hourly averages ~30 KB.
 */
export class MetricHistory {
  readonly dir: string;
  private readonly open = new Map<TierName, { start: number; points: MetricPoint[] }>();
  /** Tiers whose file this process has checked for a torn last line. */
  private readonly mended = new Set<TierName>();

  constructor(readonly dataDir: string) {
    this.dir = path.join(dataDir, 'metrics');
  }

  file(tier: TierName): string {
    return path.join(this.dir, `${tier}.csv`);
  }

  /** Appends a sample, and the average of each coarser bucket it closes. */
  append(p: MetricPoint): void {
    const lines: [TierName, string][] = [['raw', formatLine(p)]];
    for (const tier of TIERS) {
      if (!tier.bucketMs) continue;
      const start = Math.floor(p.t / tier.bucketMs) * tier.bucketMs;
      const open = this.open.get(tier.name);
      if (open && open.start !== start) {
        lines.push([tier.name, formatLine(average(open.points, open.start))]);
        this.open.delete(tier.name);
      }
      const cur = this.open.get(tier.name) ?? { start, points: [] };
      cur.points.push(p);
      this.open.set(tier.name, cur);
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    for (const [tier, line] of lines) {
      // A crash mid-write can leave a last line without its newline: the first append of this
      // process starts a new line, so that only the torn sample is lost, never the next one.
      const torn = !this.mended.has(tier) && endsTorn(this.file(tier));
      this.mended.add(tier);
      appendNoFollow(this.file(tier), torn ? `\n${line}` : line);
    }
  }

  /**
   * The points between `from` and `to`, from the finest tier that still covers `from`: every
   * sample for the last day, 5-minute averages for the week, hourly ones beyond.
   */
  read(from: number, to: number, now = Date.now()): MetricPoint[] {
    const tier = TIERS.find((t) => now - from <= t.keepMs) ?? TIERS[TIERS.length - 1];
    const out = this.readTier(tier.name).filter((p) => p.t >= from && p.t <= to);
    // The bucket still filling is not on disk yet: its average so far ends the series.
    const open = tier.bucketMs ? this.open.get(tier.name) : undefined;
    if (open && open.start >= from && open.start <= to) out.push(average(open.points, open.start));
    return out;
  }

  private readTier(tier: TierName): MetricPoint[] {
    const file = this.file(tier);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st || !st.isFile() || st.size > MAX_FILE_BYTES) return [];
    const out: MetricPoint[] = [];
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const p = line ? parseLine(line) : undefined;
      if (p) out.push(p);
    }
    return out.sort((a, b) => a.t - b.t);
  }

  /**
   * Drops what each tier keeps no longer, and then the oldest full-resolution samples while
   * the whole is over `maxBytes` (the data-cleanup task). Says how many bytes it freed.
   */
  async prune(now: number, maxBytes: number): Promise<{ bytesFreed: number; points: number }> {
    let freed = 0;
    let dropped = 0;
    const kept = new Map<TierName, MetricPoint[]>();
    for (const tier of TIERS) {
      const before = this.size(tier.name);
      const all = this.readTier(tier.name);
      const keep = all.filter((p) => now - p.t <= tier.keepMs && p.t <= now + 60_000);
      dropped += all.length - keep.length;
      kept.set(tier.name, keep);
      if (keep.length !== all.length) await this.rewrite(tier.name, keep);
      freed += Math.max(0, before - this.size(tier.name));
    }
    for (const tier of ['raw', '5m', '1h'] as TierName[]) {
      let total = TIERS.reduce((n, t) => n + this.size(t.name), 0);
      if (total <= maxBytes) break;
      const points = kept.get(tier) ?? [];
      const before = this.size(tier);
      // Drop the oldest half of this tier at a time until the whole fits.
      while (total > maxBytes && points.length) {
        const n = Math.max(1, Math.ceil(points.length / 2));
        points.splice(0, n);
        dropped += n;
        await this.rewrite(tier, points);
        total = TIERS.reduce((s, t) => s + this.size(t.name), 0);
      }
      freed += Math.max(0, before - this.size(tier));
    }
    return { bytesFreed: freed, points: dropped };
  }

  private size(tier: TierName): number {
    const st = fs.lstatSync(this.file(tier), { throwIfNoEntry: false });
    return st?.isFile() ? st.size : 0;
  }

  private async rewrite(tier: TierName, points: MetricPoint[]): Promise<void> {
    const file = this.file(tier);
    // A link planted where the file should be is removed, never written through.
    if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) new FolderGuard(this.dir).remove(path.basename(file));
    await writeFileAtomically(file, points.map(formatLine).join(''));
  }
}

/** Whether `file` exists and its last byte is not a newline. */
function endsTorn(file: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    return false;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (!size) return false;
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size - 1);
    return b[0] !== 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends to `file`, refusing to follow a link planted in its place. */
function appendNoFollow(file: string, line: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    fs.writeSync(fd, line);
  } finally {
    fs.closeSync(fd);
  }
}
