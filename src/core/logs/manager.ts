import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock';
import { isGardenerError } from '../errors';
import { currentUser } from '../user';
import { FolderGuard } from '../backup/guard';
import { ChannelFile } from './channelFile';
import { exportFiles, type ExportFormat } from './export';
import type { AuditOutcome } from './outcome';
import { redact } from './redact';
import { eachLine, scanFile } from './reader';
import { searchFiles, type SearchQuery, type SearchResult } from './search';
import { summarise, type PerformanceSummary } from './summary';
import { CHANNEL_FILES, CHANNELS, DEFAULT_LOG_SETTINGS, LEVEL_RANK, type Channel, type LogEntry, type LogLevel, type LogSettings } from './types';

const FIXED = new Set(['ts', 'level', 'channel', 'component', 'message']);

export interface ChannelStatistics {
  channel: Channel;
  file: string;
  sizeBytes: number;
  lines: number;
  oldest: string | null;
  newest: string | null;
  rotated: { file: string; sizeBytes: number; modified: string }[];
}

export interface AuditRecord {
  actor?: string;
  action: string;
  target?: string;
  outcome: AuditOutcome;
  durationMs?: number;
  [field: string]: unknown;
}

function errorFields(err: unknown): LogEntry['error'] {
  if (err instanceof Error) return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  return { name: 'Error', message: String(err) };
}

/** JSON that never throws: cycles become "[Circular]", bigints strings. */
function toJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

/**
 * The four JSON-lines channels under `<data>/logs`. Errors go to the error channel, timings
 * to performance, user and scheduled actions to audit, the rest to main: each entry is
 * written once. Writes are buffered and flushed every few hundred milliseconds and before
 * any read, so searches see everything logged so far.
 */
export class LogManager {
  private readonly files: Record<Channel, ChannelFile>;
  private settings: LogSettings;
  private readonly timer: NodeJS.Timeout;
  private readonly sinks = new Set<(e: LogEntry) => void>();

  constructor(
    private readonly clock: Clock,
    readonly dir: string,
    settings: Partial<LogSettings> = {},
  ) {
    this.settings = { ...DEFAULT_LOG_SETTINGS, ...settings };
    const s = this.settings;
    this.files = Object.fromEntries(CHANNELS.map((c) => [c, new ChannelFile(path.join(dir, CHANNEL_FILES[c]), s.maxBytes, s.maxFiles)])) as Record<Channel, ChannelFile>;
    this.timer = setInterval(() => this.flushQuietly(), 250);
    this.timer.unref?.();
  }

  static in(dataDir: string, clock: Clock, settings?: Partial<LogSettings>): LogManager {
    return new LogManager(clock, path.join(dataDir, 'logs'), settings);
  }

  configure(settings: Partial<LogSettings>): void {
    this.settings = { ...DEFAULT_LOG_SETTINGS, ...settings };
    for (const f of Object.values(this.files)) f.configure(this.settings.maxBytes, this.settings.maxFiles);
  }

  /** Hears every entry written to the main and error channels (to mirror them elsewhere). */
  onEntry(sink: (e: LogEntry) => void): { dispose(): void } {
    this.sinks.add(sink);
    return { dispose: () => this.sinks.delete(sink) };
  }

  filesOf(channel: Channel): string[] {
    this.files[channel].flush();
    return this.files[channel].files();
  }

