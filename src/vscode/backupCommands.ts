import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { BACKUP_TYPES, unwrapKey, wrapKey, type BackupRecord, type BackupType, type Progress } from '../core/backup';
import { isGardenerError } from '../core/errors';
import { dismissed, failed, isNotDone, notDone, type NotDone } from '../core/logs';
import { progressGate } from '../core/progressGate';
import type { BackupNode } from './backupsTree';
import { formatBytes } from './backupsTree';
import type { Cmd } from './commands';
import type { Ctx } from './context';
import { withCancellableProgress } from './progress';
import { userDataNotChosen } from './userDataFolders';
import { afterConfigurationRestore, configurationConfirmation } from './configurationRestore';
import { prepareConfigurationBackup } from './configurationSources';
import { sameDiskTitle, sameDiskWarning } from '../core/placement';
import { CHOOSE_BACKUP_FOLDER } from './backupFolder';

const TYPE_PICKS: { label: string; type: BackupType; detail: string }[] = [
  { label: '$(archive) Full', type: 'FULL', detail: 'The workspace folders with their .git — not node_modules, build output or what .gitignore ignores.' },
  { label: '$(diff-added) Incremental', type: 'INCREMENTAL', detail: 'Only what changed since the latest full or incremental backup.' },
  { label: '$(settings-gear) Configuration', type: 'CONFIGURATION', detail: 'VS Code’s settings, keybindings, tasks, snippets and profiles, each folder’s .vscode, the workspace file and the list of extensions.' },
  { label: '$(folder) User data', type: 'USER_DATA', detail: 'Folders you name: a local tool’s data, notes, database dumps.' },
];

function idOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const n = arg as BackupNode | undefined;
  if (n?.kind === 'backup') return n.backup.id;
  if (n?.kind === 'snapshot') return n.snapshot.id;
  return undefined;
}

function describeProgress(p: Progress, started: number): string {
  if (p.phase === 'scanning') return 'looking for files…';
  if (p.phase === 'swapping') return 'putting the restored files in place…';
  const elapsed = (Date.now() - started) / 1000;
  const rate = elapsed > 0 ? p.bytes / elapsed : 0;
  const eta = rate > 0 ? Math.max(0, Math.round((p.totalBytes - p.bytes) / rate)) : undefined;
  return `${p.phase === 'staging' ? 'checked ' : ''}${p.files} of ${p.totalFiles} files, ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}${eta !== undefined ? `, about ${eta} s left` : ''}`;
}

/** A long backup operation with a cancellable notification showing files, bytes and ETA. */
function run<T>(title: string, work: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<T>): Thenable<T> {
  return withCancellableProgress(title, (signal, progress) => {
    const started = Date.now();
    let last = 0;
    const due = progressGate(100, Date.now);
    return work(signal, (p) => {
      if (!due(p.phase)) return;
      const pct = p.totalFiles ? (p.files / p.totalFiles) * 100 : 0;
      progress.report({ message: describeProgress(p, started), increment: pct - last });
      last = pct;
    });
  });
}

/**
 * Tells the user how an operation ended that threw, and returns that as the command's answer.
 * The message is not awaited: the command (and its audit entry) ends now, not when the user
 * closes the notification.
 */
function explain(ctx: Ctx, what: string, err: unknown): NotDone {
  const r = notDone(err);
  if (r.reason === 'cancelled') {
    vscode.window.setStatusBarMessage(`$(circle-slash) ${r.message}`, 5000);
    return r;
  }
  ctx.logs.error('backup', `${what} failed`, err instanceof Error ? err : { error: r.message });
  void vscode.window.showErrorMessage(`Codebase Gardener: ${what} failed. ${r.message}`, 'Show Logs').then((choice) => choice && ctx.output.show());
  return r;
}

async function pickBackup(ctx: Ctx, placeHolder: string): Promise<BackupRecord | NotDone> {
  const done = [...ctx.backups.catalog.backups].filter((b) => b.status === 'completed').reverse();
  if (!done.length) {
    void vscode.window.showInformationMessage('Codebase Gardener: there are no backups yet.', 'Create Backup…').then((c) => c && vscode.commands.executeCommand('codebaseGardener.createBackup'));
    return failed('There are no backups yet.', 'NOT_FOUND');
  }
  const pick = await vscode.window.showQuickPick(
    done.map((b) => ({
      label: `${b.type === 'INCREMENTAL' ? '$(diff-added)' : '$(archive)'} ${new Date(b.createdAt).toLocaleString()}`,
      description: `${b.type.toLowerCase().replace('_', ' ')} · ${formatBytes(b.sizeBytes)} · ${b.treeFileCount} files${b.encrypted ? ' · encrypted' : ''}`,
      b,
    })),
    { placeHolder },
  );
  return pick?.b ?? dismissed('No backup was chosen.');
}

