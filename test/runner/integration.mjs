// Runs the integration suite (out/test/integration) inside a real VS Code with the packaged
// VSIX installed: under @vscode/test-electron where VS Code can be downloaded, otherwise in
// the VS Code that code-server serves, driven by Debian's Chromium through playwright-core.
// Set CG_TEST_RUNNER=electron or =code-server to choose.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, extensionId, resultsDir, root, vsixPath } from './paths.mjs';
import { freePort, installedExtensionDir, installVsix, startCodeServer, waitForHttp, writeUserSettings } from './code-server.mjs';

const testsEntry = join(root, 'out', 'test', 'integration', 'index.js');
const reloadEntry = join(root, 'out', 'test', 'integration', 'reload', 'index.js');
const requestsDir = join(resultsDir, '.requests');
const resultsFile = join(resultsDir, 'integration.json');
const reloadResultsFile = join(resultsDir, 'integration-reload.json');
const TOTAL_TIMEOUT_MS = 20 * 60_000;

const MAINTENANCE_TASKS = ['healthCheck', 'dataCleanup', 'logRotation', 'backupMaintenance', 'backupIncremental', 'backupConfiguration', 'backupUserData', 'backupFull'];

function prepare() {
  if (!existsSync(vsixPath)) throw new Error(`${vsixPath} is missing: run "npm run package" first.`);
  if (!existsSync(testsEntry)) throw new Error(`${testsEntry} is missing: run "node esbuild.mjs --tests" first.`);
  mkdirSync(resultsDir, { recursive: true });
  rmSync(requestsDir, { recursive: true, force: true });
  rmSync(resultsFile, { force: true });
  rmSync(reloadResultsFile, { force: true });
  for (const f of readdirSync(resultsDir)) if (f.endsWith('.png')) rmSync(join(resultsDir, f));
  const workspace = join(cacheDir, 'workspace');
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# Test workspace\n\nOpened by the Codebase Gardener integration tests.\n');
  // Schedules run at wall-clock times: off, or the suite would depend on the hour it runs
  // (6-maintenance turns them on for its own tests).
  const schedulesOff = Object.fromEntries(MAINTENANCE_TASKS.map((k) => [`codebaseGardener.maintenance.schedule.${k}`, '']));
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'codebaseGardener.monitoring.intervalSeconds': 5, ...schedulesOff }, null, 2));
  // A git repository with everything committed: the suite checks that `git status` stays empty,
  // i.e. that the extension writes nothing of its own into the user's repository.
  const git = (...args) => {
    const r = spawnSync('git', ['-c', 'user.name=Gardener Tests', '-c', 'user.email=tests@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: workspace, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${workspace}: ${r.error?.message ?? r.stderr}`);
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'Test workspace');
  return workspace;
}

/** The first run's results, and the reload's after them where it ran (code-server only). */
function readResults() {
  if (!existsSync(resultsFile)) return undefined;
  const r = JSON.parse(readFileSync(resultsFile, 'utf8'));
  if (existsSync(reloadResultsFile)) {
    const more = JSON.parse(readFileSync(reloadResultsFile, 'utf8'));
    r.tests.push(...more.tests);
    r.notes = [...(r.notes ?? []), ...(more.notes ?? [])];
    r.passed += more.passed;
    r.failed += more.failed;
  }
  return r;
}

async function canUseElectron() {
  if (process.env.CG_TEST_RUNNER) return process.env.CG_TEST_RUNNER === 'electron';
  if (process.platform === 'linux' && !process.env.DISPLAY) return false;
  try {
    const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
    return await downloadAndUnzipVSCode({ version: minimumVsCode(), cachePath: cacheDir, timeout: 15_000 });
  } catch (err) {
    console.log(`VS Code could not be downloaded (${err.message.split('\n')[0]}); using code-server.`);
    return false;
  }
}

function minimumVsCode() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return pkg.engines.vscode.replace(/^[\^~>=]+/, '');
}

