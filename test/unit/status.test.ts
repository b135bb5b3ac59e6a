import * as assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock';
import * as path from 'node:path';
import { HealthMonitor, statusAbove, statusBelow, worstOf, type HealthSettings, type ProbeConfig } from '../../src/core/health';
import { scripted, settings, tempDir, validated } from './fixtures';

/** The user's probes: a path that must exist passes on a temp folder and fails on a missing one. */
const failing = (name: string, critical = false): ProbeConfig => ({ kind: 'path', name, path: path.join(tempDir(), 'missing'), mustExist: true, critical });
const passing = (name: string): ProbeConfig => ({ kind: 'path', name, path: tempDir(), mustExist: true });

describe('status rules', () => {
  it('higher-is-worse metrics: below warning healthy, at warning WARNING, at critical CRITICAL, missing UNKNOWN', () => {
    const band = { warning: 75, critical: 90 };
    assert.equal(statusAbove(74.9, band), 'HEALTHY');
    assert.equal(statusAbove(75, band), 'WARNING');
    assert.equal(statusAbove(90, band), 'CRITICAL');
    assert.equal(statusAbove(null, band), 'UNKNOWN');
  });

  it('lower-is-worse integration score: at 80 healthy, below 80 WARNING, below 60 CRITICAL', () => {
    const band = { warning: 80, critical: 60 };
    assert.equal(statusBelow(80, band), 'HEALTHY');
    assert.equal(statusBelow(79.9, band), 'WARNING');
    assert.equal(statusBelow(59.9, band), 'CRITICAL');
  });

  it('worst-of ignores unknown parts unless nothing is known', () => {
    assert.equal(worstOf(['HEALTHY', 'UNKNOWN']), 'HEALTHY');
    assert.equal(worstOf(['HEALTHY', 'WARNING', 'UNKNOWN']), 'WARNING');
    assert.equal(worstOf(['WARNING', 'CRITICAL', 'HEALTHY']), 'CRITICAL');
    assert.equal(worstOf(['UNKNOWN']), 'UNKNOWN');
    assert.equal(worstOf([]), 'UNKNOWN');
  });
});

