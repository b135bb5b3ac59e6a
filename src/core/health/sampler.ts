import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import type { Clock } from '../clock';
import { nearestExisting } from './probes';

export interface SystemMetrics {
  /** Epoch ms, from the injected clock. */
  timestamp: number;
  cpuPercent: number | null;
  cpuCount: number;
  loadAverage: [number, number, number];
  memoryPercent: number;
  memoryUsedMB: number;
  memoryTotalMB: number;
  /** Volume that holds the data directory (or its nearest existing ancestor). */
  diskPercent: number | null;
  diskUsedGB: number | null;
  diskTotalGB: number | null;
  diskPath: string;
  processCount: number | null;
  /** When processCount was read: it is an expensive reading taken less often. */
  processCountAt: number | null;
  systemUptimeSeconds: number;
  /** The process running the monitor: the extension host when inside VS Code. */
  host: { pid: number; rssMB: number; heapUsedMB: number; cpuPercent: number | null };
}

export interface SamplerOptions {
  clock: Clock;
  dataDir: string;
  /** Minimum time between expensive readings (process count). Default 5 minutes. */
  slowIntervalMs?: number;
}

type SystemInformation = typeof import('systeminformation');

const MB = 1024 * 1024;
const GB = 1024 * MB;
const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * Reads system and own-process metrics. CPU percentages are deltas between consecutive
 * samples, so the first sample measures from construction.
 */
export class SystemSampler {
  private readonly clock: Clock;
  private dataDir: string;
  private readonly slowIntervalMs: number;
  private lastCpu = cpuTimes();
  private lastOwnCpu = process.cpuUsage();
  private lastOwnAt = process.hrtime.bigint();
  private processCount: number | null = null;
  private processCountAt: number | null = null;
  private si: Promise<SystemInformation> | undefined;

  constructor(opts: SamplerOptions) {
    this.clock = opts.clock;
    this.dataDir = opts.dataDir;
    this.slowIntervalMs = opts.slowIntervalMs ?? 5 * 60_000;
  }

  setDataDir(dir: string): void {
    this.dataDir = dir;
  }

  async sample(): Promise<SystemMetrics> {
    const now = this.clock.now();
    const cpu = cpuTimes();
    const busy = cpu.busy - this.lastCpu.busy;
    const total = cpu.total - this.lastCpu.total;
    this.lastCpu = cpu;

    const own = process.cpuUsage();
    const ownAt = process.hrtime.bigint();
    const ownWallUs = Number(ownAt - this.lastOwnAt) / 1000;
    const ownUs = own.user + own.system - (this.lastOwnCpu.user + this.lastOwnCpu.system);
    this.lastOwnCpu = own;
    this.lastOwnAt = ownAt;

    const [memory, disk] = await Promise.all([this.memory(), this.disk()]);
    if (this.processCountAt === null || now - this.processCountAt >= this.slowIntervalMs) {
      this.processCount = await this.countProcesses();
      this.processCountAt = now;
    }
    const mem = process.memoryUsage();
    const load = os.loadavg();
    return {
      timestamp: now,
      cpuPercent: total > 0 ? round1((busy / total) * 100) : null,
      cpuCount: os.cpus().length,
      loadAverage: [round1(load[0]), round1(load[1]), round1(load[2])],
      memoryPercent: round1((memory.used / memory.total) * 100),
      memoryUsedMB: Math.round(memory.used / MB),
      memoryTotalMB: Math.round(memory.total / MB),
      diskPercent: disk ? round1(disk.percent) : null,
      diskUsedGB: disk ? round1(disk.used / GB) : null,
      diskTotalGB: disk ? round1(disk.total / GB) : null,
      diskPath: disk?.path ?? this.dataDir,
      processCount: this.processCount,
      processCountAt: this.processCountAt,
      systemUptimeSeconds: Math.round(os.uptime()),
      host: {
        pid: process.pid,
        rssMB: round1(mem.rss / MB),
        heapUsedMB: round1(mem.heapUsed / MB),
        cpuPercent: ownWallUs > 0 ? round1((ownUs / ownWallUs) * 100) : null,
      },
    };
  }

  private systemInformation(): Promise<SystemInformation> {
    // Loaded on first need: it is large, and activation must stay fast.
    this.si ??= import('systeminformation');
    return this.si;
  }

  private async memory(): Promise<{ used: number; total: number }> {
    const total = os.totalmem();
    if (process.platform === 'darwin') {
      // os.freemem() on macOS counts only free pages, not reclaimable cache.
      const m = await (await this.systemInformation()).mem();
      return { used: m.total - m.available, total: m.total };
    }
    // On Linux libuv reports MemAvailable, which is what "memory in use" should mean.
    return { used: total - os.freemem(), total };
  }

  private async disk(): Promise<{ percent: number; used: number; total: number; path: string } | null> {
    try {
      const where = await nearestExisting(this.dataDir);
      const s = await fs.statfs(where);
      const total = s.blocks * s.bsize;
      // Like df: the share of space available to unprivileged users that is used.
      const used = (s.blocks - s.bfree) * s.bsize;
      const usable = used + s.bavail * s.bsize;
      if (usable <= 0) return null;
      return { percent: (used / usable) * 100, used, total, path: where };
    } catch {
      return null;
    }
  }

  private async countProcesses(): Promise<number | null> {
    try {
      if (process.platform === 'linux') {
        const entries = await fs.readdir('/proc');
        return entries.filter((e) => /^\d+$/.test(e)).length;
      }
      const p = await (await this.systemInformation()).processes();
      return p.all;
    } catch {
      return null;
    }
  }
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    const sum = t.user + t.nice + t.sys + t.idle + t.irq;
    total += sum;
    busy += sum - t.idle;
  }
  return { busy, total };
}
