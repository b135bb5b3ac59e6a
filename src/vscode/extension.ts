import { bundleLoadStart } from './loadTime';
import { apiLoadedAt } from './apiLoaded';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { DASHBOARD_VIEW_TYPE } from '../shared/protocol';
import type { Gardener, GardenerApi } from './gardener';

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

/** What activate() returns: the startup figures, and the full API once the core is ready. */
export interface ActivationApi extends StartupTiming {
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
  let started!: (g: Gardener) => void;
  let failedToStart!: (err: Error) => void;
  const core = new Promise<Gardener>((resolve, reject) => {
    started = resolve;
    failedToStart = reject;
  });
  const failed = core.then(
    () => undefined,
    (err: Error) => {
      console.error('Codebase Gardener could not start', err);
      void vscode.window.showErrorMessage(`Codebase Gardener could not start: ${err.message}`);
      return err;
    },
  );
  const whenStarted = async () => {
    const err = await failed;
    if (err) throw new Error(`Codebase Gardener could not start: ${err.message}`);
    return core;
  };
  for (const id of contributedCommands(extension)) {
    extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        const run = (await whenStarted()).commands[id];
        if (!run) throw new Error(`Codebase Gardener has no command ${id}`);
        return run(...args);
      }),
    );
  }
  extension.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => (await whenStarted()).revive(panel),
    }),
  );
  const ready = whenStarted().then((g) => g.api);
  // Whoever awaits `ready` sees the failure; the shell has already shown it once.
  ready.catch(() => undefined);

  const round = (ms: number) => Math.round(ms * 10) / 10;
  const loadMs = round(bundleLoadEnd - apiLoadedAt);
  const timing: StartupTiming = {
    activationMs: round(loadMs + performance.now() - activateStart),
    loadMs,
    vscodeApiMs: round(apiLoadedAt - bundleLoadStart),
  };
  setTimeout(() => {
    try {
      const coreRequireStart = performance.now();
      // Not bundled into this file (see esbuild.mjs): loading it is the expensive part.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { start } = require('./gardener') as typeof import('./gardener');
      gardener = start(extension, { ...timing, activateStart, coreRequireStart });
      extension.subscriptions.push(gardener);
      registerOthers(extension, gardener);
      started(gardener);
    } catch (err) {
      failedToStart(err instanceof Error ? err : new Error(String(err)));
    }
  }, 0);
  return { ...timing, ready };
}

function contributedCommands(extension: vscode.ExtensionContext): string[] {
  const pkg = extension.extension.packageJSON as { contributes?: { commands?: { command: string }[] } };
  return (pkg.contributes?.commands ?? []).map((c) => c.command);
}

/** Commands the core has that the manifest does not list (none today) still get registered. */
function registerOthers(extension: vscode.ExtensionContext, g: Gardener): void {
  const listed = new Set(contributedCommands(extension));
  for (const [id, fn] of Object.entries(g.commands)) {
    if (!listed.has(id)) extension.subscriptions.push(vscode.commands.registerCommand(id, fn));
  }
}

export function deactivate(): void {
  gardener?.dispose();
  gardener = undefined;
}
