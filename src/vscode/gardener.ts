import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { Alert, AlertCounts, AlertQuery, AlertState } from '../core/alerts';
import type { HealthReport } from '../core/health';
import { auditOutcome } from '../core/logs';
import type { ShownItem } from './backupsTree';
import type { MaintenanceStatus, ScheduledItem, TaskRun } from '../core/maintenance';
import type { MaintenanceTree } from './maintenanceTree';
import type { ShownRunbook } from './runbookView';
import { allCommands, type Cmd } from './commands';
import { Ctx } from './context';
import { publicApi } from './publicApi';
import type { CodebaseGardenerApi } from '../../api/codebase-gardener';
import type { StartupTiming } from './extension';

/** The extension's API once its core has started: for other extensions, keybindings and tests. */
export interface GardenerApi extends StartupTiming {
  /** From the start of activate() until the core below had started, in ms. */
  readonly readyMs: number;
  /** Of that, evaluating the core's bundle, in ms. */
  readonly coreLoadMs: number;
  readonly dataDirectory: string;
  readonly backupsFolder: string;
  /** This workspace's identity: backups and the backup key are filed under it. */
  readonly workspaceId: string;
  /** The notifications offered since start: 'move01' (0.1's data in the workspace), 'firstBackup'. */
  offers(): string[];
  health(): HealthReport;
  statusBar(): { text: string; tooltip: string; background: string | undefined };
  alerts: {
    counts(): AlertCounts;
    query(q?: AlertQuery): Alert[];
    /** The Alerts view as shown: its groups with the IDs in them, and its badge. */
    tree(): { groups: { state: AlertState; ids: string[] }[]; badge: number | undefined };
  };
  /** The dashboard tab: whether its page said ready, what was posted to it, what it sent that was refused, and its HTML. */
  dashboard(): { ready: boolean; messagesPosted: number; rejected: readonly string[]; html?: string; cspSource?: string };
  /** The Backups view as shown: the backups in it, by group. */
  backupsTree(): { group: string; id: string; parent?: string }[];
  /** The Backups view's top-level items as shown: the same-disk warning, each type's estimate (no backup yet) or group. */
  backupsView(): ShownItem[];
  /** The files a backup restores to, as paths in its archive (`workspace-<folder>/…`). */
  backupFiles(id: string): Promise<string[]>;
  isMonitoring(): boolean;
  maintenance: {
    status(): MaintenanceStatus;
    runs(): TaskRun[];
    /** The Maintenance view as shown: its groups with their items, and its badge. */
    tree(): { groups: ReturnType<MaintenanceTree['snapshot']>; badge: number | undefined };
    /** Schedules as the manager reads them (for tests: a schedule set in settings took effect). */
    scheduled(): ScheduledItem[];
  };
  /** Every runbook (bundled, and the user's folder's), and the one the runbook tab shows, as rendered. */
  runbooks: {
    list(): { name: string; title: string; description: string; source: 'bundled' | 'user' }[];
    shown(): ShownRunbook | undefined;
  };
}

/** What the activation shell holds once the core has started. */
export interface Gardener extends vscode.Disposable {
  readonly api: GardenerApi;
  /** The typed API for other extensions (api/codebase-gardener.d.ts). */
  readonly publicApi: CodebaseGardenerApi;
  readonly commands: Readonly<Record<string, Cmd>>;
  revive(panel: vscode.WebviewPanel): void;
}

// Imports evaluate before this line, so this marks the end of loading the core's bundle.
const coreLoadedAt = performance.now();

/**
 * Builds the monitoring core and its views. Called by the activation shell just after
 * activate() has returned, so none of this counts against VS Code's startup.
 */
export function start(extension: vscode.ExtensionContext, timing: StartupTiming & { activateStart: number; coreRequireStart: number }): Gardener {
  const c = new Ctx(extension);
  const commands: Record<string, Cmd> = {};
  for (const [id, fn] of Object.entries(allCommands(c))) commands[id] = audited(c, id, fn);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const coreLoadMs = round(coreLoadedAt - timing.coreRequireStart);
  const readyMs = round(performance.now() - timing.activateStart);
  c.output.info(
    `Activated in ${timing.activationMs} ms (${timing.loadMs} ms evaluating the activation bundle; VS Code's API object took another ${timing.vscodeApiMs} ms). ` +
      `The core was ready ${readyMs} ms after activation began (${coreLoadMs} ms loading its bundle); data directory ${c.config.dataDir}`,
  );
  // Sampling starts on the next turn, so the first sample never delays the first command.
  setTimeout(() => c.start(), 0);
  const api: GardenerApi = {
    activationMs: timing.activationMs,
    loadMs: timing.loadMs,
    vscodeApiMs: timing.vscodeApiMs,
    readyMs,
    coreLoadMs,
    get dataDirectory() {
      return c.config.dataDir;
    },
    get backupsFolder() {
      return c.config.backups.folder;
    },
    get workspaceId() {
      return c.places.identity;
    },
    offers: () => [...c.offered],
    backupFiles: async (id) => [...(await c.backups.treeOf(id)).files.keys()],
    health: () => c.monitor.report(),
    statusBar: () => ({ text: c.statusBar.text, tooltip: c.statusBar.tooltipMarkdown, background: c.statusBar.background }),
    alerts: {
      counts: () => c.alerts.engine.counts(),
      query: (q) => c.alerts.engine.query(q),
      tree: () => ({ groups: c.alertsTree.snapshot(), badge: c.alertsTree.view.badge?.value }),
    },
    dashboard: () => ({ ready: c.dashboard.isReady, messagesPosted: c.dashboard.messagesPosted, rejected: c.dashboard.rejected, html: c.dashboard.html, cspSource: c.dashboard.cspSource }),
    backupsTree: () => c.backupsTree.snapshot(),
    backupsView: () => c.backupsTree.shown(),
    isMonitoring: () => c.monitor.isRunning,
    maintenance: {
      status: () => c.maintenance.status(),
      runs: () => c.maintenance.runs(),
      tree: () => ({ groups: c.maintenanceTree.snapshot(), badge: c.maintenanceTree.view.badge?.value }),
      scheduled: () => c.maintenance.scheduled(),
    },
    runbooks: {
      list: () => c.runbooks.list(true).map((r) => ({ name: r.name, title: r.title, description: r.description, source: r.source })),
      shown: () => c.runbookViewer.shown,
    },
  };
  return { api, publicApi: publicApi(c), commands, revive: (panel) => c.dashboard.revive(panel), dispose: () => c.dispose() };
}

/**
 * Every command run goes to the audit log: who, what, on what, how it ended and how long it took.
 * Commands that report their own failures return a `NotDone` rather than throw, so how it ended
 * comes from what they return (see `auditOutcome`), not only from whether they threw.
 */
function audited(c: Ctx, id: string, fn: Cmd): Cmd {
  const action = id.replace(/^codebaseGardener\./, '');
  return async (...args: unknown[]) => {
    const started = performance.now();
    const target = typeof args[0] === 'string' ? args[0] : undefined;
    try {
      const result = await fn(...args);
      c.logs.audit({ action, target, ...auditOutcome({ result }), durationMs: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      const ended = auditOutcome({ error: err });
      c.logs.audit({ action, target, ...ended, durationMs: Math.round(performance.now() - started) });
      if (ended.outcome === 'failed') c.logs.error('commands', `${action} failed`, err instanceof Error ? err : { error: String(err) });
      throw err;
    }
  };
}
