import type { Probe } from './probes';
import type { SystemMetrics } from './sampler';
import { statusAbove, statusBelow, worstOf, type HealthStatus } from './status';
import type { Thresholds } from './thresholds';
import type { WindowAverage } from './window';

export interface ComponentCheck {
  name: string;
  kind: Probe['kind'];
  /** The extension's own check (data directory, settings), or one of the user's probes. */
  source: 'built-in' | 'probe';
  target: string;
  ok: boolean;
  status: HealthStatus;
  message: string;
  responseTimeMs: number;
  checkedAt: string;
}

/** One round of readings: system metrics plus every component probe. */
export interface HealthSample {
  takenAt: number;
  system: SystemMetrics | null;
  systemError?: string;
  checks: ComponentCheck[];
  /** CPU and memory averaged over their windows, up to this sample. */
  sustained?: { cpu: WindowAverage; memory: WindowAverage };
}

export interface ResourceStatus {
  cpu: HealthStatus;
  memory: HealthStatus;
  disk: HealthStatus;
  responseTime: HealthStatus;
}

/**
 * The share of the user's component probes that pass. With none configured there is no score
 * (not 100 %, not a share of built-in checks): `configured` is false and the status UNKNOWN.
 */
export interface IntegrationHealth {
  configured: boolean;
  score: number | null;
  status: HealthStatus;
  /** Every check of the sample, built-in ones too; `passed` and `total` count the user's probes only. */
  checks: ComponentCheck[];
  passed: number;
  total: number;
  message: string;
}

export interface MonitorInfo {
  running: boolean;
  intervalSeconds: number;
  samples: number;
  /** CPU time the monitor spent sampling, per minute it has been running. */
  cpuMsPerMinute: number;
  lastSampleCpuMs: number | null;
  hostRssMB: number;
}

/** JSON-serialisable health report: the guide's comprehensive_health_check(). */
export interface HealthReport {
  timestamp: string;
  overallStatus: HealthStatus;
  uptimeSeconds: number;
  sampledAt: string | null;
  stale: boolean;
  /** The current reading; CPU and memory status are judged on `sustained`, not on it. */
  systemMetrics: SystemMetrics | null;
  /** CPU and memory averaged over their windows: what their status and alerts are judged on. */
  sustained: { cpu: WindowAverage | null; memory: WindowAverage | null };
  resourceStatus: ResourceStatus;
  resourceWarnings: string[];
  components: Record<string, { status: HealthStatus; ok: boolean; message: string; responseTimeMs: number }>;
  integrationHealth: IntegrationHealth;
  recommendations: string[];
  configurationProblems: string[];
  thresholds: Thresholds;
  monitor: MonitorInfo;
}

export interface EvaluationContext {
  now: number;
  intervalMs: number;
  startedAt: number;
  thresholds: Thresholds;
  configurationProblems: readonly string[];
  monitor: MonitorInfo;
}

/** A sample older than this many intervals no longer describes the system. */
export const STALE_AFTER_INTERVALS = 3;

export function componentStatus(ok: boolean, critical: boolean, responseTimeMs: number, thresholds: Thresholds): HealthStatus {
  if (!ok) return critical ? 'CRITICAL' : 'WARNING';
  return statusAbove(responseTimeMs, thresholds.responseTimeMs);
}

