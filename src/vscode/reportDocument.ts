import * as vscode from 'vscode';
import { reportToMarkdown, type HealthReport } from '../core/health';
import { Disposable } from './dispose';

export const REPORT_SCHEME = 'codebase-gardener-report';
export const STATUS_URI = vscode.Uri.from({ scheme: REPORT_SCHEME, path: '/Codebase Gardener Status.md' });

/**
 * Read-only documents for reports (status, log search results, statistics, diagnostics).
 * Each name is one document, refreshed every time it is shown.
 */
export class ReportDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private readonly contents = new Map<string, string>();

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  showStatus(report: HealthReport): Promise<vscode.TextDocument> {
    return this.showMarkdown('Codebase Gardener Status', reportToMarkdown(report));
  }

  /** Opens Markdown rendered (Markdown preview), or as text where no previewer is installed. */
  async showMarkdown(title: string, markdown: string): Promise<vscode.TextDocument> {
    const uri = this.set(`/${title}.md`, markdown);
    const doc = await vscode.workspace.openTextDocument(uri);
    // Its command is registered only once the built-in Markdown extension activates, so ask for the extension.
    if (vscode.extensions.getExtension('vscode.markdown-language-features')) {
      try {
        await vscode.commands.executeCommand('markdown.showPreview', uri);
        return doc;
      } catch {
        // Fall through to the text view.
      }
    }
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }

  /** Opens plain text (log lines get the `log` language's colouring). */
  async showText(title: string, text: string, language = 'log'): Promise<vscode.TextDocument> {
    const uri = this.set(`/${title}.${language === 'log' ? 'log' : 'txt'}`, text);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, language).then(undefined, () => undefined);
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }

  private set(path: string, content: string): vscode.Uri {
    this.contents.set(path, content);
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path });
    this.changed.fire(uri);
    return uri;
  }
}
