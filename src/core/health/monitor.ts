import { Scheduler, type Job } from '../maintenance/scheduler';
import { systemTimers } from '../maintenance/timers';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock';
import { probeTarget, runProbe, type InternalProbe, type Probe, type ProbeConfig } from './probes';
import { componentStatus, evaluate, type ComponentCheck, type HealthReport, type HealthSample } from './report';
import { SystemSampler, type SystemMetrics } from './sampler';
import type { Thresholds } from './thresholds';
import { windowAverage } from './window';

export interface HealthSettings {
  intervalMs: number;
  /** CPU and memory are judged on their average over these windows (0: each sample alone). */
  windows: { cpuMs: number; memoryMs: number };
  thresholds: Thresholds;
  probes: ProbeConfig[];
  /** Problems found while reading the settings; reported and scored by the Settings check. */
  configurationProblems: string[];
}

export interface MetricsSource {
  sample(): Promise<SystemMetrics>;
  setDataDir?(dir: string): void;
}

export interface HealthMonitorOptions {
  clock: Clock;
  dataDir: string;
  settings: HealthSettings;
  /** Checks of the host's own subsystems, added to the built-in ones. */
  internalProbes?: InternalProbe[];
  /** Defaults to a SystemSampler on the data directory. */
  metrics?: MetricsSource;
  /** Times each health check (the logs' performance channel, say). */
  record?: <T>(operation: string, fn: () => Promise<T>) => Promise<T>;
  /** The extension's one scheduler of periodic jobs; one of its own on the system clock if not given. */
  scheduler?: Scheduler;
}

export type Listener = (report: HealthReport) => void;

/**
 * Samples system metrics and component probes on an interval and evaluates them into a
 * health report. Never overlaps two samples; a failing reading becomes part of the report
 * rather than an exception.
 */
export class HealthMonitor {
  private readonly clock: Clock;
  private dataDir: string;
  private settings: HealthSettings;
  private readonly metrics: MetricsSource;
  private readonly hostProbes: InternalProbe[];
  private readonly record: NonNullable<HealthMonitorOptions['record']>;
  private readonly startedAt: number;
  private readonly startedPerf = performance.now();
  private last: HealthSample | undefined;
  /** Recent CPU and memory readings, as long as the longer window needs them. */
  private readings: { at: number; cpu: number | null; memory: number | null }[] = [];
  private inFlight: Promise<HealthReport> | undefined;
  private job: Job | undefined;
  private readonly scheduler: Scheduler;
  private running = false;
  private samples = 0;
  private cpuMsTotal = 0;
  private lastSampleCpuMs: number | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(opts: HealthMonitorOptions) {
    this.clock = opts.clock;
    this.dataDir = opts.dataDir;
    this.settings = opts.settings;
    this.metrics = opts.metrics ?? new SystemSampler({ clock: opts.clock, dataDir: opts.dataDir });
    this.hostProbes = opts.internalProbes ?? [];
    this.record = opts.record ?? ((_op, fn) => fn());
    this.scheduler = opts.scheduler ?? new Scheduler(systemTimers);
    this.startedAt = this.clock.now();
  }

  get isRunning(): boolean {
    return this.running;
  }

  get intervalMs(): number {
    return this.settings.intervalMs;
  }

  /**
   * The extension's own checks: the data directory, the settings, and the host's. They report
   * as components of their own, and a failure is a WARNING, never CRITICAL: a mistyped setting
   * is worth fixing, not an emergency. The integration score leaves them out.
   */
  builtInProbes(): Probe[] {
    const problems = this.settings.configurationProblems;
    return [
      { kind: 'path', name: 'Data directory', path: this.dataDir, mustExist: false },
      {
        kind: 'internal',
        name: 'Settings',
        check: () =>
          problems.length === 0
            ? { ok: true, message: 'all settings valid' }
            : { ok: false, message: problems.length === 1 ? problems[0] : `${problems.length} invalid settings, defaults in use: ${problems.join(' ')}` },
      },
      ...this.hostProbes,
    ];
  }

  /** Every probe a sample runs: the built-in checks, then the user's. */
  probes(): Probe[] {
    return [...this.builtInProbes(), ...this.settings.probes];
  }

  updateSettings(settings: HealthSettings, dataDir = this.dataDir): void {
    const intervalChanged = settings.intervalMs !== this.settings.intervalMs;
    this.settings = settings;
    if (dataDir !== this.dataDir) {
      this.dataDir = dataDir;
      this.metrics.setDataDir?.(dataDir);
    }
    if (this.running && intervalChanged) this.schedule(this.settings.intervalMs);
  }