describe('overall status from a monitor', () => {
  const monitor = (clock: ManualClock, series: Parameters<typeof scripted>[1], probes: ProbeConfig[] = [], over: Partial<HealthSettings> = {}) =>
    new HealthMonitor({ clock, dataDir: tempDir(), settings: settings({ probes, ...over }), metrics: scripted(clock, series) });

  it('is UNKNOWN before the first sample', () => {
    const m = monitor(new ManualClock(), [{}]);
    assert.equal(m.report().overallStatus, 'UNKNOWN');
    assert.equal(m.report().sampledAt, null);
  });

  it('is HEALTHY when resources, components and score are all fine', async () => {
    const r = await monitor(new ManualClock(), [{}], [passing('a')]).comprehensiveHealthCheck();
    assert.equal(r.overallStatus, 'HEALTHY');
    assert.equal(r.integrationHealth.score, 100);
  });

  it('with no probes configured the score is "not configured" (not 100 %, not a share of built-in checks) and a quiet machine is HEALTHY at the default settings', async () => {
    const clock = new ManualClock();
    // package.json's defaults as they are: CPU judged over 5 minutes, memory over 2.
    const defaults = { ...settings(), windows: { cpuMs: 5 * 60_000, memoryMs: 2 * 60_000 } };
    const m = new HealthMonitor({ clock, dataDir: tempDir(), settings: defaults, metrics: scripted(clock, [{}]) });
    let r = await m.comprehensiveHealthCheck();
    for (let i = 0; i < 12; i++) {
      clock.advance(30_000);
      r = await m.comprehensiveHealthCheck();
    }
    assert.equal(r.integrationHealth.configured, false);
    assert.equal(r.integrationHealth.score, null);
    assert.equal(r.integrationHealth.total, 0);
    assert.match(r.integrationHealth.message, /^Not configured/);
    assert.deepEqual(
      r.integrationHealth.checks.map((c) => `${c.name}:${c.source}:${c.status}`),
      ['Data directory:built-in:HEALTHY', 'Settings:built-in:HEALTHY'],
      'built-in checks report as components of their own',
    );
    assert.equal(r.resourceStatus.cpu, 'HEALTHY');
    assert.equal(r.sustained.cpu?.basis, '5-min average 10%');
    assert.equal(r.overallStatus, 'HEALTHY');
  });

  it('an invalid threshold setting gives exactly one WARNING (the Settings component, naming the setting and the default used), never CRITICAL', async () => {
    const problems = validated({ 'codebaseGardener.thresholds.cpuCritical': 1000 }).problems.map((p) => p.message);
    assert.equal(problems.length, 1);
    const r = await monitor(new ManualClock(), [{}], [], { configurationProblems: problems }).comprehensiveHealthCheck();
    const warnings = Object.entries(r.components).filter(([, c]) => c.status !== 'HEALTHY');
    assert.deepEqual(warnings.map(([name, c]) => `${name}:${c.status}`), ['Settings:WARNING']);
    assert.equal(r.components['Settings'].message, 'codebaseGardener.thresholds.cpuCritical is 1000, but it must be at most 100; using 90 instead.');
    assert.equal(r.integrationHealth.score, null, 'the score is the user\'s probes only');
    assert.equal(r.overallStatus, 'WARNING');
    // Even with the user's probes all passing, a bad setting does not lower the score.
    const withProbes = await monitor(new ManualClock(), [{}], [passing('a')], { configurationProblems: problems }).comprehensiveHealthCheck();
    assert.equal(withProbes.integrationHealth.score, 100);
    assert.equal(withProbes.overallStatus, 'WARNING');
  });

  it('takes the worst resource: CPU 80% is WARNING, memory 96% is CRITICAL', async () => {
    const r1 = await monitor(new ManualClock(), [{ cpuPercent: 80 }]).comprehensiveHealthCheck();
    assert.equal(r1.resourceStatus.cpu, 'WARNING');
    assert.equal(r1.overallStatus, 'WARNING');
    const r2 = await monitor(new ManualClock(), [{ cpuPercent: 80, memoryPercent: 96 }]).comprehensiveHealthCheck();
    assert.equal(r2.resourceStatus.memory, 'CRITICAL');
    assert.equal(r2.overallStatus, 'CRITICAL');
    assert.ok(r2.resourceWarnings.some((w) => w.startsWith('Memory 96% (critical at 95)')));
    assert.ok(r2.recommendations.some((x) => x.startsWith('High memory')));
  });

  it('a disk reading that fails is reported and does not make the status UNKNOWN', async () => {
    const r = await monitor(new ManualClock(), [{ diskPercent: null }]).comprehensiveHealthCheck();
    assert.equal(r.resourceStatus.disk, 'UNKNOWN');
    assert.equal(r.overallStatus, 'HEALTHY');
    assert.ok(r.resourceWarnings.some((w) => w.includes('could not be read')));
  });

  it('a failing component is a WARNING, or CRITICAL when marked critical', async () => {
    // With ten checks one failure leaves the score at 90%, so the probe alone decides.
    const many = (p: ProbeConfig) => [p, passing('b'), passing('c'), passing('d'), passing('e'), passing('f'), passing('g'), passing('h')];
    const r1 = await monitor(new ManualClock(), [{}], many(failing('model server'))).comprehensiveHealthCheck();
    assert.equal(r1.components['model server'].status, 'WARNING');
    assert.equal(r1.overallStatus, 'WARNING');
    const r2 = await monitor(new ManualClock(), [{}], many(failing('database', true))).comprehensiveHealthCheck();
    assert.equal(r2.components['database'].status, 'CRITICAL');
    assert.equal(r2.overallStatus, 'CRITICAL');
  });

  it('integration score is the share of the user\'s probes that pass (built-in checks left out) and is CRITICAL below 60%', async () => {
    const r = await monitor(new ManualClock(), [{}], [passing('a'), passing('b'), failing('x'), failing('y'), failing('z')]).comprehensiveHealthCheck();
    assert.equal(r.integrationHealth.total, 5);
    assert.equal(r.integrationHealth.passed, 2);
    assert.equal(r.integrationHealth.score, 40);
    assert.equal(r.integrationHealth.status, 'CRITICAL');
    assert.equal(r.overallStatus, 'CRITICAL');
    assert.match(r.integrationHealth.message, /2 of 5 component probes pass; failing: x, y, z\./);
  });

  it('becomes UNKNOWN when the last sample is older than 3 intervals, and recovers on the next sample', async () => {
    const clock = new ManualClock();
    const m = monitor(clock, [{ cpuPercent: 80 }]);
    await m.comprehensiveHealthCheck();
    clock.advance(3 * 30_000);
    assert.equal(m.report().overallStatus, 'WARNING', 'exactly 3 intervals is not yet stale');
    clock.advance(1);
    const stale = m.report();
    assert.equal(stale.overallStatus, 'UNKNOWN');
    assert.equal(stale.stale, true);
    assert.ok(stale.recommendations[0].includes('older than 3 sampling intervals'));
    assert.equal((await m.comprehensiveHealthCheck()).overallStatus, 'WARNING');
  });

  it('an invalid setting fails the built-in Settings check', async () => {
    const clock = new ManualClock();
    const m = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings({ configurationProblems: ['x is wrong'] }), metrics: scripted(clock, [{}]) });
    const r = await m.comprehensiveHealthCheck();
    assert.equal(r.components['Settings'].ok, false);
    assert.equal(r.components['Settings'].status, 'WARNING');
    assert.deepEqual(r.configurationProblems, ['x is wrong']);
  });
});
