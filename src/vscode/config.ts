import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readAlertSettings, type ReadAlertSettings } from '../core/alerts';
import { readHealthSettings, type HealthSettings } from '../core/health';
import { DEFAULT_LOG_SETTINGS, LEVELS, type LogLevel, type LogSettings } from '../core/logs';
import { DEFAULT_BACKUP_SETTINGS, type BackupSettings } from '../core/backup';
import { DEFAULT_WORKSPACE_EXCLUDES, userDataSources, userFolder, workspaceSources } from '../core/backup/workspaceSources';
import { readMaintenanceSettings, type MaintenanceSettings } from '../core/maintenance';
import { configurationSources } from './configurationSources';

export const SECTION = 'codebaseGardener';

/**
 * Where our state lives for the open workspace: the extension's storage folders (from
 * ExtensionContext) and the workspace's identity (see workspaceIdentity.ts).
 */
export interface Places {
  globalStorage: string;
  /** ExtensionContext.storageUri: per workspace, outside it; undefined with no folder open. */
  workspaceStorage?: string;
  identity: string;
}

export interface GardenerConfig {
  dataDir: string;
  monitoringEnabled: boolean;
  health: HealthSettings;
  alerts: ReadAlertSettings;
  logs: LogSettings;
  backups: BackupSettings & { folder: string; staleAfterHours: number };
  maintenance: MaintenanceSettings;
  /** The metric history's bound on disk. */
  metricsMaxBytes: number;
}

function readBackupSettings(c: vscode.WorkspaceConfiguration, places: Places, dataDir: string, problems: string[]): GardenerConfig['backups'] {
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
  const folder = backupsFolder(c, folderSetting, places);
  const maxFileMB = c.get<unknown>('backups.maxFileSizeMB');
  // Restores stage and keep what they replaced here, not in your folders: by workspace identity,
  // so a renamed workspace or another data directory still finds its snapshots and journals.
  const scratchDir = path.join(places.globalStorage, 'restore', places.identity);
  const options = {
    exclude: list('backups.exclude', DEFAULT_WORKSPACE_EXCLUDES),
    useGitignore: c.get<boolean>('backups.useGitignore', true),
    maxFileBytes: (typeof maxFileMB === 'number' && maxFileMB > 0 ? maxFileMB : 100) * 1048576,
    ours: [folder, dataDir, scratchDir],
  };
  const named = c.get<unknown>('backups.sources.userData');
  const userFolders = (Array.isArray(named) ? named : []).flatMap((p) => {
    const abs = typeof p === 'string' ? userFolder(p) : undefined;
    if (!abs) problems.push(`${SECTION}.backups.sources.userData: ${JSON.stringify(p)} is not an absolute path or ~/…; it is left out.`);
    return abs ? [abs] : [];
  });
  // A data directory the user chose is data of theirs too.
  if (c.get<string>('dataDirectory', '').trim()) userFolders.push(dataDir);
  return {
    folder,
    sources: d.sources,
    exclude: options.exclude,
    scratchDir,
    // What matters: the workspace folders, VS Code's own configuration (configurationSources.ts),
    // and the folders the user names; never our own state.
    roots: {
      FULL: workspaceSources(fileFolders(), options),
      CONFIGURATION: configurationSources(vscode.Uri.file(places.globalStorage), dataDir),
      USER_DATA: userDataSources([...new Set(userFolders)], options),
    },
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
 * Where backups go unless the user says: the extension's global storage, one folder per
 * workspace identity, so a renamed or moved workspace keeps its backups, and never inside what
 * they protect (a backups folder there would back up its own archives; the engine refuses it).
 */
export function defaultBackupsFolder(places: Places): string {
  return path.join(places.globalStorage, 'backups', places.identity);
}

/**
 * The backups folder `backups.folder` names. Set in a workspace's (or folder's) settings, it is
 * that workspace's backups folder. Set in user settings it applies to every workspace, so it is
 * the folder that holds one backups folder per workspace (`<folder>/<workspace id>`, as the
 * default place does): two workspaces never share a catalog, whose retention and incrementals
 * would otherwise mix their backups. A user-set folder that already holds a catalog (set before
 * this rule) is used as it is.
 */
function backupsFolder(c: vscode.WorkspaceConfiguration, setting: string, places: Places): string {
  if (!setting) return defaultBackupsFolder(places);
  const folder = userPath(setting, places);
  const i = c.inspect<string>('backups.folder');
  // An untrusted workspace's value is not used (restrictedConfigurations): the setting in effect is the user's.
  const fromWorkspace = vscode.workspace.isTrusted && (i?.workspaceFolderValue !== undefined || i?.workspaceValue !== undefined);
  if (fromWorkspace || fs.existsSync(path.join(folder, 'catalog.json'))) return folder;
  return path.join(folder, places.identity);
}

/** The workspace folders on disk (a virtual workspace has none we can back up). */
function fileFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

function firstFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
}

/**
 * The data directory: the setting if given (relative to the first workspace folder), else
 * `data` in the extension's storage for this workspace, or in its global storage with no
 * folder open. Never in the workspace by default: our logs and alerts are not the user's files.
 */
export function resolveDataDir(setting: string, places: Places): string {
  const value = setting.trim();
  return value ? userPath(value, places) : path.join(places.workspaceStorage ?? places.globalStorage, 'data');
}

/** A folder the user set: `~` is the home folder, a relative path starts at the first workspace folder. */
function userPath(value: string, places: Places): string {
  const expanded = value === '~' || value.startsWith('~/') ? path.join(os.homedir(), value.slice(1)) : value;
  return path.resolve(firstFolder() ?? places.globalStorage, expanded);
}

/** The data directory 0.1 used with the same setting (`data` under the first workspace folder by default), whose path hash named its key. */
export function dataDirOf01(places: Places): string {
  const value = vscode.workspace.getConfiguration(SECTION).get<string>('dataDirectory', '').trim();
  return value ? userPath(value, places) : path.join(firstFolder() ?? places.globalStorage, 'data');
}

export function readConfig(places: Places): GardenerConfig {
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
  const dataDir = resolveDataDir(c.get<string>('dataDirectory', ''), places);
  const backups = readBackupSettings(c, places, dataDir, health.configurationProblems);
  return {
    dataDir,
    backups,
    monitoringEnabled: c.get<boolean>('monitoring.enabled', true),
    health,
    alerts,
    logs,
    maintenance: readMaintenanceSettings((key) => c.get(key)),
    metricsMaxBytes: historyMaxMB(c.get('monitoring.historyMaxMB')) * 1048576,
  };
}

/** The bounds are package.json's; a value outside them keeps the default. */
function historyMaxMB(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 1 && v <= 1024 ? v : 20;
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
