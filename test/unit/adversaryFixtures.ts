import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { decompress } from 'fzstd';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BackupError, DEFAULT_BACKUP_SETTINGS, type BackupManager, type BackupRecord, type BackupSettings } from '../../src/core/backup';
import { manager, seedData, snapshot, TEST_KEY, write } from './backupFixtures';
import { tempDir } from './fixtures';

/**
 * The adversary suite's world: one backed-up data folder and, around it, what no metadata read
 * from disk may ever reach, all in one parent folder:
 *
 *   parent/data            the data, backed up once (`b`)
 *   parent/data-backups    its backups folder
 *   parent/sentinel/…      a tree of files and folders of its own
 *   parent/beside.txt      a file next to the data folder
 *
 * Everything in the parent but the data and backups folders is the sentinel: `fingerprint`
 * hashes it (paths, bytes, modes, link targets) before and after each case.
 */
export interface World {
  parent: string;
  data: string;
  backups: string;
  sentinel: string;
  encrypt: boolean;
  /** The manager that made `b`. */
  m: BackupManager;
  b: BackupRecord;
}

/** A snapshot id the sentinel also holds folders and lists for: bait for a record or link that leads there. */
export const SNAP = 'snapshot-20200101-000000-abcdef';

/** Retention that keeps one full backup: a forged older full would go, were it believed. */
export const KEEP_ONE_FULL: Partial<BackupSettings> = { retention: { ...DEFAULT_BACKUP_SETTINGS.retention, FULL: 1 } };

export async function world(o: { encrypt?: boolean } = {}): Promise<World> {
  const encrypt = o.encrypt ?? false;
  const parent = tempDir();
  const data = path.join(parent, 'data');
  const sentinel = path.join(parent, 'sentinel');
  seedData(data, 6);
  write(sentinel, 'a.txt', 'sentinel a');
  write(sentinel, 'a.json', '{"sentinel":true}');
  write(sentinel, 'sub/b.txt', 'sentinel b', 0o600);
  write(sentinel, 'sub/deep/c.bin', randomBytes(300), 0o755);
  // Reads as an empty catalog: a link to it is not moved aside as damaged.
  write(sentinel, 'listed.json', JSON.stringify({ version: 1, backups: [], snapshots: [] }));
  // What a restore's folder would hold, for a record or a link that leads here.
  write(sentinel, `snapshots/${SNAP}/projects/keep.txt`, 'keep');
  write(sentinel, `snapshots/${SNAP}.json`, JSON.stringify({ moved: ['projects/keep.txt'], added: [] }));
  write(sentinel, `staging-${SNAP}/projects/keep.txt`, 'keep');
  fs.mkdirSync(path.join(sentinel, 'empty'));
  fs.chmodSync(path.join(sentinel, 'empty'), 0o750);
  write(parent, 'beside.txt', 'beside the data folder');
  const m = freshManager({ data, backups: `${data}-backups`, encrypt });
  await m.init();
  const b = await m.createBackup('FULL');
  return { parent, data, backups: m.backupsDir, sentinel, encrypt, m, b };
}

/** Another window on the same folders: it knows only what is on disk. */
export function freshManager(w: Pick<World, 'data' | 'backups' | 'encrypt'>, settings: Partial<BackupSettings> = {}): BackupManager {
  return manager(w.data, w.backups, w.encrypt ? TEST_KEY : null, { encrypt: w.encrypt, ...settings });
}

/** Another window that has read the catalog, as each does when it starts. */
export async function opened(w: Pick<World, 'data' | 'backups' | 'encrypt'>, settings: Partial<BackupSettings> = {}): Promise<BackupManager> {
  const m = freshManager(w, settings);
  await m.catalog.load();
  return m;
}

/** Every path in the parent but the data and backups folders: type, mode, and bytes' sha256 or link target. */
export function fingerprint(w: World): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string, rel: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      if (!rel && (name === 'data' || name === 'data-backups')) continue;
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, name);
      const st = fs.lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link to ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) out[r] = `folder ${mode}`;
      else out[r] = `file ${mode} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
      if (st.isDirectory()) visit(abs, r);
    }
  };
  visit(w.parent, '');
  return out;
}

/** Runs `fn`, then checks the sentinel tree, the file beside the data and the data itself are as they were. */
export async function outsideUnchanged<T>(w: World, fn: () => Promise<T>): Promise<T> {
  const before = fingerprint(w);
  const data = snapshot(w.data);
  const result = await fn();
  assert.deepEqual(fingerprint(w), before, 'the sentinel tree and the file beside the data are unchanged');
  assert.deepEqual(snapshot(w.data), data, 'the data is unchanged');
  return result;
}

export type Outcome = 'ok' | BackupError['code'];

/** How an operation ended: 'ok', or the code it refused with. Any other error (a TypeError, a stack overflow) fails the test. */
export async function outcome(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof BackupError) return err.code;
    throw err;
  }
}

/** Validate's verdict, with the first check that failed. */
export async function verdict(m: BackupManager, id: string): Promise<string> {
  const r = await m.validate(id);
  return r.valid ? 'valid' : `invalid: ${r.checks.find((c) => !c.ok)?.name}`;
}

/** A JSON file of ours; a manifest beside the catalog unpacked first (plain ones: manifestFile.ts). */
export function readJson<T = Record<string, unknown>>(file: string): T {
  const bytes = fs.readFileSync(file);
  if (bytes.subarray(0, 4).toString() !== 'CGMF' || bytes[6] !== 0) return JSON.parse(bytes.toString('utf8')) as T;
  const data = bytes.subarray(7);
  return JSON.parse(Buffer.from(bytes[5] === 0 ? zlib.gunzipSync(data) : decompress(data)).toString('utf8')) as T;
}

/** Stands for a value nested 200,000 arrays deep in what `json` writes: JSON.parse reads such a value, JSON.stringify overflows the stack on it. */
export const DEEP = 'DEEPLY-NESTED-VALUE';
const deepText = '['.repeat(200_000) + ']'.repeat(200_000);

/** JSON text of `value`, with every `DEEP` in it written out. */
export function json(value: unknown): string {
  return JSON.stringify(value).replaceAll(JSON.stringify(DEEP), deepText);
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof value === 'string' ? value : json(value));
}

export const catalogFile = (w: World): string => path.join(w.backups, 'catalog.json');
export const manifestFile = (w: World, id = w.b.id): string => path.join(w.backups, 'manifests', `${id}.json`);
export const journalFile = (w: World, id = SNAP): string => path.join(w.backups, 'journals', `${id}.json`);
export const snapshotsDir = (target: string): string => path.join(target, '.gardener-restore', 'snapshots');

/** Replaces `rel` under `dir` (whatever is there) with a symbolic link to `to`. */
export function plantLink(dir: string, rel: string, to: string): void {
  const at = path.join(dir, rel);
  fs.rmSync(at, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(to, at);
}
