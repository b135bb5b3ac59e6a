import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock } from '../../src/core/clock';
import { AlertEngine, AlertService, type AlertEvent } from '../../src/core/alerts';
import { healthSettingsFrom, HealthMonitor, type HealthReport, type InternalProbe, type SystemMetrics } from '../../src/core/health';
import { scripted, settings, tempDir, validated } from './fixtures';

const INTERVAL = 30_000;

/** Runs a scripted series of readings through the real monitor into an engine, one sample each. */
async function drive(series: Partial<SystemMetrics>[], opts: { probes?: InternalProbe[]; engine?: AlertEngine; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock();
  const engine = opts.engine ?? new AlertEngine(clock);
  const monitor = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings({ intervalMs: INTERVAL }), metrics: scripted(clock, series), internalProbes: opts.probes });
  const events: AlertEvent[] = [];
  for (let i = 0; i < series.length; i++) {
    clock.advance(INTERVAL);
    events.push(...engine.observeReport(await monitor.comprehensiveHealthCheck()));
  }
  return { engine, events, clock, monitor };
}

/** package.json's windows: CPU judged over 5 minutes, memory over 2. */
const DEFAULT_WINDOWS = healthSettingsFrom(validated().values).windows;

/**
 * One monitor at the default settings (windows included) fed a reading per 30 s sample into an
 * engine at its default settings; returns every event and every report, so a test can say what
 * the status was at each sample.
 */
async function sustained(series: Partial<SystemMetrics>[]) {
  const clock = new ManualClock();
  const engine = new AlertEngine(clock);
  const monitor = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings({ windows: DEFAULT_WINDOWS }), metrics: scripted(clock, series) });
  const events: AlertEvent[][] = [];
  const reports: HealthReport[] = [];
  for (let i = 0; i < series.length; i++) {
    clock.advance(INTERVAL);
    const r = await monitor.comprehensiveHealthCheck();
    reports.push(r);
    events.push(engine.observeReport(r));
  }
  return { engine, events, reports };
}

const minutes = (n: number, reading: Partial<SystemMetrics>): Partial<SystemMetrics>[] => Array.from({ length: n * 2 }, () => ({ ...reading }));

describe('alerts on sustained load: CPU and memory judged on their window average (default 5 and 2 minutes)', () => {
  it('CPU at 100% for 2 minutes, then idle, raises nothing and never turns the status Critical (from start-up, and on a warm window)', async () => {
    for (const series of [
      [...minutes(2, { cpuPercent: 100 }), ...minutes(10, { cpuPercent: 10 })],
      [...minutes(6, { cpuPercent: 10 }), ...minutes(2, { cpuPercent: 100 }), ...minutes(10, { cpuPercent: 10 })],
    ]) {
      const { engine, reports } = await sustained(series);
      assert.deepEqual(engine.all(), []);
      assert.ok(reports.every((r) => r.overallStatus !== 'CRITICAL' && r.resourceStatus.cpu !== 'CRITICAL'));
      assert.ok(reports.some((r) => r.systemMetrics?.cpuPercent === 100), 'the current value is still reported');
    }
  });

  it('a build-style burst: 100% for 1 minute raises nothing; for 6 minutes it raises one critical alert', async () => {
    const idle = minutes(6, { cpuPercent: 10 });
    const short = await sustained([...idle, ...minutes(1, { cpuPercent: 100 }), ...minutes(6, { cpuPercent: 10 })]);
    assert.deepEqual(short.engine.all(), []);
    const long = await sustained([...idle, ...minutes(6, { cpuPercent: 100 })]);
    const cpu = long.engine.all().filter((a) => a.key === 'system:cpu');
    assert.equal(cpu.length, 1);
    assert.equal(cpu[0].level, 'CRITICAL');
    assert.match(cpu[0].message, /^CPU usage 100% averaged over 5 min \(critical at 90%\)$/);
  });

  it('CPU at 95% for 6 minutes raises one critical alert, which resolves once the average falls under the hysteresis band (warning 75 − 5)', async () => {
    const { engine, events, reports } = await sustained([...minutes(6, { cpuPercent: 95 }), ...minutes(10, { cpuPercent: 10 })]);
    const cpu = engine.all().filter((a) => a.key === 'system:cpu');
    assert.equal(cpu.length, 1, 'one alert');
    assert.equal(cpu[0].peakLevel, 'CRITICAL');
    assert.equal(cpu[0].state, 'RESOLVED');
    const at = events.findIndex((batch) => batch.some((e) => e.kind === 'resolved' && e.alert.key === 'system:cpu'));
    assert.ok(reports[at].sustained.cpu!.percent! < 70, `resolved at an average of ${reports[at].sustained.cpu?.percent}`);
    assert.ok(reports[at - 1].sustained.cpu!.percent! >= 70, 'and not before');
    assert.ok(reports[at - 1].systemMetrics!.cpuPercent! < 70, 'although the value now had dropped earlier');
  });

  it('memory likewise with its 2-minute window: 97% for 1 minute raises nothing, for 4 minutes one critical alert that resolves under 75%', async () => {
    const idle = minutes(3, { memoryPercent: 20 });
    const short = await sustained([...idle, ...minutes(1, { memoryPercent: 97 }), ...minutes(4, { memoryPercent: 20 })]);
    assert.deepEqual(short.engine.all(), []);
    assert.ok(short.reports.every((r) => r.overallStatus !== 'CRITICAL'));
    const { engine, events, reports } = await sustained([...idle, ...minutes(4, { memoryPercent: 97 }), ...minutes(4, { memoryPercent: 20 })]);
    const mem = engine.all().filter((a) => a.key === 'system:memory');
    assert.equal(mem.length, 1);
    assert.equal(mem[0].peakLevel, 'CRITICAL');
    assert.equal(mem[0].state, 'RESOLVED');
    const at = events.findIndex((batch) => batch.some((e) => e.kind === 'resolved' && e.alert.key === 'system:memory'));
    assert.ok(reports[at].sustained.memory!.percent! < 75 && reports[at - 1].sustained.memory!.percent! >= 75);
  });
});