  onDidUpdate(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** The report for the latest sample, judged at the current time (so it can go stale). */
  report(): HealthReport {
    return evaluate(this.last, {
      now: this.clock.now(),
      intervalMs: this.settings.intervalMs,
      startedAt: this.startedAt,
      thresholds: this.settings.thresholds,
      configurationProblems: this.settings.configurationProblems,
      monitor: {
        running: this.running,
        intervalSeconds: this.settings.intervalMs / 1000,
        samples: this.samples,
        cpuMsPerMinute: this.cpuMsPerMinute(),
        lastSampleCpuMs: this.lastSampleCpuMs,
        hostRssMB: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
      },
    });
  }

  /** Takes a fresh sample now and returns its report: the guide's comprehensive_health_check(). */
  comprehensiveHealthCheck(): Promise<HealthReport> {
    this.inFlight ??= this.record('health_check', () => this.takeSample()).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.job?.dispose();
    this.job = undefined;
    this.emit(this.report());
  }

  dispose(): void {
    this.stop();
    this.listeners.clear();
  }

  /** Samples on the scheduler, never two at once: the next wait starts when a sample ends. */
  private schedule(firstDelayMs = 0): void {
    this.job?.dispose();
    const first = this.scheduler.at('health-sampling', this.scheduler.now() + firstDelayMs, async () => {
      await this.comprehensiveHealthCheck().catch(() => undefined);
      if (this.running && this.job === first) this.job = this.scheduler.repeat('health-sampling', () => this.settings.intervalMs, () => this.comprehensiveHealthCheck());
    });
    this.job = first;
  }

  private cpuMsPerMinute(): number {
    const minutes = (performance.now() - this.startedPerf) / 60_000;
    return minutes > 0 ? Math.round((this.cpuMsTotal / Math.max(minutes, 1)) * 100) / 100 : 0;
  }

  private async takeSample(): Promise<HealthReport> {
    const cpuBefore = process.cpuUsage();
    const sample: HealthSample = { takenAt: this.clock.now(), system: null, checks: [] };
    try {
      sample.system = await this.metrics.sample();
    } catch (err) {
      sample.systemError = err instanceof Error ? err.message : String(err);
    }
    sample.checks = await Promise.all([
      ...this.builtInProbes().map((p) => this.check(p, 'built-in')),
      ...this.settings.probes.map((p) => this.check(p, 'probe')),
    ]);
    sample.takenAt = this.clock.now();
    sample.sustained = this.judgeWindows(sample);
    const used = process.cpuUsage(cpuBefore);
    this.lastSampleCpuMs = Math.round((used.user + used.system) / 10) / 100;
    this.cpuMsTotal += this.lastSampleCpuMs;
    this.samples++;
    this.last = sample;
    const report = this.report();
    this.emit(report);
    return report;
  }

  /** Adds this sample's readings to the recent ones and averages each metric over its window. */
  private judgeWindows(sample: HealthSample): NonNullable<HealthSample['sustained']> {
    const { cpuMs, memoryMs } = this.settings.windows;
    const interval = this.settings.intervalMs;
    const now = sample.takenAt;
    this.readings.push({ at: now, cpu: sample.system?.cpuPercent ?? null, memory: sample.system?.memoryPercent ?? null });
    const keepFrom = now - Math.max(cpuMs, memoryMs) - interval;
    while (this.readings.length && this.readings[0].at < keepFrom) this.readings.shift();
    return {
      cpu: windowAverage(this.readings.map((r) => ({ at: r.at, value: r.cpu })), now, cpuMs, interval),
      memory: windowAverage(this.readings.map((r) => ({ at: r.at, value: r.memory })), now, memoryMs, interval),
    };
  }

  private async check(p: Probe, source: ComponentCheck['source']): Promise<ComponentCheck> {
    const outcome = await runProbe(p);
    return {
      name: p.name,
      kind: p.kind,
      source,
      target: probeTarget(p),
      ok: outcome.ok,
      status: componentStatus(outcome.ok, source === 'probe' && p.critical === true, outcome.responseTimeMs, this.settings.thresholds),
      message: outcome.message,
      responseTimeMs: outcome.responseTimeMs,
      checkedAt: new Date(this.clock.now()).toISOString(),
    };
  }

  private emit(report: HealthReport): void {
    for (const l of [...this.listeners]) {
      try {
        l(report);
      } catch {
        // A broken listener must not stop monitoring for the others.
      }
    }
  }
}
