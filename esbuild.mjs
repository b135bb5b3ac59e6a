// Builds the extension bundle (Node, CommonJS) and the webview bundle (browser), and with
// --tests transpiles src/, test/ and bench/ file by file into out/ for mocha and benchmarks.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/**
 * The activation shell (extension.ts) stays tiny so activation is fast; it requires the core
 * (gardener.ts, with every library) at run time from its own bundle beside it.
 * @type {import('esbuild').Plugin}
 */
const coreApart = {
  name: 'core-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/gardener$/ }, (args) =>
      args.importer.endsWith(join('src', 'vscode', 'extension.ts')) ? { path: './gardener.js', external: true } : undefined,
    );
  },
};

/** @type {import('esbuild').BuildOptions} */
const shell = {
  entryPoints: ['src/vscode/extension.ts'],
  outfile: 'dist/extension.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  plugins: [coreApart],
  sourcemap: true,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
};

/**
 * node-cron's ESM build finds its background-task daemon from import.meta.url, which a CommonJS
 * bundle leaves undefined (it throws at load); its CommonJS build uses __filename instead.
 * @type {import('esbuild').Plugin}
 */
const nodeCronCjs = {
  name: 'node-cron-cjs',
  setup(build) {
    build.onResolve({ filter: /^node-cron$/ }, () => ({ path: resolve('node_modules/node-cron/dist/node-cron.cjs') }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const core = {
  entryPoints: ['src/vscode/gardener.ts'],
  outfile: 'dist/gardener.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  plugins: [nodeCronCjs],
  sourcemap: true,
  sourcesContent: false,
  minify: production,
  logLevel: 'warning',
};

/**
 * The worker thread that writes a restore's staged files; the core starts it from the file
 * beside its own bundle.
 * @type {import('esbuild').BuildOptions}
 */
const stagingWorker = { ...core, entryPoints: ['src/core/backup/stagingWorker.ts'], outfile: 'dist/stagingWorker.js' };

/** The worker thread that writes backup archives, likewise started from beside the core. */
const archiveWorker = { ...core, entryPoints: ['src/core/backup/archiveWorker.ts'], outfile: 'dist/archiveWorker.js' };

/** @type {import('esbuild').BuildOptions} */
const webview = {
  entryPoints: ['webview/main.ts'],
  outfile: 'dist/webview.js',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: true,
  sourcesContent: false,
  // Always minified: the page parses the whole bundle before its first render (bench:dashboard).
  minify: true,
  logLevel: 'warning',
};

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/** The worker threads, which the extension starts from a bundle of their own. */
const workerSources = ['src/core/backup/stagingWorker.ts', 'src/core/backup/archiveWorker.ts'];

/** @type {import('esbuild').BuildOptions} */
const testBuild = {
  entryPoints: [...tsFiles('src'), ...tsFiles('test'), ...tsFiles('bench')].filter((f) => !workerSources.includes(f.split('\\').join('/'))),
  outdir: 'out',
  outbase: '.',
  bundle: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
};

/**
 * The same worker bundles beside the transpiled core in out/, where it starts them: tests and
 * benchmarks load a worker as the extension does (one file), not module by module, which cost
 * a fresh worker ~20–40 ms more here.
 * @type {import('esbuild').BuildOptions[]}
 */
const testWorkers = workerSources.map((entry) => ({ ...core, entryPoints: [entry], outfile: join('out', entry.replace(/\.ts$/, '.js')), sourcemap: 'inline' }));

const configs = tests ? [shell, core, stagingWorker, archiveWorker, webview, testBuild, ...testWorkers] : [shell, core, stagingWorker, archiveWorker, webview];
if (watch) {
  for (const c of configs) {
    const ctx = await esbuild.context(c);
    await ctx.watch();
  }
  console.log('[watch] watching for changes');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
