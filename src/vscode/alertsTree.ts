import * as vscode from 'vscode';
import type { Alert, AlertLevel, AlertService, AlertState } from '../core/alerts';
import { alertRunbook } from '../core/runbooks/forAlert';
import { Disposable } from './dispose';

export type AlertFilter = AlertLevel | 'ALL';

interface Group {
  kind: 'group';
  state: AlertState;
  alerts: Alert[];
}
export interface AlertNode {
  kind: 'alert';
  alert: Alert;
}
type Node = Group | AlertNode;

const DAY = 86_400_000;
const groupTitle: Record<AlertState, string> = { OPEN: 'Open', ACKNOWLEDGED: 'Acknowledged', RESOLVED: 'Resolved (last 24 h)' };
const levelIcon: Record<AlertLevel, [string, string]> = {
  CRITICAL: ['error', 'list.errorForeground'],
  WARNING: ['warning', 'list.warningForeground'],
  INFO: ['info', 'charts.blue'],
};

export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

function fmtTime(ms: number): string {
  return new Date(ms).toLocaleString();
}

/** Full record of an alert as Markdown, for tooltips and Copy Details. */
export function alertDetails(a: Alert): string {
  const v = (n: number | null): string => (n === null ? 'n/a' : `${n}${a.unit === '%' ? '%' : a.unit ? ` ${a.unit}` : ''}`);
  const lines = [
    `**${a.level}** · ${a.state} — ${a.message}`,
    '',
    `Component: ${a.component} · metric: ${a.metric}`,
    `Raised: ${fmtTime(a.createdAt)} · last seen: ${fmtTime(a.lastSeenAt)} · samples: ${a.sampleCount}`,
  ];
  if (a.source === 'health') lines.push(`Values: first ${v(a.firstValue)}, last ${v(a.lastValue)}, worst ${v(a.peakValue)}; peak level ${a.peakLevel}`);
  if (a.threshold) lines.push(`Thresholds: warning ${a.threshold.warning}, critical ${a.threshold.critical}`);
  if (a.acknowledged) {
    const ack = a.acknowledged;
    lines.push(`Acknowledged by ${ack.by} at ${fmtTime(ack.at)}${ack.comment ? `: “${ack.comment}”` : ''}${ack.expiresAt ? ` (until ${fmtTime(ack.expiresAt)})` : ''}`);
  }
  if (a.resolved) {
    const r = a.resolved;
    lines.push(`Resolved ${r.automatic ? 'automatically' : `by ${r.by}`} at ${fmtTime(r.at)}${r.note ? `: ${r.note}` : ''}`);
  }
  lines.push(`ID: \`${a.id}\``);
  return lines.join('  \n');
}

/** Alerts grouped Open / Acknowledged / Resolved (last 24 h), with a level filter and a badge. */
export class AlertsTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changed = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;
  private filter: AlertFilter = 'ALL';

  constructor(
    private readonly alerts: AlertService,
    private readonly hasRunbook: (name: string) => boolean,
  ) {
    super();
    this.view = this.register(vscode.window.createTreeView('codebaseGardener.alerts', { treeDataProvider: this, showCollapseAll: false }));
    const sub = alerts.onDidChange(() => this.refresh());
    this.register({ dispose: () => sub.dispose() });
    this.refresh();
  }

  get currentFilter(): AlertFilter {
    return this.filter;
  }

  setFilter(f: AlertFilter): void {
    this.filter = f;
    void vscode.commands.executeCommand('setContext', 'codebaseGardener.alertFilter', f);
    this.refresh();
  }

  refresh(): void {
    const open = this.alerts.engine.counts().open;
    this.view.badge = open > 0 ? { value: open, tooltip: `${open} open alert${open === 1 ? '' : 's'}` } : undefined;
    this.view.description = this.filter === 'ALL' ? undefined : `${this.filter.toLowerCase()} only`;
    this.changed.fire(undefined);
  }

  /** The groups and the IDs in them, as shown now (for tests and other extensions). */
  snapshot(): { state: AlertState; ids: string[] }[] {
    return this.groups().map((g) => ({ state: g.state, ids: g.alerts.map((a) => a.id) }));
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.groups();
    if (node.kind === 'group') return node.alerts.map((alert) => ({ kind: 'alert', alert }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(groupTitle[node.state], vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.state}`;
      item.description = String(node.alerts.length);
      item.contextValue = `alertGroup:${node.state.toLowerCase()}`;
      return item;
    }
    const a = node.alert;
    const item = new vscode.TreeItem(a.title, vscode.TreeItemCollapsibleState.None);
    item.id = a.id;
    const when = a.state === 'RESOLVED' ? (a.resolved?.at ?? a.updatedAt) : a.lastSeenAt;
    // Health titles name their component already; event alerts say where they come from.
    item.description = a.source === 'event' ? `${a.component} · ${relativeTime(when)}` : relativeTime(when);
    const [icon, color] = levelIcon[a.level];
    item.iconPath =
      a.state === 'RESOLVED'
        ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'))
        : a.state === 'ACKNOWLEDGED'
          ? new vscode.ThemeIcon('bell-slash', new vscode.ThemeColor(color))
          : new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    const md = new vscode.MarkdownString(alertDetails(a));
    item.tooltip = md;
    item.contextValue = `alert:${a.state.toLowerCase()}${this.hasRunbook(alertRunbook(a)) ? ':runbook' : ''}`;
    item.accessibilityInformation = { label: `${a.level} alert, ${a.state.toLowerCase()}: ${a.message}, ${a.component}, ${item.description}` };
    return item;
  }

  getParent(node: Node): Node | undefined {
    return node.kind === 'alert' ? this.groups().find((g) => g.state === node.alert.state) : undefined;
  }

  private groups(): Group[] {
    const level = this.filter === 'ALL' ? undefined : this.filter;
    const e = this.alerts.engine;
    const groups: Group[] = [
      { kind: 'group', state: 'OPEN', alerts: e.query({ state: 'OPEN', level }) },
      { kind: 'group', state: 'ACKNOWLEDGED', alerts: e.query({ state: 'ACKNOWLEDGED', level }) },
      { kind: 'group', state: 'RESOLVED', alerts: e.query({ state: 'RESOLVED', level }).filter((a) => (a.resolved?.at ?? 0) >= Date.now() - DAY) },
    ];
    return groups.filter((g) => g.alerts.length > 0);
  }
}
