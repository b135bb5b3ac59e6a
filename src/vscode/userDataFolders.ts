import * as vscode from 'vscode';
import { failed, type NotDone } from '../core/logs';
import { SECTION } from './config';
import type { Ctx } from './context';

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
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: true, openLabel: 'Back Up These Folders', title: 'Folders for User-data backups' });
    if (!picked?.length) return;
    // A user setting: these folders are this machine's, not the workspace's.
    await vscode.workspace.getConfiguration(SECTION).update('backups.sources.userData', picked.map((u) => u.fsPath), vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('codebaseGardener.createBackup', 'USER_DATA');
  });
  return failed(message, 'INVALID');
}
