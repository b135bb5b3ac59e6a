import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from './engine';
import { FolderGuard } from './guard';
import { completeSwap } from './restorer';
import { dropEmptyWork, dropHalfMade, dropRestore, isMarked, journalProblem, RESTORE_DIR, workAt, workDir, type Journal } from './swapJournal';
import { BackupError } from './types';

/**
 * After a crash: every restore whose journal is still there, into whatever folder, is finished
 * (it was swapping) or dropped with its target untouched (it was staging). A journal that is
 * unsound, or whose folders are not ones it made, is left alone and reported.
 */
export async function recoverRestores(e: Engine, problems: string[]): Promise<string[]> {
  const recovered: string[] = [];
  const legacy = legacyJournal(e.dataDir);
  for (const { id, journal, problem } of [...(await e.journals.all()), ...(legacy ? [legacy] : [])]) {
    if (!journal) {
      problems.push(`the restore journal ${id} was not acted on: ${problem}`);
      continue;
    }
    const work = workAt(e.settings().scratchDir, journal.target, journal.work);
    if (!work) {
      problems.push(`the restore journal ${id} names a work folder that is not one of ours; it was not acted on`);
      continue;
    }
    // A restore stopped while staging changed nothing live: what it made is removed (only
    // folders it marked), and its journal. One that was swapping is finished where it is ours.
    if (journal.state === 'swapping' && !isMarked(work, `snapshots/${journal.id}`, journal.nonce)) {
      problems.push(`the restore journal ${id} names ${journal.target}, where no restore of ours is under way; it was not acted on`);
      continue;
    }
    // One stopped before it made its folders (or a forged one) changed nothing: only its journal goes.
    if (journal.state === 'staging' && !isMarked(work, `staging-${journal.id}`, journal.nonce) && !isMarked(work, `snapshots/${journal.id}`, journal.nonce)) {
      // A kill between making a folder and writing its mark leaves it empty but for the mark's start.
      // A kill while making `.gardener-restore` itself leaves it empty: it goes too.
      dropHalfMade(work, journal.id, journal.nonce);
      dropEmptyWork(work, journal.target);
      e.journals.remove(journal.id);
      e.hooks.info?.(`Removed the journal of a restore into ${journal.target} that stopped before it made anything; nothing else was touched`);
      continue;
    }
    try {
      if (journal.state === 'staging') {
        dropRestore(work, journal.target, journal.id, journal.nonce);
        e.journals.remove(journal.id);
        e.hooks.info?.(`Dropped a restore into ${journal.target} that was interrupted while staging; that folder was not changed`);
      } else {
        await completeSwap(e, journal);
        e.hooks.info?.(`Finished a restore of ${journal.restoredBackupId} into ${journal.target} that was interrupted`);
      }
      if (id === 'legacy') legacyWork(e.dataDir).remove('journal.json');
      recovered.push(journal.id);
    } catch (err) {
      problems.push(`the interrupted restore ${id} could not be finished: ${(err as Error).message}`);
    }
  }
  return recovered;
}

/** A journal 0.1 left in the data directory, read into today's form if it is sound. */
function legacyJournal(dataDir: string): { id: string; journal?: Journal; problem?: string } | undefined {
  const file = path.join(workDir(dataDir), 'journal.json');
  let j: { state?: string; staging?: string; snapshotDir?: string; target?: string; snapshot?: { id?: string; createdAt?: number; restoredBackupId?: string; moved?: unknown; added?: unknown }; ops?: unknown };
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const id = j?.snapshot?.id ?? '';
  const target = dataDir;
  // 0.1 wrote its folders out in full: they must be exactly the ones it would have made.
  if (j?.target !== target || j.staging !== path.join(target, RESTORE_DIR, `staging-${id}`) || j.snapshotDir !== path.join(target, RESTORE_DIR, 'snapshots', id)) {
    return { id: 'legacy', problem: `${file} names folders other than its own` };
  }
  const nonce = '0'.repeat(32);
  const journal = { version: 2, state: j.state, id, nonce, target, restoredBackupId: j.snapshot?.restoredBackupId, createdAt: j.snapshot?.createdAt, ops: j.ops, dirs: [], moved: j.snapshot?.moved ?? [], added: j.snapshot?.added ?? [], encrypted: false };
  const problem = journalProblem(journal, id);
  if (problem) return { id: 'legacy', problem };
  // 0.1 made no mark; its snapshot folder, if any, is taken as marked by this journal. Its
  // folders are reached through real folders only: a link in place of one is refused.
  const work = legacyWork(target);
  const mark = `snapshots/${id}/.gardener/mark`;
  try {
    work.mkdirFor(mark);
    // Written new, never through whatever stands at its name.
    work.remove(mark);
    fs.writeFileSync(work.resolve(mark), nonce, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    return { id: 'legacy', problem: err.message };
  }
  return { id: 'legacy', journal: journal as unknown as Journal };
}

/** 0.1's work folder: always in the data directory. */
function legacyWork(dataDir: string): FolderGuard {
  return new FolderGuard(workDir(dataDir), dataDir);
}
