import type { Clock } from '../clock';

export type TimerHandle = { readonly __timer: unique symbol } | object;

/**
 * A clock that can also set timers: what the scheduler runs on, so that tests can run a
 * simulated week in milliseconds and a later command-line adapter can run the same core.
 */
export interface Timers extends Clock {
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

// setTimeout overflows past 2^31-1 ms (~24.8 days) and fires at once; the scheduler re-arms.
const MAX_DELAY = 2 ** 31 - 1;

export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, MAX_DELAY)));
    // Never keep a process alive just to wait for the next run.
    t.unref?.();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Simulated time for tests: timers fire in order as `advance` moves the clock, and between
 * two of them whatever they started is given the chance to finish (`settle`).
 */
export class SimulatedTimers implements Timers {
  private pending = new Set<Pending>();
  private seq = 0;

  constructor(
    private time: number,
    private readonly settle: () => Promise<void> = () => new Promise((r) => setImmediate(r)),
  ) {}

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const p = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.add(p);
    return p;
  }

  clearTimer(handle: TimerHandle): void {
    this.pending.delete(handle as Pending);
  }

  /** Moves the clock without firing anything: the machine was off, or asleep. */
  jump(ms: number): void {
    this.time += ms;
  }

  /** How many timers are set. */
  get size(): number {
    return this.pending.size;
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await this.settle();
      let next: Pending | undefined;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.pending.delete(next);
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = end;
    await this.settle();
  }
}
