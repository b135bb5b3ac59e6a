import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { HealthReport } from '../core/health';
import { DASHBOARD_VIEW_TYPE, type HistoryPoint, type HostMessage, type WebviewMessage } from '../shared/protocol';
import { Disposable } from './dispose';

export interface DashboardSource {
  report(): HealthReport;
  history(): HistoryPoint[];
  onDidUpdate(listener: () => void): vscode.Disposable;
  runHealthCheck(): Thenable<unknown>;
  showStatus(): Thenable<unknown>;
}

/**
 * The dashboard tab: one panel at a time. Its serializer lives in the activation shell, which
 * hands restored panels to `revive` once the core is ready.
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

  open(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Gardener Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    });
    this.revive(panel);
  }

  /** Takes over a panel: a new one, or one VS Code restored after a reload. */
  revive(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'gardener.svg');
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    const p = new DashboardPanel(panel, this.extensionUri, this.source);
    this.panel = p;
    panel.onDidDispose(() => {
      if (this.panel === p) this.panel = undefined;
      p.dispose();
    });
  }
}

class DashboardPanel extends Disposable {
  ready = false;
  posted = 0;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly source: DashboardSource,
  ) {
    super();
    panel.webview.html = html(panel.webview, extensionUri);
    this.register(panel.webview.onDidReceiveMessage((m: WebviewMessage) => this.receive(m)));
    this.register(source.onDidUpdate(() => this.post()));
    // A hidden webview loses its page; it says `ready` again when shown.
    this.register(panel.onDidChangeViewState(() => !panel.visible && (this.ready = false)));
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    super.dispose();
    this.panel.dispose();
  }

  private receive(m: WebviewMessage): void {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post();
        break;
      case 'runHealthCheck':
        void this.source.runHealthCheck();
        break;
      case 'showStatus':
        void this.source.showStatus();
        break;
    }
  }

  private post(): void {
    if (!this.ready) return;
    const msg: HostMessage = { type: 'health', report: this.source.report(), history: this.source.history() };
    void this.panel.webview.postMessage(msg).then((ok) => ok && this.posted++);
  }
}

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Gardener Dashboard</title>
</head>
<body>
<main id="app" aria-live="polite"><p>Loading…</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
