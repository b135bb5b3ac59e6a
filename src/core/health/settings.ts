import { setting } from '../settings/values';
import type { HealthSettings } from './monitor';
import { probeConfigsFrom } from './probes';
import { thresholdsFrom } from './thresholds';

/**
 * Health settings from validated settings (see validateSettings). `problems` is every problem
 * found in the settings so far; what only this step can see (two probes with one name) is
 * added to it, and the Settings check reports the lot.
 */
export function healthSettingsFrom(values: Readonly<Record<string, unknown>>, problems: string[] = []): HealthSettings {
  const p = probeConfigsFrom(setting<unknown[]>(values, 'probes'), 'codebaseGardener.probes');
  problems.push(...p.problems);
  return {
    intervalMs: setting<number>(values, 'monitoring.intervalSeconds') * 1000,
    windows: {
      cpuMs: setting<number>(values, 'monitoring.cpuWindowMinutes') * 60_000,
      memoryMs: setting<number>(values, 'monitoring.memoryWindowMinutes') * 60_000,
    },
    thresholds: thresholdsFrom(values),
    probes: p.probes,
    configurationProblems: problems,
  };
}
