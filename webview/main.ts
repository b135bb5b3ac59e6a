// The dashboard page. It renders what the host sends and asks the host to act; it holds
// no state of its own beyond the last message.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { HealthReport } from '../src/core/health/report';
import type { HealthStatus } from '../src/core/health/status';
import type { HistoryPoint, HostMessage, WebviewMessage } from '../src/shared/protocol';
import { STYLE } from './style';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

const style = document.createElement('style');
style.textContent = STYLE;
document.head.appendChild(style);

const words: Record<HealthStatus, string> = { HEALTHY: 'Healthy', WARNING: 'Warning', CRITICAL: 'Critical', UNKNOWN: 'Unknown' };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K];
function el(tag: string, cls?: string, text?: string): HTMLElement;
function el(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function pill(status: HealthStatus): HTMLElement {
  const p = el('span', `pill ${status.toLowerCase()}`);
  p.append(el('span', 'dot'), document.createTextNode(words[status]));
  return p;
}

function button(label: string, message: WebviewMessage, secondary = false): HTMLElement {
  const b = el('vscode-button', undefined, label);
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', () => vscode.postMessage(message));
  return b;
}

function sparkline(values: (number | null)[]): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 100 24');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('aria-hidden', 'true');
  const known = values.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null);
  if (known.length > 1) {
    const n = values.length - 1;
    const line = document.createElementNS(ns, 'polyline');
    line.setAttribute('points', known.map(([i, v]) => `${((i / n) * 100).toFixed(2)},${(24 - (v / 100) * 22 - 1).toFixed(2)}`).join(' '));
    svg.appendChild(line);
  }
  return svg;
}

function card(title: string, value: number | null, status: HealthStatus, detail: string, series?: (number | null)[], judged?: string): HTMLElement {
  const c = el('section', 'card');
  c.setAttribute('aria-label', title);
  const head = el('div', 'card-head');
  head.append(el('h2', undefined, title), pill(status));
  c.append(head, el('div', 'value', value === null ? 'n/a' : `${value}%`));
  const meter = el('div', 'meter');
  const fill = el('div', `fill ${status.toLowerCase()}`);
  fill.style.width = `${Math.max(0, Math.min(100, value ?? 0))}%`;
  meter.appendChild(fill);
  c.append(meter);
  // What the status is judged on (a window's average), above the other details: it explains the pill.
  if (judged) c.appendChild(el('div', 'judged', `Judged on ${judged}`));
  c.appendChild(el('div', 'detail', detail));
  if (series) c.appendChild(sparkline(series));
  return c;
}

function componentsTable(r: HealthReport): HTMLElement {
  const table = el('vscode-table');
  table.setAttribute('zebra', '');
  table.setAttribute('bordered-rows', '');
  table.setAttribute('columns', JSON.stringify(['16%', '9%', '24%', '13%', '11%', '27%']));
  const header = el('vscode-table-header');
  header.setAttribute('slot', 'header');
  for (const h of ['Component', 'Kind', 'Target', 'Status', 'Response', 'Message']) header.appendChild(el('vscode-table-header-cell', undefined, h));
  const body = el('vscode-table-body');
  body.setAttribute('slot', 'body');
  for (const c of r.integrationHealth.checks) {
    const row = el('vscode-table-row');
    const status = el('vscode-table-cell');
    status.appendChild(pill(c.status));
    row.append(
      el('vscode-table-cell', undefined, c.name),
      el('vscode-table-cell', undefined, c.source === 'built-in' ? `${c.kind} (built-in)` : c.kind),
      el('vscode-table-cell', 'mono', c.target),
      status,
      el('vscode-table-cell', undefined, `${c.responseTimeMs} ms`),
      el('vscode-table-cell', undefined, c.message),
    );
    body.appendChild(row);
  }
  table.append(header, body);
  return table;
}

function render(r: HealthReport, history: HistoryPoint[]): void {
  const m = r.systemMetrics;
  const header = el('header');
  const title = el('div', 'title');
  title.append(el('h1', undefined, 'Codebase Gardener'), pill(r.overallStatus));
  const when = r.sampledAt ? new Date(r.sampledAt).toLocaleTimeString() : 'none yet';
  const meta = el(
    'p',
    'meta',
    `Last sample ${when}${r.stale && r.sampledAt ? ' (stale)' : ''} · ${r.monitor.running ? `sampling every ${r.monitor.intervalSeconds} s` : 'monitoring off'}`,
  );
  const actions = el('div', 'actions');
  actions.append(button('Run Health Check', { type: 'runHealthCheck' }), button('Show Details', { type: 'showStatus' }, true));
  header.append(title, meta, actions);

  const cards = el('div', 'cards');
  cards.append(
    // The value now; the status is judged on the window's average, which the card names.
    card('CPU', m?.cpuPercent ?? null, r.resourceStatus.cpu, m ? `now · load ${m.loadAverage[0]} on ${m.cpuCount} CPUs` : '', history.map((h) => h.cpu), r.sustained.cpu?.basis),
    card('Memory', m?.memoryPercent ?? null, r.resourceStatus.memory, m ? `now · ${m.memoryUsedMB} of ${m.memoryTotalMB} MB` : '', history.map((h) => h.memory), r.sustained.memory?.basis),
    card('Disk', m?.diskPercent ?? null, r.resourceStatus.disk, m ? `${m.diskUsedGB ?? 'n/a'} of ${m.diskTotalGB ?? 'n/a'} GB · ${m.diskPath}` : '', history.map((h) => h.disk)),
    card(
      'Integration',
      r.integrationHealth.score,
      r.integrationHealth.status,
      r.integrationHealth.configured ? `${r.integrationHealth.passed} of ${r.integrationHealth.total} probes pass` : 'Not configured: no probes',
    ),
  );

  const components = el('section', 'block');
  components.append(el('h2', undefined, 'Components'), componentsTable(r));

  const recs = el('section', 'block');
  recs.appendChild(el('h2', undefined, 'Recommendations'));
  const list = el('ul');
  for (const x of r.recommendations.length ? r.recommendations : ['None: all systems operating normally.']) list.appendChild(el('li', undefined, x));
  recs.appendChild(list);

  const footer = el(
    'footer',
    'meta',
    `Monitor cost: ${r.monitor.cpuMsPerMinute} ms CPU per minute · extension host ${r.monitor.hostRssMB} MB · ${r.monitor.samples} samples`,
  );
  app.replaceChildren(header, cards, components, recs, footer);
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const msg = e.data;
  if (msg?.type === 'health') {
    render(msg.report, msg.history);
    // Keeping state lets VS Code restore the panel (through the serializer) after a reload.
    vscode.setState({ restored: true });
  }
});

vscode.postMessage({ type: 'ready' });
