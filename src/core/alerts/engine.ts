import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { currentUser } from '../user';
import { runbookForAlert } from '../runbooks/forAlert';
import type { HealthReport } from '../health/report';
import { observe, type Observation } from './conditions';
import {
  DEFAULT_ALERT_SETTINGS,
  LEVEL_RANK,
  type ActionResult,
  type Alert,
  type AlertCounts,
  type AlertEvent,
  type AlertLevel,
  type AlertQuery,
  type AlertSettings,
} from './types';

interface Streaks {
  breach: number;
  clear: number;
}

/**
 * Turns a stream of health reports into alerts: one per condition, fired only after the
 * condition holds for the pending period, escalated and de-escalated in place, and resolved
 * once it clears past the hysteresis margin. Holds every alert in memory; a store persists them.
 */
export class AlertEngine {
  private alerts: Alert[] = [];
  private readonly streaks = new Map<string, Streaks>();
  private readonly lastNotified = new Map<string, number>();
  private settings: AlertSettings;

  constructor(
    private readonly clock: Clock,
    settings: Partial<AlertSettings> = {},
  ) {
    this.settings = { ...DEFAULT_ALERT_SETTINGS, ...settings };
  }

  updateSettings(settings: Partial<AlertSettings>): void {
    this.settings = { ...DEFAULT_ALERT_SETTINGS, ...settings };
  }

  /** Replaces the alerts (after loading them) and prunes old resolved ones. */
  load(alerts: Alert[]): void {
    this.alerts = alerts;
    this.prune();
  }

  all(): readonly Alert[] {
    return this.alerts;
  }

  /**
   * Saves this engine's own bookkeeping (streaks, notification times) and returns what puts it
   * back: a change re-applied to alerts another window wrote meanwhile must not count twice.
   */
  memo(): () => void {
    const streaks = [...this.streaks].map(([k, v]) => [k, { ...v }] as const);
    const notified = [...this.lastNotified];
    return () => {
      this.streaks.clear();
      for (const [k, v] of streaks) this.streaks.set(k, v);
      this.lastNotified.clear();
      for (const [k, v] of notified) this.lastNotified.set(k, v);
    };
  }

  get(id: string): Alert | undefined {
    return this.alerts.find((a) => a.id === id);
  }

  /** Feeds one health report; returns what changed. */
  observeReport(report: HealthReport): AlertEvent[] {
    if (!report.sampledAt || report.stale) return this.expireAcknowledgements();
    return this.observe(observe(report, this.settings));
  }

  observe(observations: Observation[]): AlertEvent[] {
    const now = this.clock.now();
    const events: AlertEvent[] = this.expireAcknowledgements();
    const seen = new Set<string>();
    for (const o of observations) {
      seen.add(o.key);
      const s = this.streaks.get(o.key) ?? { breach: 0, clear: 0 };
      this.streaks.set(o.key, s);
      const active = this.active(o.key);
      if (o.breach) {
        s.clear = 0;
        if (active) {
          const before = active.level;
          this.touch(active, o, now);
          if (before !== active.level) {
            const up = LEVEL_RANK[active.level] > LEVEL_RANK[before];
            events.push({ kind: up ? 'escalated' : 'deescalated', alert: active, notify: up && this.mayNotify(active, now) });
          }
        } else if (++s.breach >= this.settings.pendingSamples) {
          s.breach = 0;
          const alert = this.create(o, now);
          events.push({ kind: 'opened', alert, notify: this.mayNotify(alert, now) });
        }
      } else {
        s.breach = 0;
        if (!active) continue;
        if (o.value !== null) active.lastValue = o.value;
        if (o.clear && ++s.clear >= o.clearSamples) {
          s.clear = 0;
          this.markResolved(active, 'system', now, true, `cleared: ${o.message}`);
          events.push({ kind: 'resolved', alert: active, notify: false });
        } else if (!o.clear) {
          s.clear = 0;
        }
      }
    }
    // A condition nobody watches any more (a probe removed from the settings) cannot clear by itself.
    for (const a of this.alerts) {
      if (a.source === 'health' && a.state !== 'RESOLVED' && !seen.has(a.key)) {
        this.markResolved(a, 'system', now, true, 'no longer monitored');
        events.push({ kind: 'resolved', alert: a, notify: false });
      }
    }
    if (events.length) this.prune();
    return events;
  }

