import { bundleLoadStart } from './loadTime';
import { apiLoadedAt } from './apiLoaded';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { DASHBOARD_VIEW_TYPE } from '../shared/protocol';
import type { Gardener, GardenerApi } from './gardener';
import type { CodebaseGardenerApi } from '../../api/codebase-gardener';

// Imports evaluate before this line, so this marks the end of loading the activation bundle.
const bundleLoadEnd = performance.now();

/**
 * Our share of activation, in ms: evaluating this small bundle plus the activate() call. VS
 * Code's own work (building the API object on the first `require('vscode')`) is apart in
 * `vscodeApiMs`. The core (health, alerts, logs, backups and their views) loads in its own
 * bundle right after activate() returns; `GardenerApi.readyMs` says when it was ready.
 */
export interface StartupTiming {
  readonly activationMs: number;
  readonly loadMs: number;
  readonly vscodeApiMs: number;
}

/**
 * What activate() returns: the typed API for other extensions (api/codebase-gardener.d.ts),
 * whose calls wait for the core; the startup figures; and, for our tests and diagnostics, the
 * full internal API once the core is ready.
 */
export interface ActivationApi extends StartupTiming, CodebaseGardenerApi {
  readonly ready: Promise<GardenerApi>;
}

let gardener: Gardener | undefined;

/**
 * Registers every contributed command and the dashboard serializer, then returns. Each command
 * waits for the core, which is required on the next turn of the event loop: VS Code's startup
 * never waits for our bundle of libraries, and a command run at once still works.
 */
export function activate(extension: vscode.ExtensionContext): ActivationApi {
  const activateStart = performance.now();
  const core = new Promise<Gardener>((resolve, reject) =>
    setTimeout(() => {
      try {
        const coreRequireStart = performance.now();
        // Not bundled into this file (see esbuild.mjs): loading it is the expensive part.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { start } = require('./gardener') as typeof import('./gardener');
        gardener = start(extension, { ...timing, activateStart, coreRequireStart });
        extension.subscriptions.push(gardener);
        resolve(gardener);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }, 0),
  );
  // A core that cannot start is shown once; every command, and `ready`, then fail with it.
  const started = core.catch((err: Error) => {
    console.error('Codebase Gardener could not start', err);
    void vscode.window.showErrorMessage(`Codebase Gardener could not start: ${err.message}`);
    throw new Error(`Codebase Gardener could not start: ${err.message}`);
  });
  started.catch(() => undefined);
  const pkg = extension.extension.packageJSON as { contributes?: { commands?: { command: string }[] } };
  for (const { command: id } of pkg.contributes?.commands ?? []) {
    extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        const run = (await started).commands[id];
        if (!run) throw new Error(`Codebase Gardener has no command ${id}`);
        return run(...args);
      }),
    );
  }
  extension.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => (await started).revive(panel),
    }),
  );

  const round = (ms: number) => Math.round(ms * 10) / 10;
  const loadMs = round(bundleLoadEnd - apiLoadedAt);
  // Read by the timer above, which runs only after activate() has returned.
  const timing: StartupTiming = {
    activationMs: round(loadMs + performance.now() - activateStart),
    loadMs,
    vscodeApiMs: round(apiLoadedAt - bundleLoadStart),
  };
  return { ...timing, ...forwarded(started), ready: started.then((g) => g.api) };
}

/**
 * The public API before the core has loaded: each call waits for it; an event listener is
 * attached once it is there (and never, if disposed before).
 */
function forwarded(started: Promise<Gardener>): CodebaseGardenerApi {
  const api = started.then((g) => g.publicApi);
  type Events = 'onDidChangeHealth' | 'onDidChangeAlerts' | 'onDidChangeBackups' | 'onDidChangeMaintenance';
  const on =
    <K extends Events>(name: K) =>
    (listener: Parameters<CodebaseGardenerApi[K]>[0]) => {
      let sub: { dispose(): void } | undefined;
      let disposed = false;
      void api.then((a) => {
        if (!disposed) sub = (a[name] as (l: typeof listener) => { dispose(): void })(listener);
      });
      return {
        dispose: () => {
          disposed = true;
          sub?.dispose();
        },
      };
    };
  return {
    apiVersion: 1,
    summary: async () => (await api).summary(),
    alerts: {
      query: async (q) => (await api).alerts.query(q),
      acknowledge: async (id, o) => (await api).alerts.acknowledge(id, o),
      resolve: async (id, o) => (await api).alerts.resolve(id, o),
    },
    logs: {
      search: async (q) => (await api).logs.search(q),
      statistics: async () => (await api).logs.statistics(),
    },
    backups: {
      status: async () => (await api).backups.status(),
      create: async (type) => (await api).backups.create(type),
      validate: async (id) => (await api).backups.validate(id),
    },
    maintenance: {
      status: async () => (await api).maintenance.status(),
      run: async (task) => (await api).maintenance.run(task),
    },
    onDidChangeHealth: on('onDidChangeHealth'),
    onDidChangeAlerts: on('onDidChangeAlerts'),
    onDidChangeBackups: on('onDidChangeBackups'),
    onDidChangeMaintenance: on('onDidChangeMaintenance'),
  };
}

export function deactivate(): void {
  gardener?.dispose();
  gardener = undefined;
}
