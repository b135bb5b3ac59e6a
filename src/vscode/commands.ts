import * as vscode from 'vscode';
import type { HealthReport, HealthStatus } from '../core/health';
import { updateSetting } from './config';
import { alertCommands } from './alertCommands';
import { logCommands } from './logCommands';
import { backupCommands } from './backupCommands';
import { catalogCommands } from './catalogCommands';
import { backupFolderCommands } from './backupFolder';
import { maintenanceCommands } from './maintenanceCommands';
import { runbookCommands } from './runbookCommands';
import type { Ctx } from './context';

export type Cmd = (...args: unknown[]) => unknown;

const word: Record<HealthStatus, string> = { HEALTHY: 'Healthy', WARNING: 'Warning', CRITICAL: 'Critical', UNKNOWN: 'Unknown' };

export function summary(r: HealthReport): string {
  const m = r.systemMetrics;
  const parts = m ? [`CPU ${m.cpuPercent ?? 'n/a'}%`, `memory ${m.memoryPercent}%`, `disk ${m.diskPercent ?? 'n/a'}%`] : [];
  const ih = r.integrationHealth;
  parts.push(ih.configured ? `${ih.passed}/${ih.total} probes pass` : 'no probes configured');
  return `Health: ${word[r.overallStatus]} — ${parts.join(', ')}.`;
}

export function runHealthCheck(ctx: Ctx): Cmd {
  return async () => {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Codebase Gardener: checking health' },
      () => ctx.monitor.comprehensiveHealthCheck(),
    );
    ctx.logs.info('health', summary(report), { status: report.overallStatus, score: report.integrationHealth.score });
    const show =
      report.overallStatus === 'CRITICAL'
        ? vscode.window.showErrorMessage
        : report.overallStatus === 'WARNING'
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    // Not awaited: the command resolves with the report while the message waits for the user.
    void show(summary(report), 'Show Details').then((c) => c && vscode.commands.executeCommand('codebaseGardener.showStatus'));
    return report;
  };
}

export function showStatus(ctx: Ctx): Cmd {
  return async () => {
    let report = ctx.monitor.report();
    if (!report.sampledAt || report.stale) report = await ctx.monitor.comprehensiveHealthCheck();
    await ctx.reports.showStatus(report);
    return report;
  };
}

export function setMonitoring(ctx: Ctx, enabled: boolean): Cmd {
  return async () => {
    ctx.setMonitoring(enabled);
    await updateSetting('monitoring.enabled', enabled);
    return enabled;
  };
}

export function openDashboard(ctx: Ctx): Cmd {
  return () => ctx.dashboard.open();
}

export function allCommands(ctx: Ctx): Record<string, Cmd> {
  return {
    'codebaseGardener.runHealthCheck': runHealthCheck(ctx),
    'codebaseGardener.showStatus': showStatus(ctx),
    'codebaseGardener.startMonitoring': setMonitoring(ctx, true),
    'codebaseGardener.stopMonitoring': setMonitoring(ctx, false),
    'codebaseGardener.openDashboard': openDashboard(ctx),
    ...alertCommands(ctx),
    ...logCommands(ctx),
    ...backupCommands(ctx),
    ...catalogCommands(ctx),
    ...backupFolderCommands(ctx),
    ...maintenanceCommands(ctx),
    ...runbookCommands(ctx),
  };
}
