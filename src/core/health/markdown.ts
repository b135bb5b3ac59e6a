import type { HealthReport } from './report';
import type { HealthStatus } from './status';

const word: Record<HealthStatus, string> = { HEALTHY: 'Healthy', WARNING: 'Warning', CRITICAL: 'Critical', UNKNOWN: 'Unknown' };

function fmt(n: number | null | undefined, unit = ''): string {
  return n === null || n === undefined ? 'n/a' : `${n}${unit}`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The detailed status as a Markdown document (the guide's `status --detailed`). */
export function reportToMarkdown(r: HealthReport): string {
  const m = r.systemMetrics;
  const lines: string[] = [];
  lines.push(`# Codebase Gardener — Status: ${word[r.overallStatus]}`, '');
  lines.push(`Report time: ${r.timestamp}  `);
  lines.push(`Last sample: ${r.sampledAt ?? 'none yet'}${r.stale && r.sampledAt ? ' (stale)' : ''}  `);
  lines.push(`Monitoring: ${r.monitor.running ? `running every ${r.monitor.intervalSeconds} s` : 'stopped'}; uptime ${r.uptimeSeconds} s`, '');

  // CPU and memory are judged on an average over a window, not on the value now: say which.
  lines.push('## Resources', '', '| Metric | Now | Judged on | Status | Warning | Critical |', '|---|---|---|---|---|---|');
  lines.push(`| CPU | ${fmt(m?.cpuPercent, '%')} | ${r.sustained.cpu?.basis ?? 'n/a'} | ${word[r.resourceStatus.cpu]} | ${r.thresholds.cpu.warning}% | ${r.thresholds.cpu.critical}% |`);
  lines.push(
    `| Memory | ${fmt(m?.memoryPercent, '%')} (${fmt(m?.memoryUsedMB)} of ${fmt(m?.memoryTotalMB)} MB) | ${r.sustained.memory?.basis ?? 'n/a'} | ${word[r.resourceStatus.memory]} | ${r.thresholds.memory.warning}% | ${r.thresholds.memory.critical}% |`,
  );
  lines.push(`| Disk | ${fmt(m?.diskPercent, '%')} of ${cell(m?.diskPath ?? 'n/a')} | each sample | ${word[r.resourceStatus.disk]} | ${r.thresholds.disk.warning}% | ${r.thresholds.disk.critical}% |`);
  lines.push(
    `| Response time | slowest passing check | each sample | ${word[r.resourceStatus.responseTime]} | ${r.thresholds.responseTimeMs.warning} ms | ${r.thresholds.responseTimeMs.critical} ms |`,
  );
  lines.push('');
  if (m) {
    lines.push(
      `Load average ${m.loadAverage.join(' / ')} on ${m.cpuCount} CPUs · ${fmt(m.processCount)} processes · system up ${Math.round(m.systemUptimeSeconds / 3600)} h`,
      '',
    );
  }
  if (r.resourceWarnings.length) lines.push(...r.resourceWarnings.map((w) => `- ${w}`), '');

  const ih = r.integrationHealth;
  lines.push(`## Components — integration score ${ih.score === null ? 'not configured' : `${ih.score}% (${word[ih.status]})`}`, '', ih.message, '');
  if (ih.checks.length) {
    lines.push('| Component | Kind | Target | Status | Response | Message |', '|---|---|---|---|---|---|');
    for (const c of ih.checks) {
      lines.push(`| ${cell(c.name)} | ${c.kind}${c.source === 'built-in' ? ' (built-in)' : ''} | ${cell(c.target)} | ${word[c.status]} | ${c.responseTimeMs} ms | ${cell(c.message)} |`);
    }
    lines.push('');
  }

  lines.push('## Recommendations', '');
  lines.push(...(r.recommendations.length ? r.recommendations.map((x) => `- ${x}`) : ['- None: all systems operating normally.']), '');
  if (r.configurationProblems.length) {
    lines.push('## Configuration problems', '', ...r.configurationProblems.map((p) => `- ${p}`), '');
  }
  lines.push('## Monitor cost', '');
  lines.push(`${r.monitor.samples} samples · ${r.monitor.cpuMsPerMinute} ms CPU per minute · last sample ${fmt(r.monitor.lastSampleCpuMs, ' ms')} CPU · extension host ${r.monitor.hostRssMB} MB RSS`, '');
  lines.push('## Raw report', '', '```json', JSON.stringify(r, null, 2), '```', '');
  return lines.join('\n');
}
