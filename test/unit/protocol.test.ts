import * as assert from 'node:assert/strict';
import { cspProblems } from '../../src/shared/csp';
import { dashboardCsp, dashboardPage } from '../../src/shared/dashboardPage';
import { MAX_MESSAGE_CHARS, type Method, type WebviewMessage } from '../../src/shared/protocol';
import { parseWebviewMessage } from '../../src/shared/validate';

const req = (method: string, params: unknown, id = 1): unknown => ({ kind: 'request', id, method, params });

/** One well-formed message of every kind the webview may send. */
const GOOD: Record<Method | 'ready', unknown> = {
  ready: { kind: 'ready' },
  snapshot: req('snapshot', {}),
  history: req('history', { range: '30d' }),
  runHealthCheck: req('runHealthCheck', {}),
  showStatus: req('showStatus', {}),
  acknowledge: req('acknowledge', { alertId: 'alert-20261202-abc', comment: 'looking into it', expiresInMinutes: 60 }),
  resolve: req('resolve', { alertId: 'alert-20261202-abc', note: 'fixed' }),
  openRunbook: req('openRunbook', { name: 'backup_procedures' }),
  createBackup: req('createBackup', { type: 'FULL' }),
  validateBackup: req('validateBackup', { id: 'backup-1' }),
  restoreBackup: req('restoreBackup', { id: 'backup-1' }),
  runTask: req('runTask', { task: 'healthCheck' }),
  searchLogs: req('searchLogs', { text: 'error', channels: ['main', 'error'], minLevel: 'WARNING', hours: 24 }),
};

describe('dashboard protocol: every message from the webview is validated', () => {
  for (const [name, msg] of Object.entries(GOOD)) {
    it(`accepts a well-formed ${name}`, () => {
      const r = parseWebviewMessage(msg);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.deepEqual(r.message as WebviewMessage, msg);
    });
  }

  it('accepts the optional fields left out', () => {
    for (const m of [req('acknowledge', { alertId: 'a' }), req('resolve', { alertId: 'a' }), req('searchLogs', { text: '' })]) assert.ok(parseWebviewMessage(m).ok);
  });

  const BAD: [string, unknown][] = [
    ['not an object', 'ready'],
    ['null', null],
    ['an unknown kind', { kind: 'hello' }],
    ['an unknown method', req('deleteEverything', {})],
    ['a method name from the prototype', req('constructor', {})],
    ['no id', { kind: 'request', method: 'snapshot', params: {} }],
    ['a negative id', req('snapshot', {}, -1)],
    ['a fractional id', req('snapshot', {}, 1.5)],
    ['a string id', { kind: 'request', id: '1', method: 'snapshot', params: {} }],
    ['no params', { kind: 'request', id: 1, method: 'snapshot' }],
    ['an extra field on the envelope', { kind: 'ready', extra: 1 }],
    ['an extra param', req('snapshot', { x: 1 })],
    ['an unknown range', req('history', { range: '2y' })],
    ['an unknown backup type', req('createBackup', { type: 'EVERYTHING' })],
    ['an unknown task', req('runTask', { task: 'rm -rf' })],
    ['a runbook name with a path', req('openRunbook', { name: '../../etc/passwd' })],
    ['an empty alert id', req('acknowledge', { alertId: '' })],
    ['a zero expiry', req('acknowledge', { alertId: 'a', expiresInMinutes: 0 })],
    ['an expiry beyond a week', req('acknowledge', { alertId: 'a', expiresInMinutes: 20_000 })],
    ['a comment of 501 characters', req('acknowledge', { alertId: 'a', comment: 'x'.repeat(501) })],
    ['a log channel that does not exist', req('searchLogs', { text: 'x', channels: ['secrets'] })],
    ['a log level that does not exist', req('searchLogs', { text: 'x', minLevel: 'LOUD' })],
    ['negative hours', req('searchLogs', { text: 'x', hours: -1 })],
    ['a search text that is not a string', req('searchLogs', { text: { $regex: '.*' } })],
  ];
  for (const [what, msg] of BAD) {
    it(`rejects ${what}`, () => {
      const r = parseWebviewMessage(msg);
      assert.equal(r.ok, false);
    });
  }

  it('rejects an oversized message before looking into it, and says so without echoing it', () => {
    const big = req('searchLogs', { text: 'x'.repeat(MAX_MESSAGE_CHARS) });
    const r = parseWebviewMessage(big);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.reason, /too large/);
    assert.ok(!(r.ok ? '' : r.reason).includes('xxxx'));
  });

  it('rejects what cannot be serialised (a cycle)', () => {
    const a: Record<string, unknown> = { kind: 'ready' };
    a.self = a;
    assert.equal(parseWebviewMessage(a).ok, false);
  });
});

describe('dashboard page: its Content-Security-Policy', () => {
  const origin = 'https://file+.vscode-resource.vscode-cdn.net';
  const page = dashboardPage({ cspSource: origin, nonce: 'bm9uY2Utbm9uY2Utbm9uY2U=', script: `${origin}/dist/webview.js`, stylesheet: `${origin}/dist/webview.css` });

  it('is strict: nothing inline, no eval, nothing remote, scripts by nonce only', () => {
    assert.deepEqual(cspProblems(page, origin), []);
  });

  it("names VS Code's resource origins as its own sources (a cspSource may be several), and no other origin", () => {
    const cspSource = "'self' https://*.vscode-cdn.net";
    const served = dashboardPage({ cspSource, nonce: 'bm9uY2U=', script: 'https://x.vscode-cdn.net/w.js', stylesheet: 'https://x.vscode-cdn.net/w.css' });
    assert.deepEqual(cspProblems(served, cspSource), []);
    assert.notDeepEqual(cspProblems(served, "'self'"), [], 'another origin than the webview’s own is remote');
  });

  // The policy sits in an attribute, its quotes written as character references.
  const esc = (t: string) => t.replace(/'/g, '&#39;');
  const loosened: [string, string][] = [
    ["style-src 'unsafe-inline'", page.replace(`style-src ${origin}`, esc(`style-src ${origin} 'unsafe-inline'`))],
    ["script-src 'unsafe-eval'", page.replace(esc("script-src 'nonce-"), esc("script-src 'unsafe-eval' 'nonce-"))],
    ['a remote script origin', page.replace(esc("script-src 'nonce-"), esc("script-src https://cdn.example.com 'nonce-"))],
    ['a remote image origin', page.replace(`img-src ${origin}`, `img-src ${origin} https:`)],
    ["default-src '*'", page.replace(esc("default-src 'none'"), 'default-src *')],
    ['no policy at all', page.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')],
    ['an inline style element', page.replace('</head>', '<style>body{}</style></head>')],
    ['an inline style attribute', page.replace('<main id="app"', '<main style="color:red" id="app"')],
    ['an inline handler', page.replace('<main id="app"', '<main onclick="x()" id="app"')],
    ['an inline script', page.replace('</body>', '<script nonce="bm9uY2Utbm9uY2Utbm9uY2U=">alert(1)</script></body>')],
  ];
  for (const [what, html] of loosened) {
    it(`is flagged with ${what}`, () => assert.notDeepEqual(cspProblems(html, origin), []));
  }

  it('takes a fresh nonce per page and escapes what it puts in attributes', () => {
    assert.match(dashboardCsp(origin, 'abc'), /script-src 'nonce-abc'$/);
    const odd = dashboardPage({ cspSource: origin, nonce: 'n', script: 'x"><script>alert(1)</script>', stylesheet: 's' });
    assert.ok(!odd.includes('"><script>alert'));
  });
});
