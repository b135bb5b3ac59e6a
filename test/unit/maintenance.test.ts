import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanStateFolder, cleanupPlan, DEFAULT_MAINTENANCE_SETTINGS, MaintenanceManager, MaintenanceStore, nextRun, parseCron, Scheduler, systemTimers, TASK_KEYS, TASKS, type TaskKey } from '../../src/core/maintenance';
import { tempDir } from './fixtures';
import { DAY, HOUR, MIN, MONDAY, simulated } from './maintenanceFixtures';

const count = (xs: { key: TaskKey }[], key: TaskKey): number => xs.filter((x) => x.key === key).length;

describe('maintenance: schedules', function () {
  this.timeout(180_000);

  it('each default schedule fires at the right times over a simulated week', async () => {
    const { m, timers, fired } = simulated(tempDir());
    await m.start();
    await timers.advance(7 * DAY);
    await m.dispose();
    const expected: Record<TaskKey, number> = {
      healthCheck: 7 * 48,
      dataCleanup: 7,
      logRotation: 7,
      backupMaintenance: 1,
      backupIncremental: 7 * 4,
      backupConfiguration: 7,
      backupUserData: 7,
      backupFull: 1,
    };
    for (const key of TASK_KEYS) assert.equal(count(fired, key), expected[key], `${key} fired ${count(fired, key)} times`);
    const at = (key: TaskKey) => fired.filter((f) => f.key === key).map((f) => new Date(f.at));
    assert.ok(at('healthCheck').every((d) => d.getMinutes() % 30 === 0 && d.getSeconds() === 0));
    assert.ok(at('dataCleanup').every((d) => d.getHours() === 3 && d.getMinutes() === 15));
    assert.ok(at('logRotation').every((d) => d.getHours() === 0 && d.getMinutes() === 5));
    assert.ok(at('backupIncremental').every((d) => d.getHours() % 6 === 0 && d.getMinutes() === 0));
    assert.ok(at('backupConfiguration').every((d) => d.getHours() === 12 && d.getMinutes() === 40));
    assert.deepEqual(at('backupFull').map((d) => [d.getDay(), d.getHours(), d.getMinutes()]), [[0, 2, 0]]);
    assert.deepEqual(at('backupMaintenance').map((d) => [d.getDay(), d.getHours(), d.getMinutes()]), [[0, 4, 30]]);
    assert.ok(fired.every((f) => f.trigger === 'schedule'));
    // Every run is in the history, completed, with its output.
    const runs = m.runs().filter((r) => r.key === 'dataCleanup');
    assert.equal(runs.length, 7);
    assert.ok(runs.every((r) => r.status === 'COMPLETED' && r.output.includes('ran dataCleanup') && r.endedAt !== undefined));
  });

  it('after 3 days closed, each task whose slot passed runs exactly once, after the start delay', async () => {
    const dir = tempDir();
    const first = simulated(dir);
    await first.m.start();
    await first.timers.advance(HOUR);
    await first.m.dispose();
    first.timers.jump(3 * DAY);
    const second = simulated(dir, { timers: first.timers });
    const startedAt = first.timers.now();
    await second.m.start();
    await second.timers.advance(DEFAULT_MAINTENANCE_SETTINGS.missedDelayMs + 5 * MIN);
    await second.m.dispose();
    const missed = second.fired.filter((f) => f.trigger === 'missed');
    for (const key of TASK_KEYS) {
      const weekly = key === 'backupFull' || key === 'backupMaintenance';
      assert.equal(count(missed, key), weekly ? 0 : 1, `${key} ran ${count(missed, key)} times as missed`);
    }
    assert.ok(missed.every((f) => f.at >= startedAt + DEFAULT_MAINTENANCE_SETTINGS.missedDelayMs), 'missed runs wait for the start delay');
    // And the schedule goes on as before: no second catch-up.
    assert.ok(second.fired.filter((f) => f.key === 'dataCleanup').length === 1);
  });

  it('a run due while the same task still runs is recorded as SKIPPED, never started twice', async () => {
    const { m, timers, fired } = simulated(tempDir(), { slow: { healthCheck: 45 * MIN } });
    await m.start();
    await timers.advance(2 * HOUR);
    await m.dispose();
    const runs = m.runs().filter((r) => r.key === 'healthCheck');
    const skipped = runs.filter((r) => r.status === 'SKIPPED');
    assert.ok(skipped.length >= 1, 'a skipped run is recorded');
    assert.match(skipped[0].summary ?? '', /previous run .* was still going/);
    // Never two at once: each start is at least the task's length after the one before.
    const starts = fired.filter((f) => f.key === 'healthCheck').map((f) => f.at);
    for (let i = 1; i < starts.length; i++) assert.ok(starts[i] - starts[i - 1] >= 45 * MIN);
  });

  it('heavy tasks wait while the machine is under critical load, and say so', async () => {
    let critical = true;
    const { m, timers, fired } = simulated(tempDir(), { critical: () => critical });
    await m.start();
    await timers.advance(6 * HOUR + 2 * MIN);
    assert.equal(count(fired, 'backupIncremental'), 0, 'no backup under critical load');
    assert.ok(count(fired, 'healthCheck') > 0, 'light tasks still run');
    const waiting = m.runs().find((r) => r.key === 'backupIncremental' && r.status === 'SCHEDULED');
    assert.ok(waiting?.output.some((l) => /critical load/.test(l)));
    critical = false;
    await timers.advance(2 * MIN);
    assert.equal(count(fired, 'backupIncremental'), 1, 'it starts once the load eases');
    await m.dispose();
  });

  it('an invalid cron setting is named in one message and that task keeps its default', async () => {
    const { m, timers, fired } = simulated(tempDir(), {
      settings: { schedules: { ...DEFAULT_MAINTENANCE_SETTINGS.schedules, logRotation: '61 * * * *', dataCleanup: undefined } },
    });
    assert.equal(m.problems.length, 1);
    assert.match(m.problems[0], /codebaseGardener\.maintenance\.schedule\.logRotation/);
    assert.match(m.problems[0], /61/);
    assert.match(m.problems[0], /5 0 \* \* \*/);
    await m.start();
    await timers.advance(DAY);
    await m.dispose();
    assert.equal(count(fired, 'logRotation'), 1, 'the default schedule ran');
    assert.equal(count(fired, 'dataCleanup'), 0, 'a task turned off never runs');
    assert.ok(!m.scheduled().some((s) => s.key === 'dataCleanup'));
  });

  it('a schedule turned on after a day off starts from now: its old slots are not missed runs', async () => {
    const off = { ...DEFAULT_MAINTENANCE_SETTINGS.schedules, healthCheck: undefined };
    const { m, timers, fired } = simulated(tempDir(), { settings: { schedules: off } });
    await m.start();
    await timers.advance(DAY);
    assert.equal(count(fired, 'healthCheck'), 0);
    m.updateSettings({ ...DEFAULT_MAINTENANCE_SETTINGS, randomDelayMs: 0 });
    await timers.advance(DEFAULT_MAINTENANCE_SETTINGS.missedDelayMs + MIN);
    assert.equal(fired.filter((f) => f.key === 'healthCheck' && f.trigger === 'missed').length, 0);
    await timers.advance(30 * MIN);
    assert.equal(count(fired, 'healthCheck'), 1, 'then it runs on its schedule');
    await m.dispose();
  });

  it('one-off tasks: scheduled, executed now, cancelled; status() as get_maintenance_status()', async () => {
    const { m, timers, fired } = simulated(tempDir(), { settings: { schedules: Object.fromEntries(TASK_KEYS.map((k) => [k, undefined])) as Record<TaskKey, undefined> } });
    await m.start();
    const a = await m.schedule('dataCleanup', timers.now() + 10 * MIN, 'Manual cleanup');
    const b = await m.schedule('logRotation', timers.now() + 20 * MIN);
    assert.equal(m.status().next[0].runId, a);
    assert.equal(await m.cancel(b), true);
    const now = await m.execute('healthCheck');
    assert.equal(now.status, 'COMPLETED');
    await timers.advance(30 * MIN);
    const st = m.status();
    assert.deepEqual(
      fired.map((f) => [f.key, f.trigger]),
      [
        ['healthCheck', 'manual'],
        ['dataCleanup', 'once'],
      ],
    );
    assert.equal(st.by_status.COMPLETED, 2);
    assert.equal(st.by_status.CANCELLED, 1);
    assert.equal(st.total_tasks, 3);
    assert.equal(st.running_tasks, 0);
    assert.equal(st.recent.length, 3);
    assert.equal(st.leader, true);
    await m.dispose();
  });

  it('two windows on one state: the follower schedules and cancels one-offs, the leader runs only what is still scheduled', async () => {
    const dir = tempDir();
    const none = Object.fromEntries(TASK_KEYS.map((k) => [k, undefined])) as Record<TaskKey, undefined>;
    const leader = simulated(dir, { settings: { schedules: none } });
    await leader.m.start();
    await leader.timers.advance(MIN);
    const follower = simulated(dir, { timers: leader.timers, settings: { schedules: none } });
    assert.equal(follower.m.followsAnother, false, 'before it has tried to lead, a window records as if alone');
    await follower.m.start();
    await leader.timers.advance(MIN);
    assert.deepEqual([leader.m.isLeader, follower.m.isLeader], [true, false]);
    assert.deepEqual([leader.m.followsAnother, follower.m.followsAnother], [false, true], 'the follower leaves the shared history to the leader');
    const kept = await follower.m.schedule('logRotation', leader.timers.now() + 10 * MIN, 'kept');
    const dropped = await follower.m.schedule('dataCleanup', leader.timers.now() + 10 * MIN, 'dropped');
    await leader.timers.advance(2 * MIN);
    await follower.m.cancel(dropped);
    await leader.timers.advance(15 * MIN);
    assert.deepEqual(leader.fired.map((f) => f.key), ['logRotation'], 'the leader ran the kept one only');
    assert.deepEqual(follower.fired, [], 'the follower ran nothing on a schedule');
    const seen = follower.m.runs();
    assert.equal(seen.find((r) => r.id === kept)?.status, 'COMPLETED', 'the follower sees the leader\'s run');
    assert.equal(seen.find((r) => r.id === dropped)?.status, 'CANCELLED');
    await follower.m.dispose();
    await leader.m.dispose();
  });

  it('a task left RUNNING by a crash is marked FAILED ("interrupted") at the next start', async () => {
    const dir = tempDir();
    const store = new MaintenanceStore(dir);
    await store.write({
      version: 1,
      lastFired: {},
      validatedAt: {},
      runs: [
        { id: 'backupfull-crashed', key: 'backupFull', trigger: 'schedule', status: 'RUNNING', description: 'x', dueAt: MONDAY - HOUR, startedAt: MONDAY - HOUR, output: [], pid: 2 ** 22 + 12345, host: os.hostname() },
      ],
    });
    const { m } = simulated(dir);
    await m.start();
    const r = m.runs().find((x) => x.id === 'backupfull-crashed');
    assert.equal(r?.status, 'FAILED');
    assert.match(r?.error ?? '', /interrupted/);
    const onDisk = await store.read();
    assert.equal(onDisk.runs.find((x) => x.id === 'backupfull-crashed')?.status, 'FAILED');
    await m.dispose();
  });

  it('a state file that is not ours is set aside, and maintenance starts empty', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'maintenance'));
    fs.writeFileSync(path.join(dir, 'maintenance', 'state.json'), '{"version":1,"runs":[{"id":"../../x","key":"healthCheck"}],"lastFired":{"healthCheck":"soon"}}');
    const store = new MaintenanceStore(dir);
    const s = await store.read();
    assert.deepEqual(s.runs, [], 'a run with a forged id is left out');
    assert.deepEqual(s.lastFired, {});
    fs.writeFileSync(path.join(dir, 'maintenance', 'state.json'), 'not json');
    const warnings: string[] = [];
    assert.deepEqual((await store.read((w) => warnings.push(w))).runs, []);
    assert.ok(fs.existsSync(path.join(dir, 'maintenance', 'state.json.corrupt')));
    assert.equal(warnings.length, 1);
  });

  it('each task\'s default schedule is the one package.json declares for its setting (a CLI without VS Code gets the same)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: unknown } };
    const groups = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
    const props = Object.assign({}, ...groups.map((g: { properties: object }) => g.properties)) as Record<string, { default?: unknown }>;
    for (const t of TASKS) assert.equal(props[`codebaseGardener.maintenance.schedule.${t.key}`]?.default, t.defaultSchedule, t.key);
  });

  it('cron: next runs from any instant, by node-cron\'s own matcher', () => {
    const s = parseCron('0 */6 * * *');
    const t = nextRun(s, new Date(2026, 0, 5, 5, 59).getTime());
    assert.equal(t, new Date(2026, 0, 5, 6, 0).getTime());
    assert.equal(nextRun(parseCron('0 0 29 2 *'), new Date(2026, 0, 1).getTime()), new Date(2028, 1, 29).getTime());
    assert.throws(() => parseCron('every day'), (e: { code?: string }) => e.code === 'INVALID');
  });
});

