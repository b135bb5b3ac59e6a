import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackupManager, BackupRecord, BackupType, SnapshotRecord } from '../core/backup';
import { relativeTime } from './alertsTree';
import { Disposable } from './dispose';

export type BackupNode =
  | { kind: 'type'; type: BackupType | 'SNAPSHOTS'; label: string }
  | { kind: 'backup'; backup: BackupRecord }
  | { kind: 'snapshot'; snapshot: SnapshotRecord };

const TYPE_LABEL: Record<string, string> = { FULL: 'Full', CONFIGURATION: 'Configuration', USER_DATA: 'User data', SNAPSHOTS: 'Pre-restore snapshots' };

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

/** Backups grouped by type, incrementals under the full backup they build on. */
export class BackupsTree extends Disposable implements vscode.TreeDataProvider<BackupNode> {
  private readonly changed = this.register(new vscode.EventEmitter<BackupNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<BackupNode>;

  constructor(private readonly manager: () => BackupManager) {
    super();
    this.view = this.register(vscode.window.createTreeView('codebaseGardener.backups', { treeDataProvider: this }));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Every node as shown, depth first, as `label: id` lines (for tests and diagnostics). */
  snapshot(): { group: string; id: string; parent?: string }[] {
    const out: { group: string; id: string; parent?: string }[] = [];
    for (const g of this.getChildren()) {
      if (g.kind !== 'type') continue;
      for (const n of this.getChildren(g)) {
        const id = n.kind === 'backup' ? n.backup.id : n.kind === 'snapshot' ? n.snapshot.id : '';
        out.push({ group: g.label, id });
        for (const child of this.getChildren(n)) if (child.kind === 'backup') out.push({ group: g.label, id: child.backup.id, parent: id });
      }
    }
    return out;
  }

  getChildren(node?: BackupNode): BackupNode[] {
    const c = this.manager().catalog;
    if (!node) {
      if (!c.backups.length && !c.snapshots.length) return [];
      const groups: BackupNode[] = (['FULL', 'CONFIGURATION', 'USER_DATA'] as const)
        .filter((t) => c.backups.some((b) => b.type === t || (t === 'FULL' && b.type === 'INCREMENTAL')))
        .map((t) => ({ kind: 'type', type: t, label: TYPE_LABEL[t] }));
      if (c.snapshots.length) groups.push({ kind: 'type', type: 'SNAPSHOTS', label: TYPE_LABEL.SNAPSHOTS });
      return groups;
    }
    if (node.kind === 'type') {
      if (node.type === 'SNAPSHOTS') return [...c.snapshots].reverse().map((snapshot) => ({ kind: 'snapshot', snapshot }));
      // An incremental whose chain is broken (its parent missing, or a loop) stands on its own, marked.
      const roots = c.backups.filter((b) => b.type === node.type || (node.type === 'FULL' && b.type === 'INCREMENTAL' && (!b.parentId || !c.tryChain(b.id).chain)));
      return [...roots].reverse().map((backup) => ({ kind: 'backup', backup }));
    }
    if (node.kind === 'backup' && node.backup.type === 'FULL') {
      // Every incremental whose chain starts at this full backup.
      const mine = c.backups.filter((b) => b.type === 'INCREMENTAL' && c.tryChain(b.id).chain?.[0]?.id === node.backup.id);
      return [...mine].reverse().map((backup) => ({ kind: 'backup', backup }));
    }
    return [];
  }

  getTreeItem(node: BackupNode): vscode.TreeItem {
    if (node.kind === 'type') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `type:${node.type}`;
      return item;
    }
    if (node.kind === 'snapshot') {
      const s = node.snapshot;
      const item = new vscode.TreeItem(`Before restoring ${new Date(s.createdAt).toLocaleString()}`);
      item.id = s.id;
      const moved = s.movedCount ?? s.moved?.length ?? 0;
      const added = s.addedCount ?? s.added?.length ?? 0;
      item.description = `${moved} files kept · ${relativeTime(s.createdAt)}`;
      item.iconPath = new vscode.ThemeIcon('history');
      item.tooltip = new vscode.MarkdownString(
        `Pre-restore snapshot of **${s.target}**  \nMade when restoring \`${s.restoredBackupId}\`  \n${moved} files moved aside, ${added} added by the restore  \nUndo Restore puts the previous files back.`,
      );
      item.contextValue = 'snapshot';
      return item;
    }
    const b = node.backup;
    const c = this.manager().catalog;
    const hasChildren = b.type === 'FULL' && c.backups.some((x) => x.type === 'INCREMENTAL' && c.tryChain(x.id).chain?.[0]?.id === b.id);
    const item = new vscode.TreeItem(
      `${b.type === 'INCREMENTAL' ? 'Incremental ' : ''}${new Date(b.createdAt).toLocaleString()}`,
      hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = b.id;
    const broken = b.type === 'INCREMENTAL' ? c.tryChain(b.id).problem : undefined;
    item.description = b.status === 'completed' ? `${formatBytes(b.sizeBytes)} · ${b.fileCount} files${b.skippedCount ? ` · ${b.skippedCount} left out` : ''}` : 'failed';
    if (broken) item.description = `chain broken · ${item.description as string}`;
    item.iconPath =
      b.status === 'failed' || broken
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
        : new vscode.ThemeIcon(b.encrypted ? 'lock' : 'archive', new vscode.ThemeColor('testing.iconPassed'));
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${TYPE_LABEL[b.type] ?? 'Incremental'} backup** — ${b.status}${b.encrypted ? ', encrypted' : ''}  \n`);
    md.appendMarkdown(`${new Date(b.createdAt).toLocaleString()} · ${formatBytes(b.sizeBytes)} · ${b.fileCount} files stored, ${b.treeFileCount} in the restored tree  \n`);
    if (b.parentId) md.appendMarkdown(`Builds on \`${b.parentId}\`  \n`);
    if (broken) md.appendMarkdown(`$(error) ${broken.message} It cannot be restored until the chain is whole.  \n`);
    if (b.deleted?.length) md.appendMarkdown(`${b.deleted.length} deletions recorded  \n`);
    if (b.skippedCount) md.appendMarkdown(`$(warning) ${b.skippedCount} links, special files or unreadable names were left out; they are listed in the backup's manifest  \n`);
    if (b.note) md.appendMarkdown(`${b.note}  \n`);
    if (b.error) md.appendMarkdown(`Error: ${b.error}  \n`);
    md.appendMarkdown(`Took ${(b.durationMs / 1000).toFixed(1)} s · ${b.archive ? path.basename(b.archive) : 'no archive'}  \nID: \`${b.id}\``);
    item.tooltip = md;
    item.contextValue = `backup:${b.status}`;
    return item;
  }
}
