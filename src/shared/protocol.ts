// The one message protocol between the dashboard webview and the extension host: requests
// with replies (matched by id, failing with a code), events from the host, and the `ready`
// handshake. Types only, plus the few constants both sides need; the host validates every
// message from the webview with `parseWebviewMessage` (./validate.ts) before acting on it.
import type { AlertInfo, BackupInfo, BackupType, LogChannelStatistics, MaintenanceRun, MaintenanceStatus, MaintenanceTask } from '../../api/codebase-gardener';
import type { HealthReport } from '../core/health/report';

export const DASHBOARD_VIEW_TYPE = 'codebaseGardener.dashboard';

/** A message from the webview longer than this (as JSON) is ignored: nothing it may send is near it. */
export const MAX_MESSAGE_CHARS = 16 * 1024;

/** The chart ranges, each served from the history tier that covers it. */
export const RANGES = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type RangeKey = keyof typeof RANGES;

/** The charted series, in the column order of `Series.values`. */
export const SERIES = ['cpu', 'memory', 'disk', 'responseMs', 'score'] as const;
export type SeriesKey = (typeof SERIES)[number];

/** Points column by column (uPlot's own shape): cheap to post, no per-point objects. */
export interface Series {
  range: RangeKey;
  from: number;
  to: number;
  /** Epoch seconds. */
  t: number[];
  values: Record<SeriesKey, (number | null)[]>;
}

/** One sample as appended live to the charts. */
export interface LivePoint {
  t: number;
  values: Record<SeriesKey, number | null>;
}

export interface AlertsSection {
  open: AlertInfo[];
  acknowledged: AlertInfo[];
  /** Runbook names that exist, so the page offers Open Runbook only where it works. */
  runbooks: string[];
}

export interface BackupTypeRow {
  type: BackupType;
  label: string;
  count: number;
  sizeBytes: number;
  lastSuccessAt?: number;
  nextAt?: number;
  /** Why this type cannot run now (no folder open, no user-data folder chosen…). */
  unavailable?: string;
}

export interface BackupsSection {
  types: BackupTypeRow[];
  recent: BackupInfo[];
  folder: string;
  folderBytes: number;
  /** Set when the backups share a disk with what they protect. */
  sameDiskWarning?: string;
}

export interface MaintenanceSection {
  status: MaintenanceStatus;
  tasks: { key: MaintenanceTask; title: string; schedule: string; next?: number }[];
  /** Runs under way in this window, with their progress in words. */
  running: { id: string; key: MaintenanceTask; description: string; startedAt?: number; progress?: string }[];
}

export interface LogsSection {
  statistics: LogChannelStatistics[];
  performance: { operation: string; count: number; errors: number; avgMs: number; p95Ms: number; maxMs: number }[];
  performanceHours: number;
}

/** Everything the page shows, sent when it says it is ready and whenever it asks again. */
export interface Snapshot {
  health: HealthReport;
  alerts: AlertsSection;
  backups: BackupsSection;
  maintenance: MaintenanceSection;
  logs: LogsSection;
}

export type LogChannel = 'main' | 'error' | 'performance' | 'audit';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
export interface LogSearchParams {
  text: string;
  channels?: LogChannel[];
  minLevel?: LogLevel;
  hours?: number;
}
export interface LogRow {
  ts: string;
  level: string;
  channel: string;
  component: string;
  message: string;
}

/** Every request the webview may make: its params and what the reply carries. */
export interface Methods {
  snapshot: { params: Record<string, never>; result: Snapshot };
  history: { params: { range: RangeKey }; result: Series };
  runHealthCheck: { params: Record<string, never>; result: null };
  showStatus: { params: Record<string, never>; result: null };
  acknowledge: { params: { alertId: string; comment?: string; expiresInMinutes?: number }; result: AlertInfo };
  resolve: { params: { alertId: string; note?: string }; result: AlertInfo };
  openRunbook: { params: { name: string }; result: null };
  createBackup: { params: { type: BackupType }; result: null };
  validateBackup: { params: { id: string }; result: { valid: boolean; firstProblem?: string } };
  /** Always confirmed by the extension's own modal dialog, never by the page alone. */
  restoreBackup: { params: { id: string }; result: null };
  runTask: { params: { task: MaintenanceTask }; result: MaintenanceRun | null };
  searchLogs: { params: LogSearchParams; result: { rows: LogRow[]; truncated: boolean } };
}
export type Method = keyof Methods;

export type Request<M extends Method = Method> = M extends Method ? { kind: 'request'; id: number; method: M; params: Methods[M]['params'] } : never;

/** Webview → host. `ready` is sent once the page can receive; the host posts nothing before it. */
export type WebviewMessage = { kind: 'ready' } | Request;

export type ErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'FAILED' | 'CANCELLED';

export type Reply = { kind: 'reply'; id: number; ok: true; result: unknown } | { kind: 'reply'; id: number; ok: false; error: { code: ErrorCode; message: string } };

/** What changed on the host; the page asks for nothing to get these. */
export type HostEvent =
  | { kind: 'event'; event: 'health'; report: HealthReport; point: LivePoint | null }
  | { kind: 'event'; event: 'alerts'; alerts: AlertsSection }
  | { kind: 'event'; event: 'backups'; backups: BackupsSection }
  | { kind: 'event'; event: 'maintenance'; maintenance: MaintenanceSection };

/** Host → webview. */
export type HostMessage = Reply | HostEvent;