describe('maintenance: one leader', function () {
  this.timeout(120_000);

  const realManager = (dir: string) =>
    new MaintenanceManager({
      scheduler: new Scheduler(systemTimers),
      dataDir: dir,
      settings: DEFAULT_MAINTENANCE_SETTINGS,
      perform: async () => ({ summary: 'done' }),
      leadership: { staleMs: 8000 },
    });
  const until = async (ok: () => boolean, ms: number): Promise<number> => {
    const t0 = Date.now();
    while (!ok() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 100));
    return Date.now() - t0;
  };

  it('of two managers on one state folder one leads; the other takes over within a bounded time when it stops', async () => {
    const dir = tempDir();
    const a = realManager(dir);
    const b = realManager(dir);
    await a.start();
    await until(() => a.isLeader, 5000);
    await b.start();
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual([a.isLeader, b.isLeader], [true, false]);
    await a.dispose();
    const took = await until(() => b.isLeader, 60_000);
    assert.ok(b.isLeader, 'the other took over');
    // It tries every staleMs / 4 (2 s here); the bound asserted is 10× that.
    assert.ok(took < 20_000, `took ${took} ms`);
    await b.dispose();
  });

  it('a leader SIGKILLed in a real child process is replaced within a bounded time', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [path.join(__dirname, 'maintenanceChild.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('leader') && resolve());
      child.once('exit', () => reject(new Error('the child ended before leading')));
    });
    const mine = realManager(dir);
    await mine.start();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(mine.isLeader, false, 'the child leads');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // A dead holder is told by its pid, not by staleness: the next try (every 2 s) takes over.
    const took = await until(() => mine.isLeader, 60_000);
    assert.ok(mine.isLeader, 'took over');
    assert.ok(took < 20_000, `took ${took} ms`);
    await mine.dispose();
  });
});

