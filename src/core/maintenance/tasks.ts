import type { AlertService } from '../alerts';
import type { BackupManager, BackupType } from '../backup';
import type { HealthReport } from '../health';
import type { MetricHistory } from '../metrics';
import type { LogManager } from '../logs';
import type { BackupRules } from '../rules/backups';
import { chainNeedsNewFull, validationPicks } from './backupMaintenance';
import { cleanStateFolder } from './cleanup';
import { nextRun, parseCron } from './cron';
import type { PerformTask, TaskContext } from './manager';
import type { MaintenanceSettings, TaskDefinition, TaskResult } from './types';

/** What the tasks act on: the services of one workspace, as the adapter built them. */
export interface TaskServices {
  healthCheck(): Promise<HealthReport>;
  logs: LogManager;
  alerts: AlertService;
  backups(): BackupManager;
  rules: BackupRules;
  /** The metric history and its bound on disk, pruned by data cleanup. */
  metrics?(): MetricHistory;
  metricsMaxBytes?(): number;
  /** Our state folders: cleanup works inside these and nowhere else. */
  stateFolders(): string[];
  settings(): MaintenanceSettings;
  /**
   * Just before a scheduled backup of `type`: why it has nothing to back up (no user-data folder
   * chosen, no folder open), or undefined to go ahead. The adapter also writes what the backup
   * reads that only it can know (the list of extensions).
   */
  beforeBackup?(type: BackupType): Promise<string | undefined>;
  /** Called after anything changed the backups, so views can refresh. */
  backupsChanged?(): void;
}

const WEEK = 7 * 86_400_000;

export function mb(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
}

/** What each task type really does. */
export function performTasks(s: TaskServices): PerformTask {
  return async (task, ctx) => {
    switch (task.type) {
      case 'HEALTH_CHECK':
        return healthCheck(s);
      case 'DATA_CLEANUP':
        return dataCleanup(s, ctx);
      case 'LOG_ROTATION':
        return logRotation(s);
      case 'BACKUP_MAINTENANCE':
        return backupMaintenance(s, ctx);
      case 'BACKUP':
        return scheduledBackup(s, task, ctx);
    }
  };
}

async function healthCheck(s: TaskServices): Promise<TaskResult> {
  const r = await s.healthCheck();
  const m = r.systemMetrics;
  const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${v.toFixed(1)} %` : 'unknown');
  const components = Object.entries(r.components);
  const output = [
    `Overall: ${r.overallStatus}`,
    ...(m ? [`CPU ${pct(m.cpuPercent)}, memory ${pct(m.memoryPercent)}, disk ${pct(m.diskPercent)}`] : []),
    ...components.map(([name, c]) => `${name}: ${c.status}${c.message ? ` (${c.message})` : ''} in ${c.responseTimeMs} ms`),
    ...r.resourceWarnings,
  ];
  return { output, summary: `${r.overallStatus.toLowerCase()}, ${components.length} component${components.length === 1 ? '' : 's'} checked` };
}

async function dataCleanup(s: TaskServices, ctx: TaskContext): Promise<TaskResult> {
  let files = 0;
  let bytes = 0;
  const output: string[] = [];
  for (const root of s.stateFolders()) {
    const r = cleanStateFolder(root, Date.now());
    for (const f of r.removed) output.push(`Removed ${f.rel} (${mb(f.bytes)}): ${f.reason}`);
    files += r.removed.length;
    bytes += r.bytesFreed;
  }
  const logs = s.logs.retain();
  for (const f of logs) output.push(`Removed rotated log ${f.file} (${mb(f.bytes)}): older than the log retention`);
  files += logs.length;
  bytes += logs.reduce((n, f) => n + f.bytes, 0);
  const alerts = await s.alerts.pruneResolved();
  if (alerts) output.push(`Dropped ${alerts} resolved alert${alerts === 1 ? '' : 's'} past their retention`);
  if (ctx.signal.aborted) return { output, summary: 'cancelled' };
  const snaps = await s.backups().pruneSnapshots();
  for (const [id, reason] of Object.entries(snaps.reasons)) output.push(`Removed pre-restore snapshot ${id}: ${reason}`);
  bytes += snaps.bytesFreed;
  files += snaps.deleted.length;
  const history = s.metrics?.();
  if (history) {
    const h = await history.prune(Date.now(), s.metricsMaxBytes?.() ?? 20 * 1024 * 1024);
    if (h.points) output.push(`Metric history: dropped ${h.points} samples past their tier's age or the size bound (${mb(h.bytesFreed)})`);
    bytes += h.bytesFreed;
  }
  return { output, summary: `freed ${files} file${files === 1 ? '' : 's'}, ${mb(bytes)}` };
}

