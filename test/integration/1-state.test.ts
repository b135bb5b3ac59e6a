import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { gardener, note, waitFor } from './helpers';

const inside = (p: string, dir: string): boolean => {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

// Runs before any test changes a setting: the runner commits the workspace's files, so
// `git status` shows exactly what was written there since.
describe('Where things live', () => {
  it('nothing of ours is written into the workspace: after start-up, git status of the fresh repository is empty', async () => {
    const api = await gardener();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    // Logs are written from the start, alerts once sampling has begun: wait for both to have happened.
    await waitFor('the first sample', () => api.health().sampledAt);
    await waitFor('the main log', () => fs.existsSync(path.join(api.dataDirectory, 'logs', 'codebase_gardener.log')));
    note(`data directory ${api.dataDirectory}; backups folder ${api.backupsFolder}; workspace id ${api.workspaceId}`);
    assert.ok(!inside(api.dataDirectory, folder), `the data directory ${api.dataDirectory} is outside ${folder}`);
    assert.ok(!inside(api.backupsFolder, folder), `the backups folder ${api.backupsFolder} is outside ${folder}`);
    assert.match(api.workspaceId, /^ws-[0-9a-f]{16}$/);
    assert.ok(api.backupsFolder.endsWith(path.join('backups', api.workspaceId)), 'backups are filed under the workspace id');
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--ignored'], { cwd: folder, encoding: 'utf8' });
    assert.equal(status, '', `git status of ${folder}:\n${status}`);
  });

  it('a workspace with no backups is offered one, once', async () => {
    const api = await gardener();
    await waitFor('the first-backup offer', () => api.offers().includes('firstBackup'));
    assert.deepEqual(api.offers(), ['firstBackup'], 'no 0.1 data here, so no offer to move it');
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});
