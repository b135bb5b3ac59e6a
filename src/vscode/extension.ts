import { bundleLoadStart } from './loadTime';
import { apiLoadedAt } from './apiLoaded';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Alert, AlertCounts, AlertQuery, AlertState } from '../core/alerts';
import type { HealthReport } from '../core/health';
import { allCommands, type Cmd } from './commands';
import { Ctx } from './context';

// Imports evaluate before this line, so this marks the end of loading the bundle.
const bundleLoadEnd = performance.now();

/** What the extension returns from activate(): for other extensions, keybindings and tests. */
export interface GardenerApi {
  /**
   * Our share of activation, in ms: evaluating our bundle plus the activate() call. VS Code's
   * own work (building the API object on the first `require('vscode')`, and the extension
   * context before calling activate) is reported apart in `vscodeApiMs`, not counted.
   */
  readonly activationMs: number;
  readonly loadMs: number;
  readonly vscodeApiMs: number;
  readonly dataDirectory: string;
  health(): HealthReport;
  statusBar(): { text: string; tooltip: string; background: string | undefined };
  alerts: {
    counts(): AlertCounts;
    query(q?: AlertQuery): Alert[];
    /** The Alerts view as shown: its groups with the IDs in them, and its badge. */
    tree(): { groups: { state: AlertState; ids: string[] }[]; badge: number | undefined };
  };
  dashboard(): { ready: boolean; messagesPosted: number };
  /** The Backups view as shown. */
  backupsTree(): { group: string; id: string; parent?: string }[];
  isMonitoring(): boolean;
}

let ctx: Ctx | undefined;

export function activate(extension: vscode.ExtensionContext): GardenerApi {
  const activateStart = performance.now();
  const c = new Ctx(extension);
  ctx = c;
  extension.subscriptions.push(c);
  for (const [id, fn] of Object.entries(allCommands(c))) {
    extension.subscriptions.push(vscode.commands.registerCommand(id, audited(c, id, fn)));
  }
  const vscodeApiMs = Math.round((apiLoadedAt - bundleLoadStart) * 10) / 10;
  const loadMs = Math.round((bundleLoadEnd - apiLoadedAt) * 10) / 10;
  const activationMs = Math.round((loadMs + performance.now() - activateStart) * 10) / 10;
  c.output.info(
    `Activated in ${activationMs} ms (${loadMs} ms evaluating the bundle; VS Code's API object took another ${vscodeApiMs} ms); data directory ${c.config.dataDir}`,
  );
  // Sampling starts after activation returns, so it never counts against startup.
  setTimeout(() => c.start(), 0);
  return {
    activationMs,
    loadMs,
    vscodeApiMs,
    get dataDirectory() {
      return c.config.dataDir;
    },
    health: () => c.monitor.report(),
    statusBar: () => ({ text: c.statusBar.text, tooltip: c.statusBar.tooltipMarkdown, background: c.statusBar.background }),
    alerts: {
      counts: () => c.alerts.engine.counts(),
      query: (q) => c.alerts.engine.query(q),
      tree: () => ({ groups: c.alertsTree.snapshot(), badge: c.alertsTree.view.badge?.value }),
    },
    dashboard: () => ({ ready: c.dashboard.isReady, messagesPosted: c.dashboard.messagesPosted }),
    backupsTree: () => c.backupsTree.snapshot(),
    isMonitoring: () => c.monitor.isRunning,
  };
}

/** Every command run goes to the audit log: who, what, on what, how it ended and how long it took. */
function audited(c: Ctx, id: string, fn: Cmd): Cmd {
  const action = id.replace(/^codebaseGardener\./, '');
  return async (...args: unknown[]) => {
    const started = performance.now();
    const target = typeof args[0] === 'string' ? args[0] : undefined;
    try {
      const result = await fn(...args);
      const rejected = !!result && typeof result === 'object' && (result as { ok?: unknown }).ok === false;
      c.logs.audit({ action, target, outcome: rejected ? 'rejected' : result === undefined ? 'done' : 'ok', durationMs: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      c.logs.audit({ action, target, outcome: 'error', durationMs: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) });
      c.logs.error('commands', `${action} failed`, err instanceof Error ? err : { error: String(err) });
      throw err;
    }
  };
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
