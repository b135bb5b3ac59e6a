import * as vscode from 'vscode';
import type { HealthReport, HealthStatus } from '../core/health';
import { Disposable } from './dispose';

const look: Record<HealthStatus, { icon: string; word: string; background?: string }> = {
  HEALTHY: { icon: '$(pass)', word: 'Healthy' },
  WARNING: { icon: '$(warning)', word: 'Warning', background: 'statusBarItem.warningBackground' },
  CRITICAL: { icon: '$(error)', word: 'Critical', background: 'statusBarItem.errorBackground' },
  UNKNOWN: { icon: '$(question)', word: 'Unknown' },
};

const pct = (n: number | null | undefined): string => (n === null || n === undefined ? 'n/a' : `${n}%`);

/** The health indicator: codicon and word for the status, details in the tooltip. */
export class HealthStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    super();
    this.item = this.register(vscode.window.createStatusBarItem('codebaseGardener.health', vscode.StatusBarAlignment.Left, 10));
    this.item.name = 'Codebase Gardener Health';
    this.item.command = 'codebaseGardener.showStatus';
    this.item.text = '$(question) Unknown';
    this.item.tooltip = 'Codebase Gardener: waiting for the first health sample';
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  get tooltipMarkdown(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : (t?.value ?? '');
  }

  update(r: HealthReport): void {
    const stopped = !r.monitor.running;
    const l = look[r.overallStatus];
    this.item.text = stopped && r.overallStatus === 'UNKNOWN' ? '$(circle-slash) Monitoring off' : `${l.icon} ${l.word}`;
    this.item.backgroundColor = l.background ? new vscode.ThemeColor(l.background) : undefined;
    this.item.accessibilityInformation = { label: `Codebase Gardener health: ${l.word}${stopped ? ', monitoring off' : ''}` };
    this.item.tooltip = tooltip(r);
  }
}

function tooltip(r: HealthReport): vscode.MarkdownString {
  const m = r.systemMetrics;
  const ih = r.integrationHealth;
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['codebaseGardener.showStatus', 'codebaseGardener.runHealthCheck', 'codebaseGardener.openDashboard'] };
  md.appendMarkdown(`**Codebase Gardener — ${look[r.overallStatus].word}**${r.monitor.running ? '' : ' (monitoring off)'}\n\n`);
  md.appendMarkdown('| | |\n|---|---|\n');
  md.appendMarkdown(`| CPU | ${pct(m?.cpuPercent)} |\n`);
  md.appendMarkdown(`| Memory | ${pct(m?.memoryPercent)}${m ? ` (${m.memoryUsedMB} / ${m.memoryTotalMB} MB)` : ''} |\n`);
  md.appendMarkdown(`| Disk | ${pct(m?.diskPercent)} |\n`);
  md.appendMarkdown(`| Integration | ${ih.score}% (${ih.passed}/${ih.total} checks) |\n\n`);
  const when = r.sampledAt ? new Date(r.sampledAt).toLocaleTimeString() : 'none yet';
  md.appendMarkdown(`Last sample: ${when}${r.stale && r.sampledAt ? ' (stale)' : ''}\n\n`);
  md.appendMarkdown(`Monitor cost: ${r.monitor.cpuMsPerMinute} ms CPU/min · extension host ${r.monitor.hostRssMB} MB\n\n`);
  md.appendMarkdown('[$(info) Details](command:codebaseGardener.showStatus) · [$(pulse) Check now](command:codebaseGardener.runHealthCheck) · [$(dashboard) Dashboard](command:codebaseGardener.openDashboard)');
  return md;
}
