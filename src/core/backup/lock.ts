import * as fs from 'node:fs';
import * as path from 'node:path';
import { holderIsGone, writeOwner } from '../lockOwner';
import { FolderGuard } from './guard';
import { BackupError } from './types';

/**
 * The backups folder's lock, so two VS Code windows never write at once: proper-lockfile's
 * folder lock, plus an owner file (see lockOwner.ts).
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
    writeOwner(guard, '.lock-owner');
    return await fn();
  } finally {
    guard.remove('.lock-owner');
    await release().catch(() => undefined);
  }
}
