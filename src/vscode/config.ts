import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readAlertSettings, type ReadAlertSettings } from '../core/alerts';
import { readHealthSettings, type HealthSettings } from '../core/health';

export const SECTION = 'codebaseGardener';

export interface GardenerConfig {
  dataDir: string;
  monitoringEnabled: boolean;
  health: HealthSettings;
  alerts: ReadAlertSettings;
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
  return {
    dataDir: resolveDataDir(c.get<string>('dataDirectory', ''), globalStorage),
    monitoringEnabled: c.get<boolean>('monitoring.enabled', true),
    health,
    alerts,
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
