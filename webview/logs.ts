// Logs: search with channel, level and time filters; the performance summary table.
import type { LogChannel, LogLevel, LogsSection } from '../src/shared/protocol';
import { button, el, formatBytes, select, table } from './dom';
import type { Host } from './rpc';

type Field = HTMLElement & { value: string };

export class LogsView {
  readonly body = el('div');
  private readonly results = el('div', 'results');
  private readonly status = el('p', 'status');
  private readonly query = el('vscode-textfield') as Field;
  private readonly channel = select('Channel', 'channel', [['All channels', ''], ['main', 'main'], ['error', 'error'], ['performance', 'performance'], ['audit', 'audit']]);
  private readonly level = select('Level', 'level', [['Any level', ''], ['Info and above', 'INFO'], ['Warning and above', 'WARNING'], ['Errors', 'ERROR']]);
  private readonly hours = select('Time', 'hours', [['Last 24 hours', '24'], ['Last hour', '1'], ['Last 7 days', '168'], ['Last 30 days', '720']]);
  private readonly summary = el('div');

  constructor(private readonly host: Host) {
    this.status.setAttribute('role', 'status');
    this.query.setAttribute('placeholder', 'Search the logs');
    this.query.setAttribute('aria-label', 'Search text');
    this.query.dataset.field = 'query';
    this.query.addEventListener('keydown', (e) => (e as KeyboardEvent).key === 'Enter' && this.search());
    const form = el('div', 'search-form');
    const filters = el('div', 'inline-form');
    filters.append(this.channel, this.level, this.hours);
    const line = el('div', 'inline-form');
    line.append(this.query, button('Search', () => this.search(), { name: 'search' }));
    form.append(line, filters);
    this.body.append(form, this.status, this.results, this.summary);
  }

  show(s: LogsSection): void {
    const stats = s.statistics.map((c) => `${c.channel} ${formatBytes(c.sizeBytes)}`).join(' · ');
    const perf = table(
      ['Operation', 'Count', 'Errors', 'Average', 'p95', 'Max'],
      s.performance.slice(0, 12).map((p) => [p.operation, String(p.count), String(p.errors), `${Math.round(p.avgMs)} ms`, `${Math.round(p.p95Ms)} ms`, `${Math.round(p.maxMs)} ms`]),
      { empty: `No operations timed in the last ${s.performanceHours} hours.` },
    );
    this.summary.replaceChildren(el('h3', undefined, `Performance, last ${s.performanceHours} hours`), perf, el('p', 'detail', stats));
  }

  private search(): void {
    const text = this.query.value.slice(0, 200);
    const channel = this.channel.value as LogChannel | '';
    const minLevel = this.level.value as LogLevel | '';
    const hours = Number(this.hours.value) || 24;
    this.status.textContent = 'Searching…';
    this.host
      .request('searchLogs', { text, ...(channel ? { channels: [channel] } : {}), ...(minLevel ? { minLevel } : {}), hours })
      .then(({ rows, truncated }) => {
        this.status.textContent = `${rows.length}${truncated ? '+' : ''} ${rows.length === 1 ? 'entry' : 'entries'}${truncated ? ' (the newest shown)' : ''}.`;
        const t = table(
          ['Time', 'Level', 'Channel', 'Component', 'Message'],
          rows.map((r) => [new Date(r.ts).toLocaleString(), r.level, r.channel, r.component, r.message]),
          { empty: 'Nothing matches.' },
        );
        t.dataset.list = 'log-results';
        this.results.dataset.count = String(rows.length);
        this.results.replaceChildren(t);
      })
      .catch((err: Error) => (this.status.textContent = `The search failed: ${err.message}`));
  }
}
