import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
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
  problem?: string;
}

/** The alerts file: whole-file atomic rewrites, writes queued so they never interleave. */
export class AlertStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  static in(dataDir: string): AlertStore {
    return new AlertStore(path.join(dataDir, 'alerts', 'alerts.json'));
  }

  async load(now: number): Promise<LoadResult> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { alerts: [] };
      throw err;
    }
    let problem: string | undefined;
    try {
      const data = JSON.parse(text) as { version?: unknown; alerts?: unknown };
      if (data?.version !== 1 || !Array.isArray(data.alerts)) problem = 'it is not an alerts file of version 1';
      else if (!data.alerts.every(isAlert)) problem = 'some entries are not alerts';
      else return { alerts: data.alerts };
    } catch (err) {
      problem = `it is not valid JSON (${(err as Error).message})`;
    }
    // Keep the unreadable file for the user rather than overwriting it.
    const aside = `${this.file}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(this.file, aside);
    return { alerts: [], movedAside: aside, problem };
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
