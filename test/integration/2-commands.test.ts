import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { HealthReport } from '../../src/core/health';
import { gardener, screenshot, setSetting, waitFor } from './helpers';

describe('Commands', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Run Health Check samples now and returns the full report', async () => {
    const api = await gardener();
    const before = api.health().monitor.samples;
    const report = (await vscode.commands.executeCommand('codebaseGardener.runHealthCheck')) as HealthReport;
    assert.ok(report.monitor.samples > before, 'a new sample was taken');
    assert.match(report.overallStatus, /^(HEALTHY|WARNING|CRITICAL)$/);
    for (const key of ['timestamp', 'uptimeSeconds', 'systemMetrics', 'resourceStatus', 'resourceWarnings', 'components', 'integrationHealth', 'recommendations']) {
      assert.ok(key in report, `report has ${key}`);
    }
    assert.ok(report.systemMetrics && report.systemMetrics.memoryTotalMB > 0);
    const names = report.integrationHealth.checks.map((c) => c.name);
    assert.ok(names.includes('Data directory') && names.includes('Settings'), names.join(', '));
    assert.ok(report.systemMetrics.diskPath.length > 0);
  });

  it('Show Status (Detailed) opens the report as a readable Markdown document', async () => {
    const report = (await vscode.commands.executeCommand('codebaseGardener.showStatus')) as HealthReport;
    const doc = await waitFor('the status document', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'codebase-gardener-report'));
    const text = doc.getText();
    assert.equal(doc.languageId, 'markdown');
    const tab = await waitFor('the rendered status tab', () => vscode.window.tabGroups.activeTabGroup.activeTab);
    assert.match(tab.label, /Codebase Gardener Status/);
    assert.ok(text.startsWith('# Codebase Gardener — Status'), text.slice(0, 200));
    assert.ok(text.includes('## Resources') && text.includes('## Components') && text.includes('## Recommendations'));
    assert.ok(text.includes(`"overallStatus": "${report.overallStatus}"`), 'the raw JSON report is included');
    // The preview renders in its own webview after the tab opens.
    await screenshot('status-document', 3000);
  });

  it('probes configured in settings are checked, with real response times', async () => {
    const api = await gardener();
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    try {
      await setSetting('probes', [
        { name: 'Test server', kind: 'http', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` },
        { name: 'Closed port', kind: 'tcp', host: '127.0.0.1', port: closedPort },
      ]);
      const report = await waitFor('the probes to be configured', async () => {
        const r = (await vscode.commands.executeCommand('codebaseGardener.runHealthCheck')) as HealthReport;
        return r.integrationHealth.checks.some((c) => c.name === 'Test server') && r;
      });
      const ok = report.integrationHealth.checks.find((c) => c.name === 'Test server');
      const bad = report.integrationHealth.checks.find((c) => c.name === 'Closed port');
      assert.ok(ok?.ok, JSON.stringify(ok));
      assert.equal(ok.message, 'HTTP 200 OK');
      assert.ok(ok.responseTimeMs >= 0 && ok.responseTimeMs < 3000);
      assert.equal(bad?.ok, false);
      assert.equal(bad.message, 'connection refused');
      assert.equal(bad.status, 'WARNING');
      assert.equal(report.integrationHealth.score, 50, 'one of the two probes passes');
      assert.notEqual(api.health().overallStatus, 'HEALTHY', 'a failing component makes health at least a warning');
    } finally {
      await setSetting('probes', undefined);
      server.close();
    }
  });

  it('invalid thresholds produce a clear problem naming the setting, and the defaults are used', async () => {
    await setSetting('thresholds.cpuWarning', 95);
    try {
      const report = await waitFor('the settings to apply', async () => {
        const r = (await vscode.commands.executeCommand('codebaseGardener.runHealthCheck')) as HealthReport;
        return r.configurationProblems.length > 0 && r;
      });
      assert.match(report.configurationProblems[0], /codebaseGardener\.thresholds\.cpuWarning \(95\) must be below codebaseGardener\.thresholds\.cpuCritical \(90\); using the defaults 75 \/ 90 instead\./);
      assert.deepEqual(report.thresholds.cpu, { warning: 75, critical: 90 });
      assert.equal(report.components['Settings'].ok, false);
      assert.equal(report.components['Settings'].status, 'WARNING', 'an invalid setting is a warning, never critical');
      assert.match(report.components['Settings'].message, /cpuWarning/);
      assert.notEqual(report.overallStatus, 'CRITICAL');
    } finally {
      await setSetting('thresholds.cpuWarning', undefined);
    }
  });

  it('Stop Monitoring and Start Monitoring switch sampling and the status bar', async () => {
    const api = await gardener();
    await vscode.commands.executeCommand('codebaseGardener.stopMonitoring');
    assert.equal(api.isMonitoring(), false);
    assert.equal(vscode.workspace.getConfiguration('codebaseGardener').get('monitoring.enabled'), false);
    await waitFor('the status bar to say monitoring is off', () => api.statusBar().tooltip.includes('monitoring off'));
    await vscode.commands.executeCommand('codebaseGardener.startMonitoring');
    assert.equal(api.isMonitoring(), true);
    assert.equal(vscode.workspace.getConfiguration('codebaseGardener').get('monitoring.enabled'), true);
    const samples = api.health().monitor.samples;
    await waitFor('a new sample after restarting', () => api.health().monitor.samples > samples);
  });

  it('Open Dashboard shows live health in a webview after its ready handshake', async () => {
    const api = await gardener();
    await vscode.commands.executeCommand('codebaseGardener.openDashboard');
    await waitFor('the dashboard to say ready', () => api.dashboard().ready, 30_000);
    await waitFor('health to reach the dashboard', () => api.dashboard().messagesPosted > 0);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.equal(tab?.label, 'Gardener Dashboard');
    await screenshot('dashboard');
  });
});
