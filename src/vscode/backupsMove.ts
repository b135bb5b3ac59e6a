import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FolderGuard } from '../core/backup/guard';
import { writeFileAtomically } from '../core/atomicFile';
import { moveState, planBackupsMove, resumeMove } from '../core/state';
import { SECTION } from './config';
import type { Ctx } from './context';

/**
 * Moving a workspace's backups to the folder the user chose (Choose Backup Folder…). What to do
 * is written first (`intent`): the folders and the setting to make; then the files move through
 * the crash-safe `moveState` while the backups folder is locked; then the setting changes and
 * the intent goes. A start that finds an intent finishes whichever of those was left.
 */
interface Intent {
  from: string;
  to: string;
  /** The value of `backups.folder` (user settings) that makes `to` this workspace's backups folder. */
  folder: string;
}

const dir = (ctx: Ctx): string => path.join(ctx.places.globalStorage, 'moves');
const intentFile = (ctx: Ctx): string => path.join(dir(ctx), `${ctx.places.identity}-backups.json`);
const journalFile = (ctx: Ctx): string => path.join(dir(ctx), `${ctx.places.identity}-backups-journal.json`);

/** What the intent file says, if it is one we could have written for this workspace. */
function readIntent(ctx: Ctx): Intent | undefined {
  let v: Partial<Intent>;
  try {
    v = JSON.parse(fs.readFileSync(intentFile(ctx), 'utf8')) as Partial<Intent>;
  } catch {
    return undefined;
  }
  const abs = (p: unknown): p is string => typeof p === 'string' && path.isAbsolute(p) && path.resolve(p) === p;
  if (!abs(v.from) || !abs(v.to) || !abs(v.folder) || path.join(v.folder, ctx.places.identity) !== v.to || path.basename(v.from) !== ctx.places.identity) return undefined;
  return { from: v.from, to: v.to, folder: v.folder };
}

/** Moves this workspace's backups from `from` to `to`, then sets `backups.folder` to `folder`. */
export async function moveBackups(ctx: Ctx, from: string, to: string, folder: string): Promise<number> {
  const plan = planBackupsMove(from, to);
  fs.mkdirSync(dir(ctx), { recursive: true, mode: 0o700 });
  await writeFileAtomically(intentFile(ctx), JSON.stringify({ from: plan.source, to: plan.targets[0], folder } satisfies Intent));
  const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Codebase Gardener: moving the backups' }, (progress) =>
    ctx.backups.whileLocked(() => moveState(plan, journalFile(ctx), { onProgress: (n, total) => progress.report({ message: `${n} of ${total} files`, increment: 100 / Math.max(1, total) }) })),
  );
  ctx.logs.info('backup', `Moved the backups from ${from} to ${to}`, { moved: r.moved, missing: r.missing.length, renamed: r.renamed.length, skipped: plan.skipped });
  await finish(ctx, { from: plan.source, to: plan.targets[0], folder });
  return r.moved;
}

/** The setting, then the old folder's leftovers (its released lock), then the intent. */
async function finish(ctx: Ctx, i: Intent): Promise<void> {
  const c = vscode.workspace.getConfiguration(SECTION);
  if (c.inspect<string>('backups.folder')?.globalValue !== i.folder) await c.update('backups.folder', i.folder, vscode.ConfigurationTarget.Global);
  // The old folder goes if nothing but its released lock is left in it; anything else keeps it.
  const left = fs.existsSync(i.from) ? fs.readdirSync(i.from) : [];
  if (left.every((n) => n === '.lock' || n === '.lock-owner')) {
    const old = new FolderGuard(i.from);
    for (const n of left) old.remove(n, { recursive: true });
    new FolderGuard(path.dirname(i.from)).removeIfEmpty(path.basename(i.from));
  }
  fs.rmSync(intentFile(ctx), { force: true });
}

/** At start: a move of the backups that a crash or a closed window cut short is finished first. */
export async function resumeBackupsMove(ctx: Ctx): Promise<void> {
  const i = readIntent(ctx);
  if (!i) {
    fs.rmSync(intentFile(ctx), { force: true });
    return;
  }
  try {
    const allowed = (source: string, targets: readonly string[]): boolean => source === i.from && targets.length === 1 && targets[0] === i.to;
    const r = await resumeMove(journalFile(ctx), { allowed });
    if (r) ctx.logs.info('backup', `Finished moving the backups from ${i.from} to ${i.to}`, { moved: r.moved });
    await finish(ctx, i);
    await ctx.reopenBackups();
  } catch (err) {
    ctx.logs.error('backup', `Could not finish moving the backups to ${i.to}`, err instanceof Error ? err : { error: String(err) });
    void vscode.window.showErrorMessage(`Codebase Gardener could not finish moving the backups to ${i.to} (${err instanceof Error ? err.message : String(err)}). Nothing was deleted that was not moved; it will be tried again at the next start.`);
  }
}
