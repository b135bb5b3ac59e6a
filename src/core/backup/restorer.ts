import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { throwIfAborted } from '../cancel';
import { verifyArchive } from './checker';
import type { Engine, RunOptions } from './engine';
import { FolderGuard, isInside, pathInside, safeEntryPath } from './guard';
import { StagingWriter } from './stagingWriter';
import { dropRestore, finishSwap, makeMarked, workAt, workFor, workGuard, type Journal } from './swapJournal';
import { BackupError, type BackupRecord, type Source, type SourcedType } from './types';
import { keptWhole, rootId, sameRoot, scopeOf } from './sources';
import { walk, type Selection } from './walk';

export interface RestorePlan {
  added: string[];
  overwritten: string[];
  deleted: string[];
}

export interface RestoreResult extends RestorePlan {
  /** The pre-restore snapshot of the first root; `snapshotIds` has one per root the restore wrote. */
  snapshotId: string;
  snapshotIds: string[];
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

/**
 * One folder a restore writes: the files the backup holds under `name/` (all of them for a
 * backup of one unnamed source, as 0.1 made), put back under `target`.
 */
interface Part {
  name: string;
  target: string;
  scope: Selection;
  /** The path to restore inside this part, if only one. */
  sub?: string;
  /** The top-level folder of the target that holds the backups folder (the User folder's globalStorage), which no entry may lie in. */
  reserved?: string;
  /** Live files the backup could not have held (over the size limit, left out as it was made): never moved aside. */
  leftOut: (rel: string, size: number) => boolean;
}

const prefixed = (name: string, p: string): string => (name ? `${name}/${p}` : p);

/** A path as the archive writes it: no `./`, no doubled or trailing slashes. */
const normalised = (p: string | undefined): string | undefined => (p === undefined ? undefined : p.split('/').filter((x) => x && x !== '.').join('/'));

/**
 * The folders a restore of `b` writes: each source the backup names, back where that source is
 * now (or under `target/<name>` for Restore To…), or the one folder of an unnamed backup.
 */
async function partsOf(e: Engine, b: BackupRecord, opts: RestoreOptions): Promise<Part[]> {
  const chain = e.catalog.chain(b.id);
  const type = chain[0].type === 'INCREMENTAL' ? 'FULL' : (chain[0].type as SourcedType);
  const newest = await e.catalog.manifest(b.id);
  const record = newest.record;
  const names = record?.sources;
  const skipped = new Set(newest.skipped.map((x) => x.path));
  if (!names) return [{ name: '', ...targetOf(e, opts.target ?? e.dataDir), scope: e.selection(type), sub: opts.path, leftOut: (rel) => skipped.has(rel) }];
  const sources = e.sourcesOf(type);
  const parts: Part[] = [];
  for (const [i, name] of names.entries()) {
    if (opts.path !== undefined && !under(opts.path, name)) continue;
    const source = sources.find((s) => s.name === name) ?? renamed(sources, names, record?.roots?.[i]);
    const root = opts.target !== undefined ? path.join(opts.target, name) : source?.root;
    if (!root) throw new BackupError(`The folder "${name}" this backup came from is not part of this workspace now; use Restore To… to put it elsewhere. Nothing was changed.`, 'NOT_FOUND');
    const sub = opts.path === undefined || opts.path.replace(/\/+$/, '') === name ? undefined : opts.path.slice(name.length + 1);
    const scope = scopeOf(source);
    const max = source?.maxFileBytes;
    const leftOut = (rel: string, size: number): boolean => skipped.has(`${name}/${rel}`) || (max !== undefined && size > max && !keptWhole(source!, rel));
    parts.push({ name, ...targetOf(e, root, opts.target === undefined ? scope : undefined), scope, sub, leftOut });
  }
  if (!parts.length) throw new BackupError(`"${opts.path}" is not a path inside the backup.`, 'NOT_FOUND');
  return parts;
}

/**
 * The source whose folder is the one a backup's source was made from, under another name now
 * (the folder was renamed or moved on the same disk): the same device and inode. Never a source
 * the backup names itself, and only when exactly one matches.
 */
function renamed(sources: readonly Source[], names: readonly string[], id: string | undefined): Source | undefined {
  if (!id) return undefined;
  const found = sources.filter((s) => !names.includes(s.name) && sameRoot(id, rootId(s.root) ?? ''));
  return found.length === 1 ? found[0] : undefined;
}

/** The live files a restore of one part would replace or remove: the source's scope in the target. */
async function liveFiles(part: Part): Promise<string[]> {
  return (await walk(part.target, part.scope)).filter((f) => under(f.path, part.sub) && !part.leftOut(f.path, f.size)).map((f) => f.path);
}

/**
 * Where a part goes, refused when it would touch the backups folder: the target may neither lie
 * in it nor hold it, except (for a source's own root, whose `scope` is given) in a top-level
 * folder the source never takes, as the default backups folder lies in the User folder's
 * globalStorage. That folder is then reserved: the restore refuses any entry in it.
 */
function targetOf(e: Engine, where: string, scope?: Selection): { target: string; reserved?: string } {
  const target = path.resolve(where);
  const rel = pathInside(e.backupsDir, target);
  const top = rel ? rel.split('/')[0] : undefined;
  if ((rel !== undefined && !(top && scope?.prunes(top))) || isInside(target, e.backupsDir)) {
    throw new BackupError(`Restoring into ${target} would touch the backups folder ${e.backupsDir}; choose a folder apart from it. Nothing was changed.`, 'INVALID');
  }
  return { target, ...(top ? { reserved: top } : {}) };
}

/** What a restore would do, without doing it: for the confirmation. Paths are the backup's. */
export async function planRestore(e: Engine, id: string, opts: RestoreOptions = {}): Promise<RestorePlan> {
  const b = mustGet(e, id);
  opts = { ...opts, path: normalised(opts.path) };
  const tree = [...(await e.treeOf(id)).files.keys()];
  const plan: RestorePlan = { added: [], overwritten: [], deleted: [] };
  for (const part of await partsOf(e, b, opts)) {
    const mine = tree.filter((p) => !part.name || p.startsWith(`${part.name}/`)).map((p) => (part.name ? p.slice(part.name.length + 1) : p)).filter((p) => under(p, part.sub));
    const live = await liveFiles(part);
    const liveSet = new Set(live);
    const mineSet = new Set(mine);
    plan.added.push(...mine.filter((p) => !liveSet.has(p)).map((p) => prefixed(part.name, p)));
    plan.overwritten.push(...mine.filter((p) => liveSet.has(p)).map((p) => prefixed(part.name, p)));
    plan.deleted.push(...live.filter((p) => !mineSet.has(p)).map((p) => prefixed(part.name, p)));
  }
  return plan;
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
  opts = { ...opts, path: normalised(opts.path) };
  const parts = await partsOf(e, b, opts);
  const out: RestoreResult = { snapshotId: '', snapshotIds: [], target: opts.target ?? parts[0].target, added: [], overwritten: [], deleted: [] };
  if (opts.path !== undefined && ![...(await e.treeOf(id)).files.keys()].some((p) => under(p, opts.path))) {
    throw new BackupError(`"${opts.path}" is not a path inside the backup. Nothing was changed.`, 'NOT_FOUND');
  }
  // One root after another, each wholly: a crash between two leaves each wholly old or new.
  for (const part of parts) {
    let r: Omit<RestoreResult, 'snapshotIds'>;
    try {
      r = await restorePart(e, id, part, opts, out.snapshotIds[0]);
    } catch (err) {
      // Roots already restored stay restored (and can be undone): say so, not "nothing was changed".
      if (!out.snapshotIds.length || !(err instanceof BackupError)) throw err;
      const done = parts.slice(0, out.snapshotIds.length).map((p) => p.name).join(', ');
      throw new BackupError(`${done} ${out.snapshotIds.length > 1 ? 'were' : 'was'} restored; then ${part.name} was not, and its folder was not changed: ${err.message} Undo Restore puts back what was restored.`, err.code);
    }
    out.snapshotIds.push(r.snapshotId);
    out.added.push(...r.added.map((p) => prefixed(part.name, p)));
    out.overwritten.push(...r.overwritten.map((p) => prefixed(part.name, p)));
    out.deleted.push(...r.deleted.map((p) => prefixed(part.name, p)));
  }
  out.snapshotId = out.snapshotIds[0];
  return out;
}

/** Restores one part: its files of every archive of the chain staged, verified, then swapped in. */
async function restorePart(e: Engine, id: string, part: Part, opts: RestoreOptions, group: string | undefined): Promise<Omit<RestoreResult, 'snapshotIds'>> {
  const { target, name } = part;
  const chain = e.catalog.chain(id);
  /** This part's path for an archive path, or undefined for another part's. */
  const local = (p: string): string | undefined => (!name ? p : p.startsWith(`${name}/`) ? p.slice(name.length + 1) : undefined);
  const wanted = (p: string): string | undefined => {
    const l = local(p);
    return l !== undefined && under(l, part.sub) ? l : undefined;
  };
  // Our own folders must be real ones: a link there would carry staged and moved-aside files
  // out of them. Checked before mkdir, which would follow it.
  const work = workFor(e.settings().scratchDir, target);
  workGuard(work).resolve('snapshots/check');
  const now = e.clock.now();
  const snapshotId = `snapshot-${stamp(now)}-${randomBytes(3).toString('hex')}`;
  const staging = path.join(work.dir, `staging-${snapshotId}`);
  const journal: Journal = {
    version: 2,
    state: 'staging',
    id: snapshotId,
    nonce: randomBytes(16).toString('hex'),
    target,
    restoredBackupId: id,
    createdAt: now,
    ...(group ? { group } : {}),
    ops: [],
    dirs: [],
    moved: [],
    added: [],
    encrypted: chain.some((c) => c.encrypted),
    ...(work.base !== target ? { work: work.dir } : {}),
  };
  const journalKey = journal.encrypted ? await e.keyFor(chain[chain.length - 1]) : undefined;
  // The staging worker starts (it touches nothing yet) and the manifests are read while the
  // journal goes to disk: each of the three takes tens of milliseconds.
  const writer = new StagingWriter();
  const reading = Promise.all(chain.map((c) => e.catalog.manifest(c.id)));
  reading.catch(() => undefined);
  try {
    // The journal before anything in the target: a start finds whatever a kill leaves from here on.
    await e.journals.write(journal, journalKey);
  } catch (err) {
    await writer.stop();
    throw err;
  }
  try {
    // Through real folders only: a link in place of `.gardener-restore` is refused here.
    makeMarked(work, `staging-${snapshotId}`, journal.nonce);
    makeMarked(work, `snapshots/${snapshotId}`, journal.nonce);
    const files = writer;
    const staged = new Set<string>();
    /** The first file the worker hashed that does not match: refused once it has finished, still before anything live is touched. */
    let unmatched: { path: string; backup: string } | undefined;
    const manifests = await reading;
    let done = 0;
    let bytes = 0;
    const ofPart = manifests.map((m) => m.files.filter((f) => local(f.path) !== undefined));
    const totalFiles = ofPart.reduce((t, m) => t + m.length, 0);
    const totalBytes = ofPart.reduce((t, m) => m.reduce((u, f) => u + f.size, t), 0);
    /** Folders staged by an earlier backup of the chain that a later one emptied: a file may take their place. */
    const emptied = new Set<string>();
    for (const [i, c] of chain.entries()) {
      const key = await e.keyFor(c);
      // An incremental's deletions first: a path it deleted may come back as a folder (or a
      // folder as a file) in its own archive. They come from its manifest, which must equal the
      // one inside the archive (checked as it is read): nothing unverified is kept.
      for (const d of manifests[i].deleted) {
        const rel = local(d);
        if (rel === undefined || !staged.delete(rel)) continue;
        files.remove(path.join(staging, ...rel.split('/')));
        for (let at = rel.lastIndexOf('/'); at > 0; at = rel.lastIndexOf('/', at - 1)) emptied.add(rel.slice(0, at));
      }
      const inner = await verifyArchive(path.join(e.backupsDir, c.archive), c, key, manifests[i], {
        signal: opts.signal,
        ...(part.reserved ? { reserved: [prefixed(name, part.reserved)] } : {}),
        ring: files.ring,
        sink: (entry, m) => {
          const rel = wanted(entry.path);
          if (rel === undefined) return undefined;
          // Hashed by the worker as it writes while it keeps up, else by the checker as parsed.
          const onWorker = !files.behind();
          const hashed = onWorker ? (sha256: string) => void (sha256 !== m.sha256 && (unmatched ??= { path: entry.path, backup: c.id })) : undefined;
          const file = files.open(path.join(staging, ...rel.split('/')), staged.has(rel) || emptied.has(rel), m.mode, hashed);
          return {
            hashes: onWorker,
            data: (buf, pos) => files.write(file, pos, buf.length),
            end: () => files.close(file, m.mtimeMs),
          };
        },
        onEntry: (entry) => {
          if (local(entry.path) === undefined) return;
          bytes += entry.size;
          opts.onProgress?.({ phase: 'staging', files: ++done, totalFiles, bytes, totalBytes });
        },
      }).catch((err: unknown) => {
        throw nothingChanged(err);
      });
      for (const m of inner.files) {
        const rel = wanted(m.path);
        if (rel !== undefined) staged.add(rel);
      }
      journal.dirs = inner.dirs.flatMap((d) => {
        const rel = wanted(d.path);
        if (rel !== undefined && part.reserved && under(rel, part.reserved)) {
          throw new BackupError(`Backup ${c.id} holds the folder ${d.path}, where the backups folder is. Nothing was changed.`, 'UNSAFE_ENTRY');
        }
        return rel === undefined ? [] : [{ path: rel, mode: d.mode }];
      });
    }
    await files.finish().catch((err: unknown) => {
      throw nothingChanged(err);
    });
    throwIfAborted(opts.signal);
    if (unmatched) throw new BackupError(`${unmatched.path} in backup ${unmatched.backup} does not match its sha256. Nothing was changed.`, 'CORRUPT');

    // Plan the swap: staged files in, live files in scope that the backup lacks out.
    const live = await liveFiles(part);
    const liveSet = new Set(live);
    // A live file where the backup has a folder is moved aside first, so the folder can come in.
    const stagedFolders = new Set<string>();
    for (const p of staged) for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) stagedFolders.add(p.slice(0, i));
    const liveOnly = live.filter((p) => !staged.has(p));
    const blocking = liveOnly.filter((p) => stagedFolders.has(p));
    const blocked = new Set(blocking);
    journal.ops = [
      ...blocking.map((p) => ({ path: p, fromStaging: false })),
      ...[...staged].map((p) => ({ path: p, fromStaging: true })),
      ...liveOnly.filter((p) => !blocked.has(p)).map((p) => ({ path: p, fromStaging: false })),
    ];
    // A link where the swap would go through a folder: refused now, while nothing has moved.
    // Each folder once: thousands of files share a few hundred. Under a file moved aside first, the file's own folder is what counts.
    const guard = new FolderGuard(target);
    const folders = new Set<string>();
    const folderOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
    for (const p of [...journal.ops.map((o) => o.path), ...journal.dirs.map((d) => d.path)]) {
      let f = folderOf(p);
      for (let up = f; up; up = folderOf(up)) if (blocked.has(up)) f = folderOf(up);
      folders.add(f);
    }
    for (const f of folders) guard.resolve(f ? `${f}/x` : 'x');
    journal.moved = live;
    journal.added = [...staged].filter((p) => !liveSet.has(p));
    journal.state = 'swapping';
    await e.journals.write(journal, journalKey);
  } catch (err) {
    // Nothing may still be writing into staging while it is removed.
    await writer.stop();
    dropRestore(work, target, snapshotId, journal.nonce);
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
  const work = workAt(e.settings().scratchDir, j.target, j.work);
  if (!work) throw new BackupError(`The restore journal ${j.id} names a work folder that is not one of ours (${j.work}).`, 'UNSAFE_PATH');
  await finishSwap(j, work, async (record) => {
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
