import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isGardenerError } from '../core/errors';
import type { HealthReport } from '../core/health';
import { dashboardPage } from '../shared/dashboardPage';
import { DASHBOARD_VIEW_TYPE, type ErrorCode, type HostEvent, type HostMessage, type LivePoint, type Method, type Request } from '../shared/protocol';
import { parseWebviewMessage } from '../shared/validate';
import type { Handlers } from './dashboardData';
import { Disposable } from './dispose';

/** What the dashboard shows and acts on; the context provides it. */
export interface DashboardSource {
  handlers: Handlers;
  onDidUpdateHealth(listener: (report: HealthReport, point: LivePoint | null) => void): vscode.Disposable;
  /** Each section's fresh content when it changed. */
  onDidChangeSection(listener: (event: HostEvent) => void): vscode.Disposable;
  log: { warn(message: string): void };
}

/**
 * The dashboard tab: one panel at a time, its page built by `webview/` (dist/webview.js and
 * .css). Its serializer lives in the activation shell, which hands restored panels to `revive`
 * once the core is ready.
 */
export class Dashboard extends Disposable {
  private panel: DashboardPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: DashboardSource,
  ) {
    super();
    this.register({ dispose: () => this.panel?.dispose() });
  }

  /** Whether the open panel has said it is ready (for tests and diagnostics). */
  get isReady(): boolean {
    return this.panel?.ready ?? false;
  }

  get messagesPosted(): number {
    return this.panel?.posted ?? 0;
  }

  /** Messages from the page that were not acted on, and why (for tests and diagnostics). */
  get rejected(): readonly string[] {
    return this.panel?.rejected ?? [];
  }

  /** The HTML the open panel was given. */
  get html(): string | undefined {
    return this.panel?.html;
  }

  get cspSource(): string | undefined {
    return this.panel?.cspSource;
  }

  open(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Gardener Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: this.roots(),
    });
    this.revive(panel);
  }

  private roots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')];
  }

  /** Takes over a panel: a new one, or one VS Code restored after a reload. */
  revive(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'gardener.svg');
    panel.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
    const p = new DashboardPanel(panel, this.extensionUri, this.source);
    this.panel = p;
    panel.onDidDispose(() => {
      if (this.panel === p) this.panel = undefined;
      p.dispose();
    });
  }
}

const CODES: Partial<Record<string, ErrorCode>> = { NOT_FOUND: 'NOT_FOUND', CANCELLED: 'CANCELLED', INVALID: 'BAD_REQUEST' };

class DashboardPanel extends Disposable {
  ready = false;
  posted = 0;
  readonly rejected: string[] = [];
  readonly html: string;
  readonly cspSource: string;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly source: DashboardSource,
  ) {
    super();
    const w = panel.webview;
    this.cspSource = w.cspSource;
    this.html = dashboardPage({
      cspSource: w.cspSource,
      nonce: randomBytes(16).toString('base64'),
      script: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      stylesheet: w.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.css')).toString(),
    });
    w.html = this.html;
    this.register(w.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this.register(source.onDidUpdateHealth((report, point) => this.post({ kind: 'event', event: 'health', report, point })));
    this.register(source.onDidChangeSection((e) => this.post(e)));
    // A hidden webview loses its page (no retainContextWhenHidden): nothing is posted until it
    // is shown again and says `ready`, when it gets a whole snapshot.
    this.register(panel.onDidChangeViewState(() => !panel.visible && (this.ready = false)));
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    super.dispose();
    this.panel.dispose();
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      // Kept short and bounded: a page sending garbage in a loop must not grow memory or the log.
      if (this.rejected.length < 100) this.rejected.push(parsed.reason);
      this.source.log.warn(`Ignored a message from the dashboard: ${parsed.reason}.`);
      return;
    }
    const m = parsed.message;
    if (m.kind === 'ready') {
      this.ready = true;
      return;
    }
    void this.answer(m);
  }

  private async answer(req: Request): Promise<void> {
    const handler = this.source.handlers[req.method] as (p: unknown) => Promise<unknown>;
    let reply: HostMessage;
    try {
      reply = { kind: 'reply', id: req.id, ok: true, result: await handler(req.params) };
    } catch (err) {
      const code = (isGardenerError(err) && CODES[err.code]) || 'FAILED';
      reply = { kind: 'reply', id: req.id, ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
      if (code === 'FAILED') this.source.log.warn(`The dashboard's ${req.method as Method} failed: ${reply.error.message}`);
    }
    this.post(reply, true);
  }

  /** Posts only to a visible page; events only once it is ready (a reply answers a page that is). */
  private post(msg: HostMessage, isReply = false): void {
    if (!this.panel.visible || (!this.ready && !isReply)) return;
    void this.panel.webview.postMessage(msg).then((ok) => ok && this.posted++);
  }
}