describe('maintenance: data cleanup', () => {
  it('removes only old leftovers inside our state folder, never through a link, and reports the bytes', () => {
    const state = tempDir();
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'precious.json.abcdef12'), 'x'.repeat(100));
    fs.writeFileSync(path.join(outside, 'keep.tmp'), 'y');
    fs.mkdirSync(path.join(state, 'logs'));
    fs.writeFileSync(path.join(state, 'alerts.json'), '{}');
    fs.writeFileSync(path.join(state, 'alerts.json.0a1b2c3d'), 'z'.repeat(1000));
    fs.writeFileSync(path.join(state, 'logs', 'main.log.tmp'), 'z'.repeat(500));
    fs.writeFileSync(path.join(state, 'fresh.json.99999999'), 'new');
    fs.symlinkSync(outside, path.join(state, 'linked'));
    fs.symlinkSync(path.join(outside, 'keep.tmp'), path.join(state, 'link.tmp'));
    const old = (Date.now() - 2 * DAY) / 1000;
    for (const f of ['alerts.json.0a1b2c3d', 'logs/main.log.tmp']) fs.utimesSync(path.join(state, f), old, old);
    fs.lutimesSync(path.join(state, 'link.tmp'), old, old);
    const r = cleanStateFolder(state, Date.now());
    assert.deepEqual(r.removed.map((f) => f.rel).sort(), ['alerts.json.0a1b2c3d', 'logs/main.log.tmp']);
    assert.equal(r.bytesFreed, 1500);
    assert.ok(fs.existsSync(path.join(state, 'fresh.json.99999999')), 'a young temp file stays');
    assert.ok(fs.lstatSync(path.join(state, 'link.tmp')).isSymbolicLink(), 'a link stays');
    assert.deepEqual(fs.readdirSync(outside).sort(), ['keep.tmp', 'precious.json.abcdef12'], 'nothing outside is touched');
  });

  it('the cleanup plan is a pure decision with a reason for each file', () => {
    const now = MONDAY;
    const plan = cleanupPlan(
      [
        { rel: 'a.json.abcdef', size: 1, mtimeMs: now - 2 * DAY, link: false },
        { rel: 'b.json.abcdef', size: 1, mtimeMs: now - HOUR, link: false },
        { rel: 'c.partial', size: 1, mtimeMs: now - 2 * DAY, link: true },
        { rel: 'alerts.json', size: 1, mtimeMs: now - 30 * DAY, link: false },
      ],
      { tempMaxAgeMs: DAY },
      now,
    );
    assert.deepEqual(plan.remove.map((x) => x.item.rel), ['a.json.abcdef']);
    assert.deepEqual(
      plan.keep.map((x) => [x.item.rel, x.reason.split(':')[0].split(' ').slice(0, 3).join(' ')]),
      [
        ['b.json.abcdef', 'a temporary file'],
        ['c.partial', 'a link'],
        ['alerts.json', 'in use'],
      ],
    );
  });
});
