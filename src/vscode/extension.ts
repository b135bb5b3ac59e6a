import { bundleLoadStart } from './loadTime';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Alert, AlertCounts, AlertQuery, AlertState } from '../core/alerts';
import type { HealthReport } from '../core/health';
import { allCommands } from './commands';
import { Ctx } from './context';

// Imports evaluate before this line, so this marks the end of loading the bundle.
const bundleLoadEnd = performance.now();

/** What the extension returns from activate(): for other extensions, keybindings and tests. */
export interface GardenerApi {
  /**
   * Our share of activation, in ms: evaluating the bundle plus the activate() call. VS Code's
   * own work between the two (building the extension context) is not ours and not counted.
   */
  readonly activationMs: number;
  readonly loadMs: number;
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
  isMonitoring(): boolean;
}

let ctx: Ctx | undefined;

export function activate(extension: vscode.ExtensionContext): GardenerApi {
  const activateStart = performance.now();
  const c = new Ctx(extension);
  ctx = c;
  extension.subscriptions.push(c);
  for (const [id, fn] of Object.entries(allCommands(c))) {
    extension.subscriptions.push(vscode.commands.registerCommand(id, fn));
  }
  const loadMs = Math.round((bundleLoadEnd - bundleLoadStart) * 10) / 10;
  const activationMs = Math.round((loadMs + performance.now() - activateStart) * 10) / 10;
  c.log.info(`Activated in ${activationMs} ms (${loadMs} ms loading the bundle); data directory ${c.config.dataDir}`);
  // Sampling starts after activation returns, so it never counts against startup.
  setTimeout(() => c.start(), 0);
  return {
    activationMs,
    loadMs,
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
    isMonitoring: () => c.monitor.isRunning,
  };
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
