import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LogEntry, PerformanceSummary, SearchResult } from '../../src/core/logs';
import { gardener, screenshot, waitFor } from './helpers';

describe('Logs', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Run Health Check, then Search Logs finds it, and shows the results newest first', async () => {
    await gardener();
    const before = new Date().toISOString();
    await vscode.commands.executeCommand('codebaseGardener.runHealthCheck');
    const r = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { text: 'Health:', channels: ['main'] })) as SearchResult;
    const mine = r.entries.filter((e) => e.component === 'health' && e.ts >= before);
    assert.ok(mine.length >= 1, JSON.stringify(r.entries.slice(0, 3)));
    assert.match(mine[0].message, /^Health: (Healthy|Warning|Critical) — CPU/);
    const sorted = [...r.entries].sort((a, b) => (a.ts < b.ts ? 1 : -1));
    assert.deepEqual(r.entries.map((e) => e.ts), sorted.map((e) => e.ts), 'newest first');
    const perf = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { text: 'health_check', channels: ['performance'] })) as SearchResult;
    assert.ok(perf.entries.some((e) => e.operation === 'health_check' && e.ts >= before), 'the health check was timed on the performance channel');
    const doc = await waitFor('the results document', () => vscode.window.activeTextEditor?.document.uri.path.startsWith('/Log Search') && vscode.window.activeTextEditor.document);
    assert.ok(doc.getText().includes('health_check'), doc.getText().slice(0, 400));
    assert.ok(doc.getText().startsWith('# Search: "health_check" in performance'));
    await screenshot('log-search', 1200);
  });

  it('an empty search says so', async () => {
    const r = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { text: 'no such text anywhere 8f1d' })) as SearchResult;
    assert.equal(r.entries.length, 0);
    const doc = await waitFor('the results document', () => vscode.window.activeTextEditor?.document.uri.path.startsWith('/Log Search') && vscode.window.activeTextEditor.document);
    assert.ok(doc.getText().includes('No log entries match this search.'), doc.getText());
  });

  it('Export Logs writes a file that parses', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gardener-export-'));
    const dest = path.join(dir, 'main.json');
    const r = (await vscode.commands.executeCommand('codebaseGardener.exportLogs', { channel: 'main', format: 'json', destination: dest })) as { count: number };
    const entries = JSON.parse(fs.readFileSync(dest, 'utf8')) as LogEntry[];
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(entries.length, r.count);
    assert.ok(entries.length > 0);
    assert.ok(entries.every((e) => typeof e.ts === 'string' && e.channel === 'main'));
  });

  it('every command is written to the audit log, and the performance summary lists the health checks', async () => {
    const r = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { text: 'runHealthCheck', channels: ['audit'] })) as SearchResult;
    assert.ok(r.entries.length >= 1);
    assert.equal(r.entries[0].action, 'runHealthCheck');
    assert.equal(r.entries[0].outcome, 'ok');
    assert.equal(typeof r.entries[0].actor, 'string');
    const s = (await vscode.commands.executeCommand('codebaseGardener.showPerformanceSummary')) as PerformanceSummary;
    assert.ok(s.operations.health_check.count >= 1);
  });

  it('Show Log Statistics and Show Diagnostics report on the four channels', async () => {
    const stats = (await vscode.commands.executeCommand('codebaseGardener.showLogStatistics')) as { channel: string; lines: number }[];
    assert.deepEqual(stats.map((s) => s.channel), ['main', 'error', 'performance', 'audit']);
    assert.ok(stats.find((s) => s.channel === 'performance')!.lines > 0);
    const d = (await vscode.commands.executeCommand('codebaseGardener.showDiagnostics')) as { environment: { vscode: string }; logStatistics: unknown[] };
    assert.equal(d.environment.vscode, vscode.version);
    assert.equal(d.logStatistics.length, 4);
  });
});
