import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ActivationApi } from '../../src/vscode/extension';
import { EXTENSION_ID, gardener, note, screenshot, waitFor } from './helpers';

describe('Activation and status bar', () => {
  it('activates by itself on startup in under 100 ms, and reports how long the core took to be ready', async () => {
    const ext = vscode.extensions.getExtension<ActivationApi>(EXTENSION_ID)!;
    const api = await gardener();
    note(
      `activation took ${api.activationMs} ms (${api.loadMs} ms evaluating the activation bundle; VS Code's API object: another ${api.vscodeApiMs} ms); ` +
        `the core was ready after ${api.readyMs} ms (${api.coreLoadMs} ms loading its bundle)`,
    );
    assert.equal(ext.exports.activationMs, api.activationMs, 'activate() returned the same figure');
    assert.ok(api.activationMs > 0, 'activation time is measured');
    assert.ok(api.activationMs < 100, `activation took ${api.activationMs} ms`);
    assert.ok(api.readyMs >= api.activationMs, 'the core starts after activation');
    // Loading the core is off VS Code's startup path, but a user still waits for it: keep it bounded.
    assert.ok(api.readyMs < 2_000, `the core was ready after ${api.readyMs} ms`);
    const pkg = ext.packageJSON as { activationEvents: string[] };
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished']);
  });

  it('shows a health status in the status bar after the first sample', async () => {
    const api = await gardener();
    const sb = await waitFor('a sampled status', () => {
      const s = api.statusBar();
      return /^\$\((pass|warning|error)\) (Healthy|Warning|Critical)$/.test(s.text) && s;
    });
    for (const part of ['CPU', 'Memory', 'Disk', 'Integration', 'Last sample', 'Monitor cost']) {
      assert.ok(sb.tooltip.includes(part), `tooltip mentions ${part}:\n${sb.tooltip}`);
    }
    const word = sb.text.replace(/^\$\([a-z]+\) /, '').toUpperCase();
    assert.equal(word, api.health().overallStatus, 'status bar and report agree');
  });

  it('contributes the Codebase Gardener container with Alerts, Backups and Maintenance views', async () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { views: Record<string, { id: string; name: string }[]>; viewsWelcome: { view: string }[] };
    };
    const views = pkg.contributes.views.codebaseGardener.map((v) => v.name);
    assert.deepEqual(views, ['Alerts', 'Backups', 'Maintenance']);
    assert.deepEqual(
      [...new Set(pkg.contributes.viewsWelcome.map((w) => w.view))],
      // Maintenance always lists its scheduled tasks: it needs no welcome.
      ['codebaseGardener.alerts', 'codebaseGardener.backups'],
    );
    await vscode.commands.executeCommand('workbench.view.extension.codebaseGardener');
    for (const id of ['alerts', 'backups', 'maintenance']) await vscode.commands.executeCommand(`codebaseGardener.${id}.focus`);
    await screenshot('workbench-container');
  });
});
