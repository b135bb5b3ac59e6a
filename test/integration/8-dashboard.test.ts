import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cspProblems } from '../../src/shared/csp';
import { canDrivePage, click, closedPort, fill, gardener, note, query, screenshot, setSetting, waitFor } from './helpers';
import { resultsDir } from './index';

/** The dashboard's webview frame holds these; the workbench around it does not. */
const IN_PAGE = (s: string) => `#app ${s}`;

describe('Dashboard', () => {
  before(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('alerts.notifications', 'critical');
  });

  after(async () => {
    await setSetting('probes', undefined);
    await setSetting('alerts.notifications', undefined);
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
  });

  it('Open Dashboard shows health with a status and numbers; its HTML has a strict CSP', async function () {
    this.timeout(90_000);
    const api = await gardener();
    await vscode.commands.executeCommand('codebaseGardener.openDashboard');
    await waitFor('the dashboard to say ready', () => api.dashboard().ready, 30_000);
    const d = api.dashboard();
    assert.ok(d.html && d.cspSource);
    assert.deepEqual(cspProblems(d.html, d.cspSource), [], 'the CSP the extension serves is strict');
    if (!canDrivePage()) return note('dashboard contents not read: this runner cannot look into the page');
    // Our stylesheet reached the page (it is in the VSIX, and the CSP lets it apply): the cards are a grid.
    const cards = await query('cards', IN_PAGE('.cards'), undefined, 20_000, 'display');
    assert.equal(cards?.style, 'grid', 'the dashboard stylesheet is applied');
    const status = await query('status', IN_PAGE('[data-status]'), 'data-status');
    assert.match(status?.attribute ?? '', /^(HEALTHY|WARNING|CRITICAL|UNKNOWN)$/);
    const memory = await waitFor('a memory figure', async () => {
      const v = await query('memory', IN_PAGE('[data-value="memory"]'));
      return /^\d+(\.\d)?%$/.test(v?.text ?? '') && v;
    });
    assert.ok(Number.parseFloat(memory.text!) > 0);
    const cpuPoints = await waitFor('points in the CPU chart', async () => {
      const q = await query('cpu-points', IN_PAGE('[data-chart="cpu"]'), 'data-points');
      return Number(q?.attribute) > 0 && Number(q?.attribute);
    });
    assert.ok(cpuPoints >= 1);
    for (const section of ['alerts', 'backups', 'maintenance', 'logs', 'charts']) assert.ok(await query(`section-${section}`, IN_PAGE(`#${section}`)), `the ${section} section is shown`);
    assert.deepEqual(api.dashboard().rejected, [], 'every message the page sent was valid');
  });

  it('Acknowledge on the dashboard (with a comment) moves the alert to Acknowledged in the Alerts tree', async function () {
    this.timeout(90_000);
    if (!canDrivePage()) return note('dashboard acknowledge not tried: this runner cannot click');
    const api = await gardener();
    const intervalMs = api.health().monitor.intervalSeconds * 1000;
    await setSetting('probes', [{ name: 'Dashboard probe', kind: 'tcp', host: '127.0.0.1', port: await closedPort() }]);
    const alert = await waitFor('an open alert for the probe', () => api.alerts.query({ state: 'OPEN' }).find((a) => a.component === 'Dashboard probe'), 6 * intervalMs);
    const row = IN_PAGE(`tr[data-alert-id="${alert.id}"]`);
    await click('ack-open', `${row} [data-action="ack"]`);
    await fill('ack-comment', `${row} vscode-textfield[data-field="comment"] input`, 'on it from the dashboard');
    await screenshot('dashboard-acknowledge');
    await click('ack-confirm', `${row} [data-action="ack-confirm"]`);
    const acked = await waitFor('the alert acknowledged', () => api.alerts.query({ state: 'ACKNOWLEDGED' }).find((a) => a.id === alert.id));
    assert.equal(acked.acknowledged?.comment, 'on it from the dashboard');
    assert.equal(acked.acknowledged?.by, 'dashboard');
    assert.ok(api.alerts.tree().groups.find((g) => g.state === 'ACKNOWLEDGED')?.ids.includes(alert.id), 'the Alerts tree shows it under Acknowledged');
    // The page hears of it too: the row moves to the acknowledged list.
    await waitFor('the row in the acknowledged list', async () => (await query('acked-row', IN_PAGE(`[data-list="acknowledged"] tr[data-alert-id="${alert.id}"]`), undefined, 5_000).catch(() => undefined)) !== undefined);
    await setSetting('probes', undefined);
  });

  it('Run Now on a maintenance task adds a row to its history', async function () {
    this.timeout(90_000);
    if (!canDrivePage()) return note('dashboard Run Now not tried: this runner cannot click');
    const api = await gardener();
    const before = api.maintenance.runs().filter((r) => r.key === 'logRotation').length;
    await click('run-now', IN_PAGE('tr[data-task="logRotation"] [data-action="run-now"]'));
    const run = await waitFor('a finished log rotation run', () => {
      const runs = api.maintenance.runs().filter((r) => r.key === 'logRotation');
      return runs.length > before && runs.at(-1)!.status !== 'RUNNING' && runs.at(-1);
    }, 30_000);
    assert.equal(run.status, 'COMPLETED');
    await waitFor('its row in the history', async () => (await query('history-row', IN_PAGE(`[data-list="history"] tr[data-run-id="${run.id}"]`), undefined, 5_000).catch(() => undefined)) !== undefined);
  });

  it('a log search on the dashboard returns results', async function () {
    this.timeout(60_000);
    if (!canDrivePage()) return note('dashboard log search not tried: this runner cannot click');
    const api = await gardener();
    await fill('log-query', IN_PAGE('vscode-textfield[data-field="query"] input'), 'Alert');
    await click('log-search', IN_PAGE('[data-action="search"]'));
    const count = await waitFor('search results', async () => {
      const q = await query('log-results', IN_PAGE('.results'), 'data-count');
      return q?.attribute !== null && q?.attribute !== undefined && Number(q.attribute);
    });
    assert.ok(count > 0, `${count} entries found`);
    const first = await query('log-first', IN_PAGE('[data-list="log-results"] tbody tr'));
    assert.match(first?.text ?? '', /alert/i);
    assert.deepEqual(api.dashboard().rejected, []);
  });

  it('nothing is posted while the tab is hidden; shown again, it gets its state from the host', async function () {
    this.timeout(60_000);
    const api = await gardener();
    const doc = await vscode.workspace.openTextDocument({ content: 'hides the dashboard', language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Active, preview: false });
    await waitFor('the dashboard to be hidden', () => !api.dashboard().ready);
    const posted = api.dashboard().messagesPosted;
    // A health check and a sample or two would each post to a visible page.
    await vscode.commands.executeCommand('codebaseGardener.runHealthCheck');
    await new Promise((r) => setTimeout(r, 2 * api.health().monitor.intervalSeconds * 1000));
    assert.equal(api.dashboard().messagesPosted, posted, 'nothing was posted to the hidden tab');
    await vscode.commands.executeCommand('codebaseGardener.openDashboard');
    await waitFor('the dashboard ready again', () => api.dashboard().ready, 30_000);
    await waitFor('its state posted again', () => api.dashboard().messagesPosted > posted);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor').then(undefined, () => undefined);
  });

  it('reads well in dark, light and high-contrast themes (screenshots)', async function () {
    this.timeout(120_000);
    const api = await gardener();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('codebaseGardener.openDashboard');
    await waitFor('the dashboard ready', () => api.dashboard().ready, 30_000);
    const themes: [string, string][] = [
      ['dark', 'Default Dark Modern'],
      ['light', 'Default Light Modern'],
      ['high-contrast', 'Default High Contrast'],
    ];
    for (const [name, theme] of themes) {
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await screenshot(`dashboard-${name}`, 2000);
    }
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    // What the reload test will look for: the CPU chart's points before the window reloads.
    if (canDrivePage()) {
      const q = await query('cpu-before-reload', IN_PAGE('[data-chart="cpu"]'), 'data-points');
      fs.writeFileSync(path.join(resultsDir(), '.before-reload.json'), JSON.stringify({ cpuPoints: Number(q?.attribute ?? 0), at: Date.now() }));
    }
  });
});
