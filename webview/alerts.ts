// Alerts: open and acknowledged, with Acknowledge (comment, expiry), Resolve and Open Runbook.
import type { AlertInfo } from '../api/codebase-gardener';
import type { AlertsSection } from '../src/shared/protocol';
import { button, el, rowAction, select, table, when } from './dom';
import type { Host } from './rpc';

const LEVEL: Record<AlertInfo['level'], 'CRITICAL' | 'WARNING' | 'HEALTHY'> = { CRITICAL: 'CRITICAL', WARNING: 'WARNING', INFO: 'HEALTHY' };
const EXPIRIES: [string, number | undefined][] = [
  ['Until resolved', undefined],
  ['1 hour', 60],
  ['4 hours', 240],
  ['1 day', 1440],
];

function level(a: AlertInfo): HTMLElement {
  const p = el('span', `pill ${LEVEL[a.level].toLowerCase()}`);
  p.append(el('span', 'dot'), document.createTextNode(a.level));
  return p;
}

function what(a: AlertInfo): HTMLElement {
  const d = el('div', 'what');
  d.append(el('div', 'title', a.title), el('div', 'detail', a.message));
  return d;
}

export class AlertsView {
  readonly body = el('div');
  private readonly status = el('p', 'status');
  private data: AlertsSection | undefined;
  /** The alert whose Acknowledge form is open. */
  private acking: string | undefined;

  constructor(private readonly host: Host) {
    this.status.setAttribute('role', 'status');
  }

  show(s: AlertsSection): void {
    this.data = s;
    if (this.acking && !s.open.some((a) => a.id === this.acking)) this.acking = undefined;
    this.render();
  }

  private act(p: Promise<unknown>, done: string): void {
    this.status.textContent = '';
    p.then(
      () => (this.status.textContent = done),
      (err: Error) => (this.status.textContent = `Could not do that: ${err.message}`),
    );
  }

  private render(): void {
    const s = this.data!;
    const openRows = s.open.map((a) => {
      const actions = el('div', 'row-actions');
      actions.append(
        rowAction('Acknowledge', () => ((this.acking = this.acking === a.id ? undefined : a.id), this.render()), { name: 'ack' }),
        rowAction('Resolve', () => this.act(this.host.request('resolve', { alertId: a.id, note: 'Resolved from the dashboard' }), 'Resolved.'), { name: 'resolve' }),
      );
      if (a.runbook && s.runbooks.includes(a.runbook)) actions.appendChild(rowAction('Runbook', () => this.act(this.host.request('openRunbook', { name: a.runbook! }), ''), { name: 'runbook', title: `Open the runbook ${a.runbook}` }));
      const cell = what(a);
      cell.append(actions);
      if (this.acking === a.id) cell.appendChild(this.ackForm(a));
      return [level(a), cell, a.component, when(a.createdAt)];
    });
    const ackRows = s.acknowledged.map((a) => {
      const by = a.acknowledged ? `${a.acknowledged.by}${a.acknowledged.comment ? `: “${a.acknowledged.comment}”` : ''}` : '';
      const until = a.acknowledged?.expiresAt ? `until ${new Date(a.acknowledged.expiresAt).toLocaleString()}` : 'until resolved';
      const actions = el('div', 'row-actions');
      actions.append(rowAction('Resolve', () => this.act(this.host.request('resolve', { alertId: a.id, note: 'Resolved from the dashboard' }), 'Resolved.'), { name: 'resolve' }));
      const cell = what(a);
      cell.append(actions);
      return [level(a), cell, by, until];
    });
    const openTitle = el('h3', undefined, `Open (${s.open.length})`);
    const ackTitle = el('h3', undefined, `Acknowledged (${s.acknowledged.length})`);
    const open = table(['Level', 'Alert', 'Component', 'Since'], openRows, { empty: 'No open alerts.', rowData: s.open.map((a) => ({ alertId: a.id, state: 'open' })) });
    const acked = table(['Level', 'Alert', 'Acknowledged by', 'Silenced'], ackRows, { empty: 'None acknowledged.', rowData: s.acknowledged.map((a) => ({ alertId: a.id, state: 'acknowledged' })) });
    open.dataset.list = 'open';
    acked.dataset.list = 'acknowledged';
    this.body.replaceChildren(openTitle, open, ackTitle, acked, this.status);
  }

  private ackForm(a: AlertInfo): HTMLElement {
    const form = el('div', 'inline-form');
    form.dataset.form = 'ack';
    const comment = el('vscode-textfield') as HTMLElement & { value: string };
    comment.setAttribute('placeholder', 'Comment (optional)');
    comment.setAttribute('aria-label', 'Comment');
    comment.dataset.field = 'comment';
    const expiry = select('Silence for', 'expiry', EXPIRIES.map(([label, minutes]) => [label, minutes === undefined ? '' : String(minutes)]));
    const confirm = button(
      'Acknowledge',
      () => {
        const minutes = Number(expiry.value);
        this.acking = undefined;
        this.act(this.host.request('acknowledge', { alertId: a.id, ...(comment.value ? { comment: comment.value.slice(0, 500) } : {}), ...(minutes > 0 ? { expiresInMinutes: minutes } : {}) }), 'Acknowledged.');
      },
      { name: 'ack-confirm' },
    );
    form.append(comment, expiry, confirm, button('Cancel', () => ((this.acking = undefined), this.render()), { secondary: true, name: 'ack-cancel' }));
    return form;
  }
}