  /** An event worth recording (a backup finished, a maintenance task ran): one alert per key. */
  raise(e: { component: string; metric: string; level: AlertLevel; message: string; runbook?: string }): AlertEvent {
    const now = this.clock.now();
    const key = `${e.component}:${e.metric}`;
    const active = this.active(key);
    if (active) {
      active.message = active.title = e.message;
      active.lastSeenAt = active.updatedAt = now;
      active.sampleCount++;
      if (LEVEL_RANK[e.level] > LEVEL_RANK[active.level]) active.level = active.peakLevel = e.level;
      return { kind: 'escalated', alert: active, notify: false };
    }
    const alert: Alert = {
      id: randomUUID(),
      key,
      component: e.component,
      metric: e.metric,
      level: e.level,
      peakLevel: e.level,
      state: 'OPEN',
      title: e.message,
      message: e.message,
      source: 'event',
      unit: '',
      firstValue: null,
      lastValue: null,
      peakValue: null,
      createdAt: now,
      lastSeenAt: now,
      updatedAt: now,
      sampleCount: 1,
      runbook: e.runbook ?? runbookForAlert(e),
    };
    this.alerts.push(alert);
    return { kind: 'opened', alert, notify: e.level !== 'INFO' && this.mayNotify(alert, now) };
  }

  acknowledge(id: string, opts: { by?: string; comment?: string; expiresInMs?: number } = {}): ActionResult {
    const a = this.get(id);
    if (!a) return { ok: false, reason: 'not-found', message: `No alert has the ID ${id}.` };
    if (a.state === 'RESOLVED') return { ok: false, reason: 'already-resolved', message: `Alert ${id} is already resolved.` };
    const now = this.clock.now();
    a.state = 'ACKNOWLEDGED';
    a.acknowledged = {
      by: opts.by ?? currentUser(),
      at: now,
      ...(opts.comment ? { comment: opts.comment } : {}),
      ...(opts.expiresInMs && opts.expiresInMs > 0 ? { expiresAt: now + opts.expiresInMs } : {}),
    };
    a.updatedAt = now;
    return { ok: true, alert: a };
  }

  acknowledgeAll(opts: { by?: string; comment?: string } = {}): Alert[] {
    return this.alerts.filter((a) => a.state === 'OPEN').map((a) => (this.acknowledge(a.id, opts) as { alert: Alert }).alert);
  }

  resolve(id: string, opts: { by?: string; note?: string } = {}): ActionResult {
    const a = this.get(id);
    if (!a) return { ok: false, reason: 'not-found', message: `No alert has the ID ${id}.` };
    if (a.state === 'RESOLVED') return { ok: false, reason: 'already-resolved', message: `Alert ${id} is already resolved.` };
    this.markResolved(a, opts.by ?? currentUser(), this.clock.now(), false, opts.note);
    // If the condition persists it must hold for the pending period again before a new alert.
    this.streaks.delete(a.key);
    return { ok: true, alert: a };
  }

  query(q: AlertQuery = {}): Alert[] {
    const states = q.state === undefined ? undefined : Array.isArray(q.state) ? q.state : [q.state];
    const since = q.hours === undefined ? -Infinity : this.clock.now() - q.hours * 3_600_000;
    return this.alerts
      .filter(
        (a) =>
          (!q.level || a.level === q.level) &&
          (!q.component || a.component === q.component) &&
          (!states || states.includes(a.state)) &&
          Math.max(a.updatedAt, a.createdAt) >= since,
      )
      .sort((a, b) => b.createdAt - a.createdAt || b.updatedAt - a.updatedAt);
  }

