import * as assert from 'node:assert/strict';
import { ManualClock, systemClock } from '../../src/core/clock';
import { HealthMonitor, SystemSampler } from '../../src/core/health';
import { scripted, settings, tempDir } from './fixtures';

describe('system sampler (real readings)', () => {
  it('reads CPU, memory, disk of the data volume, processes, load, uptime and its own process', async () => {
    const dir = tempDir();
    const s = new SystemSampler({ clock: systemClock, dataDir: dir });
    await new Promise((r) => setTimeout(r, 50));
    const m = await s.sample();
    assert.ok(m.cpuPercent === null || (m.cpuPercent >= 0 && m.cpuPercent <= 100));
    assert.ok(m.memoryPercent > 0 && m.memoryPercent <= 100);
    assert.ok(m.memoryTotalMB > 0 && m.memoryUsedMB <= m.memoryTotalMB);
    assert.ok(m.diskPercent !== null && m.diskPercent >= 0 && m.diskPercent <= 100);
    assert.equal(m.diskPath, dir);
    assert.ok(m.processCount !== null && m.processCount > 1);
    assert.ok(m.systemUptimeSeconds > 0);
    assert.equal(m.host.pid, process.pid);
    assert.ok(m.host.rssMB > 10);
  });

  it('measures disk on the nearest existing ancestor when the data directory is not created yet', async () => {
    const dir = tempDir();
    const m = await new SystemSampler({ clock: systemClock, dataDir: `${dir}/data/not/yet` }).sample();
    assert.equal(m.diskPath, dir);
  });

  it('takes the expensive process count only once per slow interval', async () => {
    const clock = new ManualClock();
    const s = new SystemSampler({ clock, dataDir: tempDir(), slowIntervalMs: 60_000 });
    const first = await s.sample();
    clock.advance(30_000);
    const second = await s.sample();
    assert.equal(second.processCountAt, first.processCountAt, 'reused within the slow interval');
    clock.advance(30_000);
    const third = await s.sample();
    assert.equal(third.processCountAt, clock.now(), 'refreshed after it');
  });
});

describe('health monitor loop (real timers)', () => {
  it('samples on its interval, never overlapping, and stops when told', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, [{}]);
    const m = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings({ intervalMs: 40 }), metrics: src });
    const seen: number[] = [];
    m.onDidUpdate((r) => seen.push(r.monitor.samples));
    m.start();
    assert.equal(m.isRunning, true);
    await new Promise((r) => setTimeout(r, 230));
    m.stop();
    const taken = src.taken;
    assert.ok(taken >= 3, `took ${taken} samples`);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(src.taken, taken, 'no sample after stop');
    assert.equal(m.report().monitor.running, false);
    assert.ok(seen.length >= taken);
  });

  it('a health check asked for while one is running shares it', async () => {
    const clock = new ManualClock();
    const src = scripted(clock, [{}]);
    const m = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings(), metrics: src });
    const [a, b] = await Promise.all([m.comprehensiveHealthCheck(), m.comprehensiveHealthCheck()]);
    assert.equal(src.taken, 1);
    assert.equal(a, b);
  });

  it('a metrics source that throws yields a report with the error, not an exception', async () => {
    const clock = new ManualClock();
    const m = new HealthMonitor({
      clock,
      dataDir: tempDir(),
      settings: settings(),
      metrics: {
        sample: async () => {
          throw new Error('statfs unavailable');
        },
      },
    });
    const r = await m.comprehensiveHealthCheck();
    assert.equal(r.systemMetrics, null);
    assert.ok(r.resourceWarnings.includes('System metrics could not be read: statfs unavailable'));
    assert.equal(r.overallStatus, 'HEALTHY', 'probes still pass; nothing known is wrong');
  });

  it('the data directory check passes before the folder exists, and the report measures the monitor itself', async () => {
    const m = new HealthMonitor({ clock: systemClock, dataDir: `${tempDir()}/data`, settings: settings() });
    const r = await m.comprehensiveHealthCheck();
    assert.equal(r.components['Data directory'].ok, true);
    assert.equal(r.monitor.samples, 1);
    assert.ok(r.monitor.lastSampleCpuMs !== null && r.monitor.lastSampleCpuMs >= 0);
    assert.ok(r.monitor.hostRssMB > 0);
  });
});
