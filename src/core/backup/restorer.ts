import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { throwIfAborted } from '../cancel';
import { verifyArchive } from './checker';
import type { Engine, RunOptions } from './engine';
import { FolderGuard, isInside, safeEntryPath } from './guard';
import { StagingWriter } from './stagingWriter';
import { finishSwap, makeMarked, stagingDir, workGuard, type Journal } from './swapJournal';
import { BackupError, type BackupRecord, type ManifestEntry } from './types';
import { walk } from './walk';

export interface RestorePlan {
  added: string[];
  overwritten: string[];
  deleted: string[];
}

export interface RestoreResult extends RestorePlan {
  snapshotId: string;
  target: string;
}

export interface RestoreOptions extends RunOptions {
  /** Restore only this path (a file or a folder) of the backup. */
  path?: string;
  /** Restore into this folder instead of where the backup came from. */
  target?: string;
}

export function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function under(p: string, prefix: string | undefined): boolean {
  if (!prefix) return true;
  const clean = prefix.replace(/\/+$/, '');
  return p === clean || p.startsWith(`${clean}/`);
}

/** The completed backup `id`, or a clear error. */
export function mustGet(e: Engine, id: string): BackupRecord {
  const b = e.catalog.get(id);
  if (!b) throw new BackupError(`No backup has the ID ${id}.`, 'NOT_FOUND');
  if (b.status !== 'completed') throw new BackupError(`Backup ${id} failed (${b.error ?? 'unknown error'}) and cannot be restored.`, 'INVALID');
  return b;
}

function scopeFor(e: Engine, b: BackupRecord) {
  const type = e.catalog.chain(b.id)[0].type;
  return e.selection(type === 'INCREMENTAL' ? 'FULL' : type);
}

/** The live files a restore of `b` would replace or remove: the backup's scope in the target. */
async function liveFiles(e: Engine, b: BackupRecord, target: string, sub: string | undefined): Promise<string[]> {
  return (await walk(target, scopeFor(e, b))).map((f) => f.path).filter((p) => under(p, sub));
}

function targetOf(e: Engine, opts: RestoreOptions): string {
  const target = path.resolve(opts.target ?? e.dataDir);
  if (isInside(e.backupsDir, target) || isInside(target, e.backupsDir)) {
    throw new BackupError(`Restoring into ${target} would touch the backups folder ${e.backupsDir}; choose a folder apart from it. Nothing was changed.`, 'INVALID');
  }
  return target;
}

/** What a restore would do, without doing it: for the confirmation. */
export async function planRestore(e: Engine, id: string, opts: RestoreOptions = {}): Promise<RestorePlan> {
  const b = mustGet(e, id);
  const target = targetOf(e, opts);
  const tree = [...(await e.treeOf(id)).files.keys()].filter((p) => under(p, opts.path));
  const live = await liveFiles(e, b, target, opts.path);
  const liveSet = new Set(live);
  const treeSet = new Set(tree);
  return {
    added: tree.filter((p) => !liveSet.has(p)),
    overwritten: tree.filter((p) => liveSet.has(p)),
    deleted: live.filter((p) => !treeSet.has(p)),
  };
}

/**
 * Restores backup `id`: every archive of its chain is verified (the one checker Validate uses)
 * while it is unpacked into a staging folder inside the target; only then is a journal written
 * and the swap begun. A crash before the swap leaves the target as it was; one during it is
 * finished at the next start.
 */
