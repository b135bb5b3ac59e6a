import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackupManager, BackupRecord, BackupType, SnapshotRecord, SourcedType } from '../core/backup';
import { describeConfigurationPaths } from '../core/configuration';
import { configurationParts, countOf, roughBytes } from '../core/estimate';
import { rootsToCheck, sameDiskShort, sameDiskWarning, sharedDevice, type SharedPlacement } from '../core/placement';
import { relativeTime } from './alertsTree';
import { BackupEstimates } from './backupEstimates';
import { Disposable } from './dispose';
import { inTime } from './maintenanceTree';

export type BackupNode =
  | { kind: 'placement'; placement: SharedPlacement }
  | { kind: 'estimate'; type: SourcedType }
  | { kind: 'type'; type: BackupType | 'SNAPSHOTS'; label: string }
  | { kind: 'backup'; backup: BackupRecord }
  | { kind: 'snapshot'; snapshot: SnapshotRecord };

/** What the Backups view shows besides the catalog. */
export interface BackupsHost {
  manager(): BackupManager;
  /** The extensions a Configuration backup lists. */
  extensionCount(): number;
  /** When the next scheduled backup of this type runs, if one is scheduled. */
  nextBackup?(type: BackupType): number | undefined;
  /** `backups.warnSameDisk`: off, the backups sharing a disk is said plainly, not warned of. */
  warnSameDisk?(): boolean;
}

/** A top-level item as shown, for tests and diagnostics. */
export interface ShownItem {
  id: string;
  label: string;
  description?: string;
  contextValue?: string;
  command?: string;
}

const TYPE_LABEL: Record<string, string> = { FULL: 'Full', CONFIGURATION: 'Configuration', USER_DATA: 'User data', SNAPSHOTS: 'Pre-restore snapshots' };
const TYPE_ICON: Record<SourcedType, string> = { FULL: 'archive', CONFIGURATION: 'settings-gear', USER_DATA: 'folder' };
/** The estimates are measured again when the view is shown after this long: files change. */
const ESTIMATE_MAX_AGE_MS = 10 * 60_000;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

/**
 * Backups grouped by type, incrementals under the full backup they build on. Above them, a
 * warning when the backups folder shares a disk with what it protects; with no backup yet,
 * one item per type saying what it would hold, measured, with Back Up Now.
 */
