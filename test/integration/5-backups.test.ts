import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackupRecord, RestoreResult, ValidationReport } from '../../src/core/backup';
import type { NotDone } from '../../src/core/logs';
import { gardener, screenshot, setSetting, waitFor } from './helpers';

function put(dir: string, rel: string, text: string): void {
  const f = path.join(dir, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
}

/** The test workspace: the folder a Full backup holds. */
const workspace = (): string => vscode.workspace.workspaceFolders![0].uri.fsPath;
/** Its top-level folder in the archive. */
const inArchive = (rel: string): string => `workspace-${path.basename(workspace())}/${rel}`;

describe('Backups', () => {
  const ids: string[] = [];

  it('Create Backup (Full) from the palette holds the workspace, encrypted, and shows in the Backups tree', async () => {
    const api = await gardener();
    const ws = workspace();
    put(ws, 'src/app.ts', 'export const app = 1;\n');
    put(ws, 'notes/alpha.md', '# Alpha\n');
    put(ws, 'node_modules/dep/index.js', 'regenerable, never backed up');
    const full = (await vscode.commands.executeCommand('codebaseGardener.createBackup', 'FULL')) as BackupRecord;
    assert.equal(full.status, 'completed', JSON.stringify(full));
    assert.equal(full.encrypted, true);
    ids.push(full.id);
    const held = await api.backupFiles(full.id);
    for (const f of ['README.md', 'src/app.ts', 'notes/alpha.md', '.vscode/settings.json']) assert.ok(held.includes(inArchive(f)), `${f} is in the backup`);
    assert.ok(held.some((p) => p.startsWith(inArchive('.git/'))), 'the repository is in the backup');
    assert.ok(!held.some((p) => p.includes('/node_modules/')), 'node_modules is not');
    put(ws, 'notes/alpha.md', '# Alpha, edited\n');
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

  it('a restore of one deleted file brings it back, and nothing else changes', async () => {
    const ws = workspace();
    fs.rmSync(path.join(ws, 'src/app.ts'));
    put(ws, 'notes/alpha.md', 'edited since, left alone');
    await vscode.commands.executeCommand('codebaseGardener.restoreBackup', ids[1], { confirmed: true, path: inArchive('src/app.ts') });
    assert.equal(fs.readFileSync(path.join(ws, 'src/app.ts'), 'utf8'), 'export const app = 1;\n');
    assert.equal(fs.readFileSync(path.join(ws, 'notes/alpha.md'), 'utf8'), 'edited since, left alone');
  });

  it('Restore Backup (confirmation accepted) brings the workspace back, and Undo Restore reverses it', async () => {
    const api = await gardener();
    const ws = workspace();
    put(ws, 'notes/alpha.md', 'broken by mistake');
    fs.rmSync(path.join(ws, 'src/app.ts'));
    put(ws, 'stray.txt', 'not in any backup');
    const r = (await vscode.commands.executeCommand('codebaseGardener.restoreBackup', ids[1], { confirmed: true })) as RestoreResult;
    assert.equal(fs.readFileSync(path.join(ws, 'notes/alpha.md'), 'utf8'), '# Alpha, edited\n');
    assert.equal(fs.readFileSync(path.join(ws, 'src/app.ts'), 'utf8'), 'export const app = 1;\n');
    assert.ok(!fs.existsSync(path.join(ws, 'stray.txt')));
    assert.deepEqual(r.deleted, [inArchive('stray.txt')]);
    assert.ok(fs.existsSync(path.join(ws, 'node_modules/dep/index.js')), 'what the backup leaves out is left alone');
    assert.ok(api.backupsTree().some((n) => n.group === 'Pre-restore snapshots' && n.id === r.snapshotId));
    await vscode.commands.executeCommand('codebaseGardener.backups.focus');
    await screenshot('backups-tree', 1200);
    await vscode.commands.executeCommand('codebaseGardener.undoRestore', r.snapshotId, { confirmed: true });
    assert.equal(fs.readFileSync(path.join(ws, 'notes/alpha.md'), 'utf8'), 'broken by mistake');
    assert.equal(fs.readFileSync(path.join(ws, 'stray.txt'), 'utf8'), 'not in any backup');
    assert.ok(!fs.existsSync(path.join(ws, 'src/app.ts')));
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

  it('Choose Backup Folder… with Move Them moves the backups there (the view lists the same ones, restorable), and back again', async function () {
    this.timeout(90_000);
    const api = await gardener();
    const before = api.backupsFolder;
    // The test before set the folder back: its catalog is read again first.
    const ids = await waitFor('the backups to move, in the view', () => {
      const x = api.backupsTree().map((n) => n.id).sort();
      return x.length > 0 && x;
    });
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'gardener-move-'));
    const c = () => vscode.workspace.getConfiguration('codebaseGardener');
    try {
      const target = await vscode.commands.executeCommand('codebaseGardener.chooseBackupFolder', parent, { confirmed: true, move: true });
      assert.equal(target, path.join(parent, api.workspaceId));
      await waitFor('the backups folder to be the new one', () => api.backupsFolder === target);
      await waitFor('the same backups in the view', () => JSON.stringify(api.backupsTree().map((n) => n.id).sort()) === JSON.stringify(ids));
      assert.ok(!fs.existsSync(path.join(before, 'catalog.json')), 'nothing is left in the old folder');
      const newest = api.backupsTree().find((n) => !n.id.startsWith('snapshot-'))!.id;
      const v = (await vscode.commands.executeCommand('codebaseGardener.validateBackup', newest)) as ValidationReport;
      assert.equal(v.valid, true, 'a moved backup validates');
      // And back, to the default place, where the rest of the suite expects them.
      await vscode.commands.executeCommand('codebaseGardener.chooseBackupFolder', path.dirname(before), { confirmed: true, move: true });
      await c().update('backups.folder', undefined, vscode.ConfigurationTarget.Global);
      await waitFor('the backups folder to be the default again', () => api.backupsFolder === before);
      await waitFor('the same backups in the view again', () => JSON.stringify(api.backupsTree().map((n) => n.id).sort()) === JSON.stringify(ids));
      assert.ok(!fs.existsSync(target), 'the folder they were moved out of is gone');
    } finally {
      if (c().inspect('backups.folder')?.globalValue !== undefined) await c().update('backups.folder', undefined, vscode.ConfigurationTarget.Global);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
