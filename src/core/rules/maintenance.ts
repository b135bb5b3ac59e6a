import type { AlertService } from '../alerts';
import { taskDefinition, type TaskRun } from '../maintenance/types';

/**
 * A maintenance task that fails raises an alert (component `maintenance`, metric the task's
 * key, so it leads to the runbook for that task), and its next successful run resolves it.
 * Backups and backup maintenance say more through the backup rules (which alert themselves), so
 * they are left to those.
 */
export async function maintenanceRunEnded(alerts: AlertService, run: TaskRun): Promise<void> {
  const def = taskDefinition(run.key);
  if (def.type === 'BACKUP' || def.type === 'BACKUP_MAINTENANCE') return;
  if (run.status === 'FAILED') {
    await alerts.raise({ component: 'maintenance', metric: run.key, level: 'WARNING', message: `${def.title} failed: ${run.error ?? 'see its output in the Maintenance view'}` });
  } else if (run.status === 'COMPLETED') {
    for (const a of alerts.engine.query({ component: 'maintenance', state: ['OPEN', 'ACKNOWLEDGED'] })) {
      if (a.metric === run.key) await alerts.resolve(a.id, { by: 'system', note: `${def.title} completed` });
    }
  }
}
