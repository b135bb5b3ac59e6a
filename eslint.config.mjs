import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The core runs without VS Code: in plain Node scripts, unit tests and benchmarks.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core and src/shared must not depend on VS Code; put VS Code code in src/vscode.' }],
          patterns: [{ group: ['**/vscode/**', '../vscode', '../../vscode'], message: 'Imports go adapters → core, never back.' }],
        },
      ],
    },
  },
  {
    // The webview is a browser bundle: it reaches the host only through the shared protocol.
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The webview talks to the host only through src/shared/protocol.ts.' }],
          patterns: [
            { group: ['**/src/vscode/**'], message: 'The webview talks to the host only through src/shared/protocol.ts.' },
            { group: ['**/src/core/**'], allowTypeImports: true, message: 'The webview may use core types, not core code.' },
            { group: ['node:*'], message: 'The webview runs in a browser.' },
          ],
        },
      ],
    },
  },
);
