import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findLegacyData, moveState, planLegacyMove, resumeMove, writeJournal, type LegacyTargets, type MoveJournal } from '../../src/core/state';
import { isGardenerError } from '../../src/core/errors';
import { tempDir } from './fixtures';

/** A data folder as 0.1 left it in a workspace folder: alerts, rotated logs, a backups folder (fake archives). */
function legacyData(workspace: string, big = 1): Map<string, Buffer> {
  const files = new Map<string, Buffer>([
    ['alerts/alerts.json', Buffer.from(JSON.stringify({ version: 1, alerts: [] }))],
    ['logs/codebase_gardener.log', randomBytes(64 * 1024)],
    ['logs/codebase_gardener.log.1', randomBytes(64 * 1024)],
    ['logs/codebase_gardener_error.log', Buffer.from('{"level":"ERROR"}\n')],
    ['logs/codebase_gardener_performance.log', randomBytes(16 * 1024)],
    ['logs/codebase_gardener_audit.log', randomBytes(16 * 1024)],
    ['backups/catalog.json', Buffer.from('{"version":1,"backups":[]}')],
    ['backups/manifests/full-20250101-000000-aaaaaa.json', randomBytes(4096)],
    ['backups/manifests/incremental-20250102-000000-bbbbbb.json', randomBytes(2048)],
    ['backups/full-20250101-000000-aaaaaa.tar.gz.enc', randomBytes(big * 3 * 1024 * 1024)],
    ['backups/incremental-20250102-000000-bbbbbb.tar.gz.enc', randomBytes(big * 1024 * 1024)],
  ]);
  for (const [rel, bytes] of files) {
    const f = path.join(workspace, 'data', rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, bytes);
  }
  return files;
}

interface Setup extends LegacyTargets {
  workspace: string;
  legacy: string;
  journal: string;
}

function setup(): Setup {
  const root = tempDir();
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace);
  const global = path.join(root, 'globalStorage');
  return {
    workspace,
    legacy: path.join(workspace, 'data'),
    dataDir: path.join(root, 'workspaceStorage', 'data'),
    backupsDir: path.join(global, 'backups', 'ws-0123456789abcdef'),
    otherBackupsDir: path.join(global, 'backups', 'ws-0123456789abcdef-0.1'),
    journal: path.join(global, 'moves', 'ws-0123456789abcdef.json'),
  };
}

/** Where each 0.1 file belongs now. */
function destination(s: Setup, rel: string): string {
  if (rel.startsWith('logs/')) return path.join(s.dataDir, 'logs', '0.1', rel.slice(5));
  if (rel.startsWith('alerts/')) return path.join(s.dataDir, rel);
  return path.join(s.backupsDir, rel.slice('backups/'.length));
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** Every file once, in its new place, with its bytes; nothing left in the old place, no scratch, no journal. */
function assertMovedOnce(s: Setup, files: Map<string, Buffer>, what: string): void {
  for (const [rel, bytes] of files) assert.ok(fs.readFileSync(destination(s, rel)).equals(bytes), `${what}: ${rel} in its new place, bytes equal`);
  const found = [...filesUnder(s.dataDir), ...filesUnder(path.dirname(s.backupsDir))].sort();
  assert.deepEqual(found, [...files.keys()].map((rel) => destination(s, rel)).sort(), `${what}: every file once, nothing else (no copy, no scratch)`);
  assert.deepEqual(filesUnder(s.legacy), [], `${what}: nothing left in the old folder`);
  assert.ok(!fs.existsSync(s.journal), `${what}: the journal is gone`);
}

function runChild(s: Setup, mode: 'link' | 'copy', killAfterMs: number): Promise<{ ended: 'killed' | 'done'; ms: number }> {
  return new Promise((resolve) => {
    const args = [path.join(__dirname, 'moveChild.js'), s.legacy, s.dataDir, s.backupsDir, s.otherBackupsDir, s.journal, mode];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let timer: NodeJS.Timeout | undefined;
    let out = '';
    let readyAt = 0;
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready') && !readyAt) {
        readyAt = Date.now();
        if (killAfterMs < Infinity) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve({ ended: out.includes('done') ? 'done' : 'killed', ms: Date.now() - readyAt });
    });
  });
}

