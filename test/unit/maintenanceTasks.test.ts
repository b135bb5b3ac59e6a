import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock } from '../../src/core/clock';
import { AlertService } from '../../src/core/alerts';
import { LogManager } from '../../src/core/logs';
import type { BackupManager } from '../../src/core/backup';
import { DEFAULT_MAINTENANCE_SETTINGS, performTasks, taskDefinition, type TaskKey } from '../../src/core/maintenance';
import { BackupRules } from '../../src/core/rules/backups';
import { maintenanceRunEnded } from '../../src/core/rules/maintenance';
import { fullyBackedUp, write } from './backupFixtures';
import { tempDir } from './fixtures';

const HOUR = 3_600_000;

describe('maintenance tasks: log rotation', () => {
  it('rotates a channel older than a day or over its size, applies retention, and says what it did', () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.UTC(2026, 0, 5));
    const logs = new LogManager(clock, dir, { maxBytes: 10_000, maxFiles: 5, retentionMs: 3 * 24 * HOUR });
    logs.info('test', 'first line');
    logs.flush();
    assert.deepEqual(logs.rotate().rotated, [], 'nothing is a day old yet');
    clock.advance(25 * HOUR);
    logs.info('test', 'a day later');
    const r = logs.rotate();
    assert.ok(r.rotated.includes('main'), 'the main channel began over a day ago');
    const rotated = `${logs.filesOf('main')[0].replace(/\.1$/, '')}.1`;
    assert.ok(fs.readFileSync(rotated, 'utf8').includes('first line'));
    // The rotated file ages past retention: the next run removes it and reports its bytes.
    const old = (clock.now() - 4 * 24 * HOUR) / 1000;
    fs.utimesSync(rotated, old, old);
    const again = logs.rotate();
    assert.deepEqual(again.deleted.map((d) => d.file), [rotated]);
    assert.ok(again.deleted[0].bytes > 0);
    assert.ok(!fs.existsSync(rotated));
    logs.dispose();
  });

  it('retention never follows a link planted among the rotated files', () => {
    const dir = tempDir();
    const outside = tempDir();
    fs.writeFileSync(path.join(outside, 'victim'), 'keep me');
    const clock = new ManualClock(Date.UTC(2026, 0, 5));
    const logs = new LogManager(clock, dir, { retentionMs: HOUR });
    logs.info('test', 'x');
    logs.flush();
    const live = logs.filesOf('main')[0];
    fs.symlinkSync(path.join(outside, 'victim'), `${live}.1`);
    const old = (clock.now() - 2 * HOUR) / 1000;
    fs.lutimesSync(`${live}.1`, old, old);
    logs.rotate();
    assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'keep me');
    logs.dispose();
  });
});

describe('rules that span backups and alerts', () => {
  const service = () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5));
    const alerts = new AlertService({ clock, dataDir: tempDir() });
    return { alerts, rules: new BackupRules(alerts), clock };
  };

  it('a failed backup raises an alert; a later success resolves it; a scheduled success is an INFO alert that resolves itself', async () => {
    const { alerts, rules } = service();
    await alerts.init();
    await rules.backupFailed('INCREMENTAL', new Error('disk full'), { scheduled: true });
    const open = alerts.engine.query({ component: 'backup', state: ['OPEN'] });
    assert.equal(open.length, 1);
    assert.match(open[0].message, /scheduled incremental backup failed: disk full/);
    await rules.backupSucceeded('INCREMENTAL', { scheduled: true, id: 'incremental-1' });
    assert.equal(alerts.engine.query({ component: 'backup', state: ['OPEN', 'ACKNOWLEDGED'] }).length, 0);
    const info = alerts.engine.query({ component: 'backup' }).filter((a) => a.level === 'INFO');
    assert.equal(info.length, 1);
    assert.equal(info[0].state, 'RESOLVED');
    assert.match(info[0].message, /Scheduled incremental backup completed \(incremental-1\)/);
  });

  it('no backup for N hours raises an alert, and before the first backup ever once the workspace is a day old', async () => {
    const { alerts, rules, clock } = service();
    await alerts.init();
    const now = clock.now();
    assert.equal(await rules.checkFreshness({ lastSuccessfulAt: now - 10 * HOUR }, { now, staleAfterHours: 24 }), false);
    assert.equal(await rules.checkFreshness({ lastSuccessfulAt: now - 30 * HOUR }, { now, staleAfterHours: 24 }), true);
    assert.match(alerts.engine.query({ component: 'backup' })[0].message, /No successful backup in 30 hours/);
    const fresh = service();
    await fresh.alerts.init();
    assert.equal(await fresh.rules.checkFreshness({}, { now, staleAfterHours: 24, watchedSince: now - 2 * HOUR }), false, 'a new workspace is not nagged');
    assert.equal(await fresh.rules.checkFreshness({}, { now, staleAfterHours: 24, watchedSince: now - 26 * HOUR }), true);
    assert.match(fresh.alerts.engine.query({ component: 'backup' })[0].message, /no backup yet, 1 day after/);
  });
});