describe('alerts: one alert per condition, damped', () => {
  it('a CPU oscillating 74↔76 every sample for 100 samples yields at most one alert', async () => {
    const series = Array.from({ length: 100 }, (_, i) => ({ cpuPercent: i % 2 ? 76 : 74 }));
    const { engine } = await drive(series);
    assert.ok(engine.query({ component: 'system' }).length <= 1, `${engine.all().length} alerts`);
  });

  it('a sustained breach yields exactly one alert that escalates to CRITICAL and auto-resolves below the hysteresis margin', async () => {
    const cpu = [80, 80, 82, 85, 92, 95, 91, 85, 74, 72, 71, 69, 60].map((cpuPercent) => ({ cpuPercent }));
    const { engine, events } = await drive(cpu);
    const alerts = engine.query({ component: 'system' });
    assert.equal(alerts.length, 1);
    const a = alerts[0];
    assert.deepEqual(
      events.filter((e) => e.alert.id === a.id).map((e) => e.kind),
      ['opened', 'escalated', 'deescalated', 'resolved'],
    );
    assert.equal(a.peakLevel, 'CRITICAL');
    assert.equal(a.peakValue, 95);
    assert.equal(a.firstValue, 80);
    assert.equal(a.state, 'RESOLVED');
    assert.equal(a.resolved?.by, 'system');
    assert.equal(a.resolved?.automatic, true);
    // 74, 72 and 71 are under the warning (75) but within the 5-point margin: still open; 69 clears.
    assert.equal(a.lastValue, 69);
    assert.equal(a.sampleCount, 8, 'opened after 2 samples, then updated through 85');
  });

  it('does not fire before the pending period, and fires after it', async () => {
    const once = await drive([{ memoryPercent: 97 }, { memoryPercent: 20 }]);
    assert.equal(once.engine.all().length, 0);
    const twice = await drive([{ memoryPercent: 97 }, { memoryPercent: 97 }]);
    assert.equal(twice.engine.all().length, 1);
    assert.equal(twice.engine.all()[0].level, 'CRITICAL');
  });

  it('a failing probe alerts after 2 failing samples and clears after 2 passing ones', async () => {
    let up = false;
    const probe: InternalProbe = { kind: 'internal', name: 'Model server', check: () => ({ ok: up, message: up ? 'ok' : 'connection refused' }) };
    const clock = new ManualClock();
    const engine = new AlertEngine(clock);
    const monitor = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings(), metrics: scripted(clock, [{}]), internalProbes: [probe] });
    const step = async (ok: boolean) => {
      up = ok;
      clock.advance(INTERVAL);
      return engine.observeReport(await monitor.comprehensiveHealthCheck());
    };
    assert.deepEqual(await step(false), []);
    const opened = await step(false);
    const avail = opened.find((e) => e.alert.key === 'Model server:availability');
    assert.equal(avail?.kind, 'opened');
    assert.equal(avail.alert.message, 'Model server is failing: connection refused');
    assert.equal(avail.notify, true);
    await step(true);
    assert.equal(engine.get(avail.alert.id)?.state, 'OPEN', 'one passing sample is not enough');
    await step(true);
    assert.equal(engine.get(avail.alert.id)?.state, 'RESOLVED');
  });

  it('acknowledged alerts do not notify; an expired acknowledgement re-opens and re-notifies exactly once', async () => {
    const clock = new ManualClock();
    const engine = new AlertEngine(clock);
    const hot = Array.from({ length: 2 }, () => ({ cpuPercent: 95 }));
    const { events } = await drive(hot, { engine, clock });
    const id = events[0].alert.id;
    const ack = engine.acknowledge(id, { by: 'ana', comment: 'compiling', expiresInMs: 60 * 60_000 });
    assert.ok(ack.ok);
    assert.equal(ack.alert.acknowledged?.by, 'ana');
    assert.equal(ack.alert.acknowledged?.comment, 'compiling');
    const during = await drive(Array.from({ length: 100 }, () => ({ cpuPercent: 95 })), { engine, clock }); // 50 minutes
    assert.equal(during.events.filter((e) => e.notify).length, 0);
    assert.equal(engine.get(id)?.state, 'ACKNOWLEDGED');
    const after = await drive(Array.from({ length: 200 }, () => ({ cpuPercent: 95 })), { engine, clock }); // past expiry
    const reopened = after.events.filter((e) => e.kind === 'reopened');
    assert.equal(reopened.length, 1);
    assert.equal(after.events.filter((e) => e.notify).length, 1, 'notified exactly once');
    assert.equal(engine.get(id)?.state, 'OPEN');
    assert.equal(engine.all().length, 1, 'still the same alert');
  });

  it('notifies at most once per condition per damping window', async () => {
    const clock = new ManualClock();
    const engine = new AlertEngine(clock, { dampingMs: 15 * 60_000 });
    // Breach, clear, breach again within 15 minutes: two alerts, one notification.
    const series = [95, 95, 50, 95, 95].map((cpuPercent) => ({ cpuPercent }));
    const { events } = await drive(series, { engine, clock });
    assert.equal(events.filter((e) => e.kind === 'opened').length, 2);
    assert.equal(events.filter((e) => e.notify).length, 1);
    clock.advance(20 * 60_000);
    const later = await drive([50, 95, 95].map((cpuPercent) => ({ cpuPercent })), { engine, clock });
    assert.equal(later.events.filter((e) => e.notify).length, 1, 'a new window may notify again');
  });

  it('acknowledging or resolving an unknown or resolved ID gives a clear result, not a throw', async () => {
    const { engine, events } = await drive([{ cpuPercent: 95 }, { cpuPercent: 95 }]);
    assert.deepEqual(engine.acknowledge('nope'), { ok: false, reason: 'not-found', message: 'No alert has the ID nope.' });
    const id = events[0].alert.id;
    const r = engine.resolve(id, { by: 'ana', note: 'killed the build' });
    assert.ok(r.ok);
    assert.deepEqual(r.alert.resolved && { by: r.alert.resolved.by, note: r.alert.resolved.note, automatic: r.alert.resolved.automatic }, { by: 'ana', note: 'killed the build', automatic: false });
    const again = engine.resolve(id);
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.reason, 'already-resolved');
    assert.equal(engine.acknowledge(id).ok, false);
  });

  it('1,000 alerts raised in the same millisecond have 1,000 distinct IDs', () => {
    const engine = new AlertEngine(new ManualClock());
    for (let i = 0; i < 1000; i++) engine.raise({ component: `c${i}`, metric: 'event', level: 'INFO', message: `event ${i}` });
    assert.equal(new Set(engine.all().map((a) => a.id)).size, 1000);
  });

  it('queries by level, component, state and hours, newest first, and counts open/acknowledged/critical', () => {
    const clock = new ManualClock();
    const engine = new AlertEngine(clock);
    const a = engine.raise({ component: 'backup', metric: 'run', level: 'INFO', message: 'backup finished' }).alert;
    clock.advance(3 * 3_600_000);
    const b = engine.raise({ component: 'disk', metric: 'space', level: 'CRITICAL', message: 'disk full' }).alert;
    clock.advance(1000);
    const c = engine.raise({ component: 'probe', metric: 'x', level: 'WARNING', message: 'x down' }).alert;
    engine.acknowledge(c.id);
    assert.deepEqual(engine.query().map((x) => x.id), [c.id, b.id, a.id]);
    assert.deepEqual(engine.query({ hours: 1 }).map((x) => x.id), [c.id, b.id]);
    assert.deepEqual(engine.query({ level: 'INFO' }).map((x) => x.id), [a.id]);
    assert.deepEqual(engine.query({ component: 'disk' }).map((x) => x.id), [b.id]);
    assert.deepEqual(engine.query({ state: 'ACKNOWLEDGED' }).map((x) => x.id), [c.id]);
    assert.deepEqual(engine.counts(), { open: 2, acknowledged: 1, critical: 1, worstOpen: 'CRITICAL' });
  });

  it('resolved alerts older than the retention are pruned', async () => {
    const clock = new ManualClock();
    const engine = new AlertEngine(clock, { retentionMs: 90 * 86_400_000 });
    const id = engine.raise({ component: 'x', metric: 'y', level: 'WARNING', message: 'm' }).alert.id;
    engine.resolve(id);
    clock.advance(89 * 86_400_000);
    engine.load([...engine.all()]);
    assert.equal(engine.all().length, 1);
    clock.advance(2 * 86_400_000);
    engine.load([...engine.all()]);
    assert.equal(engine.all().length, 0);
  });

  it('an alert for a probe that is no longer configured is resolved', async () => {
    const clock = new ManualClock();
    const engine = new AlertEngine(clock);
    const failing: InternalProbe = { kind: 'internal', name: 'Old server', check: () => ({ ok: false, message: 'down' }) };
    await drive([{}, {}], { engine, clock, probes: [failing] });
    assert.equal(engine.query({ component: 'Old server', state: 'OPEN' }).length, 1);
    await drive([{}], { engine, clock });
    const a = engine.query({ component: 'Old server' })[0];
    assert.equal(a.state, 'RESOLVED');
    assert.equal(a.resolved?.note, 'no longer monitored');
  });
});