describe('state: moving 0.1 data out of the workspace', () => {
  it("recognises 0.1's data folder by what 0.1 wrote there, not by its name", () => {
    const s = setup();
    fs.mkdirSync(path.join(s.legacy, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(s.legacy, 'logs', 'server.log'), 'the user\'s own');
    assert.equal(findLegacyData(s.workspace), undefined);
    fs.writeFileSync(path.join(s.legacy, 'logs', 'codebase_gardener_audit.log'), '{}\n');
    assert.equal(findLegacyData(s.workspace), s.legacy);
    const t = setup();
    fs.mkdirSync(path.join(t.legacy, 'backups'), { recursive: true });
    fs.writeFileSync(path.join(t.legacy, 'backups', 'catalog.json'), '{}');
    assert.equal(findLegacyData(t.workspace), t.legacy);
  });

  it('moves alerts, logs and backups to their new places; the user\'s own files in data/ stay', async () => {
    const s = setup();
    const files = legacyData(s.workspace);
    fs.mkdirSync(path.join(s.legacy, 'projects'));
    fs.writeFileSync(path.join(s.legacy, 'projects', 'notes.md'), '# mine\n');
    fs.symlinkSync('/etc', path.join(s.legacy, 'logs', 'a-link'));
    const plan = planLegacyMove(s.legacy, s);
    assert.deepEqual(plan.skipped, ['logs/a-link']);
    assert.equal(plan.backupsTo, s.backupsDir);
    const r = await moveState(plan, s.journal);
    assert.deepEqual([r.moved, r.missing, r.renamed], [files.size, [], []]);
    for (const [rel, bytes] of files) assert.ok(fs.readFileSync(destination(s, rel)).equals(bytes), rel);
    assert.deepEqual(fs.readdirSync(s.legacy).sort(), ['logs', 'projects'], 'our folders are gone; a folder holding something not ours stays');
    assert.equal(fs.readFileSync(path.join(s.legacy, 'projects', 'notes.md'), 'utf8'), '# mine\n');
    assert.ok(!fs.existsSync(s.journal));
  });

  it('never overwrites: a file already in the new place keeps its name and ours goes beside it; backups go to a folder of their own', async () => {
    const s = setup();
    const files = legacyData(s.workspace);
    fs.mkdirSync(path.join(s.dataDir, 'alerts'), { recursive: true });
    fs.writeFileSync(path.join(s.dataDir, 'alerts', 'alerts.json'), 'today\'s alerts');
    fs.mkdirSync(s.backupsDir, { recursive: true });
    fs.writeFileSync(path.join(s.backupsDir, 'catalog.json'), 'today\'s catalog');
    const plan = planLegacyMove(s.legacy, s);
    assert.equal(plan.backupsTo, s.otherBackupsDir);
    await moveState(plan, s.journal);
    assert.equal(fs.readFileSync(path.join(s.dataDir, 'alerts', 'alerts.json'), 'utf8'), 'today\'s alerts');
    assert.ok(fs.readFileSync(path.join(s.dataDir, 'alerts', 'alerts-0.1.json')).equals(files.get('alerts/alerts.json')!));
    assert.equal(fs.readFileSync(path.join(s.backupsDir, 'catalog.json'), 'utf8'), 'today\'s catalog');
    assert.ok(fs.readFileSync(path.join(s.otherBackupsDir, 'catalog.json')).equals(files.get('backups/catalog.json')!));
    assert.ok(!fs.existsSync(s.legacy), 'the old folder, emptied, is gone');
  });

  it('across devices (EXDEV), where a tmpfs is at hand, files are copied, verified and deleted', async function () {
    const shm = '/dev/shm';
    const s = setup();
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(s.workspace).dev) return this.skip();
    const files = legacyData(s.workspace);
    const elsewhere = fs.mkdtempSync(path.join(shm, 'gardener-test-'));
    try {
      const t: Setup = { ...s, dataDir: path.join(elsewhere, 'data'), backupsDir: path.join(elsewhere, 'backups', 'ws-1'), otherBackupsDir: path.join(elsewhere, 'backups', 'ws-1-0.1') };
      await moveState(planLegacyMove(t.legacy, t), t.journal);
      assertMovedOnce(t, files, 'across devices');
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a journal that names paths outside its folders is refused before anything moves; a second move waits for the first', async () => {
    const s = setup();
    legacyData(s.workspace);
    const bad: MoveJournal = { version: 1, source: s.legacy, targets: [s.dataDir], items: [{ from: '../../etc/passwd', target: 0, to: 'x', size: 1, state: 'todo' }], folders: [''], conflictTag: '0.1' };
    await writeJournal(s.journal, bad);
    await assert.rejects(resumeMove(s.journal), (e: unknown) => isGardenerError(e, 'CORRUPT_FILE'));
    await assert.rejects(moveState(planLegacyMove(s.legacy, s), s.journal), (e: unknown) => isGardenerError(e, 'INVALID'));
    assert.ok(findLegacyData(s.workspace), 'nothing moved');
  });

  for (const mode of ['link', 'copy'] as const) {
    it(`killed with SIGKILL at random moments (${mode === 'link' ? 'same disk: link and unlink' : 'another disk: copy, fsync, verify, delete'}), then resumed: every file once, in the new place`, async function () {
      this.timeout(300_000);
      // How long an uninterrupted move takes here, so the kills fall inside one.
      const timing = setup();
      const timingFiles = legacyData(timing.workspace);
      const clean = await runChild(timing, mode, Infinity);
      assert.equal(clean.ended, 'done');
      assertMovedOnce(timing, timingFiles, 'uninterrupted');
      const window = Math.max(20, clean.ms);
      let midway = 0;
      for (let round = 0; round < 40 && midway < 12; round++) {
        const s = setup();
        const files = legacyData(s.workspace);
        const run = await runChild(s, mode, Math.random() * window);
        if (run.ended === 'killed' && fs.existsSync(s.journal)) midway++;
        // The next start: an unfinished journal is finished first; with none, the move had not begun (or had ended).
        const resumed = await resumeMove(s.journal, { copy: mode === 'copy' });
        if (!resumed && findLegacyData(s.workspace)) await moveState(planLegacyMove(s.legacy, s), s.journal, { copy: mode === 'copy' });
        assertMovedOnce(s, files, `round ${round} (${run.ended})`);
      }
      assert.ok(midway >= 10, `${midway} runs were killed in the middle of the move`);
    });
  }
});

describe('state: a move journal read back is not trusted', () => {
  it('a journal naming a source or target the caller does not expect is refused before anything moves', async () => {
    const sentinel = tempDir();
    fs.writeFileSync(path.join(sentinel, 'precious.txt'), 'keep me here');
    const out = tempDir();
    const file = path.join(tempDir(), 'move.json');
    const forged: MoveJournal = { version: 1, source: sentinel, targets: [out], conflictTag: '0.1', folders: [''], items: [{ from: 'precious.txt', target: 0, to: 'precious.txt', size: 12, state: 'todo' }] };
    await writeJournal(file, forged, true);
    await assert.rejects(
      resumeMove(file, { allowed: (source) => source === '/the/workspace/data' }),
      (e: unknown) => isGardenerError(e, 'UNSAFE_PATH'),
    );
    assert.equal(fs.readFileSync(path.join(sentinel, 'precious.txt'), 'utf8'), 'keep me here');
    assert.deepEqual(fs.readdirSync(out), []);
  });
});
