import * as path from 'node:path';
import * as vscode from 'vscode';
import { statRoot, WorkspaceRegistry, type SeenWorkspace } from '../core/state';

/** The identity of a window with no folder open: its state lives in global storage. */
export const NO_FOLDER = 'no-folder';

/** What identifies the open workspace: see `identify` in src/core/state/identity.ts for the rule. */
function seenWorkspace(): SeenWorkspace | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) return undefined;
  const file = vscode.workspace.workspaceFile;
  const name = (u: vscode.Uri): string => (u.scheme === 'file' ? u.fsPath : u.toString());
  // A saved multi-root workspace is its file (folders can be added to it); otherwise its folders.
  const key = file && file.scheme === 'file' ? file.fsPath : folders.map((f) => name(f.uri)).join('\n');
  const roots = folders.flatMap((f) => (f.uri.scheme === 'file' ? [statRoot(f.uri.fsPath)].filter((r) => r !== undefined) : []));
  return { key, roots };
}

/**
 * This workspace's id, from the registry in global storage (read synchronously: the data and
 * backups folders depend on it, and the core starts with them). A new or changed record is
 * written in the background; should that fail, the next start decides again the same way.
 */
export function workspaceIdentity(globalStorage: string, log: { info(m: string, f?: object): void; warn(m: string, f?: object): void }): string {
  const seen = seenWorkspace();
  if (!seen) return NO_FOLDER;
  const registry = new WorkspaceRegistry(path.join(globalStorage, 'workspaces'));
  const r = registry.identify(seen, Date.now());
  for (const p of r.problems) log.warn(`A workspace record was skipped: ${p}`);
  if (r.by !== 'path') log.info(r.by === 'new' ? `New workspace identity ${r.id}` : `Workspace recognised by its folders' inodes (renamed or moved): ${r.id}`, { key: seen.key });
  if (r.changed) registry.save(r.record).catch((err) => log.warn(`Could not save the workspace record ${r.id}: ${err instanceof Error ? err.message : String(err)}`));
  return r.id;
}
