import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FolderGuard } from './backup/guard';

/**
 * The owner file beside a proper-lockfile lock: it names the holder's pid and host, so a holder
 * that died (a crash, a SIGKILL) is told at once rather than after the lock goes stale.
 * Written fresh, never through whatever stands at that name (a planted link is removed, not followed).
 */
export function writeOwner(guard: FolderGuard, name: string): void {
  guard.remove(name);
  const fd = fs.openSync(path.join(guard.root, name), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
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
export function holderIsGone(lockPath: string, ownerFile: string, now = Date.now()): boolean {
  const noOwner = (): boolean => {
    const st = fs.lstatSync(lockPath, { throwIfNoEntry: false });
    return !!st && now - st.mtimeMs > 2000;
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
  return !processIsAlive(pid);
}

/** Whether a process with this pid runs on this machine. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
