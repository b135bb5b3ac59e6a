import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { alertSettingsFrom, type ReadAlertSettings } from '../core/alerts';
import { healthSettingsFrom, type HealthSettings } from '../core/health';
import { logSettingsFrom, type LogSettings } from '../core/logs';
import { DEFAULT_BACKUP_SETTINGS, type BackupSettings } from '../core/backup';
import { userDataSources, userFolder, workspaceSources } from '../core/backup/workspaceSources';
import { readMaintenanceSettings, type MaintenanceSettings } from '../core/maintenance';
import { setting, settingProperties, SETTINGS_RULES, validateSettings, type ConfigurationContribution } from '../core/settings';
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
  /**
   * Every declared setting by full name, validated against package.json's schema (the user's
   * value, or the declared default where it was invalid): read new settings from here with
   * `setting()`, and push what only code can judge into `health.configurationProblems`.
   */
  values: Readonly<Record<string, unknown>>;
  dataDir: string;
  monitoringEnabled: boolean;
  health: HealthSettings;
  alerts: ReadAlertSettings;
  logs: LogSettings;
  backups: BackupSettings & { folder: string; staleAfterHours: number; warnSameDisk: boolean };
  maintenance: MaintenanceSettings;
  /** The metric history's bound on disk. */
  metricsMaxBytes: number;
}

type Values = Readonly<Record<string, unknown>>;

function readBackupSettings(c: vscode.WorkspaceConfiguration, v: Values, places: Places, dataDir: string, problems: string[]): GardenerConfig['backups'] {
  const d = DEFAULT_BACKUP_SETTINGS;
  const folder = backupsFolder(c, setting<string>(v, 'backups.folder').trim(), places);
  // Restores stage and keep what they replaced here, not in your folders: by workspace identity,
  // so a renamed workspace or another data directory still finds its snapshots and journals.
  const scratchDir = path.join(places.globalStorage, 'restore', places.identity);
  const options = {
    exclude: setting<string[]>(v, 'backups.exclude'),
    useGitignore: setting<boolean>(v, 'backups.useGitignore'),
    maxFileBytes: setting<number>(v, 'backups.maxFileSizeMB') * 1048576,
    ours: [folder, dataDir, scratchDir],
  };
  const userFolders = setting<string[]>(v, 'backups.sources.userData').flatMap((p) => {
    const abs = userFolder(p);
    if (!abs) problems.push(`${SECTION}.backups.sources.userData: ${JSON.stringify(p)} is not an absolute path or ~/…; it is left out.`);
    return abs ? [abs] : [];
  });
  // A data directory the user chose is data of theirs too.
  if (setting<string>(v, 'dataDirectory').trim()) userFolders.push(dataDir);
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
      FULL: setting<number>(v, 'backups.retention.full'),
      INCREMENTAL: setting<number>(v, 'backups.retention.incremental'),
      CONFIGURATION: setting<number>(v, 'backups.retention.configuration'),
      USER_DATA: setting<number>(v, 'backups.retention.userData'),
    },
    encrypt: setting<boolean>(v, 'backups.encrypt'),
    snapshotRetentionDays: setting<number>(v, 'backups.snapshotRetentionDays'),
    compressionLevel: setting<number>(v, 'backups.compressionLevel'),
    staleAfterHours: setting<number>(v, 'backups.alertAfterHours'),
    warnSameDisk: setting<boolean>(v, 'backups.warnSameDisk'),
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
function backupsFolder(c: vscode.WorkspaceConfiguration, value: string, places: Places): string {
  if (!value) return defaultBackupsFolder(places);
  const folder = userPath(value, places);
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

/**
 * Reads every setting package.json declares (`configuration`: its `contributes.configuration`,
 * as VS Code hands it over) and validates them against that schema in the core: one problem per
 * rejected value, which then takes its declared default.
 */
export function readConfig(places: Places, configuration: ConfigurationContribution): GardenerConfig {
  const all = vscode.workspace.getConfiguration();
  const raw: Record<string, unknown> = {};
  for (const key of settingProperties(configuration).keys()) raw[key] = all.get(key);
  const { values, problems: found } = validateSettings(configuration, raw, SETTINGS_RULES);
  // One list of problems, so one warning names every bad setting and the Settings check reports them.
  const problems = found.map((p) => p.message);
  const health = healthSettingsFrom(values, problems);
  const dataDir = resolveDataDir(setting<string>(values, 'dataDirectory'), places);
  const c = vscode.workspace.getConfiguration(SECTION);
  const backups = readBackupSettings(c, values, places, dataDir, problems);
  return {
    values,
    dataDir,
    backups,
    monitoringEnabled: setting<boolean>(values, 'monitoring.enabled'),
    health,
    alerts: alertSettingsFrom(values),
    logs: logSettingsFrom(values),
    maintenance: readMaintenanceSettings(values),
    metricsMaxBytes: setting<number>(values, 'monitoring.historyMaxMB') * 1048576,
  };
}

/** The settings schema this extension declares: package.json's `contributes.configuration`, as VS Code read it. */
export function declaredConfiguration(extension: vscode.ExtensionContext): ConfigurationContribution {
  const pkg = extension.extension.packageJSON as { contributes?: { configuration?: unknown } } | undefined;
  const c = pkg?.contributes?.configuration;
  return c && typeof c === 'object' ? (c as ConfigurationContribution) : [];
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
