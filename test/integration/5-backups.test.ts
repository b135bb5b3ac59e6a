import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackupRecord, RestoreResult, ValidationReport } from '../../src/core/backup';
import type { NotDone } from '../../src/core/logs';
import { gardener, screenshot, setSetting } from './helpers';

function put(dir: string, rel: string, text: string): void {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
}

describe('Backups', () => {
  const ids: string[] = [];

  it('Create Backup from the palette makes an encrypted backup that shows in the Backups tree', async () => {
    const api = await gardener();
    const data = api.dataDirectory;
    put(data, 'settings/app.json', '{"theme":"dark"}');
    put(data, 'projects/alpha/notes.md', '# Alpha\n');
    put(data, 'contexts/one.json', '{}');
    const full = (await vscode.commands.executeCommand('codebaseGardener.createBackup', 'FULL')) as BackupRecord;
    assert.equal(full.status, 'completed');
    assert.equal(full.encrypted, true);
    assert.ok(full.fileCount >= 3);
    ids.push(full.id);
    put(data, 'projects/alpha/notes.md', '# Alpha, edited\n');
    const inc = (await vscode.commands.executeCommand('codebaseGardener.createBackup', 'INCREMENTAL')) as BackupRecord;
    assert.equal(inc.type, 'INCREMENTAL');
    assert.equal(inc.parentId, full.id);
    ids.push(inc.id);
    const tree = api.backupsTree();
    assert.deepEqual(tree.find((n) => n.id === full.id), { group: 'Full', id: full.id });
    assert.deepEqual(tree.find((n) => n.id === inc.id), { group: 'Full', id: inc.id, parent: full.id }, 'the incremental sits under its full backup');
  });

  it('Validate Backup checks every chunk and file', async () => {
    for (const id of ids) {
      const r = (await vscode.commands.executeCommand('codebaseGardener.validateBackup', id)) as ValidationReport;
      assert.equal(r.valid, true, r.firstProblem);
    }
  });

  it('Restore Backup (confirmation accepted) brings the data back, and Undo Restore reverses it', async () => {
    const api = await gardener();
    const data = api.dataDirectory;
    put(data, 'projects/alpha/notes.md', 'broken by mistake');
    fs.rmSync(path.join(data, 'settings/app.json'));
    put(data, 'projects/stray.txt', 'not in any backup');
    const r = (await vscode.commands.executeCommand('codebaseGardener.restoreBackup', ids[1], { confirmed: true })) as RestoreResult;
    assert.equal(fs.readFileSync(path.join(data, 'projects/alpha/notes.md'), 'utf8'), '# Alpha, edited\n');
    assert.equal(fs.readFileSync(path.join(data, 'settings/app.json'), 'utf8'), '{"theme":"dark"}');
    assert.ok(!fs.existsSync(path.join(data, 'projects/stray.txt')));
    assert.deepEqual(r.deleted, ['projects/stray.txt']);
    assert.ok(api.backupsTree().some((n) => n.group === 'Pre-restore snapshots' && n.id === r.snapshotId));
    await vscode.commands.executeCommand('codebaseGardener.backups.focus');
    await screenshot('backups-tree', 1200);
    await vscode.commands.executeCommand('codebaseGardener.undoRestore', r.snapshotId, { confirmed: true });
    assert.equal(fs.readFileSync(path.join(data, 'projects/alpha/notes.md'), 'utf8'), 'broken by mistake');
    assert.equal(fs.readFileSync(path.join(data, 'projects/stray.txt'), 'utf8'), 'not in any backup');
    assert.ok(!fs.existsSync(path.join(data, 'settings/app.json')));
  });

  it('every backup, validation and restore is timed and audited', async () => {
    const perf = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { channels: ['performance'], maxResults: 500 })) as { entries: { operation?: string }[] };
    const ops = new Set(perf.entries.map((e) => e.operation));
    for (const op of ['backup', 'validate', 'restore']) assert.ok(ops.has(op), `${op} timed`);
    const audit = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { channels: ['audit'], text: 'restoreBackup' })) as { entries: unknown[] };
    assert.ok(audit.entries.length >= 1);
  });

  it('a command that fails says so in its answer and in the audit, not "done"', async () => {
    const r = (await vscode.commands.executeCommand('codebaseGardener.undoRestore', 'no-such-snapshot', { confirmed: true })) as NotDone;
    assert.equal(r.ok, false);
    assert.equal(r.reason, 'failed');
    assert.equal(r.code, 'NOT_FOUND');
    const audit = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { channels: ['audit'], text: 'no-such-snapshot' })) as { entries: { outcome?: string; code?: string }[] };
    assert.equal(audit.entries[0]?.outcome, 'failed');
    assert.equal(audit.entries[0]?.code, 'NOT_FOUND');
  });

  it('a failed backup is audited as failed, with its code: a backups folder inside the data is refused', async () => {
    const api = await gardener();
    await setSetting('backups.folder', path.join(api.dataDirectory, 'inside'));
    try {
      const r = (await vscode.commands.executeCommand('codebaseGardener.createBackup', 'FULL')) as NotDone;
      assert.equal(r.ok, false);
      assert.equal(r.reason, 'failed');
      assert.equal(r.code, 'INVALID');
      assert.ok(!fs.existsSync(path.join(api.dataDirectory, 'inside')), 'nothing was written there');
      const audit = (await vscode.commands.executeCommand('codebaseGardener.searchLogs', { channels: ['audit'], text: 'createBackup' })) as { entries: { outcome?: string; code?: string }[] };
      assert.equal(audit.entries[0]?.outcome, 'failed');
      assert.equal(audit.entries[0]?.code, 'INVALID');
    } finally {
      await setSetting('backups.folder', undefined);
    }
  });
});
