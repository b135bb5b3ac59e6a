import * as vscode from 'vscode';

/** Runs `work` under a cancellable progress notification; Cancel becomes an AbortSignal. */
export function withCancellableProgress<T>(
  title: string,
  work: (signal: AbortSignal, progress: vscode.Progress<{ message?: string; increment?: number }>) => Promise<T>,
): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    return work(ac.signal, progress).finally(() => sub.dispose());
  });
}
