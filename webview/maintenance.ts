// Maintenance: next runs, running tasks with their progress, recent history; Run Now.
import type { MaintenanceSection } from '../src/shared/protocol';
import { el, rowAction, fullTime, pill, table, when } from './dom';
import type { Host } from './rpc';

const STATUS = { COMPLETED: 'HEALTHY', FAILED: 'CRITICAL', RUNNING: 'WARNING', SKIPPED: 'UNKNOWN', CANCELLED: 'UNKNOWN', SCHEDULED: 'UNKNOWN' } as const;

export class MaintenanceView {
  readonly body = el('div');
  private readonly status = el('p', 'status');

  constructor(private readonly host: Host) {
    this.status.setAttribute('role', 'status');
  }

  show(s: MaintenanceSection): void {
    const running = s.running;
    // Finished runs, newest first, as the status gives them.
    const history = s.status.recent;
    const parts: HTMLElement[] = [];
    if (running.length) {
      parts.push(el('h3', undefined, `Running (${running.length})`));
      for (const r of running) {
        const row = el('div', 'running');
        row.dataset.runId = r.id;
        row.append(el('vscode-progress-ring'), el('span', undefined, `${r.description} — ${r.progress ?? 'started'} (${when(r.startedAt)})`));
        parts.push(row);
      }
    }
    parts.push(
      el('h3', undefined, 'Tasks'),
      table(
        ['Task', 'Schedule', 'Next run', ''],
        s.tasks.map((t) => [t.title, t.schedule || 'off', t.next ? when(t.next) : '—', rowAction('Run Now', () => this.run(t.key, t.title), { name: 'run-now' })]),
        { rowData: s.tasks.map((t) => ({ task: t.key })) },
      ),
      el('h3', undefined, 'History'),
      table(
        ['Task', 'Status', 'Ended', 'Result'],
        history.map((r) => [r.description, pill(STATUS[r.status], r.status.toLowerCase()), r.endedAt ? fullTime(r.endedAt) : '—', r.error ?? r.summary ?? '']),
        { empty: 'No runs yet.', rowData: history.map((r) => ({ runId: r.id, task: r.key })) },
      ),
      el('p', 'detail', s.status.leader ? 'This window runs the schedules.' : 'Another window runs the schedules; Run Now runs here.'),
      this.status,
    );
    parts[parts.length - 3].dataset.list = 'history';
    this.body.replaceChildren(...parts);
  }

  private run(task: MaintenanceSection['tasks'][number]['key'], title: string): void {
    this.status.textContent = `${title}: started.`;
    this.host.request('runTask', { task }).catch((err: Error) => (this.status.textContent = `Could not run ${title}: ${err.message}`));
  }
}