export function evaluate(sample: HealthSample | undefined, ctx: EvaluationContext): HealthReport {
  const t = ctx.thresholds;
  const m = sample?.system ?? null;
  const checks = sample?.checks ?? [];
  const stale = !sample || ctx.now - sample.takenAt > STALE_AFTER_INTERVALS * ctx.intervalMs;

  const passing = checks.filter((c) => c.ok);
  const slowest = passing.length ? Math.max(...passing.map((c) => c.responseTimeMs)) : null;
  const sustained = { cpu: sample?.sustained?.cpu ?? null, memory: sample?.sustained?.memory ?? null };
  const resourceStatus: ResourceStatus = {
    cpu: statusAbove(sustained.cpu?.percent, t.cpu),
    memory: statusAbove(sustained.memory?.percent, t.memory),
    disk: statusAbove(m?.diskPercent, t.disk),
    responseTime: statusAbove(slowest, t.responseTimeMs),
  };

  const probes = checks.filter((c) => c.source === 'probe');
  const total = probes.length;
  const passed = probes.filter((c) => c.ok).length;
  const score = total === 0 ? null : Math.round((passed / total) * 1000) / 10;
  const integrationStatus = sample && score !== null ? statusBelow(score, t.integrationScore) : 'UNKNOWN';
  const failing = checks.filter((c) => !c.ok);
  const failingProbes = probes.filter((c) => !c.ok);
  const integrationHealth: IntegrationHealth = {
    configured: total > 0,
    score,
    status: integrationStatus,
    checks,
    passed,
    total,
    message: !sample
      ? 'No sample yet.'
      : total === 0
        ? 'Not configured: no component probes in codebaseGardener.probes.'
        : failingProbes.length === 0
          ? `All ${total} component probes pass.`
          : `${passed} of ${total} component probes pass; failing: ${failingProbes.map((c) => c.name).join(', ')}.`,
  };

  const components: HealthReport['components'] = {};
  for (const c of checks) components[c.name] = { status: c.status, ok: c.ok, message: c.message, responseTimeMs: c.responseTimeMs };

  const resourceWarnings: string[] = [];
  const recommendations: string[] = [];
  if (m) {
    describe('CPU', sustained.cpu?.percent ?? null, `%${over(sustained.cpu)}`, resourceStatus.cpu, t.cpu, resourceWarnings);
    describe('Memory', sustained.memory?.percent ?? null, `%${over(sustained.memory)}`, resourceStatus.memory, t.memory, resourceWarnings);
    describe('Disk', m.diskPercent, `% on ${m.diskPath}`, resourceStatus.disk, t.disk, resourceWarnings);
    if (m.diskPercent === null) resourceWarnings.push(`Disk usage of ${m.diskPath} could not be read.`);
    if (m.cpuPercent === null) resourceWarnings.push('CPU usage could not be read yet.');
  } else if (sample?.systemError) {
    resourceWarnings.push(`System metrics could not be read: ${sample.systemError}`);
  }
  if (slowest !== null && resourceStatus.responseTime !== 'HEALTHY') {
    resourceWarnings.push(`Slowest component answered in ${slowest} ms (warning ${t.responseTimeMs.warning} ms, critical ${t.responseTimeMs.critical} ms).`);
  }

  if (stale) {
    recommendations.push(
      sample
        ? `The last sample is older than ${STALE_AFTER_INTERVALS} sampling intervals: check that monitoring is running, or run a health check.`
        : 'No sample has been taken yet: start monitoring or run a health check.',
    );
  }
  if (isBad(resourceStatus.cpu)) recommendations.push('High CPU: look for runaway processes, review recent operations, and reduce concurrent work.');
  if (isBad(resourceStatus.memory)) recommendations.push('High memory: look for leaking processes, clear caches, and restart components that grew.');
  if (isBad(resourceStatus.disk)) recommendations.push(`Disk filling up on ${m?.diskPath}: remove old data and logs, and keep backups on another disk.`);
  for (const c of failing) recommendations.push(`${c.name} (${c.target}) is failing — ${c.message}. Check that it is running and that its probe settings are right.`);
  for (const c of passing) {
    if (isBad(c.status)) recommendations.push(`${c.name} is slow (${c.responseTimeMs} ms): check its load and recent changes.`);
  }
  if (isBad(integrationStatus) && total > 0) {
    recommendations.push('Integration score is low: check component initialisation, configuration files and error logs, then restart failed components.');
  }
  if (ctx.configurationProblems.length) recommendations.push('Fix the settings listed under configuration problems; defaults are in use meanwhile.');

  const componentStatuses = checks.map((c) => c.status);
  const overallStatus: HealthStatus = stale
    ? 'UNKNOWN'
    : worstOf([resourceStatus.cpu, resourceStatus.memory, resourceStatus.disk, resourceStatus.responseTime, ...componentStatuses, integrationStatus]);

  return {
    timestamp: new Date(ctx.now).toISOString(),
    overallStatus,
    uptimeSeconds: Math.max(0, Math.round((ctx.now - ctx.startedAt) / 1000)),
    sampledAt: sample ? new Date(sample.takenAt).toISOString() : null,
    stale,
    systemMetrics: m,
    sustained,
    resourceStatus,
    resourceWarnings,
    components,
    integrationHealth,
    recommendations,
    configurationProblems: [...ctx.configurationProblems],
    thresholds: t,
    monitor: ctx.monitor,
  };
}

/** " averaged over 5 min", or nothing for a window of 0 (each sample judged alone). */
export function over(w: WindowAverage | null | undefined): string {
  return w && w.windowMinutes > 0 ? ` averaged over ${w.windowMinutes} min` : '';
}

function isBad(s: HealthStatus): boolean {
  return s === 'WARNING' || s === 'CRITICAL';
}

function describe(
  label: string,
  value: number | null,
  unit: string,
  status: HealthStatus,
  band: { warning: number; critical: number },
  out: string[],
): void {
  if (value === null || !isBad(status)) return;
  const limit = status === 'CRITICAL' ? `critical at ${band.critical}` : `warning at ${band.warning}`;
  out.push(`${label} ${value}${unit} (${limit}).`);
}