  log(level: LogLevel, component: string, message: string, fields?: Record<string, unknown> | Error): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.settings.minLevel] && LEVEL_RANK[level] < LEVEL_RANK.ERROR) return;
    const extra = fields instanceof Error ? { error: fields } : fields;
    this.write(LEVEL_RANK[level] >= LEVEL_RANK.ERROR ? 'error' : 'main', level, component, message, extra);
  }

  debug(component: string, message: string, fields?: Record<string, unknown>): void {
    this.log('DEBUG', component, message, fields);
  }
  info(component: string, message: string, fields?: Record<string, unknown>): void {
    this.log('INFO', component, message, fields);
  }
  warn(component: string, message: string, fields?: Record<string, unknown>): void {
    this.log('WARNING', component, message, fields);
  }
  error(component: string, message: string, fields?: Record<string, unknown> | Error): void {
    this.log('ERROR', component, message, fields);
  }

  audit(r: AuditRecord, component = 'audit'): void {
    const { action, outcome } = r;
    const actor = r.actor ?? currentUser();
    this.write('audit', outcome === 'failed' ? 'WARNING' : 'INFO', component, `${actor} ${action}${r.target ? ` ${r.target}` : ''}: ${outcome}`, { ...r, actor });
  }

  performance(operation: string, durationMs: number, outcome: 'ok' | 'error' | 'cancelled', fields?: Record<string, unknown>, component = 'performance'): void {
    this.write('performance', 'INFO', component, `${operation} ${outcome} in ${Math.round(durationMs * 1000) / 1000} ms`, {
      ...fields,
      operation,
      durationMs: Math.round(durationMs * 1000) / 1000,
      outcome,
    });
  }

  /** Times `fn` and writes it to the performance channel, whether it succeeds or throws. */
  async record<T>(operation: string, fn: () => Promise<T> | T, fields?: Record<string, unknown>): Promise<T> {
    const started = performance.now();
    try {
      const result = await fn();
      this.performance(operation, performance.now() - started, 'ok', fields);
      return result;
    } catch (err) {
      const cancelled = isGardenerError(err, 'CANCELLED');
      this.performance(operation, performance.now() - started, cancelled ? 'cancelled' : 'error', { ...fields, ...(cancelled ? {} : { error: err }) });
      throw err;
    }
  }

  search(q: SearchQuery, signal?: AbortSignal): Promise<SearchResult> {
    const channels = q.channels?.length ? q.channels : [...CHANNELS];
    return searchFiles(
      channels.map((channel) => ({ channel, files: this.filesOf(channel) })),
      q,
      this.clock.now(),
      signal,
    );
  }

  performanceSummary(opts: { hours?: number; operation?: string } = {}, signal?: AbortSignal): Promise<PerformanceSummary> {
    return summarise(this.filesOf('performance'), { hours: opts.hours ?? 24, operation: opts.operation, now: this.clock.now() }, signal);
  }

  /** Exports one channel (oldest entries first) to `destination`; returns the entry count. */
  export(opts: { channel: Channel; format: ExportFormat; destination: string; hours?: number }, signal?: AbortSignal): Promise<number> {
    const sinceIso = opts.hours !== undefined ? new Date(this.clock.now() - opts.hours * 3_600_000).toISOString() : undefined;
    return exportFiles([...this.filesOf(opts.channel)].reverse(), { format: opts.format, destination: opts.destination, sinceIso }, signal);
  }

  async statistics(signal?: AbortSignal): Promise<ChannelStatistics[]> {
    const out: ChannelStatistics[] = [];
    for (const channel of CHANNELS) {
      const files = this.filesOf(channel);
      let lines = 0;
      let oldest: string | null = null;
      let newest: string | null = null;
      for (const f of files) {
        await scanFile(
          f,
          (text) =>
            eachLine(text, (line) => {
              lines++;
              const ts = /^\{"ts":"([^"]+)"/.exec(line)?.[1];
              if (ts && (!oldest || ts < oldest)) oldest = ts;
              if (ts && (!newest || ts > newest)) newest = ts;
            }),
          signal,
        );
      }
      const stat = (f: string) => fs.statSync(f, { throwIfNoEntry: false });
      const live = this.files[channel].file;
      out.push({
        channel,
        file: live,
        sizeBytes: stat(live)?.size ?? 0,
        lines,
        oldest,
        newest,
        rotated: files
          .filter((f) => f !== live)
          .map((f) => ({ file: f, sizeBytes: stat(f)?.size ?? 0, modified: new Date(stat(f)?.mtimeMs ?? 0).toISOString() })),
      });
    }
    return out;
  }

  async diagnostics(environment: Record<string, unknown>, settings: Record<string, unknown>): Promise<Record<string, unknown>> {
    const recent = await this.search({ channels: ['error'], hours: 24, maxResults: 20 });
    return {
      generatedAt: new Date(this.clock.now()).toISOString(),
      environment: { node: process.version, os: `${os.type()} ${os.release()} (${os.arch()})`, ...environment },
      logsDirectory: this.dir,
      recentErrors: recent.entries,
      logStatistics: await this.statistics(),
      settings: redact(settings),
    };
  }

  /** Deletes rotated files older than the retention period; returns what it deleted. */
  applyRetention(): string[] {
    return this.retain().map((f) => f.file);
  }

  /** `applyRetention`, with the bytes each file held; every delete through the logs folder's guard. */
  retain(): { file: string; bytes: number }[] {
    const cutoff = this.clock.now() - this.settings.retentionMs;
    const deleted: { file: string; bytes: number }[] = [];
    const guard = new FolderGuard(this.dir);
    for (const channel of CHANNELS) {
      // The live file is never retention's, even when a rotation just left only rotated ones.
      for (const f of this.filesOf(channel).filter((x) => x !== this.files[channel].file)) {
        const st = fs.lstatSync(f, { throwIfNoEntry: false });
        if (st && st.isFile() && st.mtimeMs < cutoff) {
          guard.remove(path.relative(this.dir, f).split(path.sep).join('/'));
          deleted.push({ file: f, bytes: st.size });
        }
      }
    }
    return deleted;
  }

  /**
   * The log-rotation task: rotates every channel whose live file is over its size or began more
   * than `maxAgeMs` ago, then applies retention. Says what it did.
   */
  rotate(maxAgeMs = 86_400_000): { rotated: Channel[]; deleted: { file: string; bytes: number }[] } {
    const now = this.clock.now();
    const rotated = CHANNELS.filter((c) => this.files[c].rotateIfDue(now, maxAgeMs));
    return { rotated, deleted: this.retain() };
  }

  flush(): void {
    for (const f of Object.values(this.files)) f.flush();
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const f of Object.values(this.files)) f.close();
    this.sinks.clear();
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch {
      // A full disk must not crash the host; the next flush tries again with the same lines.
    }
  }

  private write(channel: Channel, level: LogLevel, component: string, message: string, fields?: Record<string, unknown>): void {
    const entry: LogEntry = { ts: new Date(this.clock.now()).toISOString(), level, channel, component, message };
    if (fields) {
      const clean = redact(fields) as Record<string, unknown>;
      for (const [k, v] of Object.entries(clean)) {
        const key = FIXED.has(k) ? `field_${k}` : k;
        entry[key] = k === 'error' && fields[k] !== undefined ? errorFields(fields[k]) : v;
      }
    }
    this.files[channel].append(toJson(entry) + '\n');
    if (channel === 'main' || channel === 'error') for (const s of this.sinks) s(entry);
  }
}
