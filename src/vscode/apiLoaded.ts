import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

/**
 * Taken right after VS Code hands over its API object (which it builds for each extension
 * on its first `require('vscode')`): that cost is VS Code's, so activation reports it apart.
 */
export const apiLoadedAt = performance.now();
export const vscodeVersion = vscode.version;
