import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Ignored cache for downloaded/installed test tooling, as @vscode/test-electron uses. */
export const cacheDir = join(root, '.vscode-test');
export const resultsDir = join(root, 'test-results');
export const vsixPath = join(root, 'dist', 'codebase-gardener.vsix');
export const extensionId = 'codebase-gardener.codebase-gardener';
