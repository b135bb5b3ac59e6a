import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../backup/guard';
import type { MoveItem, MovePlan } from './moveJournal';

/** The folder 0.1 kept its state in, under the first workspace folder. */
export const LEGACY_FOLDER = 'data';

/**
 * `<folder>/data` if 0.1 made it, told by what 0.1 wrote there (a log of ours, the alerts file
 * or a backup catalog): a folder named `data` is often the user's own, and is then left alone.
 */
export function findLegacyData(folder: string): string | undefined {
  const dir = path.join(folder, LEGACY_FOLDER);
  if (!fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  const isFile = (rel: string): boolean => !!fs.lstatSync(path.join(dir, rel), { throwIfNoEntry: false })?.isFile();
  let logs: string[] = [];
  try {
    logs = fs.readdirSync(path.join(dir, 'logs')).filter((n) => /^codebase_gardener.*\.log/.test(n));
  } catch {
    // No logs folder: the other marks decide.
  }
  return logs.some((n) => isFile(`logs/${n}`)) || isFile('alerts/alerts.json') || isFile('backups/catalog.json') ? dir : undefined;
}

export interface LegacyTargets {
  /** The data directory now: logs go to `logs/0.1/`, alerts to `alerts/`. */
  dataDir: string;
  /** The backups folder now, used when it is empty or not made yet. */
  backupsDir: string;
  /** Where 0.1's backups go when `backupsDir` already holds backups (two catalogs cannot share a folder). */
  otherBackupsDir: string;
}

export interface LegacyPlan extends MovePlan {
  /** Where 0.1's backups will be, if it had any to move. */
  backupsTo?: string;
  /** What was found but is not moved: links and special files (never ours). */
  skipped: string[];
}

/**
 * What moving 0.1's state out of `legacyDir` means: its logs into `<data>/logs/0.1/` (beside
 * today's logs, whose names they share), its alerts into `<data>/alerts/`, its backups folder
 * whole into the backups folder. The user's own files in `legacyDir` stay. A part that already
 * is where it would go (a backups folder the user pointed at 0.1's) is not moved.
 */
export function planLegacyMove(legacyDir: string, t: LegacyTargets): LegacyPlan {
  const items: MoveItem[] = [];
  const folders: string[] = [];
  const skipped: string[] = [];
  const targets = [t.dataDir];
  let backupsTo: string | undefined;
  const part = (sub: string, target: number, prefix: string): void => {
    walk(legacyDir, sub, (rel) => items.push({ from: rel, target, to: `${prefix}${rel.slice(sub.length + 1)}` }), folders, skipped);
    folders.push(sub);
  };
  part('logs', 0, 'logs/0.1/');
  part('alerts', 0, 'alerts/');
  const backups = path.join(legacyDir, 'backups');
  if (fs.lstatSync(backups, { throwIfNoEntry: false })?.isDirectory() && !isInside(t.backupsDir, backups) && !isInside(backups, t.backupsDir)) {
    backupsTo = isEmpty(t.backupsDir) ? t.backupsDir : freeFolder(t.otherBackupsDir);
    targets.push(backupsTo);
    part('backups', 1, '');
  }
  folders.push('');
  return { source: legacyDir, targets, items, folders, conflictTag: '0.1', backupsTo: items.some((i) => i.target === 1) ? backupsTo : undefined, skipped };
}

/** Every regular file under `sub`, and its folders deepest first into `folders`; anything else into `skipped`. */
export function walk(root: string, sub: string, file: (rel: string) => void, folders: string[], skipped: string[]): void {
  const dirs: string[] = [];
  const visit = (rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        visit(child);
        dirs.push(child);
      } else if (e.isFile()) file(child);
      else skipped.push(child);
    }
  };
  if (fs.lstatSync(path.join(root, sub), { throwIfNoEntry: false })?.isDirectory()) visit(sub);
  folders.push(...dirs);
}

function isEmpty(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}

/** `dir`, or `dir-2`, `dir-3`, … : the first that is empty or not there. */
function freeFolder(dir: string): string {
  for (let n = 1; ; n++) {
    const d = n === 1 ? dir : `${dir}-${n}`;
    if (isEmpty(d)) return d;
  }
}