export class BackupsTree extends Disposable implements vscode.TreeDataProvider<BackupNode> {
  private readonly changed = this.register(new vscode.EventEmitter<BackupNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<BackupNode>;
  readonly estimates: BackupEstimates;

  constructor(private readonly host: BackupsHost) {
    super();
    this.estimates = this.register(new BackupEstimates(() => this.manager().settings().roots, () => this.refresh()));
    this.view = this.register(vscode.window.createTreeView('codebaseGardener.backups', { treeDataProvider: this }));
    this.register(this.view.onDidChangeVisibility((e) => e.visible && this.estimates.refreshIfOlderThan(ESTIMATE_MAX_AGE_MS)));
  }

  private manager(): BackupManager {
    return this.host.manager();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The backup settings changed (folders, sources, globs): measure again if what the types read changed. */
  settingsChanged(): void {
    this.estimates.sourcesChanged();
    this.refresh();
  }

  /** Which of what backups protect shares the backups folder's disk, if any. */
  placement(): SharedPlacement | undefined {
    const m = this.manager();
    return sharedDevice(m.backupsDir, rootsToCheck(m.settings().roots));
  }

  /** The placement to warn of: none when the user turned the warning off (`backups.warnSameDisk`). */
  placementWarning(): SharedPlacement | undefined {
    return this.host.warnSameDisk?.() === false ? undefined : this.placement();
  }

  /** The top-level items as shown. */
  shown(): ShownItem[] {
    return this.getChildren().map((n) => {
      const item = this.getTreeItem(n);
      return {
        id: item.id ?? '',
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        ...(typeof item.description === 'string' ? { description: item.description } : {}),
        ...(item.contextValue ? { contextValue: item.contextValue } : {}),
        ...(item.command ? { command: item.command.command } : {}),
      };
    });
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
      const p = this.placementWarning();
      const top: BackupNode[] = p ? [{ kind: 'placement', placement: p }] : [];
      if (!c.backups.length && !c.snapshots.length) {
        // Without sources of its own (none given), there is nothing to measure: the welcome says what to do.
        if (!this.manager().settings().roots) return top;
        return [...top, ...(['FULL', 'CONFIGURATION', 'USER_DATA'] as const).map((type): BackupNode => ({ kind: 'estimate', type }))];
      }
      const groups: BackupNode[] = (['FULL', 'CONFIGURATION', 'USER_DATA'] as const)
        .filter((t) => c.backups.some((b) => b.type === t || (t === 'FULL' && b.type === 'INCREMENTAL')))
        .map((t) => ({ kind: 'type', type: t, label: TYPE_LABEL[t] }));
      if (c.snapshots.length) groups.push({ kind: 'type', type: 'SNAPSHOTS', label: TYPE_LABEL.SNAPSHOTS });
      return [...top, ...groups];
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
    if (node.kind === 'placement') return this.placementItem(node.placement);
    if (node.kind === 'estimate') return this.estimateItem(node.type);
    if (node.kind === 'type') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `type:${node.type}`;
      if (node.type !== 'SNAPSHOTS') item.description = this.nextScheduled(node.type);
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

  /** "next: incremental in 3 h", or "not scheduled", for a type's group. */
  private nextScheduled(type: BackupType): string {
    const types: BackupType[] = type === 'FULL' ? ['FULL', 'INCREMENTAL'] : [type];
    let best: { type: BackupType; at: number } | undefined;
    for (const t of types) {
      const at = this.host.nextBackup?.(t);
      if (at !== undefined && (!best || at < best.at)) best = { type: t, at };
    }
    if (!best) return 'not scheduled';
    return `next: ${type === 'FULL' ? `${best.type === 'FULL' ? 'full' : 'incremental'} ` : ''}${inTime(best.at)}`;
  }

  private placementItem(p: SharedPlacement): vscode.TreeItem {
    const item = new vscode.TreeItem(sameDiskShort(p));
    item.id = 'placement';
    // The label names one thing the backups share a disk with: "both" is the backups and it.
    item.description = 'a disk failure would take both';
    item.accessibilityInformation = { label: `${sameDiskWarning(p)} Choose Backup Folder…` };
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    item.command = { command: 'codebaseGardener.chooseBackupFolder', title: 'Choose Backup Folder…' };
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`$(warning) **${sameDiskWarning(p)}**\n\n`);
    md.appendMarkdown(`Backups folder: \`${this.manager().backupsDir}\`  \nOn the same disk: ${p.shared.map((r) => `\`${r.path}\``).join(', ')}\n\n`);
    md.appendMarkdown('Click to choose a folder on another disk: an external drive or a network share. Keeping them there on purpose? $(close) turns this warning off (`codebaseGardener.backups.warnSameDisk`).');
    item.tooltip = md;
    item.contextValue = 'placement';
    return item;
  }

  private estimateItem(type: SourcedType): vscode.TreeItem {
    const roots = this.manager().settings().roots?.[type] ?? [];
    const e = this.estimates.get(type);
    const item = new vscode.TreeItem(TYPE_LABEL[type]);
    item.id = `estimate:${type}`;
    item.iconPath = new vscode.ThemeIcon(TYPE_ICON[type]);
    item.contextValue = `estimate:${type}`;
    // The figures shown: the measure, or the last one while measuring again.
    const now = e.state === 'done' ? e.measure : e.state === 'measuring' ? e.previous : undefined;
    // The size first: a narrow sidebar cuts a description at its end.
    const size = now ? (now.files ? `about ${roughBytes(now.bytes)}` : 'no files yet') : e.state === 'failed' ? 'could not measure' : 'measuring…';
    const md = new vscode.MarkdownString(undefined, true);
    const measuredLine =
      e.state === 'failed'
        ? `Could not measure: ${e.error}`
        : now
          ? `Now: ${countOf(now.files, 'file')}, about ${roughBytes(now.bytes)}.${now.leftOut ? ` ${countOf(now.leftOut, 'file')} (too large, links or special files) will be left out and listed.` : ''}`
          : 'Measuring…';
    const within = (where: string): string => (now?.files ? `${size} · ${countOf(now.files, 'file')} in ${where}` : `${size} · ${where}`);
    if (type === 'FULL') {
      if (!roots.length) {
        item.description = 'no folder open';
        item.contextValue = 'estimate:FULL:none';
        md.appendMarkdown('**Full backup**: the workspace folders. Open a folder to back it up.');
      } else {
        item.description = within(roots.length === 1 ? 'this workspace' : `${roots.length} folders`);
        md.appendMarkdown(`**Full backup** of ${roots.map((s) => `\`${s.root}\``).join(', ')}, with the repository's \`.git\`.\n\n`);
        md.appendMarkdown('Left out: node_modules, build output and caches (`backups.exclude`), what .gitignore ignores (but `.env` files), and files over the size limit.\n\n');
        md.appendMarkdown(`${measuredLine}\n\nIncremental backups then hold only what changed.`);
      }
    } else if (type === 'CONFIGURATION') {
      const extensions = this.host.extensionCount();
      const parts = now ? configurationParts(now.paths ?? [], extensions) : 'your VS Code settings';
      item.description = [size, now?.files && countOf(now.files, 'file'), parts].filter(Boolean).join(' · ');
      md.appendMarkdown('**Configuration backup**: VS Code’s settings, keybindings, tasks, snippets and profiles, each folder’s `.vscode`, the workspace file and the list of extensions.\n\n');
      md.appendMarkdown(measuredLine);
      const found = describeConfigurationPaths((now?.paths ?? []).filter((p) => !p.startsWith('extensions/')));
      if (now) md.appendMarkdown(`\n\nFound: ${found ? `${found}; ` : ''}the list of ${countOf(extensions, 'extension')}.`);
    } else if (!roots.length) {
      item.description = 'choose folders first';
      item.contextValue = 'estimate:USER_DATA:unchosen';
      item.command = { command: 'codebaseGardener.chooseUserDataFolders', title: 'Choose User-data Folders…' };
      md.appendMarkdown('**User-data backup**: folders you name, such as a local model server’s data, notes or database dumps. None is named yet: click to choose them.');
    } else {
      item.description = within(countOf(roots.length, 'folder'));
      md.appendMarkdown(`**User-data backup** of ${roots.map((s) => `\`${s.root}\``).join(', ')}.\n\n${measuredLine}`);
    }
    item.tooltip = md;
    return item;
  }
}
