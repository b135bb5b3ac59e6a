import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../backup/guard';
import { GardenerError } from '../errors';
import { walk } from './legacy';
import type { MovePlan } from './moveJournal';

/** The lock of the folder being moved: held during the move, so it stays behind. */
const LOCK_NAMES = new Set(['.lock', '.lock-owner']);

export interface BackupsMovePlan extends MovePlan {
  /** What is not moved: links and special files (never ours). */
  skipped: string[];
}

/**
 * Moving a workspace's backups folder whole to `target` (a new backups folder chosen by the
 * user), for `moveState`, which makes it crash-safe. `target` must be empty or not there yet:
 * two catalogs cannot share a folder, and nothing of someone else's is overwritten.
 */
export function planBackupsMove(source: string, target: string): BackupsMovePlan {
  const from = path.resolve(source);
  const to = path.resolve(target);
  if (isInside(to, from) || isInside(from, to)) throw new GardenerError(`${to} and ${from} contain one another; the backups were not moved.`, 'INVALID');
  if (fs.existsSync(to) && fs.readdirSync(to).length > 0) throw new GardenerError(`${to} is not empty; the backups were not moved there.`, 'INVALID');
  const items: MovePlan['items'] = [];
  const folders: string[] = [];
  const skipped: string[] = [];
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (LOCK_NAMES.has(e.name)) continue;
    if (e.isFile()) items.push({ from: e.name, target: 0, to: e.name });
    else if (e.isDirectory()) {
      walk(from, e.name, (rel) => items.push({ from: rel, target: 0, to: rel }), folders, skipped);
      folders.push(e.name);
    } else skipped.push(e.name);
  }
  folders.push('');
  return { source: from, targets: [to], items, folders, conflictTag: 'moved', skipped };
}
