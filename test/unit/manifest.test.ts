import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { settingProperties } from '../../src/core/settings';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.join(root, 'dist', 'codebase-gardener.vsix');

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('extension manifest and package', () => {
  it('activates on startup finished only, runs on the workspace side, and declares workspace trust', () => {
    assert.equal(pkg.name, 'codebase-gardener');
    assert.equal(pkg.displayName, 'Codebase Gardener');
    assert.equal(pkg.main, './dist/extension.js');
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished']);
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, ['codebaseGardener.dataDirectory', 'codebaseGardener.probes', 'codebaseGardener.backups.folder', 'codebaseGardener.runbooks.folder']);
  });

  it('every command has the Codebase Gardener category, and every setting is in the codebaseGardener section', () => {
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Codebase Gardener', c.command);
    const properties = settingProperties(pkg.contributes.configuration);
    for (const key of properties.keys()) assert.ok(key.startsWith('codebaseGardener.'), key);
    const interval = properties.get('codebaseGardener.monitoring.intervalSeconds') as { default: number; minimum: number };
    assert.equal(interval.default, 30);
    assert.equal(interval.minimum, 5);
  });

  it('every command the manifest contributes is registered by the extension', () => {
    const source = walk(path.join(root, 'src', 'vscode')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    for (const c of pkg.contributes.commands) assert.ok(source.includes(`'${c.command}'`), `${c.command} is registered`);
  });

  it('every command the extension implements is contributed, so the activation shell registers it', () => {
    const listed = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
    const source = walk(path.join(root, 'src', 'vscode')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    const implemented = [...source.matchAll(/'(codebaseGardener\.[A-Za-z.]+)':/g)].map((m) => m[1]);
    assert.ok(implemented.length >= 20, `${implemented.length} command factories found`);
    assert.deepEqual(implemented.filter((id) => !listed.has(id)), []);
  });

  it('no file under src/core imports vscode', () => {
    for (const f of walk(path.join(root, 'src', 'core'))) {
      assert.doesNotMatch(fs.readFileSync(f, 'utf8'), /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
    }
  });

  it('the VSIX is under 3 MB and holds the bundles and the API\'s types, not sources, tests or source maps', function () {
    assert.ok(fs.existsSync(vsix), `${vsix} is missing: run "npm run package" first`);
    const size = fs.statSync(vsix).size;
    assert.ok(size < 3 * 1024 * 1024, `VSIX is ${size} bytes`);
    const files = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).trim().split('\n');
    for (const need of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/gardener.js', 'extension/dist/stagingWorker.js', 'extension/dist/archiveWorker.js', 'extension/dist/webview.js', 'extension/dist/webview.css', 'extension/media/gardener.svg', 'extension/api/codebase-gardener.d.ts']) {
      assert.ok(files.includes(need), `${need} in VSIX`);
    }
    // The API's published types are the one .ts file shipped.
    const unwanted = files.filter((f) => f !== 'extension/api/codebase-gardener.d.ts' && /\.map$|\.ts$|^extension\/(src|test|out|bench|node_modules)\//.test(f));
    assert.deepEqual(unwanted, []);
  });
});