describe('alerts: persistence', () => {
  it('state survives a reload from disk, with an owner-only file', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const s1 = new AlertService({ clock, dataDir: dir });
    await s1.init();
    const ev = await s1.raise({ component: 'disk', metric: 'space', level: 'CRITICAL', message: 'disk full' });
    await s1.acknowledge(ev.alert.id, { by: 'ana', comment: 'cleaning up' });
    await s1.raise({ component: 'backup', metric: 'run', level: 'INFO', message: 'backup finished' });
    await s1.flush();
    if (process.platform !== 'win32') assert.equal(fs.statSync(s1.file).mode & 0o777, 0o600);

    const s2 = new AlertService({ clock, dataDir: dir });
    await s2.init();
    assert.deepEqual(s2.engine.all(), s1.engine.all());
    assert.equal(s2.engine.get(ev.alert.id)?.acknowledged?.comment, 'cleaning up');
  });

  it('a corrupt alerts file is moved aside and reported as a WARNING alert, never thrown', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'alerts', 'alerts.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"version":1,"alerts":[{"id":');
    const s = new AlertService({ clock: new ManualClock(), dataDir: dir });
    const heard: AlertEvent[][] = [];
    s.onDidChange((e) => heard.push(e));
    await s.init();
    await s.flush();
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('alerts.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(path.dirname(file), aside[0]), 'utf8'), '{"version":1,"alerts":[{"id":', 'the bad file is kept as it was');
    const alerts = s.engine.all();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].level, 'WARNING');
    assert.ok(alerts[0].message.startsWith(`The alerts file could not be read: ${file} is not valid JSON (`), alerts[0].message);
    assert.match(alerts[0].message, /\. It was moved aside to alerts\.json\.corrupt-/);
    assert.equal(heard.flat()[0].kind, 'opened');
    // The fresh file is valid again.
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).alerts.length, 1);
  });

  it('a file of the wrong shape is treated as corrupt too', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'alerts', 'alerts.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, alerts: [{ id: 1 }] }));
    const s = new AlertService({ clock: new ManualClock(), dataDir: dir });
    await s.init();
    assert.ok(s.engine.all()[0].message.includes(`${file} holds entries that are not alerts.`), s.engine.all()[0].message);
  });
});

