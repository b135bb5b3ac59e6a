import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
import { FolderGuard } from '../backup/guard';
import { GardenerError } from '../errors';
import { isMissing, readJsonFile } from '../jsonFile';
import { isTaskKey, RUN_STATUSES, type RunStatus, type TaskKey, type TaskRun, type Trigger } from './types';

/** What is kept on disk: when each task last fired, every run (scheduled, running, finished), validations. */
export interface MaintenanceState {
  version: 1;
  lastFired: Partial<Record<TaskKey, number>>;
  runs: TaskRun[];
  /** When Backup Maintenance last validated each backup, by backup id. */
  validatedAt: Record<string, number>;
  /** When maintenance first started in this state folder. */
  since?: number;
}

export const emptyState = (): MaintenanceState => ({ version: 1, lastFired: {}, runs: [], validatedAt: {} });

/** Finished runs kept in the history, newest last. */
export const HISTORY_LIMIT = 200;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const TRIGGERS: readonly Trigger[] = ['schedule', 'missed', 'manual', 'once'];
const RUN_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 8.64e15;
const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** One run as read from disk, or undefined if any field is not what we write. */
export function checkRun(v: unknown): TaskRun | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || !RUN_ID.test(r.id) || !isTaskKey(r.key)) return undefined;
  if (!RUN_STATUSES.includes(r.status as RunStatus) || !TRIGGERS.includes(r.trigger as Trigger) || !isTime(r.dueAt)) return undefined;
  if (!Array.isArray(r.output)) return undefined;
  const run: TaskRun = {
    id: r.id,
    key: r.key,
    trigger: r.trigger as Trigger,
    status: r.status as RunStatus,
    description: text(r.description, 500) ?? '',
    dueAt: r.dueAt,
    output: r.output.filter((l): l is string => typeof l === 'string').slice(0, 200).map((l) => l.slice(0, 2000)),
  };
  for (const k of ['startedAt', 'endedAt'] as const) if (isTime(r[k])) run[k] = r[k];
  const summary = text(r.summary, 500);
  if (summary !== undefined) run.summary = summary;
  const error = text(r.error, 2000);
  if (error !== undefined) run.error = error;
  if (typeof r.pid === 'number' && Number.isSafeInteger(r.pid) && r.pid > 0) run.pid = r.pid;
  const host = text(r.host, 255);
  if (host !== undefined) run.host = host;
  return run;
}

/** The state as read from disk: every field checked, what does not check left out. */
export function checkState(v: unknown): MaintenanceState {
  if (!v || typeof v !== 'object' || (v as { version?: unknown }).version !== 1) throw new Error('is not a maintenance state file of version 1');
  const o = v as Record<string, unknown>;
  const state = emptyState();
  if (o.lastFired && typeof o.lastFired === 'object') {
    for (const [k, t] of Object.entries(o.lastFired)) if (isTaskKey(k) && isTime(t)) state.lastFired[k] = t;
  }
  const seen = new Set<string>();
  for (const r of Array.isArray(o.runs) ? o.runs.slice(-(HISTORY_LIMIT * 2)) : []) {
    const run = checkRun(r);
    if (run && !seen.has(run.id)) {
      seen.add(run.id);
      state.runs.push(run);
    }
  }
  if (o.validatedAt && typeof o.validatedAt === 'object') {
    for (const [id, t] of Object.entries(o.validatedAt).slice(0, 10_000)) if (/^[A-Za-z0-9_-]{1,80}$/.test(id) && isTime(t)) state.validatedAt[id] = t;
  }
  if (isTime(o.since)) state.since = o.since;
  return state;
}

/** How far along a run is: scheduled, running, finished. */
export const rank = (s: RunStatus): number => (s === 'SCHEDULED' ? 0 : s === 'RUNNING' ? 1 : 2);

/**
 * Two windows' views of the state joined: every run of either (the further-along copy of a run
 * both have), the later firing of each task, the later validation of each backup. Neither
 * window's work is lost, whichever writes last.
 */
export function mergeStates(disk: MaintenanceState, mine: MaintenanceState): MaintenanceState {
  const runs = new Map<string, TaskRun>();
  for (const r of disk.runs) runs.set(r.id, r);
  for (const r of mine.runs) {
    const other = runs.get(r.id);
    if (!other || rank(r.status) >= rank(other.status)) runs.set(r.id, r);
  }
  const lastFired = { ...disk.lastFired };
  for (const [k, t] of Object.entries(mine.lastFired) as [TaskKey, number][]) lastFired[k] = Math.max(lastFired[k] ?? 0, t);
  const validatedAt = { ...disk.validatedAt };
  for (const [id, t] of Object.entries(mine.validatedAt)) validatedAt[id] = Math.max(validatedAt[id] ?? 0, t);
  const since = Math.min(disk.since ?? Infinity, mine.since ?? Infinity);
  return { version: 1, lastFired, runs: trimHistory([...runs.values()]), validatedAt, ...(Number.isFinite(since) ? { since } : {}) };
}

