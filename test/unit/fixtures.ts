import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Clock } from '../../src/core/clock';
import { healthSettingsFrom, type HealthSettings, type MetricsSource, type SystemMetrics } from '../../src/core/health';
import { SETTINGS_RULES, validateSettings, type ConfigurationContribution, type ValidatedSettings } from '../../src/core/settings';

/** package.json, as the extension ships it (tests run from out/test/unit). */
export const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: ConfigurationContribution };
};

/** Raw settings (by full name) validated against package.json's schema and the extension's rules. */
export function validated(raw: Record<string, unknown> = {}): ValidatedSettings {
  return validateSettings(manifest.contributes.configuration, raw, SETTINGS_RULES);
}

/** System readings with chosen values: the inputs that status rules are judged on. */
export function metrics(clock: Clock, over: Partial<SystemMetrics> = {}): SystemMetrics {
  return {
    timestamp: clock.now(),
    cpuPercent: 10,
    cpuCount: 2,
    loadAverage: [0.1, 0.1, 0.1],
    memoryPercent: 20,
    memoryUsedMB: 2000,
    memoryTotalMB: 10000,
    diskPercent: 30,
    diskUsedGB: 30,
    diskTotalGB: 100,
    diskPath: '/',
    processCount: 100,
    processCountAt: clock.now(),
    systemUptimeSeconds: 1000,
    host: { pid: 1, rssMB: 50, heapUsedMB: 20, cpuPercent: 1 },
    ...over,
  };
}

/** A metrics source that replays a script of readings, one per sample. */
export function scripted(clock: Clock, series: Partial<SystemMetrics>[]): MetricsSource & { taken: number } {
  const src = {
    taken: 0,
    sample: async () => metrics(clock, series[Math.min(src.taken++, series.length - 1)]),
  };
  return src;
}

/**
 * Health settings at package.json's defaults, but judging CPU and memory on each sample alone
 * (windows of 0), so a test of a status rule needs one sample; tests of the windows set them.
 */
export function settings(over: Partial<HealthSettings> = {}): HealthSettings {
  return { ...healthSettingsFrom(validated().values), windows: { cpuMs: 0, memoryMs: 0 }, ...over };
}

const made: string[] = [];
// Removed when the test process ends (not after each test: a failing test's files are evidence
// while it runs, and children killed mid-write may still hold them).
process.once('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
});

/** A new empty folder under the system temp folder, removed when the test process exits. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gardener-test-'));
  made.push(dir);
  return dir;
}
