import * as fs from 'node:fs';
import * as path from 'node:path';
import { FolderGuard } from '../backup/guard';
import { holderIsGone, writeOwner } from '../lockOwner';

export interface LeadershipOptions {
  /** A lock not refreshed for this long is taken over (a holder frozen, or on another host). */
  staleMs?: number;
  /** How often the holder refreshes it. */
  updateMs?: number;
  onChange?: (leader: boolean) => void;
}

/**
 * Which of the windows on one state folder runs the schedules: the one holding
 * `maintenance/leader.lock` (proper-lockfile, refreshed while held). A holder that dies is
 * replaced at the next try, by its pid in `leader.owner`; one that hangs, once the lock is stale.
 */
export class Leadership {
  private release: (() => Promise<void>) | undefined;
  private readonly dir: string;
  private readonly staleMs: number;
  private readonly updateMs: number;

  constructor(
    dataDir: string,
    private readonly o: LeadershipOptions = {},
  ) {
    this.dir = path.join(dataDir, 'maintenance');
    this.staleMs = o.staleMs ?? 20_000;
    this.updateMs = o.updateMs ?? Math.max(1000, Math.floor(this.staleMs / 4));
  }

  get isLeader(): boolean {
    return this.release !== undefined;
  }

  /** Takes the lead if nobody holds it, or its holder is gone. Says whether this window leads. */
  async tryAcquire(): Promise<boolean> {
    if (this.release) return true;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const guard = new FolderGuard(this.dir);
    const lockPath = path.join(this.dir, 'leader.lock');
    const lockfile = await import('proper-lockfile');
    const options = {
      lockfilePath: lockPath,
      realpath: false,
      stale: this.staleMs,
      update: this.updateMs,
      retries: 0,
      onCompromised: () => this.lost(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        this.release = await lockfile.lock(path.join(this.dir, 'leader'), options);
        writeOwner(guard, 'leader.owner');
        this.o.onChange?.(true);
        return true;
      } catch {
        if (attempt > 0 || !holderIsGone(lockPath, path.join(this.dir, 'leader.owner'))) return false;
        guard.remove('leader.lock', { recursive: true });
      }
    }
    return false;
  }

  async resign(): Promise<void> {
    const release = this.release;
    if (!release) return;
    this.release = undefined;
    try {
      new FolderGuard(this.dir).remove('leader.owner');
    } catch {
      // The lock below is what counts; a stale owner file names a dead pid.
    }
    await release().catch(() => undefined);
    this.o.onChange?.(false);
  }

  private lost(): void {
    if (!this.release) return;
    this.release = undefined;
    this.o.onChange?.(false);
  }
}
