/** One metric reading of a sample, for judging that metric over a window. */
export interface Reading {
  at: number;
  value: number | null;
}

/** What a metric averaged over its window; the verdict on CPU and memory is judged on this. */
export interface WindowAverage {
  /** Mean of the readings in the window, or null while they do not yet span it. */
  percent: number | null;
  /** The window, in minutes; 0 judges each sample alone. */
  windowMinutes: number;
  /** Readings in the window. */
  samples: number;
  /** Minutes the readings in the window span so far. */
  spanMinutes: number;
  /** What the verdict is judged on, in words: "5-min average 46%", "each sample", "5-min average (2 of 5 min so far)". */
  basis: string;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * The average of `readings` over the `windowMs` before `now`. A build or a test run holds the
 * CPU at 100 % for minutes many times a day; judged on each sample that is an alert each time,
 * so CPU and memory are judged on their average over a window, as Netdata's `10min_cpu_usage`
 * alarm is. The average only counts once the readings span the window (to within one sampling
 * interval): a burst right after start-up must not pass for a sustained load.
 */
export function windowAverage(readings: readonly Reading[], now: number, windowMs: number, intervalMs: number): WindowAverage {
  const windowMinutes = round1(windowMs / 60_000);
  const known = readings.filter((r): r is { at: number; value: number } => r.value !== null && Number.isFinite(r.value) && r.at <= now);
  if (windowMs <= 0) {
    const last = known.at(-1);
    return { percent: last ? last.value : null, windowMinutes: 0, samples: last ? 1 : 0, spanMinutes: 0, basis: 'each sample' };
  }
  const inWindow = known.filter((r) => r.at > now - windowMs);
  if (!inWindow.length) return { percent: null, windowMinutes, samples: 0, spanMinutes: 0, basis: `${windowMinutes}-min average: no reading yet` };
  const span = now - Math.min(...inWindow.map((r) => r.at));
  const covered = span >= windowMs - intervalMs;
  const mean = inWindow.reduce((s, r) => s + r.value, 0) / inWindow.length;
  const spanMinutes = round1(span / 60_000);
  const percent = covered ? round1(mean) : null;
  const basis = percent === null ? `${windowMinutes}-min average (${spanMinutes} of ${windowMinutes} min so far)` : `${windowMinutes}-min average ${percent}%`;
  return { percent, windowMinutes, samples: inWindow.length, spanMinutes, basis };
}
