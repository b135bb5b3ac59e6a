import * as path from 'node:path';
import type { Clock } from '../clock';
import type { HealthReport } from '../health/report';
import { AlertEngine } from './engine';
import { AlertStore, sameStamp, type FileStamp } from './store';
import type { ActionResult, Alert, AlertEvent, AlertLevel, AlertSettings } from './types';

export type AlertListener = (events: AlertEvent[]) => void;

/**
 * What a write of the alerts file is for: an alert that appeared, changed level or state, was
 * acknowledged or resolved. The last value and sample count of an active alert change every
 * sample; they ride along with the next such write rather than rewrite the file each sample.
 */
function significant(alerts: readonly Alert[]): string {
  return JSON.stringify(
    alerts.map((a) => [a.id, a.state, a.level, a.peakLevel, a.acknowledged ?? null, a.resolved ?? null, a.source === 'event' ? a.message : null]),
  );
}

/**
 * Alerts for one data directory: the engine's decisions, persisted when they change. Two VS Code
 * windows on the same data directory share the file: each change is applied to the latest
 * alerts on disk (re-read when another window wrote), under a lock on the alerts folder, so
 * neither overwrites the other's alerts or acknowledgements.
 * Listeners hear every batch of events (also empty ones after a user action, so views refresh).
 */
export class AlertService {
  readonly engine: AlertEngine;
  private store: AlertStore;
  private readonly listeners = new Set<AlertListener>();
  private readonly onError: (err: unknown) => void;
  private readonly clock: Clock;
  /** The version of the file the engine's alerts came from or went to. */
  private seen: FileStamp | undefined;
  /** This instance's read-change-writes, one at a time. */
  private turns: Promise<unknown> = Promise.resolve();

  constructor(opts: { clock: Clock; dataDir: string; settings?: Partial<AlertSettings>; onError?: (err: unknown) => void }) {
    this.engine = new AlertEngine(opts.clock, opts.settings);
    this.store = AlertStore.in(opts.dataDir);
    this.clock = opts.clock;
    this.onError = opts.onError ?? (() => undefined);
  }

  get file(): string {
    return this.store.file;
  }

  /** Loads saved alerts; an unreadable file is moved aside and reported as a WARNING alert. */
  init(): Promise<void> {
    return this.inTurn(async () => {
      const r = await this.store.load(this.clock.now());
      this.seen = await this.store.stamp();
      this.engine.load(r.alerts);
      if (r.movedAside) {
        const message = `The alerts file could not be read: ${r.error?.message} It was moved aside to ${path.basename(r.movedAside)} and alerting started afresh.`;
        const e = await this.change(() => this.engine.raise({ component: 'alerts', metric: 'store', level: 'WARNING', message }));
        this.emit([e]);
      } else {
        this.emit([]);
      }
    });
  }

  async setDataDir(dataDir: string): Promise<void> {
    const next = AlertStore.in(dataDir);
    if (next.file === this.store.file) return;
    await this.flush();
    this.store = next;
    this.seen = undefined;
    await this.init();
  }

  updateSettings(settings: Partial<AlertSettings>): void {
    this.engine.updateSettings(settings);
  }

  onDidChange(listener: AlertListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async observe(report: HealthReport): Promise<AlertEvent[]> {
    const events = await this.mutate(() => this.engine.observeReport(report));
    this.emit(events);
    return events;
  }

  async raise(e: { component: string; metric: string; level: AlertLevel; message: string; runbook?: string }): Promise<AlertEvent> {
    const ev = await this.mutate(() => this.engine.raise(e));
    this.emit([ev]);
    return ev;
  }

  async acknowledge(id: string, opts?: { by?: string; comment?: string; expiresInMs?: number }): Promise<ActionResult> {
    return this.afterAction(await this.mutate(() => this.engine.acknowledge(id, opts)), 'acknowledged');
  }

  async resolve(id: string, opts?: { by?: string; note?: string }): Promise<ActionResult> {
    return this.afterAction(await this.mutate(() => this.engine.resolve(id, opts)), 'resolved');
  }

  async acknowledgeAll(opts?: { by?: string; comment?: string }): Promise<Alert[]> {
    const done = await this.mutate(() => this.engine.acknowledgeAll(opts));
    this.emit(done.map((alert) => ({ kind: 'acknowledged' as const, alert, notify: false })));
    return done;
  }

  /** Drops resolved alerts past their retention (the data-cleanup task); returns how many. */
  async pruneResolved(): Promise<number> {
    return this.mutate(() => this.engine.pruneResolved());
  }

  /** Checks acknowledgement expiry between samples, so a re-open does not wait for one. */
  async tick(): Promise<AlertEvent[]> {
    const events = await this.mutate(() => this.engine.expireAcknowledgements());
    if (events.length) this.emit(events);
    return events;
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    await this.turns.catch(() => undefined);
    await this.store.flush();
  }

  private afterAction(r: ActionResult, kind: 'acknowledged' | 'resolved'): ActionResult {
    if (r.ok) this.emit([{ kind, alert: r.alert, notify: false }]);
    return r;
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turns.catch(() => undefined).then(fn);
    this.turns = run;
    return run;
  }

  /**
   * `apply` on the latest alerts, written if it changed anything worth a write; in this
   * instance's turn, so a change asked for before init() (or during it) comes after it or reads
   * the file itself.
   */
  private mutate<T>(apply: () => T): Promise<T> {
    return this.inTurn(() => this.change(apply));
  }

  private async change<T>(apply: () => T): Promise<T> {
    try {
      await this.refresh();
    } catch (err) {
      // Unreadable now (it was readable at start): keep what we hold, and write it back below.
      this.onError(err);
    }
    const before = significant(this.engine.all());
    const undo = this.engine.memo();
    let result = apply();
    if (significant(this.engine.all()) === before) return result;
    try {
      await this.store.locked(async () => {
        // Another window wrote between our read and the lock: apply the change to its alerts instead.
        if (!sameStamp(await this.store.stamp(), this.seen)) {
          undo();
          await this.refresh();
          result = apply();
        }
        await this.store.save(this.engine.all());
        this.seen = await this.store.stamp();
      });
    } catch (err) {
      this.onError(err);
    }
    return result;
  }

  /** Takes the alerts another window wrote since we last read or wrote the file. */
  private async refresh(): Promise<void> {
    const now = await this.store.stamp();
    if (sameStamp(now, this.seen)) return;
    if (!now) {
      this.seen = undefined;
      return;
    }
    const r = await this.store.load(this.clock.now());
    if (r.movedAside) {
      this.seen = undefined;
      throw r.error ?? new Error(`${this.store.file} could not be read`);
    }
    this.seen = now;
    this.engine.load(r.alerts);
  }

  private emit(events: AlertEvent[]): void {
    for (const l of [...this.listeners]) {
      try {
        l(events);
      } catch {
        // One broken listener must not silence the others.
      }
    }
  }
}
