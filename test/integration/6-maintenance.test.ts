import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { TaskRun } from '../../src/core/maintenance';
import { TASKS } from '../../src/core/maintenance';
import { gardener, screenshot, setSetting, waitFor } from './helpers';

describe('Maintenance', () => {
  let slow: http.Server | undefined;

  before(async () => {
    // The runner turns schedules off (they run at wall-clock times); here they are the defaults.
    for (const t of TASKS) await setSetting(`maintenance.schedule.${t.key}`, t.defaultSchedule);
  });

  after(async () => {
    for (const t of TASKS) await setSetting(`maintenance.schedule.${t.key}`, '');
    await setSetting('probes', undefined);
    slow?.close();
  });

  it('the Maintenance view lists every scheduled task with its next run and cron', async () => {
    const api = await gardener();
    const groups = await waitFor('eight scheduled tasks', () => {
      const g = api.maintenance.tree().groups;
      return g.find((x) => x.group === 'Scheduled')?.items.length === 8 && g;
    });
    const scheduled = groups.find((g) => g.group === 'Scheduled')!.items;
    const incremental = scheduled.find((i) => i.label === 'Incremental backup');
    assert.match(incremental?.description ?? '', /^in \d+ (min|h|s) · 0 \*\/6 \* \* \*$|^\w{3},? .* · 0 \*\/6 \* \* \*$/);
    assert.ok(scheduled.every((i) => i.contextValue === 'maintenance:schedule'));
    assert.equal(api.maintenance.status().leader, true, 'the only window leads');
  });

  it('Run Maintenance Task (health check) from the palette puts a completed run in History with its output', async () => {
    const api = await gardener();
    const run = (await vscode.commands.executeCommand('codebaseGardener.runMaintenanceTask', 'healthCheck')) as TaskRun;
    assert.equal(run.status, 'COMPLETED');
    assert.ok(run.output.some((l) => /^Overall: (HEALTHY|WARNING|CRITICAL|UNKNOWN)$/.test(l)), run.output.join('\n'));
    const history = await waitFor('the run in History', () => api.maintenance.tree().groups.find((g) => g.group === 'History')?.items);
    assert.equal(history[0].label, 'Health check (run by hand)');
    assert.match(history[0].description, /components? checked/);
    const doc = (await vscode.commands.executeCommand('codebaseGardener.showMaintenanceOutput', run.id)) as vscode.TextDocument;
    assert.match(doc.getText(), /## Output[\s\S]*Overall: /);
    const audit = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { channels: ['audit'], text: 'runMaintenanceTask' })) as { entries: { outcome?: string }[] };
    assert.equal(audit.entries[0]?.outcome, 'ok');
  });

  it('a one-off task is scheduled and cancelled; the view shows scheduled, running and history items', async () => {
    const api = await gardener();
    const id = (await vscode.commands.executeCommand('codebaseGardener.scheduleMaintenance', 'dataCleanup', Date.now() + 3_600_000, 'Clean up before the demo')) as string;
    assert.equal(api.maintenance.runs().find((r) => r.id === id)?.status, 'SCHEDULED');
    // A probe that answers slowly keeps a health check running long enough to be seen.
    slow = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 6000));
    await new Promise<void>((r) => slow!.listen(0, '127.0.0.1', r));
    await setSetting('probes', [{ name: 'Slow dev server', kind: 'http', url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`, timeoutMs: 8000 }]);
    const running = vscode.commands.executeCommand('codebaseGardener.runMaintenanceTask', 'healthCheck');
    await waitFor('a running item', () => api.maintenance.tree().groups.find((g) => g.group === 'Running')?.items.length);
    await vscode.commands.executeCommand('codebaseGardener.maintenance.focus');
    const tree = api.maintenance.tree();
    assert.ok(tree.groups.find((g) => g.group === 'Scheduled')?.items.some((i) => i.label === 'Clean up before the demo' && i.contextValue === 'maintenance:pending'));
    assert.ok(tree.groups.find((g) => g.group === 'History')?.items.length);
    // The other two views folded away, so that the screenshot shows all three groups.
    const others = ['codebaseGardener.alerts', 'codebaseGardener.backups'];
    for (const v of others) await vscode.commands.executeCommand(`${v}.toggleVisibility`).then(undefined, () => undefined);
    await screenshot('maintenance-view');
    for (const v of others) await vscode.commands.executeCommand(`${v}.toggleVisibility`).then(undefined, () => undefined);
    await running;
    assert.equal(await vscode.commands.executeCommand('codebaseGardener.cancelMaintenanceTask', id), true);
    const cancelled = api.maintenance.runs().find((r) => r.id === id);
    assert.equal(cancelled?.status, 'CANCELLED');
    assert.ok(api.maintenance.status().by_status.CANCELLED >= 1);
  });

  it('every sample goes to the metric history in the data folder, which Data Cleanup keeps in bounds', async () => {
    const api = await gardener();
    const raw = path.join(api.dataDirectory, 'metrics', 'raw.csv');
    const lines = await waitFor('samples in the metric history', () => fs.existsSync(raw) && fs.readFileSync(raw, 'utf8').trim().split('\n'));
    assert.match(lines.at(-1)!, /^\d{13},[\d.]*,[\d.]*,[\d.]*,[\d.]*,[\d.]*$/);
    const run = (await vscode.commands.executeCommand('codebaseGardener.runMaintenanceTask', 'dataCleanup')) as TaskRun;
    assert.equal(run.status, 'COMPLETED');
    assert.match(run.summary ?? '', /^freed \d+ files?, /);
    assert.ok(fs.existsSync(raw), 'this hour\'s samples are kept');
  });

  it('an invalid schedule setting falls back to its default and is named', async () => {
    const api = await gardener();
    await setSetting('maintenance.schedule.logRotation', 'every night');
    try {
      const item = await waitFor('the default schedule in effect', () => api.maintenance.scheduled().find((s) => s.key === 'logRotation' && s.expression === '5 0 * * *'));
      assert.ok(item);
      const shown = api.maintenance.tree().groups.find((g) => g.group === 'Scheduled')?.items.find((i) => i.label === 'Log rotation');
      assert.match(shown?.description ?? '', /5 0 \* \* \*/);
    } finally {
      await setSetting('maintenance.schedule.logRotation', '5 0 * * *');
    }
  });

  it('the Backups view shows when the next backup of each type is due', async () => {
    const api = await gardener();
    if (!api.backupsView().some((i) => i.id === 'type:FULL')) await vscode.commands.executeCommand('codebaseGardener.createBackup', 'FULL');
    const full = await waitFor('the Full group', () => api.backupsView().find((i) => i.id === 'type:FULL'));
    assert.match(full.description ?? '', /^next: (full|incremental) (in \d+|\w)/);
    await setSetting('maintenance.schedule.backupIncremental', '');
    await setSetting('maintenance.schedule.backupFull', '');
    try {
      await waitFor('not scheduled', () => api.backupsView().find((i) => i.id === 'type:FULL')?.description === 'not scheduled');
    } finally {
      await setSetting('maintenance.schedule.backupIncremental', '0 */6 * * *');
      await setSetting('maintenance.schedule.backupFull', '0 2 * * 0');
    }
  });
});
