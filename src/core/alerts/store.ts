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

/** The alerts file: whole-file atomic rewrites, writes queued so they never interleave. */
export class AlertStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

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