describe('maintenance tasks: what they really do', function () {
  this.timeout(60_000);

  const services = (data: string, m: BackupManager) => {
    const clock = new ManualClock(Date.now());
    const alerts = new AlertService({ clock, dataDir: tempDir() });
    const logs = new LogManager(clock, path.join(data, 'logs'));
    const rules = new BackupRules(alerts);
    const perform = performTasks({
      healthCheck: async () => {
        throw new Error('not used');
      },
      logs,
      alerts,
      backups: () => m,
      rules,
      stateFolders: () => [data],
      settings: () => ({ ...DEFAULT_MAINTENANCE_SETTINGS, validateShare: 1 }),
    });
    const ctx = (key: TaskKey) => ({
      run: { id: 'r', key, trigger: 'manual' as const, status: 'RUNNING' as const, description: '', dueAt: 0, output: [] },
      signal: new AbortController().signal,
      log: () => undefined,
      progress: () => undefined,
      validatedAt: {} as Record<string, number>,
      watchedSince: 0,
    });
    return { alerts, logs, perform, ctx, clock };
  };

  it('backup maintenance validates every kept backup at a share of 100 %, and a corrupt one raises an alert and fails the run', async () => {
    const { data, m, b } = await fullyBackedUp(20);
    write(data, 'changed.txt', 'new');
    const inc = await m.createBackup('INCREMENTAL');
    const { alerts, logs, perform, ctx } = services(data, m);
    await alerts.init();
    const c = ctx('backupMaintenance');
    const ok = await perform(taskDefinition('backupMaintenance'), c);
    assert.match(ok.summary, /2 validated/);
    assert.deepEqual(Object.keys(c.validatedAt).sort(), [b.id, inc.id].sort());
    assert.ok(ok.output?.some((l) => l.startsWith(`Kept ${b.id}: `)), 'each keep is given with its reason');
    // Flip a byte in the middle of the full backup's archive.
    const file = path.join(m.backupsDir, b.archive);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    fs.writeFileSync(file, bytes);
    await assert.rejects(perform(taskDefinition('backupMaintenance'), ctx('backupMaintenance')), /not valid/);
    const raised = alerts.engine.query({ component: 'backup', state: ['OPEN'] });
    assert.equal(raised.length, 1);
    assert.equal(raised[0].metric, 'validation');
    logs.dispose();
  });

  it('data cleanup reports what it freed in our folders and drops resolved alerts past retention', async () => {
    const { data, m } = await fullyBackedUp(5);
    const { alerts, logs, perform, ctx, clock } = services(data, m);
    await alerts.init();
    const ev = await alerts.raise({ component: 'backup', metric: 'run', level: 'WARNING', message: 'old' });
    await alerts.resolve(ev.alert.id);
    clock.advance(91 * 24 * HOUR);
    fs.writeFileSync(path.join(data, 'alerts.json.0a1b2c3d'), 'x'.repeat(2048));
    const old = (Date.now() - 3 * 24 * HOUR) / 1000;
    fs.utimesSync(path.join(data, 'alerts.json.0a1b2c3d'), old, old);
    const r = await perform(taskDefinition('dataCleanup'), ctx('dataCleanup'));
    assert.match(r.summary, /freed 1 file, 2 KB/);
    assert.ok(r.output?.includes('Dropped 1 resolved alert past their retention'), r.output?.join('\n'));
    assert.equal(alerts.engine.all().length, 0);
    assert.ok(!fs.existsSync(path.join(data, 'alerts.json.0a1b2c3d')));
    assert.ok(fs.existsSync(path.join(m.backupsDir, 'catalog.json')), 'backups are not cleanup\'s');
    logs.dispose();
  });
});

describe('rules that span maintenance and alerts', () => {
  it('a failed maintenance task raises an alert that leads to its runbook; its next success resolves it; backups are left to the backup rules', async () => {
    const alerts = new AlertService({ clock: new ManualClock(Date.UTC(2026, 0, 5)), dataDir: tempDir() });
    await alerts.init();
    const run = (key: TaskKey, status: 'FAILED' | 'COMPLETED') => ({ id: `${key.toLowerCase()}-1`, key, trigger: 'schedule' as const, status, description: '', dueAt: 0, output: [], error: 'disk full' });
    await maintenanceRunEnded(alerts, run('logRotation', 'FAILED'));
    const [a] = alerts.engine.query({ component: 'maintenance', state: ['OPEN'] });
    assert.equal(a.metric, 'logRotation');
    assert.match(a.message, /Log rotation failed: disk full/);
    assert.equal(a.runbook, 'log_management');
    await maintenanceRunEnded(alerts, run('backupFull', 'FAILED'));
    assert.equal(alerts.engine.query({ component: 'maintenance', state: ['OPEN'] }).length, 1, 'a backup failure is the backup rules\' to raise');
    await maintenanceRunEnded(alerts, run('logRotation', 'COMPLETED'));
    assert.equal(alerts.engine.query({ component: 'maintenance', state: ['OPEN', 'ACKNOWLEDGED'] }).length, 0);
  });
});
