import * as vscode from 'vscode';
import { Disposable } from './dispose';

export const VIEW_IDS = ['codebaseGardener.maintenance'] as const;

/**
 * Registers the sidebar views whose features have not landed yet. They hold no items, so
 * VS Code shows each view's welcome content, which says what the view will hold.
 */
export class PendingViews extends Disposable {
  constructor() {
    super();
    const empty: vscode.TreeDataProvider<never> = { getChildren: () => [], getTreeItem: (e) => e };
    for (const id of VIEW_IDS) this.register(vscode.window.createTreeView(id, { treeDataProvider: empty }));
  }
}