describe('alerts across windows: two services on one data directory', () => {
  const hot = (clock: ManualClock, cpuPercent: number) =>
    new HealthMonitor({ clock, dataDir: tempDir(), settings: settings(), metrics: scripted(clock, [{ cpuPercent }]) }).comprehensiveHealthCheck();

  it('each raising and acknowledging alerts in turn: no acknowledgement or alert is lost', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const a = new AlertService({ clock, dataDir: dir });
    const b = new AlertService({ clock, dataDir: dir });
    await Promise.all([a.init(), b.init()]);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [me, other] = i % 2 ? [b, a] : [a, b];
      clock.advance(1000);
      ids.push((await me.raise({ component: `c${i}`, metric: 'm', level: 'WARNING', message: `raised by ${i % 2 ? 'b' : 'a'}` })).alert.id);
      // The other window acknowledges what this one just raised: it must see it.
      const ack = await other.acknowledge(ids[i], { by: `user${i}` });
      assert.ok(ack.ok, `alert ${i} acknowledged by the other window: ${JSON.stringify(ack)}`);
    }
    // And both at once, many times over: the lock makes them take turns.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).raise({ component: `burst${i}`, metric: 'm', level: 'CRITICAL', message: `burst ${i}` })),
    );
    await Promise.all(burst.map((e, i) => (i % 2 ? a : b).acknowledge(e.alert.id, { by: 'both' })));
    await Promise.all([a.flush(), b.flush()]);
    const c = new AlertService({ clock, dataDir: dir });
    await c.init();
    const onDisk = c.engine.all();
    assert.equal(onDisk.length, 26, 'every alert of both windows is in the file');
    assert.ok(onDisk.every((x) => x.state === 'ACKNOWLEDGED'), 'and every acknowledgement');
    for (let i = 0; i < 6; i++) assert.equal(c.engine.get(ids[i])?.acknowledged?.by, `user${i}`);
  });

  it('two real processes on one folder, each raising and acknowledging 25 alerts at once: none is lost', async function () {
    this.timeout(60_000);
    const dir = tempDir();
    const run = (name: string) =>
      new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [path.join(__dirname, 'alertsChild.js'), dir, name, '25', '50'], { timeout: 50_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${name}: ${err.message}\n${stderr}`)) : resolve(stdout.trim()),
        );
      });
    assert.deepEqual(await Promise.all([run('left'), run('right')]), ['50', '50']);
    const c = new AlertService({ clock: new ManualClock(), dataDir: dir });
    await c.init();
    const all = c.engine.all();
    assert.equal(all.length, 50);
    assert.ok(all.every((a) => a.state === 'ACKNOWLEDGED'), all.filter((a) => a.state !== 'ACKNOWLEDGED').map((a) => a.message).join(', '));
    assert.equal(all.filter((a) => a.acknowledged?.by === 'left' && a.component.startsWith('left-')).length, 25, 'each own acknowledgement kept');
  });

  it('the same condition seen by both windows is one alert, and one window\'s resolve is the other\'s too', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const a = new AlertService({ clock, dataDir: dir });
    const b = new AlertService({ clock, dataDir: dir });
    await Promise.all([a.init(), b.init()]);
    for (let i = 0; i < 3; i++) {
      clock.advance(INTERVAL);
      const r = await hot(clock, 95);
      await Promise.all([a.observe(r), b.observe(r)]);
    }
    await Promise.all([a.flush(), b.flush()]);
    const cpuA = a.engine.query({ component: 'system' });
    assert.equal(cpuA.length, 1);
    const resolved = await b.resolve(cpuA[0].id, { by: 'ben', note: 'build done' });
    assert.ok(resolved.ok);
    clock.advance(INTERVAL);
    await a.observe(await hot(clock, 95));
    assert.equal(a.engine.get(cpuA[0].id)?.state, 'RESOLVED', 'a took b\'s resolve rather than overwrite it');
  });

  it('the alerts file is written when alerts change, not on every sample while one is active', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const s = new AlertService({ clock, dataDir: dir });
    await s.init();
    const stamp = () => {
      const st = fs.statSync(s.file, { throwIfNoEntry: false });
      return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'none';
    };
    const sample = async (cpu: number) => {
      clock.advance(INTERVAL);
      const events = await s.observe(await hot(clock, cpu));
      await s.flush();
      return events;
    };
    await sample(20);
    assert.equal(stamp(), 'none', 'nothing to write on a quiet machine');
    await sample(80);
    await sample(80); // opens a WARNING
    const opened = stamp();
    assert.notEqual(opened, 'none');
    for (const cpu of [81, 82, 83, 84]) {
      assert.deepEqual(await sample(cpu), []);
      assert.equal(stamp(), opened, `a sample at ${cpu}% with nothing new leaves the file alone`);
    }
    await sample(93); // escalates to CRITICAL
    assert.notEqual(stamp(), opened, 'an escalation is written');
    const onDisk = JSON.parse(fs.readFileSync(s.file, 'utf8')) as { alerts: { level: string; lastValue: number }[] };
    assert.equal(onDisk.alerts[0].level, 'CRITICAL');
    assert.equal(onDisk.alerts[0].lastValue, 93, 'and carries the values seen meanwhile');
  });
});
