import { setting } from '../settings/values';
import { DEFAULT_MAINTENANCE_SETTINGS, TASKS, type MaintenanceSettings, type TaskKey } from './types';

/**
 * The maintenance settings from validated settings (see validateSettings): their types, bounds
 * and defaults are package.json's schema. What only code can judge is each schedule: an empty
 * string turns a task off, and an expression node-cron refuses is reported by the manager,
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
