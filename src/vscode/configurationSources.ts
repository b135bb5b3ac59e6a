import * as vscode from 'vscode';
import type { Source } from '../core/backup';
import { extensionListFile, filesInSources, findConfiguration, nothingToBackUp, userExtensions, writeExtensionList, type FoundConfiguration } from '../core/configuration';
import { failed, type NotDone } from '../core/logs';
import type { Ctx } from './context';

/**
 * What a Configuration backup reads here, from what VS Code tells this extension host: its
 * global storage (two levels below the User folder), the workspace folders and the workspace
 * file. The decisions are `findConfiguration`'s (src/core/configuration).
 */
export function currentConfiguration(globalStorage: vscode.Uri, dataDir: string): FoundConfiguration {
  return findConfiguration({
    globalStorage,
    folders: (vscode.workspace.workspaceFolders ?? []).map((f) => ({ name: f.name, uri: f.uri })),
    workspaceFile: vscode.workspace.workspaceFile,
    dataDir,
  });
}

/** The backup settings' `roots.CONFIGURATION`. */
export function configurationSources(globalStorage: vscode.Uri, dataDir: string): Source[] {
  return currentConfiguration(globalStorage, dataDir).sources;
}

/**
 * Writes the extensions this extension host runs, but VS Code's built-in ones, where the
 * `extensions` source reads them. Returns how many.
 */
export async function saveExtensionList(dataDir: string): Promise<number> {
  const list = userExtensions(vscode.extensions.all, vscode.env.appRoot);
  await writeExtensionList(extensionListFile(dataDir), list, { now: Date.now(), vscode: vscode.version, remote: vscode.env.remoteName });
  return list.length;
}

/**
 * Just before a Configuration backup: writes the extension list, then, if the backup would
 * hold no file at all, tells the user why (an information message, not an error) and returns
 * the command's answer; undefined when the backup should go ahead.
 */
export async function prepareConfigurationBackup(ctx: Ctx, o: { quiet?: boolean } = {}): Promise<NotDone | undefined> {
  const dataDir = ctx.config.dataDir;
  await saveExtensionList(dataDir);
  // What the engine will read; without roots it reads its own globs, and judges them itself.
  const sources = ctx.backups.settings().roots?.CONFIGURATION;
  if (!sources || (await filesInSources(sources)).length) return undefined;
  const message = nothingToBackUp(currentConfiguration(ctx.extension.globalStorageUri, dataDir));
  ctx.logs.info('backup', message);
  // A scheduled backup says it in its run's output, not in a notification.
  if (!o.quiet) void vscode.window.showInformationMessage(`Codebase Gardener: ${message}`);
  return failed(message, 'INVALID');
}
