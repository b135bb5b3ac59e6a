import * as vscode from 'vscode';
import { BackupKeyStore, type KeyPlace } from '../core/state';

/**
 * Backup keys in VS Code's SecretStorage (the OS keychain on desktop), by key id with a
 * pointer per workspace (see BackupKeyStore). A new key is offered for export as a recovery
 * key at once: without it, backups cannot be restored anywhere else.
 */
export function secretKeys(secrets: vscode.SecretStorage, place: () => KeyPlace): BackupKeyStore {
  return new BackupKeyStore(secrets, place, () => {
    void vscode.window
      .showInformationMessage(
        'Codebase Gardener created an encryption key for your backups. Export a recovery key now: without it, these backups cannot be restored on another machine.',
        'Export Recovery Key…',
      )
      .then((c) => c && vscode.commands.executeCommand('codebaseGardener.exportRecoveryKey'));
  });
}
