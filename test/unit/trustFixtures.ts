// Helpers of the trust tests: what is on disk, byte for byte, and a child killed with SIGKILL.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackupError, type BackupManager, type BackupRecord } from '../../src/core/backup';
import { manager, seedData, write } from './backupFixtures';
import { tempDir } from './fixtures';

export const rejectsWith = (p: Promise<unknown>, code: BackupError['code']): Promise<void> =>
  assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BackupError, `not a BackupError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });

/** The archive files in a backups folder, sorted. */
export function archiveFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => /\.(cgb|tar\.gz|tar\.zst)$/.test(n))
    .sort();
}

/**
 * Everything under `dir`, links and folders included and nothing skipped: each path (names
 * that are not UTF-8 in hex) with what it is, its mode, and a file's sha256 or a link's target.
 */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (abs: Buffer, rel: string): void => {
    for (const name of fs.readdirSync(abs, { encoding: 'buffer' })) {
      const shown = Buffer.from(name.toString('utf8')).equals(name) ? name.toString('utf8') : `hex:${name.toString('hex')}`;
      const child = Buffer.concat([abs, Buffer.from('/'), name]);
      const r = rel ? `${rel}/${shown}` : shown;
      const st = fs.lstatSync(child);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link → ${fs.readlinkSync(child, 'utf8')}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${mode}`;
        visit(child, r);
      } else out[r] = `file ${mode} ${createHash('sha256').update(fs.readFileSync(child)).digest('hex')}`;
    }
  };
  if (fs.existsSync(dir)) visit(Buffer.from(dir), '');
  return out;
}

/** Flips every bit of the byte at `pos`. */
export function flipByte(file: string, pos: number): void {
  const b = fs.readFileSync(file);
  b[pos] ^= 0xff;
  fs.writeFileSync(file, b);
}

/** The journals a restore left in the backups folder. */
export function journalFiles(backupsDir: string): string[] {
  const dir = path.join(backupsDir, 'journals');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/**
 * A data directory with three backups of it: a full and two incrementals (an edit and an
 * addition, then an edit and a deletion), encrypted unless `plain`, with the catalog as it
 * was after the first.
 */
export async function threeBackups(plain: boolean, files = 12): Promise<{ data: string; m: BackupManager; backups: BackupRecord[]; afterFirst: Buffer }> {
  const data = tempDir();
  seedData(data, files);
  const m = plain ? manager(data, undefined, null, { encrypt: false }) : manager(data);
  await m.init();
  const full = await m.createBackup('FULL');
  const afterFirst = fs.readFileSync(m.catalog.file);
  write(data, 'projects/p1/file-1.txt', 'edited once');
  write(data, 'projects/added.txt', 'added');
  const i1 = await m.createBackup('INCREMENTAL');
  write(data, 'projects/p1/file-1.txt', 'edited twice');
  fs.rmSync(path.join(data, 'settings/app.json'));
  const i2 = await m.createBackup('INCREMENTAL');
  assert.equal(i2.parentId, i1.id);
  return { data, m, backups: [full, i1, i2], afterFirst };
}

/** Another manager on the same folders, as the next start of VS Code makes it. */
export function restart(m: BackupManager): BackupManager {
  return manager(m.dataDir, m.backupsDir, m.settings().encrypt ? undefined : null, m.settings());
}

/**
 * Runs test/unit/backupChild.ts with `args`, killing it with SIGKILL `kill.ms` after it prints
 * the line `kill.after` (`ready`, or a restore's phase as it begins), or never (it may kill
 * itself). Whether it finished or was killed, and when (ms after `ready`) each line came.
 */
export function runChild(args: string[], kill?: { after: string; ms: number }): Promise<{ outcome: 'killed' | 'done'; ms: number; at: Record<string, number> }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'backupChild.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let timer: NodeJS.Timeout | undefined;
    let ready = 0;
    const at: Record<string, number> = {};
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      for (const line of out.split('\n').slice(0, -1)) {
        if (line in at) continue;
        if (line === 'ready') ready = Date.now();
        at[line] = Date.now() - ready;
        if (kill?.after === line && !timer) timer = setTimeout(() => child.kill('SIGKILL'), kill.ms);
      }
    });
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve({ outcome: 'done' in at ? 'done' : 'killed', ms: ready ? Date.now() - ready : 0, at });
    });
  });
}
