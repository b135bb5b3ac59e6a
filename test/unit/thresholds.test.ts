import * as assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS, readHealthSettings, validateThresholds } from '../../src/core/health';

describe('thresholds', () => {
  it('defaults to the guide: CPU 75/90, memory 80/95, disk 85/95, response 3 s/10 s, integration 80/60', () => {
    const { thresholds, problems } = validateThresholds(undefined);
    assert.deepEqual(problems, []);
    assert.deepEqual(thresholds, {
      cpu: { warning: 75, critical: 90 },
      memory: { warning: 80, critical: 95 },
      disk: { warning: 85, critical: 95 },
      responseTimeMs: { warning: 3000, critical: 10000 },
      integrationScore: { warning: 80, critical: 60 },
    });
  });

  it('accepts valid custom values', () => {
    const { thresholds, problems } = validateThresholds({ cpuWarning: 50, cpuCritical: 60, integrationScoreWarning: 90, integrationScoreCritical: 50 });
    assert.deepEqual(problems, []);
    assert.deepEqual(thresholds.cpu, { warning: 50, critical: 60 });
    assert.deepEqual(thresholds.integrationScore, { warning: 90, critical: 50 });
  });

  it('rejects warning ≥ critical with one message naming the setting, and uses the default pair', () => {
    const { thresholds, problems } = validateThresholds({ memoryWarning: 95, memoryCritical: 95 }, 'codebaseGardener.thresholds.');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^codebaseGardener\.thresholds\.memoryWarning \(95%\) must be below codebaseGardener\.thresholds\.memoryCritical \(95%\); using the defaults 80% \/ 95%\.$/);
    assert.deepEqual(thresholds.memory, DEFAULT_THRESHOLDS.memory);
  });

  it('for the integration score (lower is worse) the warning must be above the critical value', () => {
    const { thresholds, problems } = validateThresholds({ integrationScoreWarning: 50, integrationScoreCritical: 70 });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /integrationScoreWarning \(50%\) must be above/);
    assert.deepEqual(thresholds.integrationScore, DEFAULT_THRESHOLDS.integrationScore);
  });

  it('rejects out-of-range and non-numeric values, keeping valid bands', () => {
    const { thresholds, problems } = validateThresholds({ diskCritical: 120, cpuWarning: 'high', responseTimeWarningMs: 500 });
    assert.equal(problems.length, 2);
    assert.ok(problems.some((p) => p.startsWith('thresholds.diskCritical is 120%, outside 1–100%')));
    assert.ok(problems.some((p) => p.startsWith('thresholds.cpuWarning must be a number, not "high"')));
    assert.deepEqual(thresholds.disk, DEFAULT_THRESHOLDS.disk);
    assert.deepEqual(thresholds.cpu, DEFAULT_THRESHOLDS.cpu);
    assert.deepEqual(thresholds.responseTimeMs, { warning: 500, critical: 10000 });
  });

  it('reads the sampling interval: 30 s by default, at least 5 s', () => {
    assert.equal(readHealthSettings({}).intervalMs, 30_000);
    assert.equal(readHealthSettings({ intervalSeconds: 5 }).intervalMs, 5_000);
    const bad = readHealthSettings({ intervalSeconds: 1 }, 'codebaseGardener.');
    assert.equal(bad.intervalMs, 30_000);
    assert.match(bad.configurationProblems[0], /^codebaseGardener\.monitoring\.intervalSeconds must be a number from 5/);
  });
});
