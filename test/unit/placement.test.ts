import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_WORKSPACE_EXCLUDES, workspaceSources } from '../../src/core/backup/workspaceSources';
import { configurationParts, countOf, measureSources, roughBytes } from '../../src/core/estimate';
import { nearestExisting, rootsToCheck, sameDiskShort, sameDiskWarning, sharedDevice } from '../../src/core/placement';
import type { BackupSettings } from '../../src/core/backup/types';
import { BackupEstimates, type Estimate } from '../../src/vscode/backupEstimates';
import { write } from './backupFixtures';
import { tempDir } from './fixtures';

/** /dev/shm, when it is a folder on another device than the temp folder: the other disk of these tests. */
function otherDevice(): string | undefined {
  try {
    const shm = fs.statSync('/dev/shm');
    if (!shm.isDirectory() || shm.dev === fs.statSync(os.tmpdir()).dev) return undefined;
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}
const other = otherDevice();

describe('where backups sit: the same-device check', () => {
  it('a backups folder on the same device as the workspace is reported, compared from its nearest existing parent', () => {
    const backups = tempDir();
    const workspace = tempDir();
    const notYet = path.join(backups, 'not', 'made', 'yet');
    assert.equal(nearestExisting(notYet), backups);
    const p = sharedDevice(notYet, [{ kind: 'workspace', path: workspace }]);
    assert.ok(p, 'same device');
    assert.equal(p.checked, backups);
    assert.equal(p.device, fs.statSync(workspace).dev);
    assert.deepEqual(p.kinds, ['workspace']);
    assert.equal(sameDiskWarning(p), 'Backups are on the same disk as your workspace: a disk failure would take both.');
  });

  it('several kinds on the same device are named together; a root that does not exist is not counted', () => {
    const backups = tempDir();
    const p = sharedDevice(backups, [
      { kind: 'userData', path: tempDir() },
      { kind: 'workspace', path: tempDir() },
      { kind: 'settings', path: tempDir() },
      { kind: 'workspace', path: path.join(tempDir(), 'gone') },
    ]);
    assert.ok(p);
    assert.deepEqual(p.kinds, ['workspace', 'settings', 'userData']);
    assert.equal(p.shared.length, 3);
    assert.equal(sameDiskWarning(p), 'Backups are on the same disk as your workspace, your VS Code settings and your user data: a disk failure would take them all.');
    assert.equal(sameDiskShort(p), 'Same disk as your workspace');
    assert.equal(sharedDevice(backups, [{ kind: 'workspace', path: path.join(backups, 'missing') }]), undefined);
  });

  it('checks the workspace folders, the User and Machine folders and the user-data folders; not .vscode nor our extension list', () => {
    const src = (name: string, root: string) => ({ name, root, include: [], exclude: [] });
    assert.deepEqual(
      rootsToCheck({
        FULL: [src('workspace-a', '/w/a'), src('workspace-b', '/w/b')],
        CONFIGURATION: [src('user', '/u/User'), src('machine', '/u/Machine'), src('workspace-a', '/w/a'), src('extensions', '/d/configuration')],
        USER_DATA: [src('data-notes', '/n')],
      }),
      [
        { kind: 'workspace', path: '/w/a' },
        { kind: 'workspace', path: '/w/b' },
        { kind: 'settings', path: '/u/User' },
        { kind: 'settings', path: '/u/Machine' },
        { kind: 'userData', path: '/n' },
      ],
    );
  });

  (other ? it : it.skip)(
    other ? 'a backups folder on another device (/dev/shm, tmpfs) is not reported' : 'a backups folder on another device is not reported (skipped: /dev/shm is missing, unwritable or on the temp folder’s device)',
    () => {
      const backups = fs.mkdtempSync(path.join(other!, 'gardener-test-'));
      try {
        const workspace = tempDir();
        assert.equal(sharedDevice(path.join(backups, 'ws-1'), [{ kind: 'workspace', path: workspace }]), undefined);
        // Only the roots on its device are named.
        const p = sharedDevice(backups, [
          { kind: 'workspace', path: workspace },
          { kind: 'userData', path: fs.mkdtempSync(path.join(backups, 'data-')) },
        ]);
        assert.deepEqual(p?.kinds, ['userData']);
      } finally {
        fs.rmSync(backups, { recursive: true, force: true });
      }
    },
  );
});

describe('what a backup would hold: the estimate', () => {
  it('walks as a Full backup does: node_modules, build output and what .gitignore ignores are left out, .git and .env kept', async () => {
    const ws = tempDir();
    write(ws, 'src/a.ts', 'x'.repeat(1000));
    write(ws, '.gitignore', 'tmp/\n.env\n');
    write(ws, '.env', 'A=1\n');
    write(ws, '.git/HEAD', 'ref: refs/heads/main\n');
    write(ws, 'tmp/ignored.txt', 'ignored');
    write(ws, 'node_modules/dep/index.js', 'x'.repeat(5000));
    write(ws, 'dist/out.js', 'built');
    const sources = workspaceSources([ws], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 500, ours: [] });
    const m = await measureSources(sources, undefined, true);
    const name = sources[0].name;
    assert.deepEqual(m.paths, [`${name}/.env`, `${name}/.git/HEAD`, `${name}/.gitignore`].sort(), 'src/a.ts is over the size limit');
    assert.equal(m.files, 3);
    assert.equal(m.bytes, 'A=1\n'.length + 'ref: refs/heads/main\n'.length + 'tmp/\n.env\n'.length);
    assert.equal(m.leftOut, 1, 'the file over the limit is listed as left out');
  });

  it('stops when cancelled', async () => {
    const ws = tempDir();
    write(ws, 'a.txt', 'a');
    const sources = workspaceSources([ws], { exclude: [], useGitignore: false, maxFileBytes: 1e9, ours: [] });
    await assert.rejects(measureSources(sources, AbortSignal.abort()));
  });

  it('names the parts of VS Code’s configuration it found', () => {
    const paths = ['user/settings.json', 'user/profiles/p1/keybindings.json', 'user/snippets/ts.json', 'workspace-api/.vscode/launch.json', 'workspace-file/x.code-workspace', 'extensions/extensions.json'];
    assert.equal(configurationParts(paths, 41), 'settings, keybindings, snippets, .vscode, the workspace file and 41 extensions');
    assert.equal(configurationParts(['workspace-file/x.code-workspace'], 0), 'the workspace file');
    assert.equal(configurationParts([], 1), '1 extension');
  });

  it('the Backups view’s estimates: nothing measured until asked, then each type in the background, kept, measured again when the sources change, stopped on dispose', async () => {
    const ws = tempDir();
    write(ws, 'a.txt', 'aaaa');
    let roots: BackupSettings['roots'] = { FULL: workspaceSources([ws], { exclude: [], useGitignore: false, maxFileBytes: 1e9, ours: [] }), CONFIGURATION: [], USER_DATA: [] };
    let asked = 0;
    let changes = 0;
    const estimates = new BackupEstimates(
      () => (asked++, roots),
      () => changes++,
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(asked, 0, 'nothing is measured before the view asks');
    assert.deepEqual(estimates.get('FULL'), { state: 'measuring' });
    const done = async (): Promise<Extract<Estimate, { state: 'done' }>> => {
      for (let i = 0; i < 200; i++) {
        const e = estimates.get('FULL');
        if (e.state === 'done') return e;
        await new Promise((r) => setTimeout(r, 5));
      }
      throw new Error('never measured');
    };
    assert.equal((await done()).measure.files, 1);
    assert.equal(changes, 3, 'the view is told as each type is measured');
    write(ws, 'b.txt', 'bb');
    assert.equal(estimates.get('FULL').state, 'done', 'kept: files changing alone do not start a walk');
    estimates.sourcesChanged();
    assert.equal(estimates.get('FULL').state, 'done', 'the same sources: kept');
    roots = { ...roots, FULL: workspaceSources([ws], { exclude: ['b.txt'], useGitignore: false, maxFileBytes: 1e9, ours: [] }) };
    estimates.sourcesChanged();
    assert.deepEqual(estimates.get('FULL'), { state: 'measuring' });
    assert.equal((await done()).measure.files, 1, 'measured again with the new globs');
    estimates.refreshIfOlderThan(-1);
    assert.equal(estimates.get('FULL').state, 'measuring');
    assert.equal((estimates.get('FULL') as { previous?: unknown }).previous !== undefined, true, 'the last figures are shown meanwhile');
    const before = changes;
    estimates.dispose();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(changes, before, 'a disposed measure reports nothing');
  });

  it('sizes and counts read as estimates', () => {
    assert.equal(roughBytes(950), '950 B');
    assert.equal(roughBytes(80 * 1024), '80 KB');
    assert.equal(roughBytes(4.2 * 1048576), '4.2 MB');
    assert.equal(roughBytes(240 * 1048576 + 123456), '240 MB');
    assert.equal(roughBytes(2 * 1073741824), '2 GB');
    assert.equal(countOf(1, 'file'), '1 file');
    assert.equal(countOf(1234, 'file'), '1,234 files');
  });
});
