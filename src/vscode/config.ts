import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readAlertSettings, type ReadAlertSettings } from '../core/alerts';
import { readHealthSettings, type HealthSettings } from '../core/health';
import { DEFAULT_LOG_SETTINGS, LEVELS, type LogLevel, type LogSettings } from '../core/logs';
import { DEFAULT_BACKUP_SETTINGS, type BackupSettings } from '../core/backup';
import { configurationSources } from './configurationSources';

export const SECTION = 'codebaseGardener';

export interface GardenerConfig {
  dataDir: string;
  monitoringEnabled: boolean;
  health: HealthSettings;
  alerts: ReadAlertSettings;
  logs: LogSettings;
  backups: BackupSettings & { folder: string; staleAfterHours: number };
}

function readBackupSettings(c: vscode.WorkspaceConfiguration, dataDir: string, globalStorage: vscode.Uri, problems: string[]): GardenerConfig['backups'] {
  const d = DEFAULT_BACKUP_SETTINGS;
  const folderSetting = c.get<string>('backups.folder', '').trim();
  const list = (key: string, def: string[]): string[] => {
    const v = c.get<unknown>(key);
    if (v === undefined || v === null) return def;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0)) {
      problems.push(`${SECTION}.${key} must be a list of glob patterns; using ${JSON.stringify(def)}.`);
      return def;
    }
    return v as string[];
  };
  const keep = (key: string, def: number): number => {
    const v = c.get<unknown>(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) {
      problems.push(`${SECTION}.${key} must be a whole number from 1 to 1000; using ${def}.`);
      return def;
    }
    return v;
  };
  return {
    folder: folderSetting ? path.resolve(dataDir, folderSetting.startsWith('~/') ? path.join(os.homedir(), folderSetting.slice(2)) : folderSetting) : defaultBackupsFolder(dataDir, globalStorage),
    sources: {
      FULL: list('backups.sources.full', d.sources.FULL),
      CONFIGURATION: list('backups.sources.configuration', d.sources.CONFIGURATION),
      USER_DATA: list('backups.sources.userData', d.sources.USER_DATA),
    },
    exclude: list('backups.exclude', d.exclude),
    // A Configuration backup reads VS Code's own configuration (configurationSources.ts), not the data directory.
    roots: { CONFIGURATION: configurationSources(globalStorage, dataDir) },
    retention: {
      FULL: keep('backups.retention.full', d.retention.FULL),
      INCREMENTAL: keep('backups.retention.incremental', d.retention.INCREMENTAL),
      CONFIGURATION: keep('backups.retention.configuration', d.retention.CONFIGURATION),
      USER_DATA: keep('backups.retention.userData', d.retention.USER_DATA),
    },
    encrypt: c.get<boolean>('backups.encrypt', d.encrypt),
    snapshotRetentionDays: keep('backups.snapshotRetentionDays', d.snapshotRetentionDays),
    compressionLevel: Math.min(9, Math.max(1, keep('backups.compressionLevel', d.compressionLevel))),
    staleAfterHours: keep('backups.alertAfterHours', 26),
  };
}

function readLogSettings(c: vscode.WorkspaceConfiguration, problems: string[]): LogSettings {
  const num = (key: string, def: number, min: number, max: number): number => {
    const v = c.get<unknown>(key);
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      problems.push(`${SECTION}.${key} must be a number from ${min} to ${max}, not ${JSON.stringify(v)}; using ${def}.`);
      return def;
    }
    return v;
  };
  const d = DEFAULT_LOG_SETTINGS;
  const level = c.get<string>('logs.level', d.minLevel);
  const minLevel = (LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : d.minLevel;
  if (minLevel !== level) problems.push(`${SECTION}.logs.level must be one of ${LEVELS.join(', ')}, not ${JSON.stringify(level)}; using ${d.minLevel}.`);
  return {
    maxBytes: num('logs.maxFileSizeMB', d.maxBytes / 1048576, 1, 1024) * 1048576,
    maxFiles: Math.round(num('logs.maxFiles', d.maxFiles, 0, 100)),
    retentionMs: num('logs.retentionDays', d.retentionMs / 86_400_000, 1, 3650) * 86_400_000,
    minLevel,
  };
}

/**
 * Where backups go unless the user says: the extension's global storage, one folder per data
 * directory, never inside what they protect (a backups folder there would back up its own
 * archives, and the engine refuses it).
 */
export function defaultBackupsFolder(dataDir: string, globalStorage: vscode.Uri): string {
  return path.join(globalStorage.fsPath, 'backups', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
}

/**
 * The data directory: the setting if given (relative to the first workspace folder), else
 * `data` under the first workspace folder on disk, else the extension's global storage.
 */
export function resolveDataDir(setting: string, globalStorage: vscode.Uri): string {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  const base = folder?.uri.fsPath ?? globalStorage.fsPath;
  const value = setting.trim();
  if (!value) return path.join(base, 'data');
  const expanded = value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
  return path.resolve(base, expanded);
}

export function readConfig(globalStorage: vscode.Uri): GardenerConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const alerts = readAlertSettings(c.get('alerts') ?? {}, `${SECTION}.alerts.`);
  const health = readHealthSettings(
      {
        intervalSeconds: c.get('monitoring.intervalSeconds'),
        thresholds: c.get<Record<string, unknown>>('thresholds'),
        probes: c.get('probes'),
      },
      `${SECTION}.`,
    );
  // One list of problems, so one warning names every bad setting and the Settings check fails.
  health.configurationProblems.push(...alerts.problems);
  const logs = readLogSettings(c, health.configurationProblems);
  const dataDir = resolveDataDir(c.get<string>('dataDirectory', ''), globalStorage);
  const backups = readBackupSettings(c, dataDir, globalStorage, health.configurationProblems);
  return {
    dataDir,
    backups,
    monitoringEnabled: c.get<boolean>('monitoring.enabled', true),
    health,
    alerts,
    logs,
  };
}

/** Writes a setting where its current value comes from, so the change actually takes effect. */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  const i = c.inspect(key);
  const target =
    i?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : i?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await c.update(key, value, target);
}
