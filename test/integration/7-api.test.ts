import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AlertChange, CodebaseGardenerApi } from '../../api/codebase-gardener';
import { closedPort, EXTENSION_ID, gardener, setSetting, waitFor } from './helpers';

describe('API for other extensions', () => {
  after(async () => {
    await setSetting('probes', undefined);
  });

  it('another extension reads the summary, receives an alert event and acknowledges the alert through the published API', async () => {
    await gardener();
    // As another extension would: through exports, typed by api/codebase-gardener.d.ts only.
    const api = vscode.extensions.getExtension<CodebaseGardenerApi>(EXTENSION_ID)!.exports;
    assert.equal(api.apiVersion, 1);
    const summary = await api.summary();
    assert.ok(['HEALTHY', 'WARNING', 'CRITICAL', 'UNKNOWN'].includes(summary.status));
    assert.equal(typeof summary.uptimeHours, 'number');
    assert.equal(typeof summary.alerts.open, 'number');
    assert.equal(typeof summary.maintenance.running, 'number');
    const changes: AlertChange[] = [];
    const sub = api.onDidChangeAlerts((c) => changes.push(...c));
    try {
      await setSetting('probes', [{ name: 'API test server', kind: 'tcp', host: '127.0.0.1', port: await closedPort() }]);
      const opened = await waitFor('an "opened" event for the probe', () => changes.find((c) => c.kind === 'opened' && c.alert.component === 'API test server'), 60_000);
      const r = await api.alerts.acknowledge(opened.alert.id, { comment: 'seen from another extension' });
      assert.equal(r.ok, true);
      const [after] = await api.alerts.query({ component: 'API test server' });
      assert.equal(after.state, 'ACKNOWLEDGED');
      assert.equal(after.acknowledged?.comment, 'seen from another extension');
      assert.ok(changes.some((c) => c.kind === 'acknowledged' && c.alert.id === opened.alert.id), 'the acknowledgement is an event too');
      const missing = await api.alerts.acknowledge('no-such-alert');
      assert.deepEqual([missing.ok, !missing.ok && missing.reason], [false, 'not-found']);
    } finally {
      sub.dispose();
    }
  });

  it('a task run through the API is in the maintenance status; log search, log statistics and backup status answer', async () => {
    const api = vscode.extensions.getExtension<CodebaseGardenerApi>(EXTENSION_ID)!.exports;
    const run = await api.maintenance.run('logRotation');
    assert.equal(run.status, 'COMPLETED');
    const status = await api.maintenance.status();
    assert.ok(status.recent.some((r) => r.id === run.id));
    const found = await api.logs.search({ text: 'Alert opened', channels: ['main'], maxResults: 5 });
    assert.ok(found.entries.length >= 1);
    const stats = await api.logs.statistics();
    assert.ok(stats.some((s) => s.channel === 'main' && s.lines > 0));
    const backups = await api.backups.status();
    assert.equal(typeof backups.types.FULL.total, 'number');
  });
});
