import * as vscode from 'vscode';
import type { AlertCounts } from '../core/alerts';
import type { HealthReport, HealthStatus } from '../core/health';
import { Disposable } from './dispose';

const look: Record<HealthStatus, { icon: string; word: string }> = {
  HEALTHY: { icon: '$(pass)', word: 'Healthy' },
  WARNING: { icon: '$(warning)', word: 'Warning' },
  CRITICAL: { icon: '$(error)', word: 'Critical' },
  UNKNOWN: { icon: '$(question)', word: 'Unknown' },
};

const NO_ALERTS: AlertCounts = { open: 0, acknowledged: 0, critical: 0, worstOpen: null };

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

  private backgroundId: string | undefined;

  get background(): string | undefined {
    return this.backgroundId;
  }

  /**
   * The word says the latest health; the colour follows the worst open, unacknowledged alert,
   * which is damped, so one noisy sample does not flash the status bar and an acknowledged
   * problem stops shouting.
   */
  update(r: HealthReport, alerts: AlertCounts = NO_ALERTS): void {
    const stopped = !r.monitor.running;
    const l = look[r.overallStatus];
    this.item.text = stopped && r.overallStatus === 'UNKNOWN' ? '$(circle-slash) Monitoring off' : `${l.icon} ${l.word}`;
    const bg = alerts.worstOpen === 'CRITICAL' ? 'statusBarItem.errorBackground' : alerts.worstOpen === 'WARNING' ? 'statusBarItem.warningBackground' : undefined;
    this.backgroundId = bg;
    this.item.backgroundColor = bg ? new vscode.ThemeColor(bg) : undefined;
    const alertText = alerts.open ? `, ${alerts.open} open alert${alerts.open === 1 ? '' : 's'}` : '';
    this.item.accessibilityInformation = { label: `Codebase Gardener health: ${l.word}${stopped ? ', monitoring off' : ''}${alertText}` };
    this.item.tooltip = tooltip(r, alerts);
  }
}

function tooltip(r: HealthReport, alerts: AlertCounts): vscode.MarkdownString {
  const m = r.systemMetrics;
  const ih = r.integrationHealth;
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['codebaseGardener.showStatus', 'codebaseGardener.runHealthCheck', 'codebaseGardener.openDashboard', 'codebaseGardener.showAlerts'] };
  md.appendMarkdown(`**Codebase Gardener — ${look[r.overallStatus].word}**${r.monitor.running ? '' : ' (monitoring off)'}\n\n`);
  md.appendMarkdown('| | |\n|---|---|\n');
  // The value now, and what the status is judged on: a build's minute at 100 % is no verdict.
  md.appendMarkdown(`| CPU | ${pct(m?.cpuPercent)} now · judged on ${r.sustained.cpu?.basis ?? 'n/a'} |\n`);
  md.appendMarkdown(`| Memory | ${pct(m?.memoryPercent)}${m ? ` (${m.memoryUsedMB} / ${m.memoryTotalMB} MB)` : ''} now · judged on ${r.sustained.memory?.basis ?? 'n/a'} |\n`);
  md.appendMarkdown(`| Disk | ${pct(m?.diskPercent)} |\n`);
  md.appendMarkdown(`| Integration | ${ih.score === null ? 'not configured (no probes)' : `${ih.score}% (${ih.passed}/${ih.total} probes)`} |\n`);
  md.appendMarkdown(`| Alerts | ${alerts.open} open${alerts.critical ? ` (${alerts.critical} critical)` : ''}, ${alerts.acknowledged} acknowledged |\n\n`);
  const when = r.sampledAt ? new Date(r.sampledAt).toLocaleTimeString() : 'none yet';
  md.appendMarkdown(`Last sample: ${when}${r.stale && r.sampledAt ? ' (stale)' : ''}\n\n`);
  md.appendMarkdown(`Monitor cost: ${r.monitor.cpuMsPerMinute} ms CPU/min · extension host ${r.monitor.hostRssMB} MB\n\n`);
  md.appendMarkdown(
    '[$(info) Details](command:codebaseGardener.showStatus) · [$(bell) Alerts](command:codebaseGardener.showAlerts) · [$(pulse) Check now](command:codebaseGardener.runHealthCheck) · [$(dashboard) Dashboard](command:codebaseGardener.openDashboard)',
  );
  return md;
}