export function createBackup(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    // A type, or an item of the Backups view's empty state (Back Up Now).
    const named = typeof arg === 'string' ? arg : (arg as BackupNode | undefined)?.kind === 'estimate' ? (arg as { type: string }).type : undefined;
    let type = named && (BACKUP_TYPES as readonly string[]).includes(named.toUpperCase()) ? (named.toUpperCase() as BackupType) : undefined;
    if (!type) type = (await vscode.window.showQuickPick(TYPE_PICKS, { placeHolder: 'What to back up?' }))?.type;
    if (!type) return dismissed('No backup type was chosen.');
    const t = type;
    try {
      const nothing = t === 'CONFIGURATION' ? await prepareConfigurationBackup(ctx) : t === 'USER_DATA' ? userDataNotChosen(ctx) : undefined;
      if (nothing) return nothing;
      const r = await run(`Codebase Gardener: ${t.toLowerCase().replace('_', ' ')} backup`, (signal, onProgress) => ctx.backups.createBackup(t, { signal, onProgress }));
      ctx.afterBackupChange();
      await ctx.rules.backupSucceeded(t, { id: r.id });
      vscode.window.setStatusBarMessage(`$(check) Backup done: ${r.fileCount} files, ${formatBytes(r.sizeBytes)}${r.note ? ` (${r.note})` : ''}`, 6000);
      return r;
    } catch (err) {
      ctx.afterBackupChange();
      if (!isGardenerError(err, 'CANCELLED')) {
        await ctx.rules.backupFailed(t, err);
      }
      return explain(ctx, 'The backup', err);
    }
  };
}

/** A file or folder of backup `id`'s tree, picked by the user. */
async function pickPath(ctx: Ctx, id: string): Promise<string | NotDone> {
  const tree = [...(await ctx.backups.treeOf(id)).files.keys()];
  const folders = new Set<string>();
  for (const p of tree) {
    // Slices at each '/', rather than re-joining an array of parts per level, so a deep path costs its length, not its depth squared.
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) folders.add(p.slice(0, i));
  }
  const pick = await vscode.window.showQuickPick(
    [...[...folders].sort().map((f) => ({ label: `$(folder) ${f}`, value: f })), ...tree.map((p) => ({ label: `$(file) ${p}`, value: p }))],
    { placeHolder: 'Restore which file or folder?', matchOnDescription: true },
  );
  return pick?.value ?? dismissed('No file or folder was chosen.');
}

export function restoreBackup(ctx: Ctx, mode: 'whole' | 'to' | 'path' = 'whole'): Cmd {
  return async (arg?: unknown, opts?: unknown) => {
    const o = (opts ?? {}) as { confirmed?: boolean; path?: string; target?: string };
    const picked = idOf(arg) ?? (await pickBackup(ctx, 'Restore which backup?'));
    if (isNotDone(picked)) return picked;
    const id = typeof picked === 'string' ? picked : picked.id;
    let target = o.target;
    let subPath = o.path;
    if (mode === 'to' && !target) {
      const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Restore Here', title: 'Restore the backup into which folder?' });
      if (!folder?.[0]) return dismissed('No folder was chosen.');
      target = folder[0].fsPath;
    }
    try {
      if (mode === 'path' && !subPath) {
        const p = await pickPath(ctx, id);
        if (isNotDone(p)) return p;
        subPath = p;
      }
      const plan = await ctx.backups.planRestore(id, { path: subPath, target });
      if (!o.confirmed) {
        const conf = configurationConfirmation(ctx, id, plan, target);
        const where = target ?? conf?.where ?? ctx.backups.dataDir;
        const ok = await vscode.window.showWarningMessage(
          `Restore ${subPath ? `"${subPath}" from ` : ''}this backup into ${where}?`,
          {
            modal: true,
            detail: `${conf?.detail ?? ''}${plan.added.length} files will be added, ${plan.overwritten.length} overwritten and ${plan.deleted.length} deleted. The files replaced or deleted are kept in a pre-restore snapshot, so Undo Restore can bring them back.`,
          },
          'Restore',
        );
        if (ok !== 'Restore') return dismissed('The restore was not confirmed.');
      }
      const r = await run('Codebase Gardener: restoring', (signal, onProgress) => ctx.backups.restore(id, { path: subPath, target, signal, onProgress }));
      ctx.afterBackupChange();
      if (!o.confirmed) {
        void afterConfigurationRestore(ctx, id, r, target);
        void vscode.window
          .showInformationMessage(`Restored: ${r.added.length} added, ${r.overwritten.length} overwritten, ${r.deleted.length} deleted.`, 'Undo Restore')
          .then((c) => c && vscode.commands.executeCommand('codebaseGardener.undoRestore', r.snapshotId));
      }
      return r;
    } catch (err) {
      ctx.afterBackupChange();
      if (!isGardenerError(err, 'CANCELLED')) {
        await ctx.rules.restoreFailed(err);
      }
      return explain(ctx, 'The restore', err);
    }
  };
}

