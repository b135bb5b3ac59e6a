// Backups: per type the last success, the next scheduled run, count and size, where they are
// stored; Back Up Now, Validate and Restore (which the extension confirms in its own dialog).
import type { BackupsSection } from '../src/shared/protocol';
import { el, rowAction, formatBytes, fullTime, table, when } from './dom';
import type { Host } from './rpc';

export class BackupsView {
  readonly body = el('div');
  private readonly status = el('p', 'status');

  constructor(private readonly host: Host) {
    this.status.setAttribute('role', 'status');
  }

  private act(p: Promise<unknown>, done: (r: unknown) => string): void {
    this.status.textContent = '';
    p.then(
      (r) => (this.status.textContent = done(r)),
      (err: Error) => (this.status.textContent = `Could not do that: ${err.message}`),
    );
  }

  show(s: BackupsSection): void {
    const types = table(
      ['Type', 'Last success', 'Next scheduled', 'Backups', 'Size', ''],
      s.types.map((t) => [
        t.label,
        t.lastSuccessAt ? when(t.lastSuccessAt) : 'never',
        t.nextAt ? when(t.nextAt) : 'not scheduled',
        String(t.count),
        formatBytes(t.sizeBytes),
        t.unavailable ? el('span', 'detail', t.unavailable) : rowAction('Back Up Now', () => this.act(this.host.request('createBackup', { type: t.type }), () => ''), { name: 'backup' }),
      ]),
      { rowData: s.types.map((t) => ({ type: t.type })) },
    );
    const where = el('p', 'detail', `Stored in ${s.folder} · ${formatBytes(s.folderBytes)} in all`);
    const parts: HTMLElement[] = [types, where];
    if (s.sameDiskWarning) {
      const w = el('p', 'warning-line');
      w.append(el('span', undefined, '⚠ '), document.createTextNode(s.sameDiskWarning));
      parts.push(w);
    }
    const recent = s.recent.slice(0, 6);
    parts.push(
      el('h3', undefined, 'Recent backups'),
      table(
        ['Created', 'Type', 'Files', 'Size', 'Status', ''],
        recent.map((b) => {
          const actions = el('div', 'row-actions');
          if (b.status === 'completed')
            actions.append(
              rowAction('Validate', () => this.act(this.host.request('validateBackup', { id: b.id }), (r) => ((r as { valid: boolean }).valid ? 'The backup is valid.' : `The backup is NOT valid: ${(r as { firstProblem?: string }).firstProblem ?? ''}`)), { name: 'validate' }),
              rowAction('Restore…', () => this.act(this.host.request('restoreBackup', { id: b.id }), () => ''), { name: 'restore', title: 'Restore this backup (you confirm in VS Code first)' }),
            );
          return [fullTime(b.createdAt), b.type.replace('_', ' ').toLowerCase(), String(b.fileCount), formatBytes(b.sizeBytes), b.status === 'completed' ? 'completed' : `failed${b.error ? `: ${b.error}` : ''}`, actions];
        }),
        { empty: 'No backups yet.', rowData: recent.map((b) => ({ backupId: b.id })) },
      ),
      this.status,
    );
    this.body.replaceChildren(...parts);
  }
}
