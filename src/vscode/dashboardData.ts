import * as vscode from 'vscode';
import { BACKUP_TYPES, type BackupType } from '../core/backup';
import { sameDiskWarning } from '../core/placement';
import type { MetricPoint } from '../core/metrics';
import { TASKS, taskDefinition } from '../core/maintenance';
import { GardenerError } from '../core/errors';
import { RANGES, SERIES, type AlertsSection, type HostEvent, type BackupsSection, type LivePoint, type LogsSection, type MaintenanceSection, type Methods, type Series, type Snapshot } from '../shared/protocol';
import type { Ctx } from './context';
import { alertInfo } from './publicApi';

const TYPE_LABEL: Record<BackupType, string> = { FULL: 'Full', INCREMENTAL: 'Incremental', CONFIGURATION: 'Configuration', USER_DATA: 'User data' };
const PERFORMANCE_HOURS = 24;

/** Every handler may throw: the panel turns a throw into an error reply with its code. */
export type Handlers = { [M in keyof Methods]: (params: Methods[M]['params']) => Promise<Methods[M]['result']> };

export function alertsSection(c: Ctx): AlertsSection {
  return {
    open: c.alerts.engine.query({ state: 'OPEN' }).map(alertInfo),
    acknowledged: c.alerts.engine.query({ state: 'ACKNOWLEDGED' }).map(alertInfo),
    runbooks: c.runbooks.list().map((r) => r.name),
  };
}

export function backupsSection(c: Ctx): BackupsSection {
  const m = c.backups;
  const roots = m.settings().roots;
  const scheduled = c.maintenance.scheduled();
  const types = BACKUP_TYPES.map((type) => {
    const mine = m.catalog.backups.filter((b) => b.type === type);
    const done = mine.filter((b) => b.status === 'completed');
    const next = scheduled.find((s) => taskDefinition(s.key).backupType === type)?.next;
    const sourceType = type === 'INCREMENTAL' ? 'FULL' : type;
    const unavailable = roots && !roots[sourceType]?.length ? (type === 'USER_DATA' ? 'Choose user-data folders first.' : type === 'CONFIGURATION' ? undefined : 'No folder is open.') : undefined;
    return {
      type,
      label: TYPE_LABEL[type],
      count: done.length,
      sizeBytes: done.reduce((n, b) => n + b.sizeBytes, 0),
      ...(done.length ? { lastSuccessAt: done[done.length - 1].createdAt } : {}),
      ...(next !== undefined ? { nextAt: next } : {}),
      ...(unavailable ? { unavailable } : {}),
    };
  });
  const status = m.status();
  const placement = c.backupsTree.placementWarning();
  return {
    types,
    recent: status.recent,
    folder: m.backupsDir,
    folderBytes: status.backupsFolderBytes,
    ...(placement ? { sameDiskWarning: sameDiskWarning(placement) } : {}),
  };
}

export function maintenanceSection(c: Ctx): MaintenanceSection {
  const scheduled = new Map(c.maintenance.scheduled().map((s) => [s.key, s]));
  const running = c.maintenance.runs().filter((r) => r.status === 'RUNNING');
  return {
    status: c.maintenance.status(),
    running: running.map((r) => {
      const p = c.maintenance.progressOf(r.id);
      const progress = p?.message ? (p.total ? `${p.message} (${p.done} of ${p.total})` : p.message) : r.output.at(-1);
      return { id: r.id, key: r.key, description: r.description, ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}), ...(progress ? { progress } : {}) };
    }),
    tasks: TASKS.map((t) => {
      const s = scheduled.get(t.key);
      return { key: t.key, title: t.title, schedule: s?.expression ?? '', ...(s?.next !== undefined ? { next: s.next } : {}) };
    }),
  };
}

export async function logsSection(c: Ctx): Promise<LogsSection> {
  const [statistics, perf] = await Promise.all([c.logs.statistics(), c.logs.performanceSummary({ hours: PERFORMANCE_HOURS })]);
  return {
    statistics: statistics.map((s) => ({ channel: s.channel, file: s.file, sizeBytes: s.sizeBytes, lines: s.lines, oldest: s.oldest, newest: s.newest })),
    performance: Object.entries(perf.operations)
      .map(([operation, o]) => ({ operation, count: o.count, errors: o.errors, avgMs: o.avgMs, p95Ms: o.p95Ms, maxMs: o.maxMs }))
      .sort((a, b) => b.count - a.count),
    performanceHours: PERFORMANCE_HOURS,
  };
}

export function livePoint(p: MetricPoint): LivePoint {
  return { t: p.t, values: { cpu: p.cpu, memory: p.memory, disk: p.disk, responseMs: p.responseMs, score: p.score } };
}

