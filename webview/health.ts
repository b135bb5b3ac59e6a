// Health: the overall status and why, the integration score, uptime, CPU / memory / disk with
// their threshold colours, and each component probe with its response time.
import type { HealthReport } from '../src/core/health/report';
import type { HealthStatus } from '../src/core/health/status';
import { el, pill, table } from './dom';

function meter(value: number | null, status: HealthStatus): HTMLElement {
  const m = el('div', 'meter');
  const fill = el('div', `fill ${status.toLowerCase()}`);
  // The CSSOM, not a style attribute: allowed by a CSP without 'unsafe-inline'.
  fill.style.width = `${Math.max(0, Math.min(100, value ?? 0))}%`;
  m.appendChild(fill);
  return m;
}

function card(name: string, title: string, value: string, status: HealthStatus | undefined, lines: string[], percent?: number | null): HTMLElement {
  const c = el('div', 'card');
  c.dataset.card = name;
  c.setAttribute('role', 'group');
  c.setAttribute('aria-label', title);
  const head = el('div', 'card-head');
  head.append(el('h3', undefined, title));
  if (status) head.appendChild(pill(status));
  const v = el('div', 'value', value);
  v.dataset.value = name;
  c.append(head, v);
  if (percent !== undefined && status) c.appendChild(meter(percent, status));
  for (const l of lines) if (l) c.appendChild(el('div', 'detail', l));
  return c;
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : `${Math.round(v * 10) / 10}%`);

function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
}

export function renderHealth(r: HealthReport): HTMLElement {
  const m = r.systemMetrics;
  const t = r.thresholds;
  const ih = r.integrationHealth;
  const wrap = el('div', 'health');
  const why = r.resourceWarnings.length ? r.resourceWarnings.join(' ') : r.recommendations[0] ?? '';
  const summary = el('div', 'summary');
  const status = pill(r.overallStatus);
  status.dataset.status = r.overallStatus;
  summary.append(status, el('span', 'why', r.overallStatus === 'HEALTHY' ? 'All systems operating normally.' : why || 'No sample yet.'));
  wrap.appendChild(summary);

  const cards = el('div', 'cards');
  cards.append(
    card('cpu', 'CPU', pct(m?.cpuPercent), r.resourceStatus.cpu, [m ? `load ${m.loadAverage[0]} on ${m.cpuCount} CPUs` : '', r.sustained.cpu ? `judged on ${r.sustained.cpu.basis}` : '', `warning ${t.cpu.warning}% · critical ${t.cpu.critical}%`], m?.cpuPercent ?? null),
    card('memory', 'Memory', pct(m?.memoryPercent), r.resourceStatus.memory, [m ? `${m.memoryUsedMB} of ${m.memoryTotalMB} MB` : '', r.sustained.memory ? `judged on ${r.sustained.memory.basis}` : '', `warning ${t.memory.warning}% · critical ${t.memory.critical}%`], m?.memoryPercent ?? null),
    card('disk', 'Disk', pct(m?.diskPercent), r.resourceStatus.disk, [m ? `${m.diskUsedGB ?? 'n/a'} of ${m.diskTotalGB ?? 'n/a'} GB · ${m.diskPath}` : '', `warning ${t.disk.warning}% · critical ${t.disk.critical}%`], m?.diskPercent ?? null),
    card('score', 'Integration', ih.configured ? pct(ih.score) : 'Not configured', ih.status, [ih.configured ? `${ih.passed} of ${ih.total} probes pass` : 'Add probes in the setting codebaseGardener.probes.', `warning below ${t.integrationScore.warning}%`]),
    card('uptime', 'Uptime', uptime(r.uptimeSeconds), undefined, [r.sampledAt ? `last sample ${new Date(r.sampledAt).toLocaleTimeString()}${r.stale ? ' (stale)' : ''}` : 'no sample yet', r.monitor.running ? `every ${r.monitor.intervalSeconds} s` : 'monitoring off']),
  );
  wrap.appendChild(cards);

  const rows = ih.checks.map((c) => [c.name, c.source === 'built-in' ? `${c.kind} (built-in)` : c.kind, c.target, pill(c.status), `${c.responseTimeMs} ms`, c.message]);
  const components = el('div', 'components');
  components.append(el('h3', undefined, 'Components'), table(['Component', 'Kind', 'Target', 'Status', 'Response', 'Message'], rows, { empty: 'No component checks yet.' }));
  wrap.appendChild(components);
  return wrap;
}