export async function restore(e: Engine, id: string, opts: RestoreOptions): Promise<RestoreResult> {
  const b = mustGet(e, id);
  if (opts.path !== undefined && !safeEntryPath(opts.path)) throw new BackupError(`"${opts.path.slice(0, 200)}" is not a path inside the backup.`, 'INVALID');
  const target = targetOf(e, opts);
  const chain = e.catalog.chain(id);
  const now = e.clock.now();
  const snapshotId = `snapshot-${stamp(now)}-${randomBytes(3).toString('hex')}`;
  const staging = stagingDir(target, snapshotId);
  const journal: Journal = {
    version: 2,
    state: 'staging',
    id: snapshotId,
    nonce: randomBytes(16).toString('hex'),
    target,
    restoredBackupId: id,
    createdAt: now,
    ops: [],
    dirs: [],
    moved: [],
    added: [],
    encrypted: chain.some((c) => c.encrypted),
  };
  let writer: StagingWriter | undefined;
  try {
    // Through real folders only: a link in place of `.gardener-restore` or `journals` is refused here.
    makeMarked(target, `staging-${snapshotId}`, journal.nonce);
    makeMarked(target, `snapshots/${snapshotId}`, journal.nonce);
    await e.journals.write(journal);
    const files = (writer = new StagingWriter());
    const staged = new Map<string, ManifestEntry>();
    /** Files the worker hashed: checked once it has finished, still before anything live is touched. */
    const hashedByWorker: { id: number; path: string; sha256: string; backup: string }[] = [];
    const manifests = await Promise.all(chain.map((c) => e.catalog.manifest(c.id)));
    let done = 0;
    let bytes = 0;
    const totalFiles = manifests.reduce((t, m) => t + m.files.length, 0);
    const totalBytes = manifests.reduce((t, m) => m.files.reduce((u, f) => u + f.size, t), 0);
    for (const [i, c] of chain.entries()) {
      const key = await e.keyFor(c);
      const inner = await verifyArchive(path.join(e.backupsDir, c.archive), c, key, manifests[i], {
        signal: opts.signal,
        ring: files.ring,
        sink: (entry, m) => {
          if (!under(entry.path, opts.path)) return undefined;
          // Hashed by the worker as it writes while it keeps up, else by the checker as parsed.
          const onWorker = !files.behind();
          const file = files.open(path.join(staging, ...entry.path.split('/')), staged.has(entry.path), m.mode, onWorker);
          return {
            hashes: onWorker,
            data: (buf, pos) => files.write(file, pos, buf.length),
            end: () => {
              files.close(file, m.mtimeMs);
              if (onWorker) hashedByWorker.push({ id: file, path: entry.path, sha256: m.sha256, backup: c.id });
            },
          };
        },
        onEntry: (entry) => {
          bytes += entry.size;
          opts.onProgress?.({ phase: 'staging', files: ++done, totalFiles, bytes, totalBytes });
        },
      }).catch((err: unknown) => {
        throw nothingChanged(err);
      });
      // What an incremental deletes comes from its verified manifest alone.
      for (const d of inner.deleted) {
        staged.delete(d);
        files.remove(path.join(staging, ...d.split('/')));
      }
      for (const m of inner.files) if (under(m.path, opts.path)) staged.set(m.path, m);
      journal.dirs = inner.dirs.filter((d) => under(d.path, opts.path));
    }
    await files.finish().catch((err: unknown) => {
      throw nothingChanged(err);
    });
    throwIfAborted(opts.signal);
    for (const f of hashedByWorker) {
      if (files.sha256Of(f.id) !== f.sha256) throw new BackupError(`${f.path} in backup ${f.backup} does not match its sha256. Nothing was changed.`, 'CORRUPT');
    }

    // Plan the swap: staged files in, live files in scope that the backup lacks out.
    const live = await liveFiles(e, b, target, opts.path);
    const liveSet = new Set(live);
    journal.ops = [...[...staged.keys()].map((p) => ({ path: p, fromStaging: true })), ...live.filter((p) => !staged.has(p)).map((p) => ({ path: p, fromStaging: false }))];
    // A link where the swap would go through a folder: refused now, while nothing has moved.
    const guard = new FolderGuard(target);
    for (const op of journal.ops) guard.resolve(op.path);
    for (const d of journal.dirs) guard.resolve(d.path);
    journal.moved = live;
    journal.added = [...staged.keys()].filter((p) => !liveSet.has(p));
    journal.state = 'swapping';
    await e.journals.write(journal);
  } catch (err) {
    // Nothing may still be writing into staging while it is removed.
    await writer?.stop();
    const work = workGuard(target);
    work.remove(`staging-${snapshotId}`, { recursive: true });
    work.remove(`snapshots/${snapshotId}`, { recursive: true });
    work.removeIfEmpty('snapshots');
    e.journals.remove(snapshotId);
    if (err instanceof BackupError && err.code === 'UNSAFE_PATH') throw new BackupError(`${err.message.replace(/ Nothing there was changed\.$/, '')} A restore does not write through links: remove the link, or restore into another folder.`, 'UNSAFE_PATH');
    throw err;
  }
  opts.onProgress?.({ phase: 'swapping', files: 0, totalFiles: journal.ops.length, bytes: 0, totalBytes: 0 });
  await completeSwap(e, journal);
  const liveBefore = new Set(journal.moved);
  return {
    snapshotId,
    target,
    added: journal.added,
    overwritten: journal.ops.filter((o) => o.fromStaging && liveBefore.has(o.path)).map((o) => o.path),
    deleted: journal.ops.filter((o) => !o.fromStaging).map((o) => o.path),
  };
}

/** Finishes a swap and its bookkeeping: the snapshot recorded, the journal gone. */
export async function completeSwap(e: Engine, j: Journal): Promise<void> {
  await finishSwap(j, async (record) => {
    if (!e.catalog.snapshots.some((s) => s.id === record.id)) e.catalog.snapshots.push(record);
    await e.catalog.save();
  });
  e.journals.remove(j.id);
}

/** Every error of a restore before its swap, saying that the data was not changed. */
function nothingChanged(err: unknown): unknown {
  if (err instanceof BackupError) {
    if (err.code === 'CANCELLED') return new BackupError('The restore was cancelled; nothing was changed.', 'CANCELLED');
    return /Nothing was changed\.$/.test(err.message) ? err : new BackupError(`${err.message} Nothing was changed.`, err.code);
  }
  if ((err as { code?: string }).code === 'ENOSPC') return new BackupError('There is not enough free space to stage the restore. Nothing was changed.', 'NO_SPACE');
  return err;
}