/** The history of `range` up to now, column by column. */
export function series(c: Ctx, range: keyof typeof RANGES, now = Date.now()): Series {
  const from = now - RANGES[range];
  const points = c.metrics.read(from, now, now);
  const values = Object.fromEntries(SERIES.map((k) => [k, points.map((p) => p[k])])) as Series['values'];
  return { range, from, to: now, t: points.map((p) => p.t / 1000), values };
}

/**
 * What each request of the dashboard does. Actions go through the same commands as the palette
 * (their progress, confirmations and messages included); a restore is confirmed by the
 * command's own modal dialog, so the page can never restore without the user saying so there.
 */
export function dashboardHandlers(c: Ctx): Handlers {
  const command = (id: string, ...args: unknown[]): null => {
    // Not awaited: the command reports its own progress and outcome; the page hears of it by events.
    void vscode.commands.executeCommand(id, ...args).then(undefined, (err) => c.logs.error('dashboard', `${id} failed`, err instanceof Error ? err : { error: String(err) }));
    return null;
  };
  const alertResult = (r: Awaited<ReturnType<Ctx['alerts']['acknowledge']>>) => {
    if (!r.ok) throw new GardenerError(r.message, r.reason === 'not-found' ? 'NOT_FOUND' : 'INVALID');
    return alertInfo(r.alert);
  };
  return {
    snapshot: async (): Promise<Snapshot> => ({
      health: c.monitor.report(),
      alerts: alertsSection(c),
      backups: backupsSection(c),
      maintenance: maintenanceSection(c),
      logs: await logsSection(c),
    }),
    history: async ({ range }) => series(c, range),
    runHealthCheck: async () => command('codebaseGardener.runHealthCheck'),
    showStatus: async () => command('codebaseGardener.showStatus'),
    acknowledge: async ({ alertId, comment, expiresInMinutes }) =>
      alertResult(await c.alerts.acknowledge(alertId, { by: 'dashboard', ...(comment ? { comment } : {}), ...(expiresInMinutes ? { expiresInMs: expiresInMinutes * 60_000 } : {}) })),
    resolve: async ({ alertId, note }) => alertResult(await c.alerts.resolve(alertId, { by: 'dashboard', ...(note ? { note } : {}) })),
    openRunbook: async ({ name }) => {
      if (!c.hasRunbook(name)) throw new GardenerError(`There is no runbook "${name}".`, 'NOT_FOUND');
      return command('codebaseGardener.openRunbook', name);
    },
    createBackup: async ({ type }) => command('codebaseGardener.createBackup', type),
    validateBackup: async ({ id }) => {
      const r = await vscode.commands.executeCommand<{ valid?: boolean; firstProblem?: string; reason?: string; message?: string }>('codebaseGardener.validateBackup', id);
      if (r?.valid === undefined) throw new GardenerError(r?.message ?? 'Validation did not finish.', r?.reason === 'cancelled' ? 'CANCELLED' : 'INVALID');
      return { valid: r.valid, ...(r.firstProblem ? { firstProblem: r.firstProblem } : {}) };
    },
    restoreBackup: async ({ id }) => command('codebaseGardener.restoreBackup', id),
    runTask: async ({ task }) => command('codebaseGardener.runMaintenanceTask', task),
    searchLogs: async ({ text, channels, minLevel, hours }) => {
      const r = await c.logs.search({ text, ...(channels?.length ? { channels } : {}), ...(minLevel ? { minLevel } : {}), ...(hours ? { hours } : {}), maxResults: 200 });
      return { rows: r.entries.map((e) => ({ ts: e.ts, level: e.level, channel: e.channel, component: e.component, message: e.message })), truncated: r.truncated };
    },
  };
}

/**
 * The dashboard's sections as they change. Changes that come in bursts (a maintenance run's
 * progress, a backup's catalog writes) are sent at most every 250 ms.
 */
export function sectionEvents(c: Ctx, listener: (e: HostEvent) => void): vscode.Disposable {
  const pending = new Map<string, () => HostEvent>();
  let timer: NodeJS.Timeout | undefined;
  const queue = (key: string, make: () => HostEvent) => {
    pending.set(key, make);
    timer ??= setTimeout(() => {
      timer = undefined;
      const makers = [...pending.values()];
      pending.clear();
      for (const make of makers) listener(make());
    }, 250);
  };
  const subs = [
    c.alerts.onDidChange(() => queue('alerts', () => ({ kind: 'event', event: 'alerts', alerts: alertsSection(c) }))),
    c.onDidChangeBackups(() => queue('backups', () => ({ kind: 'event', event: 'backups', backups: backupsSection(c) }))),
    c.onDidChangeMaintenance(() => queue('maintenance', () => ({ kind: 'event', event: 'maintenance', maintenance: maintenanceSection(c) }))),
  ];
  return new vscode.Disposable(() => {
    clearTimeout(timer);
    for (const s of subs) s.dispose();
  });
}