async function runElectron(workspace) {
  const te = await import('@vscode/test-electron');
  const vscodeExecutablePath = await te.downloadAndUnzipVSCode({ version: minimumVsCode(), cachePath: cacheDir });
  const [cli, ...cliArgs] = te.resolveCliArgsFromVSCodeExecutablePath(vscodeExecutablePath);
  const userDataDir = join(cacheDir, 'electron-user');
  const extensionsDir = join(cacheDir, 'electron-extensions');
  rmSync(userDataDir, { recursive: true, force: true });
  rmSync(extensionsDir, { recursive: true, force: true });
  writeUserSettings(userDataDir);
  const r = spawnSync(cli, [...cliArgs, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsixPath], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('Installing the VSIX into VS Code failed.');
  return te.runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: installedExtensionDir(extensionsDir, extensionId),
    extensionTestsPath: testsEntry,
    launchArgs: [workspace, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--disable-workspace-trust'],
    extensionTestsEnv: { CG_TEST_RESULTS: resultsDir },
  });
}

async function runCodeServer(workspace) {
  const userDataDir = join(cacheDir, 'cs-user');
  const extensionsDir = join(cacheDir, 'cs-extensions');
  rmSync(userDataDir, { recursive: true, force: true });
  rmSync(extensionsDir, { recursive: true, force: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir);
  installVsix({ vsix: vsixPath, extensionsDir, userDataDir });
  const extensionDir = installedExtensionDir(extensionsDir, extensionId);

  const port = await freePort();
  const serverLog = join(resultsDir, 'code-server.log');
  writeFileSync(serverLog, '');
  const server = startCodeServer({
    port,
    userDataDir,
    extensionsDir,
    env: { CG_TEST_RESULTS: resultsDir, ...(process.env.CG_TEST_GREP ? { CG_TEST_GREP: process.env.CG_TEST_GREP } : {}) },
    extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
  });
  server.child.stdout.on('data', (d) => appendFileSync(serverLog, d));
  server.child.stderr.on('data', (d) => appendFileSync(serverLog, d));
  let browser;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extensionDir)],
      ['extensionTestsPath', remote(testsEntry)],
    ];
    const urlFor = (p) => `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(p))}`;
    const url = urlFor(payload);

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const browserLog = join(resultsDir, 'browser.log');
    writeFileSync(browserLog, '');
    page.on('console', (m) => appendFileSync(browserLog, `[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => appendFileSync(browserLog, `[pageerror] ${e.message}\n`));

    let exited;
    let exit = new Promise((resolve) => (exited = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => appendFileSync(browserLog, `[ext ${type}] ${JSON.stringify(args)}\n`));
    await page.exposeFunction('codeAutomationExit', (code) => exited(code));

    // The tests ask for screenshots (and clicks) by dropping request files; only the browser side can take them.
    mkdirSync(requestsDir, { recursive: true });
    writeFileSync(join(requestsDir, 'enabled'), 'code-server');
    let shooting = false;
    const shots = setInterval(async () => {
      if (shooting) return;
      shooting = true;
      try {
        for (const f of readdirSync(requestsDir).filter((n) => n.endsWith('.req'))) {
          const name = f.slice(0, -4);
          await page.screenshot({ path: join(resultsDir, `${name}.png`) });
          rmSync(join(requestsDir, f), { force: true });
          writeFileSync(join(requestsDir, `${name}.done`), '');
        }
        // What a user does in the page, on the first element the selector finds in any frame
        // (webviews are nested frames): `<name>.click` holds { selector }, `<name>.fill`
        // { selector, value }, `<name>.query` { selector, attribute?, style? }. The answer is
        // `<name>.done` (for a query, holding { text, attribute, style: a computed style }), or `<name>.missing` when no
        // frame has such an element yet.
        for (const f of readdirSync(requestsDir).filter((n) => /\.(click|fill|query)$/.test(n))) {
          const kind = f.slice(f.lastIndexOf('.') + 1);
          const name = f.slice(0, -kind.length - 1);
          const { selector, value, attribute, style } = JSON.parse(readFileSync(join(requestsDir, f), 'utf8'));
          let answer;
          for (const frame of page.frames()) {
            const el = await frame.$(selector).catch(() => null);
            if (!el) continue;
            if (kind === 'click') await el.click();
            else if (kind === 'fill') await el.fill(value);
            answer =
              kind === 'query'
                ? {
                    text: await el.textContent(),
                    attribute: attribute ? await el.getAttribute(attribute) : null,
                    style: style ? await el.evaluate((e, p) => e.ownerDocument.defaultView.getComputedStyle(e).getPropertyValue(p), style) : null,
                  }
                : {};
            break;
          }
          rmSync(join(requestsDir, f), { force: true });
          writeFileSync(join(requestsDir, `${name}.${answer ? 'done' : 'missing'}`), answer ? JSON.stringify(answer) : '');
        }
      } catch (err) {
        appendFileSync(browserLog, `[screenshot] ${err.message}\n`);
      } finally {
        shooting = false;
      }
    }, 200);

    await page.goto(url);
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), TOTAL_TIMEOUT_MS).unref());
    const code = await Promise.race([exit, timeout]);
    if (code === 'timeout') {
      clearInterval(shots);
      await page.screenshot({ path: join(resultsDir, 'timeout.png') }).catch(() => {});
      throw new Error(`The integration tests did not finish within ${TOTAL_TIMEOUT_MS / 60_000} minutes; see test-results/browser.log.`);
    }
    // Only some tests (CG_TEST_GREP): the reload tests need what the dashboard test leaves.
    if (process.env.CG_TEST_GREP) {
      clearInterval(shots);
      return code;
    }
    // A reload of the window, as the user makes one: the same workspace and user data, a new
    // extension host, which runs the tests that need what the first one left (test/integration/reload).
    exit = new Promise((resolve) => (exited = resolve));
    appendFileSync(browserLog, '[runner] reloading the window for test/integration/reload\n');
    await page.goto(urlFor([payload[0], ['extensionTestsPath', remote(reloadEntry)]]));
    const reloadCode = await Promise.race([exit, new Promise((resolve) => setTimeout(() => resolve('timeout'), 5 * 60_000).unref())]);
    clearInterval(shots);
    if (reloadCode === 'timeout') await page.screenshot({ path: join(resultsDir, 'reload-timeout.png') }).catch(() => {});
    if (!existsSync(reloadResultsFile)) {
      writeFileSync(reloadResultsFile, JSON.stringify({ passed: 0, failed: 1, tests: [{ title: 'after a reload of the window', state: 'failed', error: `the reload tests did not run (${reloadCode})` }] }));
    }
    return code || (reloadCode === 0 ? 0 : 1);
  } finally {
    await browser?.close().catch(() => {});
    server.stop();
  }
}

async function main() {
  const workspace = prepare();
  const electron = await canUseElectron();
  console.log(`Integration tests in ${electron ? 'VS Code (@vscode/test-electron)' : 'code-server (VS Code 1.139.1) + Chromium'} …`);
  let code;
  try {
    code = electron ? await runElectron(workspace) : await runCodeServer(workspace);
  } catch (err) {
    console.error(err.message);
    code = 1;
  }
  const results = readResults();
  if (!results) {
    console.error('The integration suite wrote no results: it did not start inside VS Code.');
    writeFileSync(resultsFile, JSON.stringify({ passed: 0, failed: 1, tests: [], error: 'no results' }));
    process.exitCode = 1;
    return;
  }
  for (const t of results.tests) console.log(`  ${t.state === 'passed' ? '✔' : '✘'} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
  for (const t of results.tests.filter((x) => x.state === 'failed')) console.log(`\n  FAILED ${t.title}\n    ${String(t.error).split('\n').join('\n    ')}`);
  if (results.notes?.length) for (const n of results.notes) console.log(`  note: ${n}`);
  console.log(`integration: ${results.passed} passed, ${results.failed} failed`);
  process.exitCode = code === 0 && results.failed === 0 ? 0 : 1;
}

await main();
