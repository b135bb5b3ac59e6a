import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { Header } from 'tar';
import { systemClock } from '../../src/core/clock';
import { BackupManager, type BackupRecord, type BackupSettings, type KeyProvider } from '../../src/core/backup';
import { tempDir } from './fixtures';

export const TEST_KEY = Buffer.alloc(32, 7);

export function keys(key: Buffer | null = TEST_KEY): KeyProvider {
  return { getKey: async () => key ?? undefined };
}

/** `key: null` means no key is available. The backups folder lies beside the data, never in it. */
export function manager(dataDir: string, backupsDir = `${dataDir}-backups`, key: Buffer | null = TEST_KEY, settings: Partial<BackupSettings> = {}): BackupManager {
  return new BackupManager(systemClock, dataDir, backupsDir, keys(key), settings);
}

/** Every file under dir (outside backups and restore scratch) with its bytes and mode. */
export function snapshot(dir: string, skip = ['backups', '.gardener-restore', 'logs', 'cache', 'temp']): Record<string, { data: string; mode: number }> {
  const out: Record<string, { data: string; mode: number }> = {};
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      const rel = path.relative(dir, abs).split(path.sep).join('/');
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      if (e.isDirectory()) visit(abs);
      else if (e.isFile()) out[rel] = { data: fs.readFileSync(abs).toString('base64'), mode: fs.statSync(abs).mode & 0o777 };
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return out;
}

export function write(dir: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const f = path.join(dir, ...rel.split('/'));
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content);
  fs.chmodSync(f, mode);
}

/** A small data directory with the guide's folders and a mix of text and random bytes. */
export function seedData(dir: string, files = 40): void {
  write(dir, 'settings/app.json', JSON.stringify({ theme: 'dark', n: 1 }));
  write(dir, 'settings/secret.env', 'TOKEN=abc\n', 0o600);
  write(dir, 'projects/alpha/notes.md', '# Alpha\n'.repeat(50));
  write(dir, 'contexts/ctx-1.json', JSON.stringify({ ctx: 1 }));
  write(dir, 'cache/skip.bin', randomBytes(100));
  write(dir, 'temp/skip.txt', 'temp');
  for (let i = 0; i < files; i++) write(dir, `projects/p${i % 5}/file-${i}.${i % 3 ? 'txt' : 'bin'}`, i % 3 ? `line ${i}\n`.repeat(20 + i) : randomBytes(500 + i * 10), i % 7 ? 0o644 : 0o755);
}

/**
 * A seeded data directory (with one big random file too, when `bigMB` is given), its manager
 * (started) and one full backup of it, encrypted unless `plain`.
 */
export async function fullyBackedUp(files?: number, o: { plain?: boolean; bigMB?: number } = {}): Promise<{ data: string; m: BackupManager; b: BackupRecord }> {
  const data = tempDir();
  seedData(data, files);
  if (o.bigMB) write(data, 'projects/big.bin', randomBytes(o.bigMB * 1024 * 1024));
  const m = o.plain ? manager(data, undefined, null, { encrypt: false }) : manager(data);
  await m.init();
  return { data, m, b: await m.createBackup('FULL') };
}

/** Runs `body` with new archives in `codec` (CODEBASE_GARDENER_CODEC), for tests of one codec's format on any Node.js. */
export async function withCodec<T>(codec: 'gzip' | 'zstd', body: () => Promise<T>): Promise<T> {
  const before = process.env.CODEBASE_GARDENER_CODEC;
  process.env.CODEBASE_GARDENER_CODEC = codec;
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env.CODEBASE_GARDENER_CODEC;
    else process.env.CODEBASE_GARDENER_CODEC = before;
  }
}

/** One entry of a crafted tar archive: any type tar knows, any path, hostile ones included. */
export interface CraftedEntry {
  path: string;
  type: string;
  body?: string | Buffer;
  linkpath?: string;
}

/** A plain .tar.gz holding exactly `entries`, in order, whatever they are: for archives no backup would write. */
export function craft(entries: CraftedEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = new Header({ path: e.path, type: e.type as 'File', size: e.type === 'File' ? body.length : 0, mode: 0o644, mtime: new Date(), linkpath: e.linkpath });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (e.type === 'File') blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks));
}
