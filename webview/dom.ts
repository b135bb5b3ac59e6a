// Small helpers for building the page without markup strings (nothing from the host is ever
// parsed as HTML: alert messages and log lines come from disk and from probes).
import type { HealthStatus } from '../src/core/health/status';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K];
export function el(tag: string, cls?: string, text?: string): HTMLElement;
export function el(tag: string, cls?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const WORDS: Record<HealthStatus, string> = { HEALTHY: 'Healthy', WARNING: 'Warning', CRITICAL: 'Critical', UNKNOWN: 'Unknown' };

export function pill(status: HealthStatus, text = WORDS[status]): HTMLElement {
  const p = el('span', `pill ${status.toLowerCase()}`);
  p.append(el('span', 'dot'), document.createTextNode(text));
  return p;
}

export function button(label: string, onClick: () => void, opts: { secondary?: boolean; name?: string; title?: string } = {}): HTMLElement {
  const b = el('vscode-button', undefined, label);
  if (opts.secondary) b.setAttribute('secondary', '');
  if (opts.name) b.dataset.action = opts.name;
  if (opts.title) b.title = opts.title;
  b.addEventListener('click', onClick);
  return b;
}

/**
 * A plain button for the actions in table rows. Hand-made rather than a vscode-button: each of
 * those is a component with its own shadow root, and the forty-odd in the tables cost the first
 * render ~20 ms (bench:dashboard); these take the same theme colours from VS Code's variables.
 */
export function rowAction(label: string, onClick: () => void, opts: { name: string; title?: string }): HTMLElement {
  const b = el('button', 'row-action', label);
  b.type = 'button';
  b.dataset.action = opts.name;
  if (opts.title) b.title = opts.title;
  b.addEventListener('click', onClick);
  return b;
}

/**
 * A drop-down of `[label, value]` options. A native select, not vscode-single-select: three of
 * those cost the first render ~25 ms of rendering their drop-downs (bench:dashboard's profile);
 * this one takes VS Code's drop-down colours from its variables.
 */
export function select(label: string, field: string, options: [string, string][]): HTMLSelectElement {
  const s = el('select', 'dropdown');
  s.setAttribute('aria-label', label);
  s.dataset.field = field;
  for (const [text, value] of options) {
    const o = el('option', undefined, text);
    o.value = value;
    s.appendChild(o);
  }
  return s;
}

/** A section with a heading, an optional toolbar and a body. */
export function section(id: string, title: string, ...tools: HTMLElement[]): { root: HTMLElement; body: HTMLElement } {
  const root = el('section', 'section');
  root.id = id;
  root.setAttribute('aria-labelledby', `${id}-title`);
  const head = el('div', 'section-head');
  const h = el('h2', undefined, title);
  h.id = `${id}-title`;
  const bar = el('div', 'tools');
  bar.append(...tools);
  head.append(h, bar);
  const body = el('div', 'section-body');
  root.append(head, body);
  return { root, body };
}

export function table(columns: string[], rows: (string | Node)[][], opts: { empty?: string; rowData?: Record<string, string>[] } = {}): HTMLElement {
  if (!rows.length) return el('p', 'empty', opts.empty ?? 'Nothing to show.');
  const t = el('table', 'grid');
  const head = el('tr');
  for (const c of columns) head.appendChild(el('th', undefined, c));
  t.appendChild(el('thead')).appendChild(head);
  const body = t.appendChild(el('tbody'));
  rows.forEach((r, i) => {
    const tr = body.appendChild(el('tr'));
    for (const [k, v] of Object.entries(opts.rowData?.[i] ?? {})) tr.dataset[k] = v;
    for (const cell of r) {
      const td = tr.appendChild(el('td'));
      if (typeof cell === 'string') td.textContent = cell;
      else td.appendChild(cell);
    }
  });
  return t;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

/** "3 min ago", "in 2 h": relative to now, for times within days; the date beyond. */
export function when(t: number | undefined, now = Date.now()): string {
  if (t === undefined) return '—';
  const d = t - now;
  const a = Math.abs(d);
  const unit = a < 60_000 ? `${Math.round(a / 1000)} s` : a < 3_600_000 ? `${Math.round(a / 60_000)} min` : a < 172_800_000 ? `${Math.round(a / 3_600_000)} h` : undefined;
  if (!unit) return new Date(t).toLocaleString();
  return d < 0 ? `${unit} ago` : `in ${unit}`;
}

export function fullTime(t: number | string): string {
  return new Date(t).toLocaleString();
}