/**
 * What a window takes as its state when it reads `disk`: the disk's, but keeping its own run
 * objects (its running and waiting tasks hold them) unless another window took a run further
 * (cancelled a one-off it waits on), and the runs it made since it last read. With `only`, just
 * those runs of ours count as newer than the disk's copy.
 */
export function adoptState(mine: MaintenanceState, disk: MaintenanceState, only?: ReadonlySet<string>): MaintenanceState {
  const ours = new Map(mine.runs.filter((r) => !only || only.has(r.id)).map((r) => [r.id, r]));
  const runs = disk.runs.map((r) => {
    const own = ours.get(r.id);
    return own && rank(own.status) >= rank(r.status) ? own : r;
  });
  const onDisk = new Set(disk.runs.map((r) => r.id));
  for (const r of mine.runs) if (!onDisk.has(r.id) && (!only || only.has(r.id) || r.status === 'SCHEDULED')) runs.push(r);
  // Firings, validations and the start: the later (or earliest) of both, as a write merges them.
  return { ...mergeStates(disk, { ...mine, runs: [] }), runs };
}

/** Keeps every open run and the newest finished ones, in the order they were due. */
export function trimHistory(runs: TaskRun[]): TaskRun[] {
  const sorted = [...runs].sort((a, b) => (a.startedAt ?? a.dueAt) - (b.startedAt ?? b.dueAt));
  const finished = sorted.filter((r) => rank(r.status) === 2);
  const drop = new Set(finished.slice(0, Math.max(0, finished.length - HISTORY_LIMIT)).map((r) => r.id));
  return sorted.filter((r) => !drop.has(r.id));
}

/**
 * The maintenance state file (`<dataDir>/maintenance/state.json`), shared by every window on
 * the same state: each write takes a short lock, merges with what is on disk and replaces the
 * file atomically.
 */
export class MaintenanceStore {
  readonly dir: string;
  readonly file: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'maintenance');
    this.file = path.join(this.dir, 'state.json');
  }

  /** The file's mtime and size, to tell whether another window wrote it since. */
  stamp(): string {
    const st = fs.statSync(this.file, { throwIfNoEntry: false });
    return st ? `${st.mtimeMs}:${st.size}` : '';
  }

  /**
   * The state on disk. A missing file is an empty state; one that is not ours is set aside as
   * `state.json.corrupt` (for the user to look at) and an empty state is returned with a warning.
   */
  async read(warn?: (message: string) => void): Promise<MaintenanceState> {
    try {
      const st = fs.lstatSync(this.file, { throwIfNoEntry: false });
      if (st && (!st.isFile() || st.size > MAX_FILE_BYTES)) throw new GardenerError(`${this.file} is not a maintenance state file (not a plain file, or over 4 MB).`, 'CORRUPT_FILE');
      return await readJsonFile(this.file, checkState);
    } catch (err) {
      if (isMissing(err)) return emptyState();
      if (!(err instanceof GardenerError) || err.code !== 'CORRUPT_FILE') throw err;
      const guard = new FolderGuard(this.dir);
      guard.renameTo('state.json', guard, 'state.json.corrupt');
      warn?.(`${err.message} It was set aside as state.json.corrupt and maintenance starts with an empty history.`);
      return emptyState();
    }
  }

  /** Merges `mine` into what is on disk, writes the result and returns it. */
  async write(mine: MaintenanceState, warn?: (message: string) => void): Promise<MaintenanceState> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lockfile = await import('proper-lockfile');
    // Locked by the file's own name: proper-lockfile keeps one lock per name and process, and
    // the folder's name is the leader's.
    const release = await lockfile.lock(this.file, {
      lockfilePath: path.join(this.dir, 'state.lock'),
      realpath: false,
      stale: 10_000,
      retries: { retries: 40, minTimeout: 10, maxTimeout: 250 },
    });
    try {
      const merged = mergeStates(await this.read(warn), mine);
      await writeJsonAtomically(this.file, merged);
      return merged;
    } finally {
      await release().catch(() => undefined);
    }
  }
}
