import * as vscode from 'vscode';
import type { Ctx } from './context';

const BACK_UP = 'Back up this workspace now';
const NOT_NOW = 'Not now';
const NEVER = "Don't ask again";
/** "Not now" means not this week: asking at every start would teach the user to dismiss it unread. */
const SNOOZE_MS = 7 * 86_400_000;

interface Answer {
  never?: boolean;
  snoozedUntil?: number;
}

/**
 * A workspace with no backups is offered one, once its catalog has loaded. The answer is kept
 * in global state under the workspace identity, so renaming the folder does not ask again.
 */
export async function offerFirstBackup(ctx: Ctx, catalogLoaded: boolean): Promise<void> {
  if (!vscode.workspace.workspaceFolders?.length || !catalogLoaded || ctx.backups.catalog.backups.length > 0) return;
  const key = `codebaseGardener.firstBackup.${ctx.places.identity}`;
  const answer = ctx.extension.globalState.get<Answer>(key) ?? {};
  if (answer.never || (answer.snoozedUntil ?? 0) > Date.now()) return;
  ctx.offered.push('firstBackup');
  const choice = await vscode.window.showInformationMessage('Codebase Gardener: this workspace has no backups yet.', BACK_UP, NOT_NOW, NEVER);
  if (choice === BACK_UP) await vscode.commands.executeCommand('codebaseGardener.createBackup', 'FULL');
  else if (choice === NOT_NOW) await ctx.extension.globalState.update(key, { snoozedUntil: Date.now() + SNOOZE_MS });
  else if (choice === NEVER) await ctx.extension.globalState.update(key, { never: true });
}