export function undoRestore(ctx: Ctx): Cmd {
  return async (arg?: unknown, opts?: unknown) => {
    const id = idOf(arg) ?? [...ctx.backups.catalog.snapshots].pop()?.id;
    if (!id) {
      void vscode.window.showInformationMessage('Codebase Gardener: there is no restore to undo.');
      return failed('There is no restore to undo.', 'NOT_FOUND');
    }
    if (!(opts as { confirmed?: boolean } | undefined)?.confirmed) {
      const ok = await vscode.window.showWarningMessage('Undo the restore?', { modal: true, detail: 'The files the restore replaced or deleted are put back, and the files it added are removed.' }, 'Undo Restore');
      if (ok !== 'Undo Restore') return dismissed('Undo Restore was not confirmed.');
    }
    try {
      try {
        await ctx.backups.undoRestore(id, { replaceChanged: (opts as { replaceChanged?: boolean } | undefined)?.replaceChanged });
      } catch (err) {
        // Files edited since the restore would be lost: the user decides, knowing which.
        if (!isGardenerError(err, 'CHANGED_SINCE') || (opts as { confirmed?: boolean } | undefined)?.confirmed) throw err;
        const go = await vscode.window.showWarningMessage('Some files changed since the restore.', { modal: true, detail: err.message.replace(/ Nothing was changed\.$/, '') }, 'Undo Anyway');
        if (go !== 'Undo Anyway') return dismissed('Undo Restore was not confirmed for files changed since the restore.');
        await ctx.backups.undoRestore(id, { replaceChanged: true });
      }
      ctx.afterBackupChange();
      return true;
    } catch (err) {
      return explain(ctx, 'Undo Restore', err);
    }
  };
}

export function validateBackup(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const picked = idOf(arg) ?? (await pickBackup(ctx, 'Validate which backup?'));
    if (isNotDone(picked)) return picked;
    const id = typeof picked === 'string' ? picked : picked.id;
    try {
      const r = await run('Codebase Gardener: validating the backup', (signal) => ctx.backups.validate(id, { signal }));
      if (r.valid) vscode.window.setStatusBarMessage('$(verified) The backup is valid: every chunk and file checks out.', 6000);
      else {
        await ctx.rules.validationFailed(`Backup ${id} is not valid: ${r.firstProblem}`);
        void vscode.window.showWarningMessage(`Codebase Gardener: the backup is NOT valid — ${r.firstProblem}`);
      }
      return r;
    } catch (err) {
      return explain(ctx, 'Validation', err);
    }
  };
}

export function validateAll(ctx: Ctx): Cmd {
  return async () => {
    try {
      const all = await run('Codebase Gardener: validating every backup', (signal) => ctx.backups.validateAll({ signal }));
      const bad = all.filter((r) => !r.valid);
      if (bad.length) {
        await ctx.rules.validationFailed(`${bad.length} of ${all.length} backups are not valid; first: ${bad[0].firstProblem}`);
        void vscode.window.showWarningMessage(`Codebase Gardener: ${bad.length} of ${all.length} backups are not valid.`);
      } else {
        await ctx.rules.validationSucceeded();
        vscode.window.setStatusBarMessage(`$(verified) All ${all.length} backups are valid.`, 6000);
      }
      return all;
    } catch (err) {
      return explain(ctx, 'Validation', err);
    }
  };
}

