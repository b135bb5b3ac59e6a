import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FolderGuard } from './guard';
import { BackupError } from './types';

/**
 * The backups folder's lock, so two VS Code windows never write at once: proper-lockfile's
 * folder lock, plus an owner file naming the holder's pid, so a holder that died (a crash, a
 * kill) is told at once rather than after the lock goes stale.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>, o: { wait: boolean }): Promise<T | undefined> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const guard = new FolderGuard(dir);
  const lockPath = path.join(dir, '.lock');
  const ownerFile = path.join(dir, '.lock-owner');
  const options = { lockfilePath: lockPath, stale: 30_000, update: 5_000 };
  // Loaded on first use: it costs ~18 ms to load, which activation must not pay.
  const lockfile = await import('proper-lockfile');
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(dir, { ...options, retries: 0 });
    } catch {
      if (holderIsGone(lockPath, ownerFile)) guard.remove('.lock', { recursive: true });
      else if (!o.wait) return undefined;
      else if (attempt >= 60) throw new BackupError('Another VS Code window is writing backups right now; try again when it has finished.', 'LOCKED');
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    writeOwner(guard, ownerFile);
    return await fn();
  } finally {
    guard.remove('.lock-owner');
    await release().catch(() => undefined);
  }
}

/** Written fresh, never through whatever stands at that name (a planted link is removed, not followed). */
function writeOwner(guard: FolderGuard, file: string): void {
  guard.remove('.lock-owner');
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname() }));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether the process holding the lock is dead: its recorded pid is gone on this machine, or
 * it never recorded one although the lock is older than a live holder needs to write it. An
 * owner file that is not what we write counts as no owner.
 */
function holderIsGone(lockPath: string, ownerFile: string): boolean {
  const noOwner = (): boolean => {
    const st = fs.lstatSync(lockPath, { throwIfNoEntry: false });
    return !!st && Date.now() - st.mtimeMs > 2000;
  };
  let o: unknown;
  try {
    const st = fs.lstatSync(ownerFile);
    if (!st.isFile() || st.size > 1024) return noOwner();
    o = JSON.parse(fs.readFileSync(ownerFile, 'utf8'));
  } catch {
    return noOwner();
  }
  const { pid, host } = (o ?? {}) as { pid?: unknown; host?: unknown };
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0 || typeof host !== 'string') return noOwner();
  if (host !== os.hostname()) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
