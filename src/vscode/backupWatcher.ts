import * as vscode from 'vscode';
import { watcherSeesAll, type BackupManager } from '../core/backup';

/**
 * Tells the backups what changes in the workspace folders, so that an incremental looks only
 * there instead of at every file (core/backup/changeList.ts). Only while VS Code's watcher
 * sees everything a backup takes (`files.watcherExclude` leaves out nothing it keeps); the
 * manager still walks the whole tree at least once a day, since a watcher can drop events
 * without saying so.
 */
export class BackupWatcher implements vscode.Disposable {
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*');
  private readonly subs: vscode.Disposable[];
  private manager: BackupManager | undefined;

  constructor() {
    const note = (u: vscode.Uri): void => {
      if (u.scheme === 'file') this.manager?.changes.note(u.fsPath);
    };
    this.subs = [
      this.watcher.onDidCreate(note),
      this.watcher.onDidChange(note),
      this.watcher.onDidDelete(note),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('files.watcherExclude') && this.manager) this.attach(this.manager);
      }),
    ];
  }

  /** Reports to this manager from now on (a new one is made when the backup folders change). */
  attach(m: BackupManager): void {
    this.manager?.changes.stop();
    this.manager = m;
    const excluded = vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('watcherExclude') ?? {};
    if (watcherSeesAll(excluded, m.settings().exclude)) m.changes.watch();
    else m.changes.stop();
  }

  dispose(): void {
    this.manager?.changes.stop();
    for (const s of this.subs) s.dispose();
    this.watcher.dispose();
  }
}
