// The API Codebase Gardener returns from activate(), for other extensions. Self-contained (no
// import of VS Code or of our sources): copy this file into your extension and use
//   const api = vscode.extensions.getExtension<CodebaseGardenerApi>('codebase-gardener.codebase-gardener')?.exports;
// `apiVersion` rises when anything here changes in a way that breaks a caller.

export type HealthStatus = 'HEALTHY' | 'WARNING' | 'CRITICAL' | 'UNKNOWN';
export type AlertLevel = 'INFO' | 'WARNING' | 'CRITICAL';
export type AlertState = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED';
export type BackupType = 'FULL' | 'INCREMENTAL' | 'CONFIGURATION' | 'USER_DATA';
export type MaintenanceTask = 'healthCheck' | 'dataCleanup' | 'logRotation' | 'backupMaintenance' | 'backupIncremental' | 'backupConfiguration' | 'backupUserData' | 'backupFull';
export type RunStatus = 'SCHEDULED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'SKIPPED';

export interface Disposable {
  dispose(): void;
}

/** The guide's get_operational_summary(). */
export interface OperationalSummary {
  status: HealthStatus;
  /** When the last sample was taken (ISO 8601), or null before the first. */
  sampledAt: string | null;
  uptimeHours: number;
  systemMetrics: { cpuPercent: number | null; memoryPercent: number | null; memoryMb: number | null; diskPercent: number | null } | null;
  /** Share (%) of your component probes that pass; null when none is configured. */
  integrationScore: number | null;
  alerts: { open: number; acknowledged: number; critical: number };
  backups: { lastSuccessfulAt?: number; hoursSinceLastSuccess?: number; count: number };
  maintenance: { running: number; next?: { task: MaintenanceTask; at: number } };
}

export interface AlertInfo {
  id: string;
  component: string;
  metric: string;
  level: AlertLevel;
  state: AlertState;
  title: string;
  message: string;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  runbook?: string;
  acknowledged?: { by: string; at: number; comment?: string; expiresAt?: number };
  resolved?: { by: string; at: number; note?: string; automatic: boolean };
}

export interface AlertQuery {
  level?: AlertLevel;
  component?: string;
  state?: AlertState | AlertState[];
  hours?: number;
}

export type AlertActionResult = { ok: true; alert: AlertInfo } | { ok: false; reason: 'not-found' | 'already-resolved'; message: string };

export interface AlertChange {
  kind: 'opened' | 'escalated' | 'deescalated' | 'reopened' | 'acknowledged' | 'resolved';
  alert: AlertInfo;
}

export interface LogSearchQuery {
  /** Plain text, case-insensitive unless caseSensitive. */
  text?: string;
  /** A regular expression's source. */
  regex?: string;
  caseSensitive?: boolean;
  channels?: ('main' | 'error' | 'performance' | 'audit')[];
  minLevel?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
  component?: string;
  hours?: number;
  maxResults?: number;
}

export interface LogSearchResult {
  entries: { ts: string; level: string; channel: string; component: string; message: string; [field: string]: unknown }[];
  truncated: boolean;
}

export interface LogChannelStatistics {
  channel: string;
  file: string;
  sizeBytes: number;
  lines: number;
  /** ISO 8601 of the oldest and newest entries in the live file. */
  oldest: string | null;
  newest: string | null;
}

export interface BackupInfo {
  id: string;
  type: BackupType;
  status: 'completed' | 'failed';
  createdAt: number;
  sizeBytes: number;
  fileCount: number;
  encrypted: boolean;
  parentId?: string;
  error?: string;
}

/** The guide's get_backup_status(). */
export interface BackupStatus {
  types: Record<BackupType, { total: number; completed: number; failed: number; lastSuccessful?: string; retention: number }>;
  recent: BackupInfo[];
  backupsFolderBytes: number;
  lastSuccessfulAt?: number;
  hoursSinceLastSuccess?: number;
}

export interface ValidationInfo {
  id: string;
  valid: boolean;
  firstProblem?: string;
}

export interface MaintenanceRun {
  id: string;
  key: MaintenanceTask;
  status: RunStatus;
  description: string;
  dueAt: number;
  startedAt?: number;
  endedAt?: number;
  output: string[];
  summary?: string;
  error?: string;
}

/** The guide's get_maintenance_status(). */
export interface MaintenanceStatus {
  total_tasks: number;
  running_tasks: number;
  scheduled_tasks: number;
  by_status: Record<RunStatus, number>;
  recent: MaintenanceRun[];
  next: { key: MaintenanceTask; title: string; at: number; runId?: string }[];
  runbooks: string[];
  /** Whether this window runs the schedules (one window per workspace does). */
  leader: boolean;
}

export interface CodebaseGardenerApi {
  readonly apiVersion: 1;
  summary(): Promise<OperationalSummary>;
  alerts: {
    query(q?: AlertQuery): Promise<AlertInfo[]>;
    acknowledge(id: string, o?: { comment?: string; expiresInMinutes?: number }): Promise<AlertActionResult>;
    resolve(id: string, o?: { note?: string }): Promise<AlertActionResult>;
  };
  logs: {
    search(q: LogSearchQuery): Promise<LogSearchResult>;
    statistics(): Promise<LogChannelStatistics[]>;
  };
  backups: {
    status(): Promise<BackupStatus>;
    /** Makes a backup now (no prompt, no notification); rejects with the reason on failure. */
    create(type: BackupType): Promise<BackupInfo>;
    validate(id: string): Promise<ValidationInfo>;
  };
  maintenance: {
    status(): Promise<MaintenanceStatus>;
    /** Runs a task now in this window and resolves with the finished run. */
    run(task: MaintenanceTask): Promise<MaintenanceRun>;
  };
  /** After every health sample. */
  onDidChangeHealth(listener: (summary: OperationalSummary) => void): Disposable;
  onDidChangeAlerts(listener: (changes: AlertChange[]) => void): Disposable;
  onDidChangeBackups(listener: () => void): Disposable;
  onDidChangeMaintenance(listener: () => void): Disposable;
}
