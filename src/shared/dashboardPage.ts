// The dashboard's HTML shell, kept free of VS Code so that a unit test and the benchmark can
// produce exactly what the extension serves.
import { webviewPage } from '../core/webviewPage';

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

export function dashboardPage(p: PageParts): string {
  return webviewPage({
    csp: dashboardCsp(p.cspSource, p.nonce).split('; '),
    title: 'Gardener Dashboard',
    stylesheet: p.stylesheet,
    body: '<main id="app" aria-live="polite"><p class="loading">Loading…</p></main>',
    script: { src: p.script, nonce: p.nonce },
  });
}
