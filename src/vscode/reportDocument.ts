import * as vscode from 'vscode';
import { reportToMarkdown, type HealthReport } from '../core/health';
import { Disposable } from './dispose';

export const REPORT_SCHEME = 'codebase-gardener-report';
export const STATUS_URI = vscode.Uri.from({ scheme: REPORT_SCHEME, path: '/Codebase Gardener Status.md' });

/** Read-only Markdown documents showing reports; refreshed each time a report is shown. */
export class ReportDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly changed = this.register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private status = '';

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return uri.toString() === STATUS_URI.toString() ? this.status : '';
  }

  /** Opens the status rendered (Markdown preview), or as text where no previewer is installed. */
  async showStatus(report: HealthReport): Promise<vscode.TextDocument> {
    this.status = reportToMarkdown(report);
    this.changed.fire(STATUS_URI);
    const doc = await vscode.workspace.openTextDocument(STATUS_URI);
    // Its command is registered only once the built-in Markdown extension activates, so ask for the extension.
    if (vscode.extensions.getExtension('vscode.markdown-language-features')) {
      try {
        await vscode.commands.executeCommand('markdown.showPreview', STATUS_URI);
        return doc;
      } catch {
        // Fall through to the text view.
      }
    }
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }
}
