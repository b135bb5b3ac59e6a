import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { nearestExisting } from '../../src/core/placement';
import { gardener, note, screenshot, waitFor } from './helpers';

// Sorts after 4-logs and before 5-backups, which makes the first backup: the view is still empty here.

/** /dev/shm when it is another device than the workspace's: the "other disk" of this test. */
function otherDisk(): string | undefined {
  try {
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    if (fs.statSync('/dev/shm').dev === fs.statSync(ws).dev) return undefined;
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}
const other = otherDisk();

describe('Backups view before the first backup', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('says what each type would hold, measured, with Back Up Now; and warns when the backups share the workspace’s disk', async () => {
    const api = await gardener();
    await vscode.commands.executeCommand('codebaseGardener.backups.focus');
    assert.deepEqual(api.backupsTree(), [], 'no backup yet');
    const items = await waitFor('the estimates', () => {
      const shown = api.backupsView();
      return shown.every((i) => !i.description?.includes('measuring')) && shown.some((i) => i.id === 'estimate:FULL') && shown;
    });
    note(`Backups view before the first backup: ${JSON.stringify(items)}`);
    const byId = new Map(items.map((i) => [i.id, i]));
    const full = byId.get('estimate:FULL');
    assert.match(full?.description ?? '', /^about [\d.]+ (B|KB|MB|GB) · [\d,]+ files? in this workspace$/);
    assert.equal(full?.contextValue, 'estimate:FULL', 'Back Up Now is offered');
    const configuration = byId.get('estimate:CONFIGURATION');
    assert.match(configuration?.description ?? '', /^about [\d.]+ (B|KB|MB|GB) · [\d,]+ files?( · .+)?$/);
    const userData = byId.get('estimate:USER_DATA');
    assert.equal(userData?.description, 'choose folders first');
    assert.equal(userData?.command, 'codebaseGardener.chooseUserDataFolders');

    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const sameDisk = fs.statSync(nearestExisting(api.backupsFolder)!).dev === fs.statSync(ws).dev;
    const warning = byId.get('placement');
    if (sameDisk) {
      assert.equal(items[0].id, 'placement', 'the warning comes first');
      assert.equal(warning?.label, 'Same disk as your workspace');
      assert.equal(warning?.description, 'a disk failure would take both');
      assert.equal(warning?.command, 'codebaseGardener.chooseBackupFolder');
    } else assert.equal(warning, undefined);
    await screenshot('backups-empty', 1200);
  });

  it('Show Backup Status says the same about the disk', async () => {
    const api = await gardener();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const sameDisk = fs.statSync(nearestExisting(api.backupsFolder)!).dev === fs.statSync(ws).dev;
    const s = (await vscode.commands.executeCommand('codebaseGardener.showBackupStatus')) as { sameDisk?: string };
    const doc = await waitFor('the backup status document', () => vscode.workspace.textDocuments.find((d) => d.uri.path.endsWith('Backup Status.md')));
    if (sameDisk) {
      assert.match(s.sameDisk ?? '', /^Backups are on the same disk as your workspace.*: a disk failure would take (both|them all)\.$/);
      assert.ok(doc.getText().includes(s.sameDisk!), 'the document says it');
    } else assert.equal(s.sameDisk, undefined);
  });

  it('Don’t Warn About Backups on the Same Disk turns the warning off in user settings; Show Backup Status then says it in one plain line; the setting brings it back', async function () {
    const api = await gardener();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    if (fs.statSync(nearestExisting(api.backupsFolder)!).dev !== fs.statSync(ws).dev) this.skip(); // no warning to turn off here
    const config = () => vscode.workspace.getConfiguration('codebaseGardener');
    try {
      await vscode.commands.executeCommand('codebaseGardener.hideSameDiskWarning');
      assert.equal(config().inspect('backups.warnSameDisk')?.globalValue, false, 'in user settings');
      await waitFor('the warning to go', () => !api.backupsView().some((i) => i.id === 'placement'));
      assert.ok(api.backupsView().some((i) => i.id === 'estimate:FULL'), 'the rest of the view stays');
      const s = (await vscode.commands.executeCommand('codebaseGardener.showBackupStatus')) as { sameDisk?: string };
      assert.equal(s.sameDisk, undefined, 'no warning');
      // One document per title, its text replaced: wait for this status's.
      const doc = await waitFor('the backup status document, plain about the disk', () => vscode.workspace.textDocuments.find((d) => d.uri.path.endsWith('Backup Status.md') && d.getText().includes('kept there on purpose')));
      assert.match(doc.getText(), /Backups are on the same disk as your workspace.* \(kept there on purpose: `codebaseGardener\.backups\.warnSameDisk` is off\)\./);
      assert.ok(!doc.getText().includes('> **Backups are'), 'not as a warning');
    } finally {
      await config().update('backups.warnSameDisk', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor('the warning to come back', () => api.backupsView()[0]?.id === 'placement');
  });

  (other ? it : it.skip)(
    other
      ? 'Choose Backup Folder… on another disk (/dev/shm) sets the user setting, files this workspace’s backups in a folder of their own there, and the warning goes'
      : 'Choose Backup Folder… on another disk (skipped: /dev/shm is missing, unwritable or on the workspace’s device)',
    async () => {
      const api = await gardener();
      const before = api.backupsFolder;
      const parent = fs.mkdtempSync(path.join(other!, 'gardener-it-'));
      const c = () => vscode.workspace.getConfiguration('codebaseGardener');
      try {
        const target = await vscode.commands.executeCommand('codebaseGardener.chooseBackupFolder', parent);
        assert.equal(target, path.join(parent, api.workspaceId));
        assert.equal(c().inspect('backups.folder')?.globalValue, parent, 'a user setting');
        await waitFor('the new backups folder', () => api.backupsFolder === target);
        await waitFor('the warning to go', () => !api.backupsView().some((i) => i.id === 'placement'));
      } finally {
        await c().update('backups.folder', undefined, vscode.ConfigurationTarget.Global);
        await waitFor('the backups folder to be the default again', () => api.backupsFolder === before);
        fs.rmSync(parent, { recursive: true, force: true });
      }
    },
  );
});
