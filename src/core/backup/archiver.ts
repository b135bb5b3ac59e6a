import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { throwIfAborted } from '../cancel';
import { isGardenerError } from '../errors';
import { flushToDisk, type ArchiveResult } from './archive';
import { FILES_CROSS_MAX } from './archiveProtocol';
import { archiveWriter } from './archiveWriter';
import type { Engine, RunOptions, Tree } from './engine';
import { FolderGuard, isInside } from './guard';
import { hashFile } from './hashFile';
import { listedFiles, placeChanges, RACY_MS, type Taken } from './changeList';
import { archiveName } from './records';
import { defaultCodec } from './codec';
import { stamp } from './restorer';
import { BackupError, type ArchiveManifest, type BackupRecord, type BackupType, type ManifestEntry, type ManifestTail, type Source } from './types';
import { checkSources, rootId, walkSourcesBatches } from './sources';
import type { FileInfo, WalkReport } from './walk';

/** A new backup, once it is complete, and the tree it restores to: the next incremental builds on it. */
export interface Created {
  record: BackupRecord;
  /** Kept only when small (archiveProtocol.ts): a big one is read again from the catalog's manifests. */
  tree?: Tree;
  /** Made from a change list, not a walk. */
  listed: boolean;
}

/** A backups folder inside what it backs up would hold its own archives, and a restore would move them aside. */
export function checkFolders(dataDir: string, backupsDir: string): void {
  if (isInside(backupsDir, dataDir)) {
    throw new BackupError(
      `The backups folder ${backupsDir} is inside the folder it backs up (${dataDir}): backups would contain earlier backups, and a restore would move them aside. Choose a backups folder outside it (codebaseGardener.backups.folder).`,
      'INVALID',
    );
  }
}

/**
 * `changes`, when given, is what the watcher saw change since the parent backup: an
 * incremental then looks at those paths only (see changeList.ts), unless one of them cannot be
 * placed, in which case it walks.
 */
