import * as vscode from 'vscode';
import type { ActionResult, Alert, AlertEvent, AlertLevel } from '../core/alerts';
import { dismissed, failed, type NotDone } from '../core/logs';
import type { Cmd } from './commands';
import type { Ctx } from './context';
import { alertDetails, relativeTime, type AlertFilter, type AlertNode } from './alertsTree';

/** Commands take an alert ID (from keybindings and other extensions) or a tree node (from menus). */
function idOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && (arg as AlertNode).kind === 'alert') return (arg as AlertNode).alert.id;
  return undefined;
}

interface AlertPick extends vscode.QuickPickItem {
  alert: Alert;
}

const icon: Record<AlertLevel, string> = { CRITICAL: '$(error)', WARNING: '$(warning)', INFO: '$(info)' };

async function pickAlert(ctx: Ctx, states: Alert['state'][], placeHolder: string): Promise<string | ActionResult | NotDone> {
  const alerts = ctx.alerts.engine.query({ state: states });
  if (!alerts.length) {
    const which = states.map((s) => s.toLowerCase()).join(' or ');
    void vscode.window.showInformationMessage(`Codebase Gardener: no ${which} alerts.`);
    return { ok: false, reason: 'not-found', message: `There are no ${which} alerts.` };
  }
  const pick = await vscode.window.showQuickPick<AlertPick>(
    alerts.map((alert) => ({
      alert,
      label: `${icon[alert.level]} ${alert.title}`,
      description: `${alert.component} · ${relativeTime(alert.lastSeenAt)}`,
      detail: alert.state === 'ACKNOWLEDGED' ? `${alert.message} — acknowledged by ${alert.acknowledged?.by}` : alert.message,
    })),
    { placeHolder, matchOnDescription: true },
  );
  return pick?.alert.id ?? dismissed('No alert was chosen.');
}

function report(r: ActionResult): ActionResult {
  if (!r.ok) void vscode.window.showWarningMessage(`Codebase Gardener: ${r.message}`);
  return r;
}

export function acknowledgeAlert(ctx: Ctx): Cmd {
  return async (arg?: unknown, opts?: unknown) => {
    const given = idOf(arg);
    const id = given ?? (await pickAlert(ctx, ['OPEN'], 'Acknowledge which alert?'));
    if (typeof id !== 'string') return id;
    const o = (opts ?? {}) as { comment?: string; expiresInMinutes?: number };
    let comment = o.comment;
    if (!given) {
      comment = await vscode.window.showInputBox({ prompt: 'Comment (optional)', placeHolder: 'e.g. compiling the world, expected' });
      if (comment === undefined) return dismissed('The acknowledgement was not confirmed.');
    }
    const expiresInMs = o.expiresInMinutes !== undefined ? o.expiresInMinutes * 60_000 : ctx.alertConfig.acknowledgementExpiryMs;
    return report(await ctx.alerts.acknowledge(id, { comment: comment || undefined, expiresInMs }));
  };
}

export function resolveAlert(ctx: Ctx): Cmd {
  return async (arg?: unknown, opts?: unknown) => {
    const given = idOf(arg);
    const id = given ?? (await pickAlert(ctx, ['OPEN', 'ACKNOWLEDGED'], 'Resolve which alert?'));
    if (typeof id !== 'string') return id;
    let note = (opts as { note?: string } | undefined)?.note;
    if (!given) {
      note = await vscode.window.showInputBox({ prompt: 'Resolution note (optional)', placeHolder: 'e.g. restarted the model server' });
      if (note === undefined) return dismissed('The resolution was not confirmed.');
    }
    return report(await ctx.alerts.resolve(id, { note: note || undefined }));
  };
}

export function acknowledgeAll(ctx: Ctx): Cmd {
  return async () => {
    const done = await ctx.alerts.acknowledgeAll();
    vscode.window.setStatusBarMessage(`$(check) Acknowledged ${done.length} alert${done.length === 1 ? '' : 's'}`, 4000);
    return done.length;
  };
}

export function showAlerts(): Cmd {
  return () => vscode.commands.executeCommand('codebaseGardener.alerts.focus');
}

export function filterAlerts(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const options: { label: string; value: AlertFilter }[] = [
      { label: '$(list-flat) All levels', value: 'ALL' },
      { label: '$(error) Critical only', value: 'CRITICAL' },
      { label: '$(warning) Warning only', value: 'WARNING' },
      { label: '$(info) Info only', value: 'INFO' },
    ];
    const value = typeof arg === 'string' ? (arg as AlertFilter) : (await vscode.window.showQuickPick(options, { placeHolder: 'Show alerts of which level?' }))?.value;
    if (!value) return dismissed('No level was chosen.');
    ctx.alertsTree.setFilter(value);
    return value;
  };
}

export function copyAlertDetails(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const a = ctx.alerts.engine.get(idOf(arg) ?? '');
    if (!a) return failed(`No alert has the ID ${idOf(arg) ?? '(none given)'}.`, 'NOT_FOUND');
    await vscode.env.clipboard.writeText(`${alertDetails(a).replace(/ {2}\n/g, '\n').replace(/\*\*/g, '')}\n\n${JSON.stringify(a, null, 2)}`);
  };
}

/** Notifications for alert events: damped by the engine, filtered by the user's level. */
export function notify(ctx: Ctx, events: AlertEvent[]): void {
  const min = ctx.alertConfig.notifications;
  if (min === 'none') return;
  for (const e of events) {
    if (!e.notify || e.alert.level === 'INFO') continue;
    if (min === 'critical' && e.alert.level !== 'CRITICAL') continue;
    const show = e.alert.level === 'CRITICAL' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const prefix = e.kind === 'reopened' ? 'Acknowledgement expired: ' : '';
    void show(`Codebase Gardener: ${prefix}${e.alert.message}`, 'Acknowledge', 'Show Alerts').then((choice) => {
      if (choice === 'Acknowledge') void vscode.commands.executeCommand('codebaseGardener.acknowledgeAlert', e.alert.id);
      else if (choice === 'Show Alerts') void vscode.commands.executeCommand('codebaseGardener.showAlerts');
    });
  }
}

export function alertCommands(ctx: Ctx): Record<string, Cmd> {
  return {
    'codebaseGardener.acknowledgeAlert': acknowledgeAlert(ctx),
    'codebaseGardener.resolveAlert': resolveAlert(ctx),
    'codebaseGardener.acknowledgeAllAlerts': acknowledgeAll(ctx),
    'codebaseGardener.showAlerts': showAlerts(),
    'codebaseGardener.filterAlerts': filterAlerts(ctx),
    'codebaseGardener.copyAlertDetails': copyAlertDetails(ctx),
  };
}
