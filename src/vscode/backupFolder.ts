import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkFolders } from '../core/backup/archiver';
import { isGardenerError } from '../core/errors';
import { dismissed, failed } from '../core/logs';
import { rootsToCheck, sameDiskTitle, sharedDevice } from '../core/placement';
import type { Cmd } from './commands';
import { SECTION } from './config';
import type { Ctx } from './context';
import { moveBackups } from './backupsMove';
import { chooseUserDataFolders } from './userDataFolders';

export const CHOOSE_BACKUP_FOLDER = 'Choose Backup Folder…';
const MOVE_THEM = 'Move Them';
const LEAVE_THEM = 'Leave Them';

/**
 * Choose Backup Folder…: a folder picker, then `backups.folder` in user settings, where it
 * holds one backups folder per workspace (`<folder>/<workspace id>`, see config.ts). Takes a
 * folder path instead of asking, and `{ confirmed: true }` to skip the questions (the backups
 * already made stay where they are unless `{ move: true }` moves them along).
 */
export function chooseBackupFolder(ctx: Ctx): Cmd {
  return async (arg?: unknown, opts?: unknown) => {
    const confirmed = (opts as { confirmed?: boolean } | undefined)?.confirmed === true;
    let folder = typeof arg === 'string' && arg ? path.resolve(arg) : undefined;
    for (;;) {
      if (!folder) {
        const picked = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          openLabel: 'Keep Backups Here',
          title: 'Choose a folder for backups, on another disk than what they protect',
        });
        if (!picked?.[0]) return dismissed('No folder was chosen.');
        if (picked[0].scheme !== 'file') return failed('Backups need a folder on this machine’s disk.', 'INVALID');
        folder = picked[0].fsPath;
      }
      if (fs.existsSync(path.join(folder, 'catalog.json'))) {
        // As a user setting it would be every workspace's backups folder, mixing their backups.
        const message = `${folder} is one workspace's backups folder already. Choose the folder that should hold them: each workspace's backups go into a folder of their own inside it. To use the backups it holds, set codebaseGardener.backups.folder to it in this workspace's settings.`;
        void vscode.window.showWarningMessage(`Codebase Gardener: ${message}`);
        return failed(message, 'INVALID');
      }
      const target = path.join(folder, ctx.places.identity);
      try {
        checkFolders(ctx.config.dataDir, target);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        void vscode.window.showErrorMessage(`Codebase Gardener: ${message}`);
        return failed(message, isGardenerError(err) ? err.code : 'INVALID');
      }
      const still = sharedDevice(target, rootsToCheck(ctx.backups.settings().roots));
      if (!still || confirmed) break;
      const another = 'Choose Another Folder…';
      const answer = await vscode.window.showWarningMessage(
        `${sameDiskTitle(still).replace('Backups are', 'That folder is')} too.`,
        { modal: true, detail: 'A disk failure would take the backups with what they protect. An external drive or a network share keeps them apart.' },
        another,
        'Use It Anyway',
      );
      if (answer === 'Use It Anyway') break;
      if (answer !== another) return dismissed('No folder was chosen.');
      folder = undefined;
    }
    const target = path.join(folder, ctx.places.identity);
    const kept = ctx.backups.catalog.backups.length;
    // `{ move: true }` (or false) answers the question below without asking.
    let move = (opts as { move?: boolean } | undefined)?.move;
    if (kept && move === undefined && !confirmed) {
      const answer = await vscode.window.showInformationMessage(
        `Move this workspace's ${kept} backup(s) to ${target}?`,
        {
          modal: true,
          detail: `They are in ${ctx.backups.backupsDir}. Moved, they stay restorable from the new folder, and a crash midway loses nothing (the move finishes at the next start). Left, they stay where they are and are restorable only with the folder set back. New backups go to the new folder either way.`,
        },
        MOVE_THEM,
        LEAVE_THEM,
      );
      if (!answer) return dismissed('The new backups folder was not confirmed.');
      move = answer === MOVE_THEM;
    }
    if (kept && move && ctx.backups.backupsDir !== target) {
      try {
        // Sets the setting itself once the files are there.
        await moveBackups(ctx, ctx.backups.backupsDir, target, folder);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        ctx.logs.error('backup', `Could not move the backups to ${target}`, err instanceof Error ? err : { error: message });
        void vscode.window.showErrorMessage(`Codebase Gardener could not move the backups: ${message}`);
        return failed(message, isGardenerError(err) ? err.code : 'INVALID');
      }
    }
    const c = vscode.workspace.getConfiguration(SECTION);
    await c.update('backups.folder', folder, vscode.ConfigurationTarget.Global);
    const i = c.inspect<string>('backups.folder');
    if (vscode.workspace.isTrusted && (i?.workspaceFolderValue !== undefined || i?.workspaceValue !== undefined)) {
      void vscode.window
        .showWarningMessage(`Codebase Gardener: your user settings now name ${folder}, but this workspace's settings set codebaseGardener.backups.folder too, and they win here.`, 'Open Workspace Settings')
        .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openWorkspaceSettings', { query: `${SECTION}.backups.folder` }));
    } else vscode.window.setStatusBarMessage(`$(folder-opened) New backups go to ${target}`, 6000);
    return target;
  };
}

/**
 * Turns the same-disk warning off in user settings, for a user who keeps the backups there on
 * purpose (another tool copies them away, say). Only the warning: Show Backup Status still
 * says where the backups are, and the setting turns it back on.
 */
export function hideSameDiskWarning(): Cmd {
  return async () => {
    await vscode.workspace.getConfiguration(SECTION).update('backups.warnSameDisk', false, vscode.ConfigurationTarget.Global);
    vscode.window.setStatusBarMessage('$(check) No more same-disk warnings (codebaseGardener.backups.warnSameDisk)', 6000);
  };
}

export function backupFolderCommands(ctx: Ctx): Record<string, Cmd> {
  return {
    'codebaseGardener.chooseBackupFolder': chooseBackupFolder(ctx),
    'codebaseGardener.hideSameDiskWarning': hideSameDiskWarning(),
    'codebaseGardener.chooseUserDataFolders': chooseUserDataFolders(),
  };
}
