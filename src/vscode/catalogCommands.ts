import * as vscode from 'vscode';
import type { Cmd } from './commands';
import type { Ctx } from './context';
import { withCancellableProgress } from './progress';

/**
 * Rebuild Catalog: reads every archive in the backups folder back into a fresh catalog (each
 * verified whole), for a catalog that is damaged, lost or older than the archives. The old
 * catalog is kept beside it; no archive is ever removed.
 */
export function rebuildCatalog(ctx: Ctx): Cmd {
  return async () => {
    try {
      const r = await withCancellableProgress('Codebase Gardener: rebuilding the backup catalog from the archives', (signal) => ctx.backups.rebuildCatalog(signal));
      ctx.afterBackupChange();
      const unreadable = r.problems.filter((p) => p.startsWith('an archive'));
      const message = `Codebase Gardener: the catalog now lists ${ctx.backups.catalog.backups.length} backup(s) read back from their archives${unreadable.length ? `; ${unreadable.length} archive(s) could not be read and were left where they are` : ''}.`;
      if (unreadable.length) void vscode.window.showWarningMessage(message, 'Show Logs').then((c) => c && ctx.output.show());
      else vscode.window.setStatusBarMessage(`$(database) ${message.replace('Codebase Gardener: t', 'T')}`, 8000);
      for (const p of r.problems) ctx.logs.warn('backup', p);
      return r;
    } catch (err) {
      ctx.logs.error('backup', 'Rebuilding the catalog failed', err instanceof Error ? err : { error: String(err) });
      void vscode.window.showErrorMessage(`Codebase Gardener: rebuilding the catalog failed. ${err instanceof Error ? err.message : String(err)}`);
      return { ok: false, reason: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  };
}

export function catalogCommands(ctx: Ctx): Record<string, Cmd> {
  return { 'codebaseGardener.rebuildCatalog': rebuildCatalog(ctx) };
}
