import type { HealthSettings } from './monitor';
import { validateProbeConfigs } from './probes';
import { validateThresholds } from './thresholds';

export const DEFAULT_INTERVAL_SECONDS = 30;
export const MIN_INTERVAL_SECONDS = 5;

/** Raw values as a settings store hands them over; anything may be wrong with them. */
export interface RawHealthSettings {
  intervalSeconds?: unknown;
  thresholds?: Record<string, unknown>;
  probes?: unknown;
}

/**
 * Turns raw settings into usable ones. Every rejected value is named (with `prefix`, so the
 * message matches what the user sees in their settings) and replaced by its default.
 */
export function readHealthSettings(raw: RawHealthSettings, prefix = ''): HealthSettings {
  const problems: string[] = [];
  let intervalSeconds = DEFAULT_INTERVAL_SECONDS;
  if (raw.intervalSeconds !== undefined) {
    const v = raw.intervalSeconds;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < MIN_INTERVAL_SECONDS || v > 86_400) {
      problems.push(
        `${prefix}monitoring.intervalSeconds must be a number from ${MIN_INTERVAL_SECONDS} to 86400, not ${JSON.stringify(v)}; using ${DEFAULT_INTERVAL_SECONDS} s.`,
      );
    } else {
      intervalSeconds = v;
    }
  }
  const t = validateThresholds(raw.thresholds, `${prefix}thresholds.`);
  const p = validateProbeConfigs(raw.probes, `${prefix}probes`);
  problems.push(...t.problems, ...p.problems);
  return { intervalMs: intervalSeconds * 1000, thresholds: t.thresholds, probes: p.probes, configurationProblems: problems };
}
