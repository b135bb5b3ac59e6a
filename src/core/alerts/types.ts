export type AlertLevel = 'INFO' | 'WARNING' | 'CRITICAL';
export type AlertState = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';

export const LEVEL_RANK: Record<AlertLevel, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

/** One alert per condition; while the condition lasts, this record is updated, not repeated. */
export interface Alert {
  id: string;
  /** The condition: component + metric. At most one unresolved alert per key. */
  key: string;
  component: string;
  metric: string;
  level: AlertLevel;
  /** The highest level this alert reached. */
  peakLevel: AlertLevel;
  state: AlertState;
  /** A few words for narrow places (tree labels); `message` has the whole sentence. */
  title: string;
  message: string;
  source: 'health' | 'event';
  unit: string;
  firstValue: number | null;
  lastValue: number | null;
  /** Worst value seen: highest, or lowest where lower is worse. */
  peakValue: number | null;
  threshold?: { warning: number; critical: number };
  /** Epoch ms. */
  createdAt: number;
  lastSeenAt: number;
  updatedAt: number;
  /** Samples during which the condition was seen. */
  sampleCount: number;
  runbook?: string;
  acknowledged?: { by: string; at: number; comment?: string; expiresAt?: number };
  resolved?: { by: string; at: number; note?: string; automatic: boolean };
}

export interface AlertSettings {
  /** Consecutive breaching samples before an alert fires. */
  pendingSamples: number;
  /** Points (percent) a metric must fall back past its warning threshold to clear. */
  hysteresis: number;
  /** Consecutive passing samples before a failed probe's alert clears. */
  clearSamples: number;
  /** At most one notification per condition in this window. */
  dampingMs: number;
  /** Resolved alerts older than this are deleted. */
  retentionMs: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = Object.freeze({
  pendingSamples: 2,
  hysteresis: 5,
  clearSamples: 2,
  dampingMs: 15 * 60_000,
  retentionMs: 90 * 86_400_000,
});

export type AlertEventKind = 'opened' | 'escalated' | 'deescalated' | 'reopened' | 'acknowledged' | 'resolved';

export interface AlertEvent {
  kind: AlertEventKind;
  alert: Alert;
  /** Whether the user should be told now (damping and acknowledgement applied). */
  notify: boolean;
}

export type ActionResult = { ok: true; alert: Alert } | { ok: false; reason: 'not-found' | 'already-resolved'; message: string };

export interface AlertQuery {
  level?: AlertLevel;
  component?: string;
  state?: AlertState | AlertState[];
  /** Only alerts created or updated within this many hours. */
  hours?: number;
}

export interface AlertCounts {
  open: number;
  acknowledged: number;
  /** Unresolved critical alerts, acknowledged or not. */
  critical: number;
  /** Worst level among open, unacknowledged alerts, or null when there are none. */
  worstOpen: AlertLevel | null;
}
