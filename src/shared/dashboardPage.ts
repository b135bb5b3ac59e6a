// The dashboard's HTML shell, kept free of VS Code so that a unit test and the benchmark can
// produce exactly what the extension serves.

export interface PageParts {
  /** The webview's `cspSource`: the origin its local resources are served from. */
  cspSource: string;
  /** A fresh random value per page (base64 from node:crypto), the only way a script runs. */
  nonce: string;
  script: string;
  stylesheet: string;
}

/**
 * No inline style or script, no eval, nothing remote: scripts by nonce only, styles and fonts
 * only from our own files. Components style themselves through constructable stylesheets, and
 * charts size themselves through the CSSOM; neither is inline markup, so neither needs
 * 'unsafe-inline'.
 */
export function dashboardCsp(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `img-src ${cspSource} data:`, `style-src ${cspSource}`, `font-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function dashboardPage(p: PageParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(dashboardCsp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Gardener Dashboard</title>
<link rel="stylesheet" href="${escapeAttr(p.stylesheet)}">
</head>
<body>
<main id="app" aria-live="polite"><p class="loading">Loading…</p></main>
<script nonce="${escapeAttr(p.nonce)}" src="${escapeAttr(p.script)}"></script>
</body>
</html>`;
}
