import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { processIsAlive } from '../lockOwner';
import type { MaintenanceStatus, RunStatus, ScheduledItem, TaskKey, TaskRun, Trigger } from './types';

export function newRun(key: TaskKey, trigger: Trigger, dueAt: number, description: string): TaskRun {
  return { id: `${key.toLowerCase()}-${dueAt.toString(36)}-${randomBytes(3).toString('hex')}`, key, trigger, status: 'SCHEDULED', description, dueAt, output: [] };
}

/**
 * Marks FAILED ("interrupted") each run left RUNNING by a window that no longer exists: its
 * process is gone from this machine, or it never said which it was. Says whether any was.
 */
export function markInterrupted(runs: TaskRun[], now: number, runningHere: (id: string) => boolean): boolean {
  let any = false;
  for (const r of runs) {
    if (r.status !== 'RUNNING' || runningHere(r.id)) continue;
    const gone = r.host === undefined || r.pid === undefined || (r.host === os.hostname() && !processIsAlive(r.pid));
    if (!gone) continue;
    r.status = 'FAILED';
    r.endedAt = now;
    r.error = 'interrupted: VS Code closed or crashed while it ran';
    r.summary = 'interrupted';
    any = true;
  }
  return any;
}

/** The guide's get_maintenance_status() of these runs and schedules. */
export function statusOf(runs: readonly TaskRun[], scheduled: readonly ScheduledItem[], runbooks: string[], leader: boolean): MaintenanceStatus {
  const by = { SCHEDULED: 0, RUNNING: 0, COMPLETED: 0, FAILED: 0, CANCELLED: 0, SKIPPED: 0 } as Record<RunStatus, number>;
  for (const r of runs) by[r.status]++;
  const finished = runs.filter((r) => r.endedAt !== undefined).sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
  const upcoming = [
    ...scheduled.flatMap((s) => (s.next !== undefined ? [{ key: s.key, title: s.title, at: s.next }] : [])),
    ...runs.filter((r) => r.status === 'SCHEDULED').map((r) => ({ key: r.key, title: r.description, at: r.dueAt, runId: r.id })),
  ].sort((a, b) => a.at - b.at);
  return {
    total_tasks: runs.length,
    running_tasks: by.RUNNING,
    scheduled_tasks: by.SCHEDULED + scheduled.length,
    by_status: by,
    recent: finished.slice(0, 10),
    next: upcoming.slice(0, 5),
    runbooks,
    leader,
  };
}
