import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { canDrivePage, gardener, note, query, waitFor } from '../helpers';
import { resultsDir } from '../index';

describe('After a reload of the window', () => {
  it('the dashboard comes back and its CPU chart holds the points from before the reload (the history is on disk)', async function () {
    this.timeout(120_000);
    const api = await gardener();
    const before = JSON.parse(fs.readFileSync(path.join(resultsDir(), '.before-reload.json'), 'utf8')) as { cpuPoints: number; at: number };
    // VS Code restores the tab through our serializer when it was open; Open Dashboard reveals it either way.
    const restored = await waitFor('a restored dashboard', () => api.dashboard().ready, 15_000).catch(() => false);
    note(`the dashboard tab was ${restored ? 'restored by VS Code after the reload' : 'not restored by VS Code; opened again'}`);
    if (!restored) await vscode.commands.executeCommand('codebaseGardener.openDashboard');
    await waitFor('the dashboard ready', () => api.dashboard().ready, 30_000);
    assert.ok(before.cpuPoints > 0, 'the first run saw points in the chart');
    if (!canDrivePage()) return note('chart points not read: this runner cannot look into the page');
    const samplesSince = Math.ceil((Date.now() - before.at) / (api.health().monitor.intervalSeconds * 1000));
    const points = await waitFor('the CPU chart with its points', async () => {
      const q = await query('cpu-after-reload', '#app [data-chart="cpu"]', 'data-points');
      return Number(q?.attribute) > 0 && Number(q?.attribute);
    });
    // More than the new window could have sampled by itself: the earlier ones came from disk.
    assert.ok(points > samplesSince + 1, `${points} points after the reload; the new window sampled at most ${samplesSince + 1}`);
    assert.ok(points >= Math.min(before.cpuPoints, 100), `${points} points now, ${before.cpuPoints} before the reload`);
  });
});
