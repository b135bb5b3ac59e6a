import * as assert from 'node:assert/strict';
import { progressGate } from '../../src/core/progressGate';

describe('progress gate', () => {
  it('passes the first update of each phase at once, then one per interval', () => {
    let t = 1000;
    const due = progressGate(100, () => t);
    const passed: string[] = [];
    const step = (phase: string, advance: number) => {
      t += advance;
      if (due(phase)) passed.push(`${phase}@${t}`);
    };
    step('staging', 0);
    for (let i = 0; i < 30; i++) step('staging', 10);
    step('swapping', 1);
    step('swapping', 1);
    assert.deepEqual(passed, ['staging@1000', 'staging@1100', 'staging@1200', 'staging@1300', 'swapping@1301']);
  });
});
