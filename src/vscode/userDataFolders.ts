import * as path from 'node:path';
import * as vscode from 'vscode';
import { dismissed, failed, type NotDone } from '../core/logs';
import type { Cmd } from './commands';
import { SECTION } from './config';
import type { Ctx } from './context';

/**
 * Choose User-data Folders…: a folder picker (or the paths given), added to
 * `backups.sources.userData` in user settings: these folders are this machine's, not the
 * workspace's. Returns the folders now named.
 */
export function chooseUserDataFolders(): Cmd {
  return async (arg?: unknown) => {
    let chosen = Array.isArray(arg) && arg.every((p) => typeof p === 'string' && path.isAbsolute(p)) ? (arg as string[]) : undefined;
    if (!chosen) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: true, openLabel: 'Back Up These Folders', title: 'Folders for User-data backups' });
      if (!picked?.length) return dismissed('No folder was chosen.');
      if (picked.some((u) => u.scheme !== 'file')) return failed('User-data backups need folders on this machine’s disk.', 'INVALID');
      chosen = picked.map((u) => u.fsPath);
    }
    const c = vscode.workspace.getConfiguration(SECTION);
    const before = c.inspect<unknown>('backups.sources.userData')?.globalValue;
    const named = [...new Set([...(Array.isArray(before) ? before.filter((p): p is string => typeof p === 'string') : []), ...chosen])];
    await c.update('backups.sources.userData', named, vscode.ConfigurationTarget.Global);
    return named;
  };
}

/**
 * User-data backups hold folders the user names; with none named, Create Backup says so and
 * offers to choose them, rather than making an empty backup. Returns the command's answer when
 * there is nothing to back up yet, undefined when the backup can go ahead.
 */
export function userDataNotChosen(ctx: Ctx): NotDone | undefined {
  if (ctx.backups.settings().roots?.USER_DATA?.length) return undefined;
  const message = 'User-data backups hold folders you name (a local model server’s data, notes, database dumps), and none is named yet.';
  void vscode.window.showInformationMessage(`Codebase Gardener: ${message}`, 'Choose Folders…').then(async (c) => {
    if (!c) return;
    const named = await vscode.commands.executeCommand<unknown>('codebaseGardener.chooseUserDataFolders');
    if (Array.isArray(named)) await vscode.commands.executeCommand('codebaseGardener.createBackup', 'USER_DATA');
  });
  return failed(message, 'INVALID');
}
