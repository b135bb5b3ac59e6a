import type { TimerHandle, Timers } from './timers';

export interface Job {
  readonly name: string;
  /** When it runs next, if armed. */
  readonly next: number | undefined;
  dispose(): void;
}

// A timer is never armed for longer than this: after a sleep the wall clock has moved on while
// timers have not, and a job due meanwhile must start within this long of waking.
const MAX_ARM_MS = 60_000;

/**
 * Every periodic job of the extension, on one clock that can set timers: the health sampler,
 * the acknowledgement-expiry and backup-freshness checks, and the maintenance schedules. Jobs
 * are judged by the wall clock, not by how long a timer waited.
 */
export class Scheduler {
  private readonly jobs = new Set<Job>();

  constructor(readonly timers: Timers) {}

  now(): number {
    return this.timers.now();
  }

  /**
   * Runs `fn` every `everyMs()` (read again after each run, so a changed setting applies),
   * never twice at once: the next wait starts when a run ends. With `now`, the first run is at once.
   */
  repeat(name: string, everyMs: () => number, fn: () => unknown, o: { now?: boolean } = {}): Job {
    let current: Job | undefined;
    let stopped = false;
    const arm = (delay: number): void => {
      current = this.at(`${name}`, this.now() + delay, async () => {
        try {
          await fn();
        } catch {
          // A failing run must not end the repetition; the job reports its own errors.
        }
        if (!stopped) arm(everyMs());
      });
      this.jobs.delete(current);
    };
    arm(o.now ? 0 : everyMs());
    const job: Job = {
      name,
      get next() {
        return current?.next;
      },
      dispose: () => {
        stopped = true;
        current?.dispose();
        this.jobs.delete(job);
      },
    };
    this.jobs.add(job);
    return job;
  }

  /** Runs `fn` once at `time` by the wall clock (at once if that has passed). */
  at(name: string, time: number, fn: () => unknown): Job {
    let handle: TimerHandle | undefined;
    let done = false;
    const job: Job = {
      name,
      get next() {
        return done ? undefined : time;
      },
      dispose: () => {
        done = true;
        if (handle) this.timers.clearTimer(handle);
        handle = undefined;
        this.jobs.delete(job);
      },
    };
    const arm = (): void => {
      const wait = time - this.now();
      if (wait <= 0) {
        done = true;
        this.jobs.delete(job);
        void Promise.resolve()
          .then(fn)
          .catch(() => undefined);
        return;
      }
      handle = this.timers.setTimer(() => {
        handle = undefined;
        if (!done) arm();
      }, Math.min(wait, MAX_ARM_MS));
    };
    this.jobs.add(job);
    // Armed on the next turn, so a job due now never runs inside the caller.
    handle = this.timers.setTimer(() => {
      handle = undefined;
      if (!done) arm();
    }, 0);
    return job;
  }

  /** The jobs armed now, for status and tests. */
  list(): { name: string; next: number | undefined }[] {
    return [...this.jobs].map((j) => ({ name: j.name, next: j.next }));
  }

  dispose(): void {
    for (const j of [...this.jobs]) j.dispose();
  }
}
