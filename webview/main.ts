// The dashboard page. It renders what the host sends and asks the host to act, through the
// typed protocol (src/shared/protocol.ts); it keeps nothing but the chosen chart range.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import 'uplot/dist/uPlot.min.css';
import './dashboard.css';
import type { HostEvent, RangeKey, Snapshot } from '../src/shared/protocol';
import { RANGES } from '../src/shared/protocol';
import { AlertsView } from './alerts';
import { BackupsView } from './backups';
import { Charts } from './charts';
import { button, el, section } from './dom';
import { renderHealth } from './health';
import { LogsView } from './logs';
import { MaintenanceView } from './maintenance';
import { Host } from './rpc';

performance.mark('gardener:script');
const host = new Host();
const app = document.getElementById('app') as HTMLElement;

const charts = new Charts();
const alerts = new AlertsView(host);
const backups = new BackupsView(host);
const maintenance = new MaintenanceView(host);
const logs = new LogsView(host);

const header = el('header');
const title = el('h1', undefined, 'Codebase Gardener');
const actions = el('div', 'actions');
actions.append(
  button('Run Health Check', () => void host.request('runHealthCheck', {}), { name: 'run-health-check' }),
  button('Show Details', () => void host.request('showStatus', {}), { secondary: true, name: 'show-status' }),
);
header.append(title, actions);

const health = section('health', 'Health');
const rangeButtons = new Map<RangeKey, HTMLElement>();
for (const r of Object.keys(RANGES) as RangeKey[]) {
  const b = button(r, () => void showRange(r), { secondary: true, name: `range-${r}`, title: `Show the last ${r}` });
  rangeButtons.set(r, b);
}
const chartSection = section('charts', 'History', ...rangeButtons.values());
chartSection.body.appendChild(charts.root);
const alertSection = section('alerts', 'Alerts');
alertSection.body.appendChild(alerts.body);
const maintenanceSection = section('maintenance', 'Maintenance');
maintenanceSection.body.appendChild(maintenance.body);
const backupSection = section('backups', 'Backups');
backupSection.body.appendChild(backups.body);
const logSection = section('logs', 'Logs');
logSection.body.appendChild(logs.body);
const columns = el('div', 'columns');
columns.append(alertSection.root, maintenanceSection.root, backupSection.root, logSection.root);

function showHealth(s: Snapshot['health']): void {
  health.body.replaceChildren(renderHealth(s));
  charts.setThresholds(s.thresholds);
}

let rangeRequest = 0;
async function showRange(range: RangeKey): Promise<void> {
  const mine = ++rangeRequest;
  const started = performance.now();
  const s = await host.request('history', { range });
  // A later click wins over an answer still on its way.
  if (mine !== rangeRequest) return;
  charts.show(s);
  for (const [r, b] of rangeButtons) {
    b.toggleAttribute('secondary', r !== range);
    b.setAttribute('aria-pressed', String(r === range));
  }
  host.setState({ ...host.state, range });
  document.body.dataset.rangeMs = String(Math.round(performance.now() - started));
  document.body.dataset.rangeShown = range;
}

function onEvent(e: HostEvent): void {
  switch (e.event) {
    case 'health':
      showHealth(e.report);
      if (e.point) charts.append(e.point);
      break;
    case 'alerts':
      alerts.show(e.alerts);
      break;
    case 'backups':
      backups.show(e.backups);
      break;
    case 'maintenance':
      maintenance.show(e.maintenance);
      break;
  }
}

async function start(): Promise<void> {
  host.onEvent(onEvent);
  host.ready();
  app.replaceChildren(header, health.root, chartSection.root, columns);
  const saved = host.state.range;
  const range: RangeKey = typeof saved === 'string' && saved in RANGES ? (saved as RangeKey) : '1h';
  const [snap] = await Promise.all([host.request('snapshot', {}), showRange(range)]);
  performance.mark('gardener:data');
  showHealth(snap.health);
  alerts.show(snap.alerts);
  backups.show(snap.backups);
  maintenance.show(snap.maintenance);
  logs.show(snap.logs);
  // After the next paint: a task queued from the frame callback runs once that frame is painted.
  requestAnimationFrame(() =>
    setTimeout(() => {
      performance.mark('gardener:rendered');
      document.body.dataset.rendered = String(Math.round(performance.now()));
    }, 0),
  );
}

start().catch((err: Error) => {
  app.replaceChildren(el('p', 'error', `The dashboard could not load: ${err.message}`));
});
