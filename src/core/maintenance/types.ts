import type { BackupType } from '../backup/types';

/** What a maintenance task does (the guide's MaintenanceType, plus scheduled backups). */
export type TaskType = 'HEALTH_CHECK' | 'DATA_CLEANUP' | 'LOG_ROTATION' | 'BACKUP_MAINTENANCE' | 'BACKUP';

/** The guide's statuses, plus SKIPPED: a run that was due but did not start, and why. */
export type RunStatus = 'SCHEDULED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'SKIPPED';
export const RUN_STATUSES: readonly RunStatus[] = ['SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'];

/** The recurring tasks, by the key their schedule setting uses (`codebaseGardener.maintenance.schedule.<key>`). */
export type TaskKey = 'healthCheck' | 'dataCleanup' | 'logRotation' | 'backupMaintenance' | 'backupIncremental' | 'backupConfiguration' | 'backupUserData' | 'backupFull';

export interface TaskDefinition {
  key: TaskKey;
  type: TaskType;
  backupType?: BackupType;
  title: string;
  /** The guide's frequency, as a cron expression in local time. */
  defaultSchedule: string;
  /** Waits while the machine is under critical load. */
  heavy: boolean;
}

export const TASKS: readonly TaskDefinition[] = [
  { key: 'healthCheck', type: 'HEALTH_CHECK', title: 'Health check', defaultSchedule: '*/30 * * * *', heavy: false },
  { key: 'dataCleanup', type: 'DATA_CLEANUP', title: 'Data cleanup', defaultSchedule: '15 3 * * *', heavy: false },
  { key: 'logRotation', type: 'LOG_ROTATION', title: 'Log rotation', defaultSchedule: '5 0 * * *', heavy: false },
  { key: 'backupMaintenance', type: 'BACKUP_MAINTENANCE', title: 'Backup maintenance', defaultSchedule: '30 4 * * 0', heavy: true },
  { key: 'backupIncremental', type: 'BACKUP', backupType: 'INCREMENTAL', title: 'Incremental backup', defaultSchedule: '0 */6 * * *', heavy: true },
  { key: 'backupConfiguration', type: 'BACKUP', backupType: 'CONFIGURATION', title: 'Configuration backup', defaultSchedule: '40 12 * * *', heavy: true },
  { key: 'backupUserData', type: 'BACKUP', backupType: 'USER_DATA', title: 'User-data backup', defaultSchedule: '50 12 * * *', heavy: true },
  { key: 'backupFull', type: 'BACKUP', backupType: 'FULL', title: 'Full backup', defaultSchedule: '0 2 * * 0', heavy: true },
];

export const TASK_KEYS: readonly TaskKey[] = TASKS.map((t) => t.key);

export function taskDefinition(key: TaskKey): TaskDefinition {
  const d = TASKS.find((t) => t.key === key);
  if (!d) throw new Error(`unknown task ${key}`);
  return d;
}

export function isTaskKey(v: unknown): v is TaskKey {
  return typeof v === 'string' && (TASK_KEYS as readonly string[]).includes(v);
}

/** How a run came about. */
export type Trigger = 'schedule' | 'missed' | 'manual' | 'once';

/** One run of a task, kept in the history with what it did. */
export interface TaskRun {
  id: string;
  key: TaskKey;
  trigger: Trigger;
  status: RunStatus;
  description: string;
  /** When it was due (a one-off's chosen time, a schedule's slot). */
  dueAt: number;
  startedAt?: number;
  endedAt?: number;
  /** What it did, in a line or a few, for the History view and Show Output. */
  output: string[];
  /** A one-line summary of the outcome ("freed 3 files, 1.2 MB"). */
  summary?: string;
  error?: string;
  /** The process that ran it, so a run left RUNNING by a crash can be told from one still going. */
  pid?: number;
  host?: string;
}

/** What the settings say about maintenance, already validated. */
export interface MaintenanceSettings {
  /** Per task: its cron expression, or undefined when turned off. */
  schedules: Record<TaskKey, string | undefined>;
  /** Each scheduled run waits a random delay of up to this many ms, to spread runs. */
  randomDelayMs: number;
  /** Missed runs start this long after start-up. */
  missedDelayMs: number;
  /** The share (0–1) of older kept backups Backup Maintenance validates on each run. */
  validateShare: number;
}

export const DEFAULT_MAINTENANCE_SETTINGS: MaintenanceSettings = {
  schedules: Object.fromEntries(TASKS.map((t) => [t.key, t.defaultSchedule])) as Record<TaskKey, string>,
  randomDelayMs: 60_000,
  missedDelayMs: 120_000,
  validateShare: 0.25,
};

/** What a task's action returns: lines of output and a summary. */
export interface TaskResult {
  output?: string[];
  summary: string;
  /** The task had nothing to do and did not run (no user-data folder chosen, no folder open): SKIPPED. */
  skipped?: boolean;
}

/** What a running task is given: its run, a cancellation signal, and where to say what it does. */
export interface TaskContext {
  run: TaskRun;
  signal: AbortSignal;
  log(line: string): void;
  progress(p: { done: number; total: number; message?: string }): void;
  /** When each backup was last validated (kept in the shared state; the task updates it). */
  validatedAt: Record<string, number>;
  /** When maintenance first ran in this state folder: how long this workspace has been watched. */
  watchedSince: number;
}

export type PerformTask = (task: TaskDefinition, ctx: TaskContext) => Promise<TaskResult>;

export interface RunProgress {
  done: number;
  total: number;
  message?: string;
}

export interface ScheduledItem {
  key: TaskKey;
  title: string;
  expression: string;
  next: number | undefined;
}

/** The guide's get_maintenance_status(). */
export interface MaintenanceStatus {
  total_tasks: number;
  running_tasks: number;
  scheduled_tasks: number;
  by_status: Record<RunStatus, number>;
  recent: TaskRun[];
  next: { key: TaskKey; title: string; at: number; runId?: string }[];
  runbooks: string[];
  leader: boolean;
}
