import * as assert from 'node:assert/strict';
import { healthSettingsFrom, thresholdsFrom } from '../../src/core/health';
import { validated } from './fixtures';

const P = 'codebaseGardener.';

describe('thresholds', () => {
  it('defaults are the guide\'s thresholds (CPU 75/90, memory 80/95, disk 85/95, response 3 s/10 s, integration 80/60) and valid values are used', () => {
    assert.deepEqual(thresholdsFrom(validated().values), {
      cpu: { warning: 75, critical: 90 },
      memory: { warning: 80, critical: 95 },
      disk: { warning: 85, critical: 95 },
      responseTimeMs: { warning: 3000, critical: 10000 },
      integrationScore: { warning: 80, critical: 60 },
    });
    const { values, problems } = validated({ [`${P}thresholds.cpuWarning`]: 50, [`${P}thresholds.cpuCritical`]: 60, [`${P}monitoring.intervalSeconds`]: 5 });
    assert.deepEqual(problems, []);
    assert.deepEqual(thresholdsFrom(values).cpu, { warning: 50, critical: 60 });
    const h = healthSettingsFrom(values);
    assert.equal(h.intervalMs, 5000);
    assert.deepEqual(h.windows, { cpuMs: 5 * 60_000, memoryMs: 2 * 60_000 }, 'CPU judged over 5 minutes, memory over 2, by default');
  });

  it('cross-field rule: a warning not below its critical value is one message naming both, and the pair goes back to its defaults', () => {
    const { values, problems } = validated({ [`${P}thresholds.memoryWarning`]: 95, [`${P}thresholds.memoryCritical`]: 95 });
    assert.deepEqual(problems.map((p) => p.message), [
      'codebaseGardener.thresholds.memoryWarning (95) must be below codebaseGardener.thresholds.memoryCritical (95); using the defaults 80 / 95 instead.',
    ]);
    assert.deepEqual(thresholdsFrom(values).memory, { warning: 80, critical: 95 });
    const score = validated({ [`${P}thresholds.integrationScoreWarning`]: 50, [`${P}thresholds.integrationScoreCritical`]: 70 });
    assert.match(score.problems[0].message, /integrationScoreCritical \(70\) must be below codebaseGardener\.thresholds\.integrationScoreWarning \(50\)/);
    assert.deepEqual(thresholdsFrom(score.values).integrationScore, { warning: 80, critical: 60 });
  });

});
