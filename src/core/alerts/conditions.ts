import { over, type HealthReport } from '../health/report';
import type { AlertSettings } from './types';

/** What one health sample says about one condition. */
export interface Observation {
  key: string;
  component: string;
  metric: string;
  /** The level the condition is at now, or null when it is not breaching. */
  breach: 'WARNING' | 'CRITICAL' | null;
  /** True when the condition is comfortably clear (past the hysteresis margin, or passing). */
  clear: boolean;
  /** Consecutive clear samples needed to resolve. */
  clearSamples: number;
  value: number | null;
  unit: string;
  lowerIsWorse: boolean;
  threshold?: { warning: number; critical: number };
  title: string;
  message: string;
  /** A runbook other than the one `runbookForAlert` names for this component and metric. */
  runbook?: string;
}

function higherIsWorse(
  key: string,
  component: string,
  metric: string,
  short: string,
  label: string,
  value: number | null | undefined,
  band: { warning: number; critical: number },
  margin: number,
  unit: string,
  /** Says what the value is, after it: " averaged over 5 min". */
  qualifier = '',
): Observation {
  const v = value ?? null;
  const breach = v === null ? null : v >= band.critical ? 'CRITICAL' : v >= band.warning ? 'WARNING' : null;
  const limit = breach === 'CRITICAL' ? `critical at ${band.critical}${unit}` : `warning at ${band.warning}${unit}`;
  return {
    key,
    component,
    metric,
    breach,
    clear: v !== null && v < band.warning - margin,
    clearSamples: 1,
    value: v,
    unit,
    lowerIsWorse: false,
    threshold: band,
    title: `${short} ${v ?? 'n/a'}${unit}`,
    message: `${label} ${v ?? 'n/a'}${unit}${qualifier} (${limit})`,
  };
}

/** Every condition a health report speaks of, breaching or not. */
export function observe(report: HealthReport, s: AlertSettings): Observation[] {
  const t = report.thresholds;
  const m = report.systemMetrics;
  const cpu = report.sustained.cpu;
  const memory = report.sustained.memory;
  // Judged on the window's average, not the current reading: a build's minutes at 100 % are no alert.
  // Until the readings span the window the average is null, which neither fires nor clears.
  const out: Observation[] = [
    higherIsWorse('system:cpu', 'system', 'cpu', 'CPU', 'CPU usage', cpu?.percent, t.cpu, s.hysteresis, '%', over(cpu)),
    higherIsWorse('system:memory', 'system', 'memory', 'Memory', 'Memory usage', memory?.percent, t.memory, s.hysteresis, '%', over(memory)),
    higherIsWorse('system:disk', 'system', 'disk', 'Disk', `Disk usage of ${m?.diskPath ?? 'the data volume'}`, m?.diskPercent, t.disk, s.hysteresis, '%'),
  ];

  const ih = report.integrationHealth;
  if (ih.score !== null) {
    const band = t.integrationScore;
    const breach = ih.score < band.critical ? 'CRITICAL' : ih.score < band.warning ? 'WARNING' : null;
    out.push({
      key: 'system:integrationScore',
      component: 'system',
      metric: 'integrationScore',
      breach,
      clear: ih.score >= band.warning + s.hysteresis || ih.score === 100,
      clearSamples: 1,
      value: ih.score,
      unit: '%',
      lowerIsWorse: true,
      threshold: band,
      title: `Integration score ${ih.score}%`,
      message: `Integration score ${ih.score}% (${ih.passed} of ${ih.total} checks pass; ${breach === 'CRITICAL' ? `critical below ${band.critical}%` : `warning below ${band.warning}%`})`,
      });
  }

  for (const c of ih.checks) {
    const critical = c.status === 'CRITICAL' && !c.ok;
    out.push({
      key: `${c.name}:availability`,
      component: c.name,
      metric: 'availability',
      breach: c.ok ? null : critical ? 'CRITICAL' : 'WARNING',
      clear: c.ok,
      clearSamples: s.clearSamples,
      value: null,
      unit: '',
      lowerIsWorse: false,
      title: `${c.name}: ${c.ok ? 'passing' : c.message}`,
      message: c.ok ? `${c.name} is passing` : `${c.name} is failing: ${c.message}`,
      });
    // A percentage margin on milliseconds: 5 points of a 3 s threshold is 150 ms. A failing
    // probe has no response time, which holds (neither breaches nor clears) that condition.
    const margin = (t.responseTimeMs.warning * s.hysteresis) / 100;
    const rt = c.ok ? c.responseTimeMs : null;
    out.push(higherIsWorse(`${c.name}:responseTime`, c.name, 'responseTime', `${c.name} slow:`, `${c.name} response time`, rt, t.responseTimeMs, margin, ' ms'));
  }
  return out;
}
