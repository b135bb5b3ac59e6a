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
