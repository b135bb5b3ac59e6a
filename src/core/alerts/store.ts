import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
import { isGardenerError, type GardenerError } from '../errors';
import { isMissing, readJsonFile } from '../jsonFile';
import type { Alert } from './types';

const STATES = new Set(['OPEN', 'ACKNOWLEDGED', 'RESOLVED']);
const LEVELS = new Set(['INFO', 'WARNING', 'CRITICAL']);

function isAlert(x: unknown): x is Alert {
  const a = x as Alert;
  return (
    !!a &&
    typeof a === 'object' &&
    typeof a.id === 'string' &&
    typeof a.key === 'string' &&
    STATES.has(a.state) &&
    LEVELS.has(a.level) &&
    typeof a.createdAt === 'number' &&
    typeof a.message === 'string' &&
    typeof a.title === 'string'
  );
}

export interface LoadResult {
  alerts: Alert[];
  /** Set when the file could not be read as alerts and was renamed to this path. */
  movedAside?: string;
  /** Why it could not be read: code CORRUPT_FILE, naming the file. */
  error?: GardenerError;
}

function checkAlertsFile(value: unknown): Alert[] {
  const data = value as { version?: unknown; alerts?: unknown } | null;
  if (data?.version !== 1 || !Array.isArray(data.alerts)) throw new Error('is not an alerts file of version 1');
  if (!data.alerts.every(isAlert)) throw new Error('holds entries that are not alerts');
  return data.alerts;
}

/** Which version of the alerts file is on disk: an atomic rewrite is a new file, so a new inode. */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a === b || (!!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs);
}

/**
 * The alerts file: whole-file atomic rewrites, writes queued so they never interleave, and a
 * lock on its folder so two VS Code windows on the same data directory take turns to
 * read-change-write it (see AlertService).
 */
export class AlertStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The file's current version, or undefined when there is none. */
  async stamp(): Promise<FileStamp | undefined> {
    try {
      const st = await fs.stat(this.file);
      return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /**
   * Runs `fn` holding the alerts folder's lock (proper-lockfile: a lock folder beside the file,
   * taken over once stale, so a window that died holding it blocks nobody for long).
   */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // Loaded on first use, so activation does not pay for it.
    const lockfile = await import('proper-lockfile');
    const release = await lockfile.lock(dir, {
      lockfilePath: path.join(dir, '.alerts.lock'),
      stale: 10_000,
      update: 2_000,
      retries: { retries: 100, factor: 1.2, minTimeout: 5, maxTimeout: 200 },
    });
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  }

  static in(dataDir: string): AlertStore {
    return new AlertStore(path.join(dataDir, 'alerts', 'alerts.json'));
  }

  async load(now: number): Promise<LoadResult> {
    try {
      return { alerts: await readJsonFile(this.file, checkAlertsFile) };
    } catch (err) {
      if (isMissing(err)) return { alerts: [] };
      if (!isGardenerError(err, 'CORRUPT_FILE')) throw err;
      // Keep the unreadable file for the user rather than overwriting it.
      const aside = `${this.file}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
      await fs.rename(this.file, aside);
      return { alerts: [], movedAside: aside, error: err };
    }
  }

  save(alerts: readonly Alert[]): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify({ version: 1, alerts }));
    this.queue = this.queue.catch(() => undefined).then(() => writeJsonAtomically(this.file, snapshot));
    return this.queue;
  }

  /** Resolves once every queued write has finished. */
  flush(): Promise<void> {
    return this.queue.catch(() => undefined);
  }
}
