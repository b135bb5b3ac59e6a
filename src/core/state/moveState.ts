import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FolderGuard } from '../backup/guard';
import { GardenerError } from '../errors';
import { fsyncDir, otherName, readJournal, writeJournal, type JournalItem, type MoveJournal, type MovePlan } from './moveJournal';

export interface MoveOptions {
  /** Copy, verify and delete even on one device: how a move to another disk goes (for tests). */
  copy?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface MoveResult {
  moved: number;
  /** Files listed in the plan that were gone before they could be moved. */
  missing: string[];
  /** Files put under another name because the destination held a different file. */
  renamed: { from: string; to: string }[];
}

/**
 * Moves every file of `plan` so that a crash at any moment loses nothing and leaves nothing in
 * two places once the move is resumed (`resumeMove`): the journal, written atomically before
 * the first file moves, lists each file's source and destination, and marks each one done.
 *
 * A file is moved by a hard link and an unlink on one device (a destination name is never
 * overwritten: link fails if it exists), or across devices (EXDEV) by a copy to a scratch
 * name, fsync, a check of its sha256 against the source, a link to its name and the deletes.
 * Whatever a crash leaves, the next run tells from the disk: a source with its destination
 * already holding the same bytes is deleted; a destination holding other bytes (a file of
 * someone else's) is kept, and ours goes to another name. Every delete of a source goes through
 * a FolderGuard of the source folder.
 */
export async function moveState(plan: MovePlan, journalFile: string, o: MoveOptions = {}): Promise<MoveResult> {
  if (fs.existsSync(journalFile)) throw new GardenerError(`A move is already under way (${journalFile}); it is finished first.`, 'INVALID');
  const journal = prepare(plan);
  await writeJournal(journalFile, journal, true);
  return run(journal, journalFile, o);
}

/**
 * Finishes the move the journal describes, if there is one; undefined when there is none. The
 * journal is read from disk, so it is acted on only when its source and targets are places the
 * caller expects (`allowed`): a forged one could otherwise move any folder's files anywhere.
 */
export async function resumeMove(journalFile: string, o: MoveOptions & { allowed?: (source: string, targets: readonly string[]) => boolean } = {}): Promise<MoveResult | undefined> {
  const journal = readJournal(journalFile);
  if (journal && o.allowed && !o.allowed(journal.source, journal.targets)) {
    throw new GardenerError(`${journalFile} names folders a move of ours never uses (${journal.source}); it was not acted on.`, 'UNSAFE_PATH', { file: journalFile });
  }
  return journal && run(journal, journalFile, o);
}

/** The plan as the journal records it: each file's size, and destinations already taken given other names. */
function prepare(plan: MovePlan): MoveJournal {
  const source = new FolderGuard(plan.source);
  const targets = plan.targets.map((t) => new FolderGuard(t));
  const taken = new Set<string>();
  const items: JournalItem[] = [];
  for (const item of plan.items) {
    const st = fs.lstatSync(source.resolve(item.from), { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    let to = item.to;
    for (let n = 1; taken.has(`${item.target}:${to}`) || targets[item.target].exists(to); n++) to = otherName(item.to, plan.conflictTag, n);
    taken.add(`${item.target}:${to}`);
    items.push({ ...item, to, size: st.size, state: 'todo' });
  }
  return { version: 1, source: path.resolve(plan.source), targets: plan.targets.map((t) => path.resolve(t)), items, folders: plan.folders, conflictTag: plan.conflictTag };
}

async function run(journal: MoveJournal, journalFile: string, o: MoveOptions): Promise<MoveResult> {
  const source = new FolderGuard(journal.source);
  const targets = journal.targets.map((t) => new FolderGuard(t));
  const result: MoveResult = { moved: 0, missing: [], renamed: [] };
  const total = journal.items.length;
  let done = journal.items.filter((i) => i.state !== 'todo').length;
  for (const item of journal.items) {
    if (item.state !== 'todo') continue;
    const planned = item.to;
    const ended = await moveOne(item, source, targets[item.target], journal.conflictTag, !!o.copy, () => writeJournal(journalFile, journal));
    if (item.to !== planned) result.renamed.push({ from: item.from, to: item.to });
    item.state = ended;
    if (ended === 'missing') result.missing.push(item.from);
    else result.moved++;
    await writeJournal(journalFile, journal);
    o.onProgress?.(++done, total);
  }
  for (const rel of journal.folders) {
    if (rel === '') removeRootIfEmpty(source);
    else source.removeIfEmpty(rel);
  }
  removeJournal(journalFile);
  return result;
}

/** The journal, and what a write of it killed midway left beside it (write-file-atomic's `<name>.<digits>`). */
function removeJournal(journalFile: string): void {
  const dir = new FolderGuard(path.dirname(journalFile));
  const base = path.basename(journalFile);
  dir.remove(base);
  for (const name of fs.readdirSync(dir.root)) if (name.startsWith(`${base}.`) && /^[0-9]+$/.test(name.slice(base.length + 1))) dir.remove(name);
}

/**
 * Moves one file; can be run again on whatever a crash left of an earlier run. `save` records
 * a new destination name before anything is put there, so a resumed run looks in the same place.
 */
async function moveOne(item: JournalItem, source: FolderGuard, target: FolderGuard, tag: string, copy: boolean, save: () => Promise<void>): Promise<'done' | 'missing'> {
  const original = item.to;
  const scratch = scratchName(item);
  for (let n = 1; ; ) {
    const from = source.resolve(item.from);
    const to = target.resolve(item.to);
    const src = fs.lstatSync(from, { throwIfNoEntry: false });
    const dst = fs.lstatSync(to, { throwIfNoEntry: false });
    if (!src?.isFile()) {
      target.remove(scratch);
      // Gone from the source: moved before a crash (it is at its destination), or never there.
      // Something else in its place (a link, a folder) is not ours to move or delete.
      return !src && dst ? 'done' : 'missing';
    }
    if (dst?.isFile() && (sameInode(src, dst) || sameBytes(from, to))) {
      source.remove(item.from);
      target.remove(scratch);
      return 'done';
    }
    if (!dst) {
      target.mkdirFor(item.to);
      if (placeAt(from, to, target, scratch, copy)) {
        fsyncDir(path.dirname(to));
        source.remove(item.from);
        target.remove(scratch);
        return 'done';
      }
      // Taken between the look and the link: look again.
      continue;
    }
    // The destination holds someone else's file: ours goes beside it, under another name.
    do item.to = otherName(original, tag, n++);
    while (target.exists(item.to));
    await save();
  }
}

/** Puts the source's bytes at `to`, never replacing a file there; false if `to` was taken meanwhile. */
function placeAt(from: string, to: string, target: FolderGuard, scratch: string, copy: boolean): boolean {
  if (!copy) {
    try {
      fs.linkSync(from, to);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // Another disk: copy. No hard links on this file system: rename (no clobber check, but atomic).
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
        if (fs.existsSync(to)) return false;
        fs.renameSync(from, to);
        return true;
      }
      if (code !== 'EXDEV') throw err;
    }
  }
  const tmp = target.resolve(scratch);
  target.remove(scratch);
  fs.copyFileSync(from, tmp, fs.constants.COPYFILE_EXCL);
  const fd = fs.openSync(tmp, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (hashOf(tmp) !== hashOf(from)) {
    target.remove(scratch);
    throw new GardenerError(`The copy of ${from} at ${tmp} does not match it; nothing was deleted.`, 'CORRUPT');
  }
  try {
    fs.linkSync(tmp, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  return true;
}

/**
 * The scratch name a copy is made under, beside its destination (whatever other name it gets,
 * it stays in that folder) and named after the source, so the next try finds a leftover.
 */
function scratchName(item: JournalItem): string {
  const dir = path.posix.dirname(item.to);
  const name = `.${createHash('sha256').update(item.from).digest('hex').slice(0, 16)}.moving`;
  return dir === '.' ? name : `${dir}/${name}`;
}

function sameInode(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function sameBytes(a: string, b: string): boolean {
  return fs.statSync(a).size === fs.statSync(b).size && hashOf(a) === hashOf(b);
}

function hashOf(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** rmdir of the source folder itself: only ever removes it empty, and never follows a link in its place. */
function removeRootIfEmpty(source: FolderGuard): void {
  try {
    fs.rmdirSync(source.root);
  } catch {
    // Not empty (the user's own files stay), or gone already.
  }
}
