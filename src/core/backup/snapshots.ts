import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from './engine';
import { FolderGuard, safeEntryPath } from './guard';
import { workAt } from './swapJournal';
import { BackupError, type SnapshotLists, type SnapshotRecord } from './types';

/**
 * Pre-restore snapshots: what a restore moved aside, in `<target>/.gardener-restore/snapshots/<id>/`,
 * with the lists of moved and added paths beside it. A record is only ever acted on inside its
 * own snapshot folder and its target, through their guards.
 */

/**
 * From the work folder's base down: a link in place of `.gardener-restore` or `snapshots` is
 * refused, and a record naming a work folder that is not one of the two a restore uses is too.
 */
function snapshotsGuard(e: Engine, s: SnapshotRecord): FolderGuard {
  const w = workAt(e.settings().scratchDir, s.target, s.work);
  if (!w) throw new BackupError(`Snapshot ${s.id} names a folder that is not one of ours (${s.work}); nothing was done.`, 'UNSAFE_PATH');
  return new FolderGuard(path.join(w.dir, 'snapshots'), w.base);
}

function readLists(folder: FolderGuard, s: SnapshotRecord): SnapshotLists {
  if (s.moved && s.added) return { moved: s.moved, added: s.added };
  const file = folder.resolve(`${s.id}.json`);
  let v: Partial<SnapshotLists>;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
    v = JSON.parse(bytes.toString('utf8')) as Partial<SnapshotLists>;
  } catch (err) {
    throw new BackupError(`The list of what restore ${s.id} changed (${file}) is missing or unreadable (${(err as Error).message}); nothing was undone.`, 'CORRUPT_FILE', { file });
  }
  // Undo deletes what this file lists as added: it must be the file the restore wrote.
  if (s.listsSha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== s.listsSha256) {
    throw new BackupError(`${file} was changed after the restore wrote it, so it cannot be trusted to say what to remove; nothing was undone. The files the restore moved aside are still in ${path.dirname(file)}/${s.id}.`, 'CORRUPT_FILE', { file });
  }
  if (!Array.isArray(v?.moved) || !Array.isArray(v.added) || !v.moved.every(safeEntryPath) || !v.added.every(safeEntryPath)) {
    throw new BackupError(`${file} is damaged: its lists hold something that is not a safe path; nothing was undone.`, 'CORRUPT_FILE', { file });
  }
  if (v.moved.length !== s.movedCount || v.added.length !== s.addedCount) {
    throw new BackupError(`${file} lists ${v.moved.length} moved and ${v.added.length} added paths, but the restore recorded ${s.movedCount} and ${s.addedCount}; nothing was undone.`, 'CORRUPT_FILE', { file });
  }
  return { moved: v.moved, added: v.added };
}

/**
 * Puts back what a restore moved aside and removes what it added. Files changed since the
 * restore (newer than it) would be lost: unless `replaceChanged`, the undo refuses and names
 * them (CHANGED_SINCE), before anything moves.
 */
export async function undoRestore(e: Engine, snapshotId: string, o: { replaceChanged?: boolean } = {}): Promise<void> {
  const s = e.catalog.snapshots.find((x) => x.id === snapshotId);
  if (!s) throw new BackupError(`No pre-restore snapshot has the ID ${snapshotId}.`, 'NOT_FOUND');
  const folder = snapshotsGuard(e, s);
  // The record says where; the folder must be a real one a restore made there.
  const st = folder.exists(s.id) ? fs.lstatSync(folder.resolve(s.id)) : undefined;
  if (!st?.isDirectory()) {
    // An undo that was cut short after its files were put back has only its record left to drop.
    if (s.undoing) return forget(e, s.id);
    throw new BackupError(`The files restore ${s.id} moved aside are not in ${folder.root}; nothing was undone.`, 'NOT_FOUND');
  }
  const lists = readLists(folder, s);
  const live = new FolderGuard(s.target);
  const aside = new FolderGuard(folder.resolve(s.id), folder.base);
  // Everything is checked before anything moves: a link in the target refuses the whole undo.
  for (const p of [...lists.added, ...lists.moved]) live.resolve(p);
  if (!s.undoing && !o.replaceChanged) {
    // Restored files carry their backed-up times; one newer than the restore was changed since.
    const changed = [...lists.added, ...lists.moved].filter((p) => {
      const st = live.exists(p) ? fs.lstatSync(live.resolve(p)) : undefined;
      return !!st?.isFile() && st.mtimeMs > s.createdAt;
    });
    if (changed.length) {
      const named = changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '');
      throw new BackupError(`${changed.length} file(s) changed since this restore (${named}): Undo Restore would replace them with what was there before. Nothing was changed.`, 'CHANGED_SINCE');
    }
  }
  // Marked first, so an undo cut short by a crash is finished at the next start; each step below can be repeated.
  if (!s.undoing) {
    s.undoing = true;
    await e.catalog.save();
  }
  for (const p of lists.added) if (live.exists(p) && !fs.lstatSync(live.resolve(p)).isDirectory()) live.remove(p);
  for (const p of lists.moved) if (aside.exists(p)) aside.renameTo(p, live, p);
  removeSnapshotFiles(e, s);
  await forget(e, s.id);
}

async function forget(e: Engine, id: string): Promise<void> {
  e.catalog.snapshots = e.catalog.snapshots.filter((x) => x.id !== id);
  await e.catalog.save();
}

/** Finishes every undo a crash cut short; what cannot be finished is reported, never forced. */
export async function resumeUndos(e: Engine, problems: string[]): Promise<string[]> {
  const done: string[] = [];
  for (const s of e.catalog.snapshots.filter((x) => x.undoing)) {
    try {
      await undoRestore(e, s.id);
      done.push(s.id);
      e.hooks.info?.(`Finished undoing restore ${s.id}, which was interrupted`);
    } catch (err) {
      problems.push(`the interrupted undo of ${s.id} could not be finished: ${(err as Error).message}`);
    }
  }
  return done;
}

/** Removes a snapshot's folder and lists, each through its guard. */
export function removeSnapshotFiles(e: Engine, s: SnapshotRecord): void {
  const folder = snapshotsGuard(e, s);
  folder.remove(s.id, { recursive: true });
  folder.remove(`${s.id}.json`);
}
