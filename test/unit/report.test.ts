import * as assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock';
import { HealthMonitor, reportToMarkdown } from '../../src/core/health';
import { scripted, settings, tempDir } from './fixtures';

describe('health report', () => {
  async function sampleReport() {
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 8, 0, 0));
    const m = new HealthMonitor({
      clock,
      dataDir: tempDir(),
      settings: settings(),
      metrics: scripted(clock, [{ cpuPercent: 91, diskPath: '/data|disk' }]),
      internalProbes: [{ kind: 'internal', name: 'Pipe | name', check: () => ({ ok: false, message: 'line1\nline2' }) }],
    });
    return m.comprehensiveHealthCheck();
  }

  it('has the documented JSON shape and survives a JSON round trip unchanged', async () => {
    const r = await sampleReport();
    assert.deepEqual(Object.keys(r).sort(), [
      'components',
      'configurationProblems',
      'integrationHealth',
      'monitor',
      'overallStatus',
      'recommendations',
      'resourceStatus',
      'resourceWarnings',
      'sampledAt',
      'stale',
      'systemMetrics',
      'thresholds',
      'timestamp',
      'uptimeSeconds',
    ]);
    assert.deepEqual(Object.keys(r.integrationHealth).sort(), ['checks', 'message', 'passed', 'score', 'status', 'total']);
    assert.deepEqual(Object.keys(r.resourceStatus).sort(), ['cpu', 'disk', 'memory', 'responseTime']);
    for (const c of r.integrationHealth.checks) {
      assert.deepEqual(Object.keys(c).sort(), ['checkedAt', 'kind', 'message', 'name', 'ok', 'responseTimeMs', 'status', 'target']);
    }
    assert.equal(r.timestamp, '2026-11-29T08:00:00.000Z');
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('renders as Markdown with tables that survive pipes and newlines in values', async () => {
    const r = await sampleReport();
    const md = reportToMarkdown(r);
    assert.ok(md.startsWith('# Codebase Gardener — Status: Critical'));
    assert.ok(md.includes('| CPU | 91% | Critical | 75% | 90% |'));
    assert.ok(md.includes('| Pipe \\| name | internal | extension | Warning |'));
    assert.ok(md.includes('line1 line2'));
    assert.ok(md.includes('/data\\|disk'));
    assert.ok(md.includes('```json'));
  });
});
