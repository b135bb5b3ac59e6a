import { eachLine, scanFile, throwIfAborted } from './reader';

export interface OperationStats {
  count: number;
  errors: number;
  avgMs: number;
  minMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  totalMs: number;
}

export interface PerformanceSummary {
  hours: number;
  since: string;
  operations: Record<string, OperationStats>;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const r3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Per-operation timings from the performance channel's files (newest first), within `hours`. */
export async function summarise(files: string[], opts: { hours: number; operation?: string; now: number }, signal?: AbortSignal): Promise<PerformanceSummary> {
  const sinceIso = new Date(opts.now - opts.hours * 3_600_000).toISOString();
  const durations = new Map<string, number[]>();
  const errors = new Map<string, number>();
  for (const file of files) {
    throwIfAborted(signal);
    let older = false;
    await scanFile(
      file,
      (text) =>
        eachLine(text, (line) => {
          let e: { ts?: string; operation?: unknown; durationMs?: unknown; outcome?: unknown };
          try {
            e = JSON.parse(line);
          } catch {
            return;
          }
          if (typeof e.ts !== 'string' || typeof e.operation !== 'string' || typeof e.durationMs !== 'number') return;
          if (e.ts < sinceIso) {
            older = true;
            return;
          }
          if (opts.operation && e.operation !== opts.operation) return;
          const list = durations.get(e.operation) ?? [];
          list.push(e.durationMs);
          durations.set(e.operation, list);
          if (e.outcome === 'error') errors.set(e.operation, (errors.get(e.operation) ?? 0) + 1);
        }),
      signal,
    );
    // Files are newest first: once one reaches back past the window, the rest are older.
    if (older) break;
  }
  const operations: Record<string, OperationStats> = {};
  for (const [op, list] of [...durations].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a - b);
    const total = list.reduce((s, x) => s + x, 0);
    operations[op] = {
      count: list.length,
      errors: errors.get(op) ?? 0,
      avgMs: r3(total / list.length),
      minMs: r3(list[0]),
      maxMs: r3(list[list.length - 1]),
      p50Ms: r3(percentile(list, 50)),
      p95Ms: r3(percentile(list, 95)),
      totalMs: r3(total),
    };
  }
  return { hours: opts.hours, since: sinceIso, operations };
}
