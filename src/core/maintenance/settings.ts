import { setting } from '../settings/values';
import { parseCron, type CronSchedule } from './cron';
import { DEFAULT_MAINTENANCE_SETTINGS, TASKS, type MaintenanceSettings, type TaskKey } from './types';

/**
 * The maintenance settings from validated settings (see validateSettings): their types, bounds
 * and defaults are package.json's schema. What only code can judge is each schedule: an empty
 * string turns a task off, and an expression node-cron refuses is reported (parseSchedules),
 * which keeps that task on its default.
 */
export function readMaintenanceSettings(values: Readonly<Record<string, unknown>>): MaintenanceSettings {
  const schedules = {} as Record<TaskKey, string | undefined>;
  for (const t of TASKS) {
    const v = setting<string>(values, `maintenance.schedule.${t.key}`).trim();
    schedules[t.key] = v === '' ? undefined : v;
  }
  return {
    schedules,
    randomDelayMs: setting<number>(values, 'maintenance.randomDelaySeconds') * 1000,
    missedDelayMs: DEFAULT_MAINTENANCE_SETTINGS.missedDelayMs,
    validateShare: setting<number>(values, 'maintenance.validatePercent') / 100,
  };
}

/**
 * Each task's cron schedule from the settings (none for a task turned off); an expression
 * node-cron refuses is named in `problems`, and the task keeps its default.
 */
export function parseSchedules(settings: MaintenanceSettings): { schedules: Map<TaskKey, CronSchedule>; problems: string[] } {
  const schedules = new Map<TaskKey, CronSchedule>();
  const problems: string[] = [];
  for (const t of TASKS) {
    const expr = settings.schedules[t.key];
    if (expr === undefined) continue;
    try {
      schedules.set(t.key, parseCron(expr));
    } catch (err) {
      problems.push(`codebaseGardener.maintenance.schedule.${t.key}: ${(err as Error).message} Using the default, "${t.defaultSchedule}".`);
      schedules.set(t.key, parseCron(t.defaultSchedule));
    }
  }
  return { schedules, problems };
}