export function showBackupStatus(ctx: Ctx): Cmd {
  return async () => {
    const s = ctx.backups.status();
    const rows = Object.entries(s.types).map(([t, v]) => `| ${t} | ${v.total} | ${v.completed} | ${v.failed} | ${v.lastSuccessful ?? '—'} | ${v.retention} |`);
    const recent = s.recent.map((b) => `| ${b.id} | ${b.type} | ${b.status} | ${formatBytes(b.sizeBytes)} | ${b.fileCount} | ${b.encrypted ? 'yes' : 'no'} | ${(b.durationMs / 1000).toFixed(1)} s |`);
    const p = ctx.backupsTree.placementWarning();
    // Turned off, the fact is still said, once, plainly.
    const kept = p ? undefined : ctx.backupsTree.placement();
    const md = [
      '# Backup status',
      '',
      ...(p
        ? [
            `> **${sameDiskWarning(p)}**  `,
            `> On the same disk as the backups folder: ${p.shared.map((r) => r.path).join(', ')}.  `,
            '> Run **Choose Backup Folder…** (Command Palette, or the first item of the Backups view) to keep them on another disk.',
            '',
          ]
        : []),
      ...(kept ? [`${sameDiskTitle(kept)} (kept there on purpose: \`codebaseGardener.backups.warnSameDisk\` is off).`, ''] : []),
      `Data directory: ${ctx.backups.dataDir}  `,
      `Backups folder: ${ctx.backups.backupsDir} (${formatBytes(s.backupsFolderBytes)})`,
      s.hoursSinceLastSuccess !== undefined ? `\nLast successful backup ${s.hoursSinceLastSuccess} h ago.` : '\nNo successful backup yet.',
      '',
      '| Type | Total | Completed | Failed | Last successful | Kept |',
      '|---|---:|---:|---:|---|---:|',
      ...rows,
      '',
      '## Recent backups',
      '',
      '| ID | Type | Status | Size | Files | Encrypted | Took |',
      '|---|---|---|---:|---:|---|---:|',
      ...recent,
      '',
    ].join('\n');
    await ctx.reports.showMarkdown('Codebase Gardener Backup Status', md);
    // The document cannot hold a button (Markdown previews run no commands), and the Backups
    // view's warning item has one: a notification only when that view is not in sight.
    if (p && !ctx.backupsTree.view.visible) {
      void vscode.window.showWarningMessage(sameDiskWarning(p), CHOOSE_BACKUP_FOLDER).then((c) => c && vscode.commands.executeCommand('codebaseGardener.chooseBackupFolder'));
    }
    return { ...s, sameDisk: p ? sameDiskWarning(p) : undefined };
  };
}

export function deleteBackup(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const id = idOf(arg);
    if (!id) return failed('Delete Backup needs a backup (an ID or a node of the Backups view).', 'INVALID');
    const ok = await vscode.window.showWarningMessage(`Delete backup ${id}?`, { modal: true, detail: 'Its archive is deleted from the backups folder.' }, 'Delete');
    if (ok !== 'Delete') return dismissed('Deleting the backup was not confirmed.');
    try {
      await ctx.backups.delete(id);
      ctx.afterBackupChange();
      return true;
    } catch (err) {
      return explain(ctx, 'Deleting the backup', err);
    }
  };
}

export function revealBackup(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const id = idOf(arg);
    const b = ctx.backups.catalog.get(id ?? '');
    if (!b) return failed(id ? `No backup has the ID ${id}.` : 'Reveal needs a backup (an ID or a node of the Backups view).', id ? 'NOT_FOUND' : 'INVALID');
    // A failed backup left no archive to show.
    if (!b.archive) return failed(`Backup ${b.id} failed and has no archive.`, 'NOT_FOUND');
    await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(`${ctx.backups.backupsDir}/${b.archive}`));
  };
}

export function copyBackupId(): Cmd {
  return async (arg?: unknown) => {
    const id = idOf(arg);
    if (!id) return failed('Copy Backup ID needs a backup (an ID or a node of the Backups view).', 'INVALID');
    await vscode.env.clipboard.writeText(id);
    return id;
  };
}

