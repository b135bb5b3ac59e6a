import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInside } from '../core/backup/guard';
import { findLegacyData, moveState, planLegacyMove, resumeMove, type MoveResult } from '../core/state';
import type { Ctx } from './context';

const MOVE = 'Move to the new place';
const LEAVE = 'Leave it';

/** Where the journal of this workspace's move lives: global storage, which no setting moves. */
function journalFile(ctx: Ctx): string {
  return path.join(ctx.places.globalStorage, 'moves', `${ctx.places.identity}.json`);
}

const answerKey = (ctx: Ctx): string => `codebaseGardener.move01.${ctx.places.identity}`;

/** A move that a crash or a closed window cut short is finished before anything reads those folders. */
export async function resumeStateMove(ctx: Ctx): Promise<void> {
  const file = journalFile(ctx);
  if (!fs.existsSync(file)) return;
  try {
    // Only a move out of this workspace's 0.1 folder, into our own storage or the backups folder.
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
    const ours = [ctx.places.globalStorage, ctx.places.workspaceStorage, ctx.config.dataDir, ctx.config.backups.folder].filter((p): p is string => !!p);
    const allowed = (source: string, targets: readonly string[]): boolean =>
      !!folder && source === path.join(folder, 'data') && targets.every((t) => ours.some((o) => isInside(t, o)));
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Codebase Gardener: finishing the move of 0.1 data' }, () => resumeMove(file, { allowed }));
    if (r) done(ctx, r, 'Finished moving');
    await ctx.extension.globalState.update(answerKey(ctx), 'moved');
  } catch (err) {
    ctx.logs.error('state', `Could not finish the move in ${file}`, err instanceof Error ? err : { error: String(err) });
    void vscode.window.showErrorMessage(`Codebase Gardener could not finish moving 0.1's data (${err instanceof Error ? err.message : String(err)}). Nothing was deleted that was not moved; it will be tried again at the next start.`);
  }
}

/**
 * 0.1 kept its state in `data/` in the first workspace folder, where it shows in the user's
 * repository. Offered once per workspace: either answer is remembered, under its identity.
 * Returns whether there was such a folder to ask about.
 */
export async function offerStateMove(ctx: Ctx): Promise<boolean> {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  const legacy = folder && findLegacyData(folder);
  if (!legacy || ctx.extension.globalState.get(answerKey(ctx))) return false;
  // The user keeps the data there on purpose (dataDirectory set to it); an untrusted folder's `data/` is not taken in.
  if (isInside(ctx.config.dataDir, legacy) || isInside(legacy, ctx.config.dataDir) || !vscode.workspace.isTrusted) return false;
  ctx.offered.push('move01');
  const choice = await vscode.window.showInformationMessage(
    `Codebase Gardener 0.1 kept its logs, alerts and backups in ${path.join(path.basename(folder), 'data')}, inside your workspace, where they show in your repository. ` +
      'Move them to the extension\'s own storage? Your own files in that folder stay.',
    MOVE,
    LEAVE,
  );
  if (!choice) return true;
  if (choice === LEAVE) {
    await ctx.extension.globalState.update(answerKey(ctx), 'left');
    return true;
  }
  await moveLegacy(ctx, legacy);
  return true;
}

async function moveLegacy(ctx: Ctx, legacy: string): Promise<void> {
  try {
    // Its backups were sealed with the key 0.1 kept under this path's hash: keep that key by id first.
    const keyId = await ctx.backupKeys.adoptLegacy(legacy);
    const plan = planLegacyMove(legacy, {
      dataDir: ctx.config.dataDir,
      backupsDir: ctx.config.backups.folder,
      otherBackupsDir: path.join(ctx.places.globalStorage, 'backups', `${ctx.places.identity}-0.1`),
    });
    ctx.logs.info('state', `Moving 0.1's data out of ${legacy}`, { files: plan.items.length, keyId, backupsTo: plan.backupsTo, skipped: plan.skipped });
    await ctx.alerts.flush();
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Codebase Gardener: moving 0.1 data' }, (progress) =>
      moveState(plan, journalFile(ctx), { onProgress: (n, total) => progress.report({ message: `${n} of ${total} files`, increment: 100 / Math.max(1, total) }) }),
    );
    await ctx.extension.globalState.update(answerKey(ctx), 'moved');
    // What moved in is read again: the alerts file, and the backups folder that may now hold 0.1's backups.
    await ctx.alerts.init().catch((err) => ctx.logs.error('alerts', 'Could not load alerts', err instanceof Error ? err : { error: String(err) }));
    await ctx.reopenBackups();
    done(ctx, r, 'Moved', plan.backupsTo !== ctx.config.backups.folder ? plan.backupsTo : undefined);
  } catch (err) {
    ctx.logs.error('state', `Could not move 0.1's data out of ${legacy}`, err instanceof Error ? err : { error: String(err) });
    // Once its journal is written, a move that failed is taken up again at the next start; before, nothing moved.
    const later = fs.existsSync(journalFile(ctx)) ? ' What was moved is in the new place; the rest is moved at the next start.' : ' Nothing was moved.';
    void vscode.window.showErrorMessage(`Codebase Gardener could not move 0.1's data: ${err instanceof Error ? err.message : String(err)}${later}`);
  }
}

function done(ctx: Ctx, r: MoveResult, verb: string, backupsApart?: string): void {
  ctx.logs.info('state', `${verb} 0.1's data`, { ...r });
  const apart = backupsApart
    ? ` This workspace already had backups, so 0.1's are in ${backupsApart}: set codebaseGardener.backups.folder to it to use them.`
    : '';
  void vscode.window.showInformationMessage(`Codebase Gardener: ${verb.toLowerCase()} ${r.moved} files of 0.1's data out of your workspace.${apart}`);
}
