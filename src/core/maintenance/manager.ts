import * as os from 'node:os';
import { GardenerError } from '../errors';
import { nextRun, type CronSchedule } from './cron';
import { parseSchedules } from './settings';
import { Leadership } from './leader';
import type { Job, Scheduler } from './scheduler';
import { markInterrupted, newRun, statusOf } from './runs';
import { adoptState, emptyState, MaintenanceStore, type MaintenanceState } from './store';
import { TASKS, taskDefinition, type MaintenanceSettings, type MaintenanceStatus, type PerformTask, type RunProgress, type RunStatus, type ScheduledItem, type TaskKey, type TaskResult, type TaskRun } from './types';

export type { MaintenanceStatus, PerformTask, RunProgress, ScheduledItem, TaskContext } from './types';

export interface MaintenanceOptions {
  scheduler: Scheduler;
  dataDir: string;
  settings: MaintenanceSettings;
  perform: PerformTask;
  /** Whether the machine is under critical load now: heavy tasks wait while it is. */
  underCriticalLoad?: () => boolean;
  random?: () => number;
  leadership?: { staleMs?: number; updateMs?: number };
  warn?: (message: string) => void;
  onError?: (message: string, err: unknown) => void;
  /** After every run that started ends (the rules that raise or resolve alerts hang here). */
  onRunEnded?: (run: TaskRun) => Promise<void> | void;
}

// A slot more than this late is a missed run (the editor was closed, the machine asleep).
const MISSED_GRACE_MS = 5 * 60_000;
// While the machine is under critical load, a heavy task looks again this often, and gives up after this long.
const LOAD_RECHECK_MS = 60_000;
const LOAD_GIVE_UP_MS = 6 * 3_600_000;
const REFRESH_MS = 60_000;

/**
 * Runs maintenance: the recurring tasks on their cron schedules (in the leading window only),
 * one-off tasks, and tasks run by hand (in any window), each run kept with its output and
 * outcome in a state file every window shares.
 */
export class MaintenanceManager {
  private state: MaintenanceState = emptyState();
  private readonly store: MaintenanceStore;
  private readonly leadership: Leadership;
  private settings: MaintenanceSettings;
  private schedules = new Map<TaskKey, CronSchedule>();
  private readonly running = new Map<string, { abort: AbortController; progress?: RunProgress }>();
  private readonly waiting = new Map<string, Job>();
  private readonly jobs: Job[] = [];
  private tickJob: Job | undefined;
  private startedAt = 0;
  private listeners = new Set<() => void>();
  private pending = new Set<Promise<unknown>>();
  /** Reads and writes of the state file under way (not the runs, which may wait on the clock). */
  private io = new Set<Promise<unknown>>();
  /** The state file's mtime and size when this window last read or wrote it. */
  private seen = '';
  private disposed = false;
  private triedToLead = false;
  /** Invalid schedule settings, one message each, naming the setting. */
  problems: string[] = [];
  runbooks: () => string[] = () => [];

  constructor(private readonly o: MaintenanceOptions) {
    this.store = new MaintenanceStore(o.dataDir);
    this.settings = o.settings;
    this.applySchedules();
    this.leadership = new Leadership(o.dataDir, {
      ...o.leadership,
      onChange: (leader) => {
        if (leader) this.track(this.becameLeader());
        else this.tickJob?.dispose();
        this.changed();
      },
    });
  }

  get isLeader(): boolean {
    return this.leadership.isLeader;
  }

  /**
   * Another window on this state folder leads: known once this one has tried to lead. What one
   * window per folder should do (recording the machine's samples to the shared history), a
   * follower leaves to the leader; before the first try, every window does it.
   */
  get followsAnother(): boolean {
    return this.triedToLead && !this.isLeader;
  }

  get dataDir(): string {
    return this.o.dataDir;
  }

  get stateFile(): string {
    return this.store.file;
  }

  /** Reads the state, marks runs a crash left RUNNING as failed, and starts trying to lead. */
  async start(): Promise<void> {
    this.startedAt = this.now();
    this.state = await this.ioOf(this.store.read(this.o.warn));
    this.state.since ??= this.startedAt;
    await this.markInterrupted();
    const retryMs = Math.max(1000, Math.floor((this.o.leadership?.staleMs ?? 20_000) / 4));
    this.jobs.push(this.o.scheduler.repeat('maintenance-leader', () => retryMs, () => this.track(this.tryLead()), { now: true }));
    this.jobs.push(this.o.scheduler.repeat('maintenance-refresh', () => REFRESH_MS, () => this.track(this.refresh())));
    this.changed();
  }

