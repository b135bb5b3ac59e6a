import * as assert from 'node:assert/strict';
import { measureSampler } from '../../bench/sampler';

describe('benchmark smoke runs', () => {
  it('bench:sampler measures a sample and a baseline', async function () {
    this.timeout(60_000);
    const r = await measureSampler(5);
    assert.equal(r.samples, 5);
    assert.ok(r.sampleCpuMs >= 0 && r.baselineCpuMs > 0);
    assert.ok(Number.isFinite(r.vsBaseline) && Number.isFinite(r.corePercent));
  });
});

describe('benchmark smoke runs: logs', () => {
  it('bench:logs generates rotated logs and compares our search with grep on them', function () {
    this.timeout(60_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run } = require('../../bench/logs') as typeof import('../../bench/logs');
    const r = run(3, 1);
    assert.ok(r.sizeMB >= 2);
    assert.equal(r.matches, r.grepMatches, 'our search finds what grep counts');
    assert.ok(r.searchVsGrep > 0 && r.peakRssMB > 0);
  });
});

describe('benchmark smoke runs: backup', () => {
  it('bench:backup backs up, increments, validates and restores a small tree against tar, and backs up a small workspace against tar', function () {
    this.timeout(120_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run } = require('../../bench/backup') as typeof import('../../bench/backup');
    const r = run(4, 200, 1);
    assert.equal(r.files, 200);
    for (const k of ['fullVsTar', 'incrementalVsFull', 'restoreVsTar', 'validateThenRestoreVsTar', 'peakRssMB']) assert.ok(Number.isFinite(r[k]) && r[k] > 0, k);
    assert.ok(r.incrementalMB < r.treeMB, 'the incremental holds only the changed files');
    // The workspace-shaped tree scales down with the run: 120 sources, 800 node_modules files.
    assert.equal(r.workspaceSources, 120);
    assert.ok(r.workspaceGitFiles > 0, 'a real .git');
    assert.equal(r.workspaceFiles, r.workspaceSources + r.workspaceGitFiles, 'ours holds the sources and .git, not node_modules');
    assert.equal(r.workspaceFiles, r.workspaceTarFiles, 'ours and tar are timed on the same files');
    for (const k of ['workspaceFullVsTar', 'workspaceFullWarmVsTar', 'workspaceIncrementalVsFull', 'workspaceIncrementalVsWarmFull']) assert.ok(Number.isFinite(r[k]) && r[k] > 0, k);
  });
});

describe('benchmark smoke runs: dashboard', () => {
  it('bench:dashboard renders the page with 24 h of history in Chromium, switches to 30 d, and no CSP violation is reported', async function () {
    this.timeout(120_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { measureDashboard } = require('../../bench/dashboard') as typeof import('../../bench/dashboard');
    const r = await measureDashboard(1);
    for (const k of ['firstRenderMs', 'emptyRenderMs', 'rangeSwitchMs', 'webviewBundleKB'] as const) assert.ok(Number.isFinite(r[k]) && r[k] > 0, k);
    assert.equal(r.cspViolations, 0, 'the page runs under its strict CSP without a violation');
    // Ten times the goals: a smoke run on a busy machine, not a measurement.
    assert.ok(r.firstRenderMs < 2000 && r.rangeSwitchMs < 500, JSON.stringify(r));
  });
});
