import { DEFAULT_MAINTENANCE_SETTINGS, TASKS, type MaintenanceSettings, type TaskKey } from './types';

/**
 * The maintenance settings from raw values (`get` reads `codebaseGardener.<key>`). Bounds and
 * types are package.json's schema; what only code can judge is each schedule: an empty string
 * turns a task off, and an expression node-cron refuses is reported by the manager, which keeps
 * that task on its default.
 */
export function readMaintenanceSettings(get: (key: string) => unknown): MaintenanceSettings {
  const d = DEFAULT_MAINTENANCE_SETTINGS;
  const schedules = {} as Record<TaskKey, string | undefined>;
  for (const t of TASKS) {
    const v = get(`maintenance.schedule.${t.key}`);
    schedules[t.key] = typeof v !== 'string' ? t.defaultSchedule : v.trim() === '' ? undefined : v.trim();
  }
  const num = (key: string, def: number, min: number, max: number): number => {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : def;
  };
  return {
    schedules,
    randomDelayMs: num('maintenance.randomDelaySeconds', d.randomDelayMs / 1000, 0, 3600) * 1000,
    missedDelayMs: d.missedDelayMs,
    validateShare: num('maintenance.validatePercent', d.validateShare * 100, 0, 100) / 100,
  };
}