  updateSettings(settings: MaintenanceSettings): void {
    const before = new Map([...this.schedules].map(([k, s]) => [k, s.expression]));
    this.settings = settings;
    this.applySchedules();
    // A schedule turned on or changed starts from now: its old slots were never due.
    const now = this.now();
    let reset = false;
    for (const [key, s] of this.schedules) {
      if (before.get(key) !== s.expression) {
        this.state.lastFired[key] = now;
        reset = true;
      }
    }
    if (reset && this.isLeader) this.track(this.save());
    if (this.isLeader) this.armTick();
    this.changed();
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Every run known: scheduled, running and finished, oldest first. */
  runs(): TaskRun[] {
    return [...this.state.runs];
  }

  progressOf(runId: string): RunProgress | undefined {
    return this.running.get(runId)?.progress;
  }

  /** The recurring tasks that are on, with their next run. */
  scheduled(): ScheduledItem[] {
    const out: ScheduledItem[] = [];
    for (const t of TASKS) {
      const s = this.schedules.get(t.key);
      if (s) out.push({ key: t.key, title: t.title, expression: s.expression, next: this.nextOf(t.key, s) });
    }
    return out;
  }

  status(): MaintenanceStatus {
    return statusOf(this.state.runs, this.scheduled(), this.runbooks(), this.isLeader);
  }

  /** A one-off run of `key` at `when` (the guide's schedule_maintenance); returns its id. */
  async schedule(key: TaskKey, when: number, description?: string): Promise<string> {
    const run = newRun(key, 'once', when, description ?? `${taskDefinition(key).title} (one-off)`);
    this.state.runs.push(run);
    await this.save();
    if (this.isLeader) this.armOneOff(run);
    return run.id;
  }

  /**
   * Runs `key` now, in this window, whoever leads (the guide's execute_maintenance_task), or
   * a one-off run by its id. Resolves with the finished run.
   */
  async execute(keyOrRunId: TaskKey | string, o: { description?: string; signal?: AbortSignal } = {}): Promise<TaskRun> {
    const existing = this.state.runs.find((r) => r.id === keyOrRunId);
    if (existing) {
      if (existing.status !== 'SCHEDULED') throw new GardenerError(`Run ${existing.id} is ${existing.status.toLowerCase()}, not scheduled.`, 'INVALID');
      this.waiting.get(existing.id)?.dispose();
      return this.runNow(existing, { waitForLoad: false, signal: o.signal });
    }
    const def = TASKS.find((t) => t.key === keyOrRunId);
    if (!def) throw new GardenerError(`There is no maintenance task or run "${keyOrRunId}".`, 'NOT_FOUND');
    const run = newRun(def.key, 'manual', this.now(), o.description ?? `${def.title} (run by hand)`);
    this.state.runs.push(run);
    return this.runNow(run, { waitForLoad: false, signal: o.signal });
  }

  /** Cancels a scheduled run, or stops one running in this window. */
  async cancel(runId: string): Promise<boolean> {
    const run = this.state.runs.find((r) => r.id === runId);
    if (!run) throw new GardenerError(`There is no maintenance run "${runId}".`, 'NOT_FOUND');
    if (run.status === 'SCHEDULED') {
      this.waiting.get(run.id)?.dispose();
      this.waiting.delete(run.id);
      this.finish(run, 'CANCELLED', { summary: 'cancelled before it started' });
      await this.save();
      return true;
    }
    const mine = this.running.get(run.id);
    if (run.status === 'RUNNING' && mine) {
      mine.abort.abort(new GardenerError('Cancelled.', 'CANCELLED'));
      return true;
    }
    if (run.status === 'RUNNING') throw new GardenerError('That task runs in another VS Code window; cancel it there.', 'LOCKED');
    return false;
  }

  /** Resolves once every save and run started so far has finished (for shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size || this.io.size) await Promise.allSettled([...this.pending, ...this.io]);
  }

  /** Resolves once no read or write of the state file is under way (a simulated clock's settle). */
  async ioIdle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setImmediate(r));
      if (this.io.size) {
        quiet = 0;
        await Promise.allSettled([...this.io]);
      } else quiet++;
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const j of this.jobs) j.dispose();
    this.tickJob?.dispose();
    for (const j of this.waiting.values()) j.dispose();
    for (const r of this.running.values()) r.abort.abort(new GardenerError('VS Code is closing.', 'CANCELLED'));
    await this.idle();
    await this.leadership.resign();
    this.listeners.clear();
  }

  // ---- scheduling ----

  private applySchedules(): void {
    ({ schedules: this.schedules, problems: this.problems } = parseSchedules(this.settings));
  }

  private nextOf(key: TaskKey, s: CronSchedule): number | undefined {
    return nextRun(s, this.state.lastFired[key] ?? Math.max(this.startedAt, this.now() - MISSED_GRACE_MS));
  }

  private async tryLead(): Promise<void> {
    if (this.disposed || this.isLeader) return;
    try {
      await this.ioOf(this.leadership.tryAcquire());
    } finally {
      this.triedToLead = true;
    }
  }

  private async becameLeader(): Promise<void> {
    // Another window may have fired tasks until a moment ago.
    this.adopt(await this.ioOf(this.store.read(this.o.warn)));
    await this.markInterrupted();
    for (const r of this.state.runs) if (r.status === 'SCHEDULED') this.armOneOff(r);
    // Never fired in this state folder: the schedules start from now, nothing is "missed".
    for (const t of TASKS) this.state.lastFired[t.key] ??= this.now();
    await this.save();
    this.tick();
  }

  private armTick(): void {
    this.tickJob?.dispose();
    let wake: number | undefined;
    for (const [key, s] of this.schedules) {
      const n = this.nextOf(key, s);
      if (n !== undefined && (wake === undefined || n < wake)) wake = n;
    }
    if (wake !== undefined) this.tickJob = this.o.scheduler.at('maintenance-schedules', wake, () => this.tick());
  }

  /** Fires every recurring task whose slot has come: once, however many slots were missed. */
  private tick(): void {
    if (this.disposed || !this.isLeader) return;
    const now = this.now();
    let fired = false;
    for (const [key, s] of this.schedules) {
      const due = this.nextOf(key, s);
      if (due === undefined || due > now) continue;
      fired = true;
      const missed = now - due > MISSED_GRACE_MS;
      this.state.lastFired[key] = missed ? now : due;
      const delay = (missed ? this.settings.missedDelayMs : 0) + Math.floor((this.o.random ?? Math.random)() * this.settings.randomDelayMs);
      const def = taskDefinition(key);
      const run = newRun(key, missed ? 'missed' : 'schedule', now + delay, missed ? `${def.title} (missed while VS Code was closed or asleep)` : `${def.title} (scheduled)`);
      this.state.runs.push(run);
      this.armOneOff(run);
    }
    if (fired) this.track(this.save());
    this.armTick();
  }

  private armOneOff(run: TaskRun): void {
    this.waiting.get(run.id)?.dispose();
    this.waiting.set(
      run.id,
      this.o.scheduler.at(`run-${run.id}`, run.dueAt, () => {
        this.waiting.delete(run.id);
        // The run as the state has it now: another window may have cancelled it meanwhile.
        const current = this.state.runs.find((r) => r.id === run.id);
        if (this.isLeader && current?.status === 'SCHEDULED') this.track(this.runNow(current, { waitForLoad: true }));
      }),
    );
  }

  // ---- running ----

  private async runNow(run: TaskRun, o: { waitForLoad: boolean; signal?: AbortSignal }): Promise<TaskRun> {
    const def = taskDefinition(run.key);
    const busy = this.state.runs.find((r) => r.key === run.key && r.status === 'RUNNING' && r.id !== run.id);
    if (busy) {
      this.finish(run, 'SKIPPED', { summary: `the previous run (${busy.id}) was still going` });
      await this.save();
      return run;
    }
    if (def.heavy && o.waitForLoad && this.o.underCriticalLoad?.()) {
      if (this.now() - run.dueAt >= LOAD_GIVE_UP_MS) {
        this.finish(run, 'SKIPPED', { summary: 'the machine stayed under critical load for 6 hours' });
      } else {
        if (!run.output.includes(WAIT_LINE)) run.output.push(WAIT_LINE);
        this.waiting.set(
          run.id,
          this.o.scheduler.at(`run-${run.id}`, this.now() + LOAD_RECHECK_MS, () => {
            this.waiting.delete(run.id);
            const current = this.state.runs.find((r) => r.id === run.id);
            if (current?.status === 'SCHEDULED') this.track(this.runNow(current, o));
          }),
        );
      }
      await this.save();
      this.changed();
      return run;
    }
    const abort = new AbortController();
    o.signal?.addEventListener('abort', () => abort.abort(new GardenerError('Cancelled.', 'CANCELLED')));
    const entry: { abort: AbortController; progress?: RunProgress } = { abort };
    this.running.set(run.id, entry);
    run.status = 'RUNNING';
    run.startedAt = this.now();
    run.pid = process.pid;
    run.host = os.hostname();
    await this.save();
    try {
      const result = await this.o.perform(def, {
        run,
        signal: abort.signal,
        log: (line) => {
          if (run.output.length < 200) run.output.push(line.slice(0, 2000));
        },
        progress: (p) => {
          entry.progress = p;
          this.changed();
        },
        validatedAt: this.state.validatedAt,
        watchedSince: this.watchedSince(),
      });
      this.finish(run, abort.signal.aborted ? 'CANCELLED' : result.skipped ? 'SKIPPED' : 'COMPLETED', result);
    } catch (err) {
      const cancelled = abort.signal.aborted || (err instanceof GardenerError && err.code === 'CANCELLED');
      this.finish(run, cancelled ? 'CANCELLED' : 'FAILED', { summary: cancelled ? 'cancelled' : 'failed' }, cancelled ? undefined : err);
      if (!cancelled) this.o.onError?.(`${def.title} failed`, err);
    } finally {
      this.running.delete(run.id);
    }
    await this.save();
    try {
      await this.o.onRunEnded?.(run);
    } catch (err) {
      this.o.onError?.('A rule after a maintenance run failed', err);
    }
    return run;
  }

  private finish(run: TaskRun, status: RunStatus, result: TaskResult, err?: unknown): void {
    run.status = status;
    run.endedAt = this.now();
    if (result.output) for (const l of result.output) if (run.output.length < 200) run.output.push(l.slice(0, 2000));
    run.summary = result.summary;
    if (err !== undefined) run.error = err instanceof Error ? err.message : String(err);
    this.changed();
  }

  /** Runs left RUNNING by a window that no longer exists: failed, "interrupted". */
  private async markInterrupted(): Promise<void> {
    if (markInterrupted(this.state.runs, this.now(), (id) => this.running.has(id))) await this.save();
  }

  private async refresh(): Promise<void> {
    if (this.disposed || this.store.stamp() === this.seen) return;
    this.adopt(await this.ioOf(this.store.read(this.o.warn)), new Set([...this.running.keys(), ...this.waiting.keys()]));
    this.seen = this.store.stamp();
    if (this.isLeader) for (const r of this.state.runs) if (r.status === 'SCHEDULED' && !this.waiting.has(r.id)) this.armOneOff(r);
    this.changed();
  }

  private async save(): Promise<void> {
    try {
      this.adopt(await this.ioOf(this.store.write(this.state, this.o.warn)));
      this.seen = this.store.stamp();
    } catch (err) {
      this.o.onError?.(`Could not save the maintenance state in ${this.store.file}`, err);
    }
    this.changed();
  }

  private adopt(disk: MaintenanceState, only?: Set<string>): void {
    this.state = adoptState(this.state, disk, only);
  }

  /** When maintenance first started in this state folder. */
  watchedSince(): number {
    return this.state.since ?? this.startedAt;
  }




  private now(): number {
    return this.o.scheduler.now();
  }

  private ioOf<T>(p: Promise<T>): Promise<T> {
    this.io.add(p);
    void p.then(
      () => this.io.delete(p),
      () => this.io.delete(p),
    );
    return p;
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p
      .catch((err) => this.o.onError?.('Maintenance failed', err))
      .finally(() => this.pending.delete(p));
  }

  private changed(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // One broken listener must not stop the others.
      }
    }
  }
}

const WAIT_LINE = 'Waiting: the machine is under critical load; a heavy task starts when it eases.';
