import * as vscode from 'vscode';
import type { MaintenanceManager, RunStatus, ScheduledItem, TaskRun } from '../core/maintenance';
import { taskDefinition } from '../core/maintenance';
import { relativeTime } from './alertsTree';
import { Disposable } from './dispose';

export type MaintenanceNode =
  | { kind: 'group'; group: 'scheduled' | 'running' | 'history'; label: string }
  | { kind: 'schedule'; item: ScheduledItem; problem?: string }
  | { kind: 'run'; run: TaskRun };

const STATUS_ICON: Record<RunStatus, [string, string | undefined]> = {
  SCHEDULED: ['clock', undefined],
  RUNNING: ['sync~spin', undefined],
  COMPLETED: ['pass', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  CANCELLED: ['circle-slash', undefined],
  SKIPPED: ['debug-step-over', 'disabledForeground'],
};

const HISTORY_SHOWN = 25;

/** "in 25 min", "in 3 h", "tomorrow 02:00", for a time ahead. */
export function inTime(ms: number, now = Date.now()): string {
  const s = Math.round((ms - now) / 1000);
  if (s <= 0) return 'due now';
  if (s < 60) return `in ${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `in ${m} min`;
  const h = Math.round(m / 60);
  if (h < 24) return `in ${h} h`;
  return new Date(ms).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
}

export function duration(run: TaskRun): string {
  if (run.startedAt === undefined) return '';
  const ms = (run.endedAt ?? Date.now()) - run.startedAt;
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * The Maintenance view: Running (with progress), Scheduled (each recurring task with its next
 * run and cron, and one-off runs waiting) and History (recent runs, skipped ones included). Its
 * badge counts the tasks whose latest run failed.
 */
export class MaintenanceTree extends Disposable implements vscode.TreeDataProvider<MaintenanceNode> {
  private readonly changed = this.register(new vscode.EventEmitter<MaintenanceNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<MaintenanceNode>;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: () => MaintenanceManager) {
    super();
    this.view = this.register(vscode.window.createTreeView('codebaseGardener.maintenance', { treeDataProvider: this }));
    // "in 25 min" goes stale: redrawn each minute while the view is visible.
    this.register(this.view.onDidChangeVisibility(() => this.tickWhileVisible()));
    this.register({ dispose: () => this.timer && clearInterval(this.timer) });
    this.tickWhileVisible();
  }

  private tickWhileVisible(): void {
    if (this.view.visible && !this.timer) {
      this.timer = setInterval(() => this.refresh(), 60_000);
      this.timer.unref?.();
    } else if (!this.view.visible && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  refresh(): void {
    const failing = this.failingTasks();
    this.view.badge = failing.length ? { value: failing.length, tooltip: `${failing.length} maintenance task${failing.length === 1 ? '' : 's'} failed: ${failing.join(', ')}` } : undefined;
    this.changed.fire(undefined);
  }

  /** The tasks whose latest finished run failed. */
  failingTasks(): string[] {
    const latest = new Map<string, TaskRun>();
    for (const r of this.manager().runs()) if (r.endedAt !== undefined && r.status !== 'SKIPPED' && r.status !== 'CANCELLED') latest.set(r.key, r);
    return [...latest.values()].filter((r) => r.status === 'FAILED').map((r) => taskDefinition(r.key).title);
  }

  /** The view as shown: each group with the labels and descriptions of its items (for tests). */
  snapshot(): { group: string; items: { label: string; description: string; contextValue: string }[] }[] {
    return this.getChildren().map((g) => ({
      group: (g as { label: string }).label,
      items: this.getChildren(g).map((n) => {
        const item = this.getTreeItem(n);
        return { label: String(item.label ?? ''), description: String(item.description ?? ''), contextValue: item.contextValue ?? '' };
      }),
    }));
  }

  getChildren(node?: MaintenanceNode): MaintenanceNode[] {
    const m = this.manager();
    const runs = m.runs();
    if (!node) {
      // What runs now comes first: it is what a user looks here for, and what they may cancel.
      const groups: MaintenanceNode[] = [];
      if (runs.some((r) => r.status === 'RUNNING')) groups.push({ kind: 'group', group: 'running', label: 'Running' });
      groups.push({ kind: 'group', group: 'scheduled', label: 'Scheduled' });
      if (runs.some((r) => r.endedAt !== undefined)) groups.push({ kind: 'group', group: 'history', label: 'History' });
      return groups;
    }
    if (node.kind !== 'group') return [];
    if (node.group === 'scheduled') {
      const problems = m.problems;
      const waiting = runs.filter((r) => r.status === 'SCHEDULED').sort((a, b) => a.dueAt - b.dueAt);
      const recurring = m
        .scheduled()
        .sort((a, b) => (a.next ?? Infinity) - (b.next ?? Infinity))
        .map((item): MaintenanceNode => ({ kind: 'schedule', item, problem: problems.find((p) => p.includes(`.schedule.${item.key}:`)) }));
      return [...waiting.map((run): MaintenanceNode => ({ kind: 'run', run })), ...recurring];
    }
    if (node.group === 'running') return runs.filter((r) => r.status === 'RUNNING').map((run) => ({ kind: 'run', run }));
    return runs
      .filter((r) => r.endedAt !== undefined)
      .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
      .slice(0, HISTORY_SHOWN)
      .map((run) => ({ kind: 'run', run }));
  }

  getTreeItem(node: MaintenanceNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.group}`;
      return item;
    }
    if (node.kind === 'schedule') {
      const { item: s, problem } = node;
      const item = new vscode.TreeItem(s.title);
      item.id = `schedule:${s.key}`;
      item.description = `${s.next !== undefined ? inTime(s.next) : 'never'} · ${s.expression}`;
      item.iconPath = problem ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : new vscode.ThemeIcon(taskDefinition(s.key).type === 'BACKUP' ? 'archive' : 'calendar');
      const md = new vscode.MarkdownString(undefined, true);
      md.appendMarkdown(`**${s.title}** — cron \`${s.expression}\` (local time)  \n`);
      md.appendMarkdown(s.next !== undefined ? `Next run: ${new Date(s.next).toLocaleString()}  \n` : 'No next run.  \n');
      if (problem) md.appendMarkdown(`$(warning) ${problem}  \n`);
      md.appendMarkdown(`Setting: \`codebaseGardener.maintenance.schedule.${s.key}\``);
      item.tooltip = md;
      item.contextValue = 'maintenance:schedule';
      return item;
    }
    const r = node.run;
    const def = taskDefinition(r.key);
    const item = new vscode.TreeItem(r.status === 'SCHEDULED' && r.trigger !== 'once' ? def.title : r.description || def.title);
    item.id = `run:${r.id}`;
    const [icon, color] = STATUS_ICON[r.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const p = this.manager().progressOf(r.id);
    if (r.status === 'SCHEDULED') {
      const waiting = r.output.find((l) => l.startsWith('Waiting'));
      item.description = waiting ? 'waiting: critical load' : `${inTime(r.dueAt)} · ${r.trigger === 'once' ? 'one-off' : r.trigger === 'missed' ? 'missed run' : 'starting'}`;
      item.contextValue = 'maintenance:pending';
    } else if (r.status === 'RUNNING') {
      item.description = p && p.total > 0 ? `${Math.floor((p.done / p.total) * 100)} %${p.message ? ` · ${p.message}` : ''}` : `running ${duration(r)}`;
      item.contextValue = this.manager().progressOf(r.id) !== undefined || r.pid === process.pid ? 'maintenance:running' : 'maintenance:running:elsewhere';
    } else {
      item.description = [relativeTime(r.endedAt ?? r.dueAt), duration(r), r.summary].filter(Boolean).join(' · ');
      item.contextValue = 'maintenance:done';
      item.command = { command: 'codebaseGardener.showMaintenanceOutput', title: 'Show Output', arguments: [r.id] };
    }
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${def.title}** — ${r.status.toLowerCase()} (${r.trigger})  \n`);
    if (r.startedAt) md.appendMarkdown(`Started ${new Date(r.startedAt).toLocaleString()}${r.endedAt ? `, took ${duration(r)}` : ''}  \n`);
    else md.appendMarkdown(`Due ${new Date(r.dueAt).toLocaleString()}  \n`);
    if (r.summary) md.appendMarkdown(`${r.summary}  \n`);
    if (r.error) md.appendMarkdown(`$(error) ${r.error}  \n`);
    md.appendMarkdown(`ID: \`${r.id}\``);
    item.tooltip = md;
    return item;
  }
}
