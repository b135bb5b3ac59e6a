import { runbookName } from './library';

/** The runbooks bundled with the extension, by name. */
export const BUNDLED_RUNBOOKS = ['system_health_check', 'backup_procedures', 'log_management', 'system_update'] as const;
export type BundledRunbook = (typeof BUNDLED_RUNBOOKS)[number];

interface Rule {
  component?: string | RegExp;
  metric?: string | RegExp;
  runbook: BundledRunbook;
}

/**
 * Which runbook handles an alert, by its component and metric; the first rule that matches
 * wins. Health alerts use the component a probe names (any string), so the backup, log,
 * maintenance and update rules come first and everything else is about the machine's health.
 * Maintenance tasks are named by their task key (`logRotation`, `backupFull`…), as an alert
 * raised for a task would name its metric.
 */
const RULES: readonly Rule[] = [
  { component: /^(backup|backups|restore)$/, runbook: 'backup_procedures' },
  { component: /^(logs?|logging)$/, runbook: 'log_management' },
  { component: /^(update|extension|version)$/, runbook: 'system_update' },
  { component: 'maintenance', metric: /^backup/i, runbook: 'backup_procedures' },
  { component: 'maintenance', metric: /^log/i, runbook: 'log_management' },
  { component: 'maintenance', runbook: 'system_health_check' },
  { metric: /^(logRotation|logRetention|logs?)$/, runbook: 'log_management' },
  { metric: /^backup/i, runbook: 'backup_procedures' },
  { runbook: 'system_health_check' },
];

function matches(p: string | RegExp | undefined, v: string): boolean {
  return p === undefined || (typeof p === 'string' ? p === v : p.test(v));
}

/** The runbook for an alert of this component and metric (every alert has one). */
export function runbookForAlert(a: { component: string; metric: string }): BundledRunbook {
  return RULES.find((r) => matches(r.component, a.component) && matches(r.metric, a.metric))!.runbook;
}

/** The runbook an alert names, else the one for its kind (alerts saved before runbooks were mapped name none; a name read from disk is checked). */
export function alertRunbook(a: { component: string; metric: string; runbook?: string }): string {
  return runbookName(a.runbook) ?? runbookForAlert(a);
}
