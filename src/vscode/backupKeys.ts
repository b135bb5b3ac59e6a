import { createHash, randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { KeyProvider } from '../core/backup';

/**
 * The backup key of one data directory, in VS Code's SecretStorage (the OS keychain on
 * desktop). A new key is offered for export as a recovery key at once: without it, backups
 * cannot be restored anywhere else.
 */
export class SecretKeyProvider implements KeyProvider {
  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly dataDir: () => string,
  ) {}

  private get name(): string {
    return `codebaseGardener.backupKey.${createHash('sha256').update(this.dataDir()).digest('hex').slice(0, 16)}`;
  }

  async getKey(create: boolean): Promise<Buffer | undefined> {
    const stored = await this.secrets.get(this.name);
    if (stored) return Buffer.from(stored, 'base64');
    if (!create) return undefined;
    const key = randomBytes(32);
    await this.secrets.store(this.name, key.toString('base64'));
    void vscode.window
      .showInformationMessage(
        'Codebase Gardener created an encryption key for your backups. Export a recovery key now: without it, these backups cannot be restored on another machine.',
        'Export Recovery Key…',
      )
      .then((c) => c && vscode.commands.executeCommand('codebaseGardener.exportRecoveryKey'));
    return key;
  }

  async setKey(key: Buffer): Promise<void> {
    await this.secrets.store(this.name, key.toString('base64'));
  }
}