async function askPassphrase(confirm: boolean): Promise<string | NotDone> {
  const p = await vscode.window.showInputBox({ password: true, prompt: 'Passphrase for the recovery key (at least 8 characters)', validateInput: (v) => (v.length >= 8 ? undefined : 'At least 8 characters') });
  if (!p) return dismissed('No passphrase was given.');
  if (!confirm) return p;
  const again = await vscode.window.showInputBox({ password: true, prompt: 'The same passphrase again' });
  if (again === undefined) return dismissed('The passphrase was not confirmed.');
  if (again !== p) {
    void vscode.window.showWarningMessage('Codebase Gardener: the passphrases differ; nothing was exported.');
    return failed('The passphrases differ; nothing was exported.', 'INVALID');
  }
  return p;
}

export function exportRecoveryKey(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const o = (arg ?? {}) as { passphrase?: string; destination?: string };
    const key = await ctx.backupKeys.getKey(true);
    if (!key) return failed('There is no backup key to export.', 'NO_KEY');
    const passphrase = o.passphrase ?? (await askPassphrase(true));
    if (isNotDone(passphrase)) return passphrase;
    const dest = o.destination ?? (await vscode.window.showSaveDialog({ title: 'Export Recovery Key', filters: { 'Recovery key': ['gardenerkey'] } }))?.fsPath;
    if (!dest) return dismissed('No file was chosen to save the recovery key in.');
    try {
      fs.writeFileSync(dest, await wrapKey(key, passphrase), { mode: 0o600 });
    } catch (err) {
      return explain(ctx, 'Exporting the recovery key', err);
    }
    if (!arg) void vscode.window.showInformationMessage(`Recovery key saved to ${dest}. Keep it, and its passphrase, somewhere other than this machine.`);
    return dest;
  };
}

export function importRecoveryKey(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const o = (arg ?? {}) as { passphrase?: string; source?: string; useForNewBackups?: boolean };
    const src = o.source ?? (await vscode.window.showOpenDialog({ title: 'Import Recovery Key', canSelectMany: false, filters: { 'Recovery key': ['gardenerkey', 'json'] } }))?.[0]?.fsPath;
    if (!src) return dismissed('No recovery key file was chosen.');
    const passphrase = o.passphrase ?? (await askPassphrase(false));
    if (isNotDone(passphrase)) return passphrase;
    try {
      const key = await unwrapKey(fs.readFileSync(src, 'utf8'), passphrase);
      // The key is kept by its id whatever the answer, so backups made with it open here. Making it
      // this workspace's key too means new backups use it; the backups made with the key it had
      // stay readable, since that key stays stored under its own id. So asking is about which key
      // new backups use, never about losing one.
      const outcome = await ctx.backupKeys.importKey(key, async () => {
        if (o.useForNewBackups !== undefined) return o.useForNewBackups;
        const use = 'Use It for New Backups';
        const choice = await vscode.window.showInformationMessage(
          'This workspace already has a backup key. Backups made with the imported key can now be restored here. Should new backups of this workspace use the imported key too?',
          { modal: true, detail: 'Backups made with the current key stay readable either way.' },
          use,
          'Keep the Current Key',
        );
        return choice === use;
      });
      ctx.logs.info('backup', `Recovery key imported (${outcome === 'stored' ? 'kept by id; new backups keep the current key' : 'new backups use it'})`);
      if (!arg) vscode.window.setStatusBarMessage('$(key) Recovery key imported: backups made with it can be restored here.', 6000);
      return true;
    } catch (err) {
      return explain(ctx, 'Importing the recovery key', err);
    }
  };
}

export function backupCommands(ctx: Ctx): Record<string, Cmd> {
  return {
    'codebaseGardener.createBackup': createBackup(ctx),
    'codebaseGardener.backUpNow': createBackup(ctx),
    'codebaseGardener.restoreBackup': restoreBackup(ctx, 'whole'),
    'codebaseGardener.restoreBackupTo': restoreBackup(ctx, 'to'),
    'codebaseGardener.restoreBackupPath': restoreBackup(ctx, 'path'),
    'codebaseGardener.undoRestore': undoRestore(ctx),
    'codebaseGardener.validateBackup': validateBackup(ctx),
    'codebaseGardener.validateAllBackups': validateAll(ctx),
    'codebaseGardener.showBackupStatus': showBackupStatus(ctx),
    'codebaseGardener.deleteBackup': deleteBackup(ctx),
    'codebaseGardener.revealBackup': revealBackup(ctx),
    'codebaseGardener.copyBackupId': copyBackupId(),
    'codebaseGardener.exportRecoveryKey': exportRecoveryKey(ctx),
    'codebaseGardener.importRecoveryKey': importRecoveryKey(ctx),
  };
}
