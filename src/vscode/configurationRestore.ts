import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RestorePlan } from '../core/backup';
import {
  describeConfigurationRestore,
  EXTENSION_LIST_FILE,
  EXTENSIONS_SOURCE,
  extensionListFile,
  missingExtensions,
  readExtensionList,
  readProfileNames,
  type InstalledExtension,
} from '../core/configuration';
import type { Ctx } from './context';
import { currentConfiguration } from './configurationSources';

const isConfiguration = (ctx: Ctx, backupId: string): boolean => ctx.backups.catalog.get(backupId)?.type === 'CONFIGURATION';

/**
 * For the confirmation of an in-place restore of a Configuration backup: where it goes, and
 * which settings files it writes and deletes, in words ("User settings.json, keybindings.json,
 * 2 snippets; .vscode/launch.json in folder api"). Undefined for any other restore.
 */
export function configurationConfirmation(ctx: Ctx, backupId: string, plan: RestorePlan, target: string | undefined): { where: string; detail: string } | undefined {
  if (target || !isConfiguration(ctx, backupId)) return undefined;
  const found = currentConfiguration(ctx.extension.globalStorageUri, ctx.config.dataDir);
  const { restores, deletes } = describeConfigurationRestore(plan, { labels: found.labels, profiles: readProfileNames(found.userFolder) });
  const detail = [restores && `It writes ${restores}.`, deletes && `It deletes ${deletes}, which the backup does not hold.`].filter(Boolean).join(' ');
  return { where: 'VS Code’s configuration', detail: detail ? `${detail}\n\n` : '' };
}

export interface ExtensionOffer {
  /** Listed in the restored configuration and not installed here. */
  missing: InstalledExtension[];
  installed: string[];
  failed: { id: string; error: string }[];
}

/**
 * After an in-place restore of a Configuration backup that brought back its extension list:
 * offers (one notification) to install the listed extensions that are missing. Not awaited by
 * the restore command; resolves once the user has chosen and any installs are done.
 */
export async function afterConfigurationRestore(ctx: Ctx, backupId: string, restored: RestorePlan, target: string | undefined): Promise<ExtensionOffer | undefined> {
  if (target || !isConfiguration(ctx, backupId)) return undefined;
  if (![...restored.added, ...restored.overwritten].includes(`${EXTENSIONS_SOURCE}/${EXTENSION_LIST_FILE}`)) return undefined;
  const source = ctx.backups.settings().roots?.CONFIGURATION?.find((s) => s.name === EXTENSIONS_SOURCE);
  // The restore is done and reported; an offer that goes wrong is only logged.
  try {
    return await offerMissingExtensions(ctx, source ? path.join(source.root, EXTENSION_LIST_FILE) : extensionListFile(ctx.config.dataDir));
  } catch (err) {
    ctx.logs.error('backup', 'Could not offer the missing extensions after a configuration restore', err instanceof Error ? err : { error: String(err) });
    return undefined;
  }
}

/**
 * Compares the extension list in `file` with what this extension host runs and offers to
 * install what is missing, through VS Code's own install command (by id: VS Code fetches the
 * extension from its gallery as it would for the Extensions view; we download nothing).
 */
export async function offerMissingExtensions(ctx: Ctx, file: string): Promise<ExtensionOffer | undefined> {
  let listed: InstalledExtension[];
  try {
    const { list, dropped } = await readExtensionList(file);
    if (dropped) ctx.logs.warn('backup', `The restored extension list ${file} has ${dropped} entries that are not extension ids; they were left out`);
    listed = list.extensions;
  } catch (err) {
    ctx.logs.error('backup', `Could not read the restored extension list ${file}`, err instanceof Error ? err : { error: String(err) });
    return undefined;
  }
  const missing = missingExtensions(
    listed,
    vscode.extensions.all.map((e) => e.id),
  );
  const result: ExtensionOffer = { missing, installed: [], failed: [] };
  if (!missing.length) return result;
  const n = missing.length;
  const some = missing.slice(0, 5).map((e) => e.id);
  const names = n > some.length ? `${some.join(', ')} and ${n - some.length} more` : some.join(', ');
  const install = `Install ${n} missing extension${n === 1 ? '' : 's'}`;
  const choice = await vscode.window.showInformationMessage(
    `Codebase Gardener: the restored configuration lists ${n === 1 ? 'an extension that is' : `${n} extensions that are`} not installed here: ${names}.`,
    install,
    'Not now',
  );
  if (choice !== install) return result;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Codebase Gardener: installing extensions' }, async (progress) => {
    for (const [i, e] of missing.entries()) {
      progress.report({ message: `${e.id} (${i + 1} of ${n})`, increment: 100 / n });
      try {
        await vscode.commands.executeCommand('workbench.extensions.installExtension', e.id);
        result.installed.push(e.id);
      } catch (err) {
        result.failed.push({ id: e.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  ctx.logs.info('backup', `Installed ${result.installed.length} of ${n} extensions missing after a configuration restore`, { installed: result.installed, failed: result.failed });
  if (result.failed.length) {
    void vscode.window.showWarningMessage(
      `Codebase Gardener: ${result.failed.length} of ${n} extensions could not be installed: ${result.failed.map((f) => `${f.id} (${f.error})`).join('; ')}`,
    );
  } else {
    vscode.window.setStatusBarMessage(`$(check) Installed ${n} extension${n === 1 ? '' : 's'}`, 6000);
  }
  return result;
}
