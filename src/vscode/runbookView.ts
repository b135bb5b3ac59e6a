import * as vscode from 'vscode';
import { readRunbook, renderRunbook, runbookPage, type RenderedRunbook, type RunbookEntry } from '../core/runbooks';
import { Disposable } from './dispose';
import type { Runbooks } from './runbooks';

export const RUNBOOK_VIEW_TYPE = 'codebaseGardener.runbook';

/** What the viewer shows now (for the API and tests). */
export interface ShownRunbook {
  name: string;
  title: string;
  source: RunbookEntry['source'];
  file: string;
  html: string;
  links: RenderedRunbook['links'];
  placeholders: RenderedRunbook['placeholders'];
}

/**
 * The runbook viewer: one webview tab, reused. Why a webview of our own: runbook steps are
 * `command:` links, and neither a plain editor nor VS Code's Markdown preview runs them (the
 * preview blocks command links on purpose, microsoft/vscode#215939). A webview runs command
 * links when `enableCommandUris` allows them; we allow only our own commands, no scripts, no
 * forms, nothing loaded but our stylesheet (CSP default-src 'none'). The Markdown is rendered
 * by markdown-it in the core (`renderRunbook`) with raw HTML escaped and every link checked, so
 * a runbook from the user's folder cannot run anything a bundled one could not. It re-renders
 * when settings change, so the thresholds it quotes are always the current ones.
 */
export class RunbookViewer extends Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private current: ShownRunbook | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runbooks: Runbooks,
  ) {
    super();
    this.register({ dispose: () => this.panel?.dispose() });
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('codebaseGardener')) return;
        this.runbooks.invalidate();
        if (this.current) this.show(this.runbooks.get(this.current.name, true));
      }),
    );
  }

  get shown(): ShownRunbook | undefined {
    return this.panel ? this.current : undefined;
  }

  /** Opens (or replaces the content of) the runbook tab. Throws a GardenerError when the file cannot be read. */
  open(entry: RunbookEntry): ShownRunbook {
    const text = readRunbook(entry);
    const panel = this.ensurePanel();
    this.render(panel, entry, text);
    panel.reveal(undefined, false);
    return this.current!;
  }

  private show(entry: RunbookEntry | undefined): void {
    if (!entry || !this.panel) return;
    try {
      this.render(this.panel, entry, readRunbook(entry));
    } catch {
      // The file went away or turned bad: the tab keeps what it showed.
    }
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const commands = [...this.runbooks.commands().keys()];
    const panel = vscode.window.createWebviewPanel(RUNBOOK_VIEW_TYPE, 'Runbook', vscode.ViewColumn.Active, {
      enableScripts: false,
      enableForms: false,
      enableCommandUris: commands,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')],
    });
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'gardener.svg');
    panel.onDidDispose(() => {
      if (this.panel === panel) {
        this.panel = undefined;
        this.current = undefined;
      }
    });
    this.panel = panel;
    return panel;
  }

  private render(panel: vscode.WebviewPanel, entry: RunbookEntry, text: string): void {
    const r = renderRunbook(text, {
      setting: this.runbooks.setting,
      commands: this.runbooks.commands(),
      runbooks: new Set(this.runbooks.list().map((x) => x.name)),
    });
    panel.title = `Runbook: ${entry.title}`;
    panel.webview.html = page(panel.webview, this.extensionUri, entry, r.html);
    this.current = { name: entry.name, title: entry.title, source: entry.source, file: entry.file, html: r.html, links: r.links, placeholders: r.placeholders };
  }
}

function page(webview: vscode.Webview, extensionUri: vscode.Uri, entry: RunbookEntry, body: string): string {
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'runbook.css'));
  return runbookPage({ cspSource: webview.cspSource, stylesheet: css.toString(), entry, body });
}
