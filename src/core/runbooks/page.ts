import type { RunbookEntry } from './library';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The runbook tab's whole page around a rendered runbook. Its policy lets our stylesheet load
 * and nothing else: no script (none is needed; command links are run by VS Code itself), no
 * inline style, no image, no form, no base URL.
 */
export function runbookPage(o: { cspSource: string; stylesheet: string; entry: Pick<RunbookEntry, 'name' | 'title' | 'source' | 'file' | 'overrides'>; body: string }): string {
  const csp = [`default-src 'none'`, `style-src ${o.cspSource}`, `img-src 'none'`, `form-action 'none'`, `base-uri 'none'`].join('; ');
  const e = o.entry;
  const origin =
    e.source === 'user'
      ? `From your runbooks folder: <code>${escapeHtml(e.file)}</code>${e.overrides ? ' (in place of the bundled one)' : ''}`
      : 'Bundled with Codebase Gardener';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(o.stylesheet)}">
<title>${escapeHtml(e.title)}</title>
</head>
<body>
<main class="runbook" data-runbook="${escapeHtml(e.name)}">
<p class="origin">${origin} · values in <span class="setting">this style</span> are your current settings · <span class="run-hint">▶</span> links run the command</p>
${o.body}
</main>
</body>
</html>`;
}
