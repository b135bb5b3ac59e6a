import * as vscode from 'vscode';
import { isGardenerError } from '../core/errors';
import { dismissed, failed, type NotDone } from '../core/logs';
import { alertRunbook, runbookName } from '../core/runbooks';
import type { AlertNode } from './alertsTree';
import type { Cmd } from './commands';
import type { Ctx } from './context';

interface RunbookPick extends vscode.QuickPickItem {
  name: string;
}

/**
 * Open Runbook…: with no argument a pick of every runbook; with an alert (its ID or its node in
 * the Alerts view) that alert's runbook; with a runbook's name that one. Returns what it opened.
 */
export function openRunbook(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<{ ok: true; name: string; title: string; source: string; file: string } | NotDone> => {
    let name: string | undefined;
    if (arg && typeof arg === 'object' && (arg as AlertNode).kind === 'alert') name = alertRunbook((arg as AlertNode).alert);
    else if (typeof arg === 'string') {
      const alert = ctx.alerts.engine.get(arg);
      name = alert ? alertRunbook(alert) : runbookName(arg);
      if (!name) return failed(`There is no runbook or alert named ${JSON.stringify(arg.slice(0, 100))}.`, 'NOT_FOUND');
    } else if (arg !== undefined) {
      return failed('Open Runbook takes a runbook name or an alert ID.', 'INVALID');
    }
    if (!name) {
      const all = ctx.runbooks.list(true);
      const pick = await vscode.window.showQuickPick<RunbookPick>(
        all.map((r) => ({
          name: r.name,
          label: `$(book) ${r.title}`,
          description: r.source === 'user' ? `${r.name} · your folder` : r.name,
          detail: r.description || undefined,
        })),
        { placeHolder: 'Open which runbook?', matchOnDescription: true, matchOnDetail: true },
      );
      if (!pick) return dismissed('No runbook was chosen.');
      name = pick.name;
    }
    const entry = ctx.runbooks.get(name, true);
    if (!entry) {
      const m = `There is no runbook named ${name}.`;
      void vscode.window.showWarningMessage(`Codebase Gardener: ${m}`);
      return failed(m, 'NOT_FOUND');
    }
    try {
      const shown = ctx.runbookViewer.open(entry);
      return { ok: true, name: shown.name, title: shown.title, source: shown.source, file: shown.file };
    } catch (err) {
      const m = `The runbook ${entry.file} cannot be opened: ${(err as Error).message}`;
      void vscode.window.showWarningMessage(`Codebase Gardener: ${m}`);
      return failed(m, isGardenerError(err) ? err.code : 'INVALID');
    }
  };
}

export function runbookCommands(ctx: Ctx): Record<string, Cmd> {
  return { 'codebaseGardener.openRunbook': openRunbook(ctx) };
}