function logRotation(s: TaskServices): TaskResult {
  const r = s.logs.rotate();
  const bytes = r.deleted.reduce((n, f) => n + f.bytes, 0);
  const output = [
    r.rotated.length ? `Rotated ${r.rotated.join(', ')}` : 'No channel was over its size or older than a day',
    ...r.deleted.map((f) => `Removed ${f.file} (${mb(f.bytes)}): older than the log retention`),
  ];
  return { output, summary: `rotated ${r.rotated.length} channel${r.rotated.length === 1 ? '' : 's'}, removed ${r.deleted.length} old file${r.deleted.length === 1 ? '' : 's'} (${mb(bytes)})` };
}

/** The full schedule's period: the gap between its next two runs (a week when it is off). */
function fullPeriod(settings: MaintenanceSettings, now: number): number {
  const expr = settings.schedules.backupFull;
  if (!expr) return WEEK;
  try {
    const s = parseCron(expr);
    const a = nextRun(s, now);
    const b = a === undefined ? undefined : nextRun(s, a);
    return a !== undefined && b !== undefined ? b - a : WEEK;
  } catch {
    return WEEK;
  }
}

async function backupMaintenance(s: TaskServices, ctx: TaskContext): Promise<TaskResult> {
  const m = s.backups();
  const output: string[] = [];
  const now = Date.now();
  const chain = chainNeedsNewFull(m.catalog.backups, fullPeriod(s.settings(), now), now);
  if (chain) {
    output.push(`A new full backup ends the incremental chain: ${chain}.`);
    try {
      const b = await m.createBackup('FULL', { signal: ctx.signal });
      output.push(`Full backup ${b.id}: ${b.fileCount} files, ${mb(b.sizeBytes)}`);
      await s.rules.backupSucceeded('FULL', { id: b.id });
    } catch (err) {
      await s.rules.backupFailed('FULL', err, { scheduled: true });
      throw err;
    } finally {
      s.backupsChanged?.();
    }
  }
  const retained = await m.applyRetention();
  for (const id of retained.deleted) output.push(`Removed ${id}: ${retained.reasons[id]}`);
  for (const k of m.retentionPlan().keep) output.push(`Kept ${k.item.id}: ${k.reason}`);
  s.backupsChanged?.();
  const picks = validationPicks(m.catalog.backups, ctx.validatedAt, s.settings().validateShare);
  const bad: string[] = [];
  let done = 0;
  for (const p of picks) {
    if (ctx.signal.aborted) break;
    ctx.progress({ done, total: picks.length, message: `validating ${p.id}` });
    const r = await m.validate(p.id, { signal: ctx.signal });
    done++;
    ctx.validatedAt[p.id] = Date.now();
    output.push(`Validated ${p.id} (${p.reason}): ${r.valid ? 'valid' : `NOT VALID — ${r.firstProblem}`}`);
    if (!r.valid) bad.push(`${p.id}: ${r.firstProblem}`);
  }
  if (bad.length) {
    await s.rules.validationFailed(`Backup maintenance: ${bad.length} of ${done} backups are not valid; first: ${bad[0]}`);
    throw new Error(`${bad.length} of ${done} validated backups are not valid; first: ${bad[0]}`);
  }
  if (done) await s.rules.validationSucceeded();
  return { output, summary: `${retained.deleted.length} removed by retention, ${done} validated${chain ? ', a new full backup made' : ''}` };
}

async function scheduledBackup(s: TaskServices, task: TaskDefinition, ctx: TaskContext): Promise<TaskResult> {
  const type = task.backupType ?? 'FULL';
  const m = s.backups();
  const nothing = await s.beforeBackup?.(type);
  if (nothing) return { summary: `skipped: ${nothing}`, skipped: true };
  try {
    const b = await m.createBackup(type, {
      signal: ctx.signal,
      onProgress: (p) => ctx.progress({ done: p.files, total: p.totalFiles, message: p.phase }),
    });
    await s.rules.backupSucceeded(type, { scheduled: true, id: b.id });
    return { output: [`${b.id}: ${b.fileCount} files, ${mb(b.sizeBytes)}${b.parentId ? `, on ${b.parentId}` : ''}`], summary: `${b.fileCount} files, ${mb(b.sizeBytes)}` };
  } catch (err) {
    if (!ctx.signal.aborted) await s.rules.backupFailed(type, err, { scheduled: true });
    throw err;
  } finally {
    s.backupsChanged?.();
  }
}