  counts(): AlertCounts {
    let open = 0;
    let acknowledged = 0;
    let critical = 0;
    let worstOpen: AlertLevel | null = null;
    for (const a of this.alerts) {
      if (a.state === 'RESOLVED') continue;
      if (a.level === 'CRITICAL') critical++;
      if (a.state === 'ACKNOWLEDGED') acknowledged++;
      else {
        open++;
        if (!worstOpen || LEVEL_RANK[a.level] > LEVEL_RANK[worstOpen]) worstOpen = a.level;
      }
    }
    return { open, acknowledged, critical, worstOpen };
  }

  /** Acknowledgements past their expiry turn OPEN again and notify once more. */
  expireAcknowledgements(): AlertEvent[] {
    const now = this.clock.now();
    const events: AlertEvent[] = [];
    for (const a of this.alerts) {
      const exp = a.acknowledged?.expiresAt;
      if (a.state === 'ACKNOWLEDGED' && exp !== undefined && exp <= now) {
        a.state = 'OPEN';
        a.updatedAt = now;
        this.lastNotified.set(a.key, now);
        events.push({ kind: 'reopened', alert: a, notify: true });
      }
    }
    return events;
  }

  private active(key: string): Alert | undefined {
    return this.alerts.find((a) => a.key === key && a.state !== 'RESOLVED');
  }

  private create(o: Observation, now: number): Alert {
    const alert: Alert = {
      id: randomUUID(),
      key: o.key,
      component: o.component,
      metric: o.metric,
      level: o.breach ?? 'WARNING',
      peakLevel: o.breach ?? 'WARNING',
      state: 'OPEN',
      title: o.title,
      message: o.message,
      source: 'health',
      unit: o.unit.trim(),
      firstValue: o.value,
      lastValue: o.value,
      peakValue: o.value,
      ...(o.threshold ? { threshold: o.threshold } : {}),
      createdAt: now,
      lastSeenAt: now,
      updatedAt: now,
      sampleCount: this.settings.pendingSamples,
      runbook: o.runbook ?? runbookForAlert(o),
    };
    this.alerts.push(alert);
    return alert;
  }

  private touch(a: Alert, o: Observation, now: number): void {
    a.level = o.breach ?? a.level;
    if (LEVEL_RANK[a.level] > LEVEL_RANK[a.peakLevel]) a.peakLevel = a.level;
    a.message = o.message;
    a.title = o.title;
    a.lastValue = o.value;
    if (o.value !== null) {
      const worse = a.peakValue === null || (o.lowerIsWorse ? o.value < a.peakValue : o.value > a.peakValue);
      if (worse) a.peakValue = o.value;
    }
    a.lastSeenAt = a.updatedAt = now;
    a.sampleCount++;
  }

  private markResolved(a: Alert, by: string, now: number, automatic: boolean, note?: string): void {
    a.state = 'RESOLVED';
    a.resolved = { by, at: now, automatic, ...(note ? { note } : {}) };
    a.updatedAt = now;
  }

  private mayNotify(a: Alert, now: number): boolean {
    if (a.state !== 'OPEN') return false;
    const last = this.lastNotified.get(a.key);
    if (last !== undefined && now - last < this.settings.dampingMs) return false;
    this.lastNotified.set(a.key, now);
    return true;
  }

  private prune(): void {
    this.pruneResolved();
  }

  /** Drops resolved alerts older than the retention; returns how many. */
  pruneResolved(): number {
    const cutoff = this.clock.now() - this.settings.retentionMs;
    const before = this.alerts.length;
    this.alerts = this.alerts.filter((a) => a.state !== 'RESOLVED' || (a.resolved?.at ?? a.updatedAt) >= cutoff);
    return before - this.alerts.length;
  }
}
