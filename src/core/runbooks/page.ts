import { escapeHtml, webviewPage } from '../webviewPage';
import type { RunbookEntry } from './library';

/**
 * The runbook tab's whole page around a rendered runbook. Its policy lets our stylesheet load
 * and nothing else: no script (none is needed; command links are run by VS Code itself), no
 * inline style, no image, no form, no base URL.
 */
export function runbookPage(o: { cspSource: string; stylesheet: string; entry: Pick<RunbookEntry, 'name' | 'title' | 'source' | 'file' | 'overrides'>; body: string }): string {
  const e = o.entry;
  const origin =
    e.source === 'user'
      ? `From your runbooks folder: <code>${escapeHtml(e.file)}</code>${e.overrides ? ' (in place of the bundled one)' : ''}`
      : 'Bundled with Codebase Gardener';
  return webviewPage({
    csp: [`default-src 'none'`, `style-src ${o.cspSource}`, `img-src 'none'`, `form-action 'none'`, `base-uri 'none'`],
    title: e.title,
    stylesheet: o.stylesheet,
    body: `<main class="runbook" data-runbook="${escapeHtml(e.name)}">
<p class="origin">${origin} · values in <span class="setting">this style</span> are your current settings · <span class="run-hint">▶</span> links run the command</p>
${o.body}
</main>`,
  });
}
