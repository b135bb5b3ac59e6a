import * as path from 'node:path';
import type { Clock } from '../clock';
import type { HealthReport } from '../health/report';
import { AlertEngine } from './engine';
import { AlertStore } from './store';
import type { ActionResult, Alert, AlertEvent, AlertLevel, AlertSettings } from './types';

export type AlertListener = (events: AlertEvent[]) => void;

/**
 * Alerts for one data directory: the engine's decisions, persisted after every change.
 * Listeners hear every batch of events (also empty ones after a user action, so views refresh).
 */
export class AlertService {
  readonly engine: AlertEngine;
  private store: AlertStore;
  private readonly listeners = new Set<AlertListener>();
  private ready: Promise<void> = Promise.resolve();
  private readonly onError: (err: unknown) => void;
  private readonly clock: Clock;

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
    this.ready = (async () => {
      const r = await this.store.load(this.clock.now());
      this.engine.load(r.alerts);
      if (r.movedAside) {
        const e = this.engine.raise({
          component: 'alerts',
          metric: 'store',
          level: 'WARNING',
          message: `The alerts file could not be read: ${r.error?.message} It was moved aside to ${path.basename(r.movedAside)} and alerting started afresh.`,
        });
        await this.store.save(this.engine.all());
        this.emit([e]);
      } else {
        this.emit([]);
      }
    })();
    return this.ready;
  }

  async setDataDir(dataDir: string): Promise<void> {
    const next = AlertStore.in(dataDir);
    if (next.file === this.store.file) return;
    await this.store.flush();
    this.store = next;
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
    await this.ready;
    const before = this.engine.counts();
    const hadActive = before.open + before.acknowledged > 0;
    const events = this.engine.observeReport(report);
    // Active alerts change every sample (last value, count), so they are saved too.
    if (events.length || hadActive) this.persist();
    this.emit(events);
    return events;
  }

  async raise(e: { component: string; metric: string; level: AlertLevel; message: string; runbook?: string }): Promise<AlertEvent> {
    await this.ready;
    const ev = this.engine.raise(e);
    this.persist();
    this.emit([ev]);
    return ev;
  }

  async acknowledge(id: string, opts?: { by?: string; comment?: string; expiresInMs?: number }): Promise<ActionResult> {
    await this.ready;
    return this.afterAction(this.engine.acknowledge(id, opts), 'acknowledged');
  }

  async resolve(id: string, opts?: { by?: string; note?: string }): Promise<ActionResult> {
    await this.ready;
    return this.afterAction(this.engine.resolve(id, opts), 'resolved');
  }

  async acknowledgeAll(opts?: { by?: string; comment?: string }): Promise<Alert[]> {
    await this.ready;
    const done = this.engine.acknowledgeAll(opts);
    if (done.length) this.persist();
    this.emit(done.map((alert) => ({ kind: 'acknowledged' as const, alert, notify: false })));
    return done;
  }

  /** Drops resolved alerts past their retention (the data-cleanup task); returns how many. */
  async pruneResolved(): Promise<number> {
    await this.ready;
    const n = this.engine.pruneResolved();
    if (n) this.persist();
    return n;
  }

  /** Checks acknowledgement expiry between samples, so a re-open does not wait for one. */
  tick(): AlertEvent[] {
    const events = this.engine.expireAcknowledgements();
    if (events.length) {
      this.persist();
      this.emit(events);
    }
    return events;
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  private afterAction(r: ActionResult, kind: 'acknowledged' | 'resolved'): ActionResult {
    if (r.ok) {
      this.persist();
      this.emit([{ kind, alert: r.alert, notify: false }]);
    }
    return r;
  }

  private persist(): void {
    this.store.save(this.engine.all()).catch((err) => this.onError(err));
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