export async function createBackup(e: Engine, requested: BackupType, o: RunOptions, cached: Created | undefined, changes?: Taken): Promise<Created> {
  checkFolders(e.dataDir, e.backupsDir);
  const sources = e.sourcesOf(requested === 'INCREMENTAL' ? 'FULL' : requested);
  checkSources(sources, e.backupsDir);
  const started = performance.now();
  let type = requested;
  let note: string | undefined;
  let parent: BackupRecord | undefined;
  if (type === 'INCREMENTAL') {
    parent = latestCompleted(e, ['FULL', 'INCREMENTAL']);
    if (!parent) {
      type = 'FULL';
      note = 'No full backup to build on, so this incremental was made as a full backup.';
    }
  }
  o.onProgress?.({ phase: 'scanning', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 });
  // The worker, if not running yet, starts (~40–90 ms here) while the walk below runs, not after it.
  archiveWriter.warm();
  // What goes in: the files (for an incremental, the changed ones) as the walk finds them, so
  // writing overlaps the walk.
  let files: AsyncIterable<FileInfo[]>;
  const found = { files: 0, bytes: 0 };
  const report: WalkReport = { dirs: [], skipped: [] };
  let deleted: string[] = [];
  let parentTree: Tree | undefined;
  let listed = false;
  if (type === 'INCREMENTAL' && parent) {
    // The cached tree itself, not a copy: it changes only once this backup is complete, when
    // it becomes this backup's tree.
    const tree = (parentTree = (cached?.record.id === parent.id ? cached.tree : undefined) ?? (await e.treeOf(parent.id)));
    // A full disk is found before anything is written; how much is needed is known only
    // once the walk ends, which the archive's source checks before the archive is finished.
    checkSpace(e.backupsDir, 0);
    const placed = changes?.paths ? placeChanges(sources, changes.paths) : undefined;
    listed = !!placed;
    const candidates = placed
      ? listedFiles(placed, sources, tree.files, tree.dirs, parent.createdAt, o.signal, report, (r) => {
          deleted = r.deleted;
          report.dirs = r.dirs;
        })
      : walkedFiles(sources, tree.files, o.signal, report, (gone) => (deleted = gone));
    files = changedOnly(e, candidates, tree.files, parent.createdAt, found);
  } else {
    files = await everyFile(e, sources, o.signal, found, report);
  }
  const encrypt = e.settings().encrypt;
  const key = encrypt ? await e.keys.getKey(true) : undefined;
  if (encrypt && !key) throw new BackupError('No encryption key is available, so nothing was written.', 'NO_KEY');

  const now = e.clock.now();
  const id = `${type.toLowerCase().replace('_', '-')}-${stamp(now)}-${randomBytes(3).toString('hex')}`;
  // Decided here, where the worker's Node.js is this thread's, so a plain archive's name says it.
  const codec = defaultCodec();
  const archive = archiveName(id, !!key, codec);
  const folder = new FolderGuard(e.backupsDir);
  const partial = folder.resolve(`${id}.partial`);
  const tail = (): ManifestTail => ({ deleted, dirs: report.dirs, skipped: report.skipped });
  const named = sources.filter((s) => s.name);
  const names = named.map((s) => s.name);
  // Where each source's folder is on disk, so a restore finds it after a rename: all or none.
  const roots = named.map((s) => rootId(s.root));
  const recordInfo = {
    type,
    ...(parent && type === 'INCREMENTAL' ? { parentId: parent.id } : {}),
    createdAt: now,
    ...(note ? { note } : {}),
    ...(names.length ? { sources: names } : {}),
    ...(names.length && roots.every((r) => r !== undefined) ? { roots: roots as string[] } : {}),
  };
  let result: ArchiveResult;
  try {
    result = await archiveWriter.write(files, partial, {
      backupId: id,
      key,
      level: e.settings().compressionLevel,
      codec,
      record: recordInfo,
      tail,
      signal: o.signal,
      onProgress: (count, bytes) => o.onProgress?.({ phase: 'writing', files: count, totalFiles: found.files, bytes, totalBytes: found.bytes }),
    });
    // The archive's flush and the manifest's write wait on the disk together; neither counts
    // until the catalog names the backup.
    const done = await Promise.allSettled([flushToDisk(partial), e.catalog.saveManifestFile(id, result.manifestFile)]);
    for (const d of done) if (d.status === 'rejected') throw d.reason;
    // Cancelled while the worker finished: nothing is kept all the same.
    throwIfAborted(o.signal);
    fs.renameSync(partial, folder.resolve(archive));
  } catch (err) {
    folder.remove(`${id}.partial`);
    folder.remove(`manifests/${id}.json`);
    if (o.signal?.aborted || isGardenerError(err, 'CANCELLED') || (err as Error).name === 'AbortError') {
      throw new BackupError('The backup was cancelled; nothing was kept.', 'CANCELLED');
    }
    if (isGardenerError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOSPC' ? `The backups folder ran out of space; the partial archive was removed.` : (err as Error).message;
    await recordFailure(e, { id, type, now, parentId: parent?.id, error: message, started });
    throw code === 'ENOSPC' ? new BackupError(message, 'NO_SPACE') : err;
  }
  // An incremental's files always come back; a big full's do not (archiveProtocol.ts).
  let tree: Tree | undefined = parentTree || result.files ? { files: parentTree?.files ?? new Map<string, ManifestEntry>(), dirs: report.dirs } : undefined;
  if (tree) {
    for (const d of deleted) tree.files.delete(d);
    for (const f of result.files ?? []) tree.files.set(f.path, f);
  }
  const treeFileCount = tree?.files.size ?? result.fileCount;
  if (tree && tree.files.size > FILES_CROSS_MAX) tree = undefined;
  const record: BackupRecord = {
    id,
    type,
    ...(recordInfo.parentId ? { parentId: recordInfo.parentId } : {}),
    createdAt: now,
    status: 'completed',
    archive,
    sizeBytes: result.size,
    fileCount: result.fileCount,
    treeFileCount,
    sha256: result.sha256,
    encrypted: !!key,
    durationMs: Math.round(performance.now() - started),
    ...(note ? { note } : {}),
    ...(report.skipped.length ? { skippedCount: report.skipped.length } : {}),
  };
  e.catalog.backups.push(record);
  await e.catalog.save();
  return { record, tree, listed };
}

/**
 * Every file of the sources, a batch per stretch of the walk that finds them. The walk runs
 * until it has found a first file (or ended), so that a selection holding none fails before a
 * key is made or anything is written; the rest streams to the archive while the walk goes on,
 * and there must be room for what it found when it ends, before the archive is finished.
 */
async function everyFile(e: Engine, sources: readonly Source[], signal: AbortSignal | undefined, found: { files: number; bytes: number }, report: WalkReport): Promise<AsyncIterable<FileInfo[]>> {
  const walked = walkSourcesBatches(sources, signal, report);
  const count = (batch: FileInfo[]): FileInfo[] => {
    found.files += batch.length;
    for (const f of batch) found.bytes += f.size;
    return batch;
  };
  let first: IteratorResult<FileInfo[]>;
  do first = await walked.next();
  while (!first.done && !first.value.length);
  // An empty backup would look like protection and be none.
  if (first.done) throw new BackupError(`There is nothing to back up: ${sources.map((s) => s.root).join(', ') || 'no folder'} ${sources.length === 1 ? 'holds' : 'hold'} no files this backup type takes. Nothing was written.`, 'INVALID');
  const firstBatch = count(first.value);
  checkSpace(e.backupsDir, found.bytes);
  return (async function* () {
    yield firstBatch;
    for await (const batch of walked) yield count(batch);
    report.dirs.sort(byPath);
    report.skipped.sort(byPath);
    checkSpace(e.backupsDir, found.bytes);
  })();
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function latestCompleted(e: Engine, types: BackupType[]): BackupRecord | undefined {
  return [...e.catalog.backups].reverse().find((b) => b.status === 'completed' && types.includes(b.type));
}

/**
 * Whether a file differs from what the tree holds for it. The rule (as restic's and git's, with
 * the hash as judge where they stop at metadata): no entry, or another size or mode, is a
 * change; the same size with another time (ms) is decided by the hash (touched only, or
 * changed); the same size and time is no change, unless the time is racy (RACY_MS). An edit that
 * keeps size and time on purpose (a tool that restores times) is the one change not seen.
 */
async function differs(before: ManifestEntry | undefined, f: FileInfo, parentStarted: number): Promise<boolean> {
  if (!before || before.size !== f.size || before.mode !== f.mode) return true;
  if (before.mtimeMs === f.mtimeMs && f.mtimeMs < parentStarted - RACY_MS) return false;
  return (await hashFile(f.abs)) !== before.sha256;
}

/** The candidates that differ from `tree`, counted into `found`; at the end, there must be room for them. */
async function* changedOnly(e: Engine, candidates: AsyncIterable<FileInfo[]>, tree: Map<string, ManifestEntry>, parentStarted: number, found: { files: number; bytes: number }): AsyncGenerator<FileInfo[]> {
  for await (const batch of candidates) {
    const changed: FileInfo[] = [];
    for (const f of batch) {
      if (!(await differs(tree.get(f.path), f, parentStarted))) continue;
      found.files++;
      found.bytes += f.size;
      changed.push(f);
    }
    yield changed;
  }
  checkSpace(e.backupsDir, found.bytes);
}

/** Every file of the sources, in batches as the walk finds them; when it ends, the paths of `tree` it did not see. */
async function* walkedFiles(sources: readonly Source[], tree: Map<string, ManifestEntry>, signal: AbortSignal | undefined, report: WalkReport, onDeleted: (paths: string[]) => void): AsyncGenerator<FileInfo[]> {
  const present = new Set<string>();
  for await (const batch of walkSourcesBatches(sources, signal, report)) {
    for (const f of batch) present.add(f.path);
    yield batch;
  }
  report.dirs.sort(byPath);
  onDeleted([...tree.keys()].filter((p) => !present.has(p)));
}

async function recordFailure(e: Engine, f: { id: string; type: BackupType; now: number; parentId?: string; error: string; started: number }): Promise<void> {
  e.catalog.backups.push({
    id: f.id,
    type: f.type,
    ...(f.parentId && f.type === 'INCREMENTAL' ? { parentId: f.parentId } : {}),
    createdAt: f.now,
    status: 'failed',
    archive: '',
    sizeBytes: 0,
    fileCount: 0,
    treeFileCount: 0,
    sha256: '',
    encrypted: e.settings().encrypt,
    durationMs: Math.round(performance.now() - f.started),
    error: f.error,
  });
  await e.catalog.save().catch(() => undefined);
}

function checkSpace(dir: string, needed: number): void {
  let free: number;
  try {
    const s = fs.statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return;
  }
  // Compressed archives are smaller than this; without knowing by how much, ask for the whole.
  if (free < needed + 1024 * 1024) {
    throw new BackupError(`Not enough free space in ${dir}: ${Math.round(free / 1048576)} MB free, up to ${Math.round(needed / 1048576)} MB needed. Nothing was written.`, 'NO_SPACE');
  }
}

export type { ArchiveManifest };
