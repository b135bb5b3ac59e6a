import * as vscode from 'vscode';
import type { AlertChange, AlertInfo, CodebaseGardenerApi, OperationalSummary } from '../../api/codebase-gardener';
import type { Alert } from '../core/alerts';
import type { BackupType } from '../core/backup';
import { isGardenerError } from '../core/errors';
import type { HealthReport } from '../core/health';
import { isTaskKey } from '../core/maintenance';
import type { Ctx } from './context';

/** An alert as the API gives it: the fields the published types name, nothing of our internals. */
export function alertInfo(a: Alert): AlertInfo {
  return {
    id: a.id,
    component: a.component,
    metric: a.metric,
    level: a.level,
    state: a.state,
    title: a.title,
    message: a.message,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    ...(a.runbook ? { runbook: a.runbook } : {}),
    ...(a.acknowledged ? { acknowledged: { ...a.acknowledged } } : {}),
    ...(a.resolved ? { resolved: { ...a.resolved } } : {}),
  };
}

export function operationalSummary(c: Ctx, r: HealthReport = c.monitor.report()): OperationalSummary {
  const m = r.systemMetrics;
  const counts = c.alerts.engine.counts();
  const backups = c.backups.status();
  const ms = c.maintenance.status();
  const score = (r.integrationHealth as { score?: unknown }).score;
  const next = ms.next.find((n) => n.runId === undefined);
  return {
    status: r.overallStatus,
    sampledAt: r.sampledAt,
    uptimeHours: Math.round((r.uptimeSeconds / 3600) * 10) / 10,
    systemMetrics: m ? { cpuPercent: m.cpuPercent ?? null, memoryPercent: m.memoryPercent ?? null, memoryMb: m.memoryUsedMB ?? null, diskPercent: m.diskPercent ?? null } : null,
    integrationScore: typeof score === 'number' ? score : null,
    alerts: { open: counts.open, acknowledged: counts.acknowledged, critical: c.alerts.engine.query({ level: 'CRITICAL', state: ['OPEN', 'ACKNOWLEDGED'] }).length },
    backups: {
      count: c.backups.catalog.backups.length,
      ...(backups.lastSuccessfulAt !== undefined ? { lastSuccessfulAt: backups.lastSuccessfulAt } : {}),
      ...(backups.hoursSinceLastSuccess !== undefined ? { hoursSinceLastSuccess: backups.hoursSinceLastSuccess } : {}),
    },
    maintenance: { running: ms.running_tasks, ...(next ? { next: { task: next.key, at: next.at } } : {}) },
  };
}

/**
 * The typed, versioned API other extensions get from activate() (its types ship as
 * `api/codebase-gardener.d.ts`). Built on the same core as the commands, but quiet: no prompt,
 * no notification; failures reject with the core's error.
 */
export function publicApi(c: Ctx): CodebaseGardenerApi {
  const listen = <T>(event: vscode.Event<T>) => (listener: (e: T) => void) => event(listener);
  return {
    apiVersion: 1,
    summary: async () => operationalSummary(c),
    alerts: {
      query: async (q) => c.alerts.engine.query(q).map(alertInfo),
      acknowledge: async (id, o = {}) => {
        const r = await c.alerts.acknowledge(id, { by: 'api', ...(o.comment ? { comment: o.comment } : {}), ...(o.expiresInMinutes ? { expiresInMs: o.expiresInMinutes * 60_000 } : {}) });
        return r.ok ? { ok: true, alert: alertInfo(r.alert) } : r;
      },
      resolve: async (id, o = {}) => {
        const r = await c.alerts.resolve(id, { by: 'api', ...(o.note ? { note: o.note } : {}) });
        return r.ok ? { ok: true, alert: alertInfo(r.alert) } : r;
      },
    },
    logs: {
      search: async (q) => {
        const r = await c.logs.search(q);
        return { entries: r.entries, truncated: r.truncated };
      },
      statistics: async () => (await c.logs.statistics()).map((s) => ({ channel: s.channel, file: s.file, sizeBytes: s.sizeBytes, lines: s.lines, oldest: s.oldest, newest: s.newest })),
    },
    backups: {
      status: async () => c.backups.status(),
      create: async (type: BackupType) => {
        try {
          const b = await c.backups.createBackup(type);
          await c.rules.backupSucceeded(type, { id: b.id });
          return b;
        } catch (err) {
          if (!isGardenerError(err, 'CANCELLED')) await c.rules.backupFailed(type, err);
          throw err;
        } finally {
          c.afterBackupChange();
        }
      },
      validate: async (id) => {
        const r = await c.backups.validate(id);
        if (!r.valid) await c.rules.validationFailed(`Backup ${id} is not valid: ${r.firstProblem}`);
        return { id: r.id, valid: r.valid, ...(r.firstProblem ? { firstProblem: r.firstProblem } : {}) };
      },
    },
    maintenance: {
      status: async () => c.maintenance.status(),
      run: async (task) => {
        if (!isTaskKey(task)) throw new Error(`There is no maintenance task "${String(task)}".`);
        return c.maintenance.execute(task, { description: `${task} (run through the API)` });
      },
    },
    onDidChangeHealth: (listener) => c.onDidUpdate((r) => listener(operationalSummary(c, r))),
    onDidChangeAlerts: (listener) => {
      const sub = c.alerts.onDidChange((events) => listener(events.map((e): AlertChange => ({ kind: e.kind, alert: alertInfo(e.alert) }))));
      return { dispose: () => sub.dispose() };
    },
    onDidChangeBackups: listen(c.onDidChangeBackups),
    onDidChangeMaintenance: listen(c.onDidChangeMaintenance),
  };
}
