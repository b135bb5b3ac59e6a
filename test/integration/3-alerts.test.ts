import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as vscode from 'vscode';
import type { ActionResult, Alert } from '../../src/core/alerts';
import { closedPort, gardener, screenshot, setSetting, waitFor } from './helpers';

describe('Alerts', () => {
  const ids: Record<string, string> = {};
  let devPort = 0;
  let devServer: http.Server | undefined;

  before(async () => {
    // Only critical alerts notify here, so the screenshots show the tree rather than toasts.
    await setSetting('alerts.notifications', 'critical');
  });

  after(async () => {
    await setSetting('probes', undefined);
    await setSetting('alerts.notifications', undefined);
    devServer?.close();
  });

  it('a failing probe raises an alert in the Alerts tree within two sampling intervals', async () => {
    const api = await gardener();
    const intervalMs = api.health().monitor.intervalSeconds * 1000;
    devPort = await closedPort();
    const started = Date.now();
    await setSetting('probes', [
      { name: 'Model server', kind: 'tcp', host: '127.0.0.1', port: await closedPort() },
      { name: 'Dev server', kind: 'http', url: `http://127.0.0.1:${devPort}/` },
      { name: 'Database', kind: 'tcp', host: '127.0.0.1', port: await closedPort() },
    ]);
    const open = await waitFor(
      'three availability alerts in the Open group',
      () => {
        const alerts = api.alerts.query({ state: 'OPEN' }).filter((a) => a.metric === 'availability');
        const group = api.alerts.tree().groups.find((g) => g.state === 'OPEN');
        return alerts.length === 3 && alerts.every((a) => group?.ids.includes(a.id)) && alerts;
      },
      4 * intervalMs,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed <= 2 * intervalMs + 1000, `took ${elapsed} ms with a ${intervalMs} ms interval`);
    for (const a of open) ids[a.component] = a.id;
    const model = open.find((a) => a.component === 'Model server') as Alert;
    assert.equal(model.message, 'Model server is failing: connection refused');
    assert.equal(model.title, 'Model server: connection refused');
    assert.equal(model.level, 'WARNING');
    assert.equal(api.alerts.tree().badge, api.alerts.counts().open);
    await vscode.commands.executeCommand('codebaseGardener.showAlerts');
  });

  it('Acknowledge Alert with an ID argument moves the alert to Acknowledged, and the badge follows', async () => {
    const api = await gardener();
    const before = api.alerts.counts().open;
    const r = (await vscode.commands.executeCommand('codebaseGardener.acknowledgeAlert', ids['Model server'], { comment: 'restarting it' })) as ActionResult;
    assert.ok(r.ok);
    assert.equal(r.alert.acknowledged?.comment, 'restarting it');
    const tree = api.alerts.tree();
    assert.ok(tree.groups.find((g) => g.state === 'ACKNOWLEDGED')?.ids.includes(ids['Model server']));
    assert.ok(!tree.groups.find((g) => g.state === 'OPEN')?.ids.includes(ids['Model server']));
    assert.equal(tree.badge, before - 1);
  });

  it('Resolve Alert moves the alert to Resolved, and the badge follows', async () => {
    const api = await gardener();
    // The dev server comes up, so its condition does not fire again after the manual resolve.
    devServer = http.createServer((_q, res) => res.end('ok'));
    await new Promise<void>((r) => devServer!.listen(devPort, '127.0.0.1', r));
    const before = api.alerts.counts().open;
    const r = (await vscode.commands.executeCommand('codebaseGardener.resolveAlert', ids['Dev server'], { note: 'started it' })) as ActionResult;
    assert.ok(r.ok);
    assert.equal(r.alert.resolved?.note, 'started it');
    const tree = api.alerts.tree();
    assert.ok(tree.groups.find((g) => g.state === 'RESOLVED')?.ids.includes(ids['Dev server']));
    assert.equal(tree.badge, before - 1);
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('codebaseGardener.alerts.focus');
    await screenshot('alerts-tree', 1500);
  });

  it('the status bar colour follows the worst open, unacknowledged alert', async () => {
    const api = await gardener();
    assert.equal(api.alerts.counts().worstOpen !== null, true);
    assert.match(api.statusBar().background ?? '', /^statusBarItem\.(warning|error)Background$/);
    assert.match(api.statusBar().tooltip, /\| Alerts \| \d+ open/);
    await vscode.commands.executeCommand('codebaseGardener.acknowledgeAllAlerts');
    assert.equal(api.alerts.counts().open, 0);
    assert.equal(api.statusBar().background, undefined);
    assert.equal(api.alerts.tree().badge, undefined);
  });

  it('acknowledging an unknown ID gives a clear result instead of throwing', async () => {
    const r = (await vscode.commands.executeCommand('codebaseGardener.acknowledgeAlert', 'no-such-alert')) as ActionResult;
    assert.deepEqual(r, { ok: false, reason: 'not-found', message: 'No alert has the ID no-such-alert.' });
  });

  it('alerts for probes removed from the settings resolve by themselves', async () => {
    const api = await gardener();
    await setSetting('probes', undefined);
    await waitFor('the probe alerts to resolve', () => api.alerts.query({ state: ['OPEN', 'ACKNOWLEDGED'] }).every((a) => a.metric !== 'availability'), 15_000);
    const db = api.alerts.query().find((a) => a.id === ids['Database']);
    assert.equal(db?.state, 'RESOLVED');
    assert.equal(db?.resolved?.note, 'no longer monitored');
  });
});
