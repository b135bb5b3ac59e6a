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
      'sustained',
      'systemMetrics',
      'thresholds',
      'timestamp',
      'uptimeSeconds',
    ]);
    assert.deepEqual(Object.keys(r.integrationHealth).sort(), ['checks', 'configured', 'message', 'passed', 'score', 'status', 'total']);
    assert.deepEqual(Object.keys(r.resourceStatus).sort(), ['cpu', 'disk', 'memory', 'responseTime']);
    for (const c of r.integrationHealth.checks) {
      assert.deepEqual(Object.keys(c).sort(), ['checkedAt', 'kind', 'message', 'name', 'ok', 'responseTimeMs', 'source', 'status', 'target']);
    }
    assert.equal(r.timestamp, '2026-11-29T08:00:00.000Z');
    assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
  });

  it('renders as Markdown with tables that survive pipes and newlines in values', async () => {
    const r = await sampleReport();
    const md = reportToMarkdown(r);
    assert.ok(md.startsWith('# Codebase Gardener — Status: Critical'));
    assert.ok(md.includes('| CPU | 91% | each sample | Critical | 75% | 90% |'));
    assert.ok(md.includes('| Pipe \\| name | internal (built-in) | extension | Warning |'));
    assert.ok(md.includes('## Components — integration score not configured'));
    assert.ok(md.includes('line1 line2'));
    assert.ok(md.includes('/data\\|disk'));
    assert.ok(md.includes('```json'));
  });

  it('says which window each verdict used: the detailed status names the CPU and memory averages', async () => {
    const clock = new ManualClock();
    const m = new HealthMonitor({
      clock,
      dataDir: tempDir(),
      settings: settings({ windows: { cpuMs: 5 * 60_000, memoryMs: 2 * 60_000 } }),
      metrics: scripted(clock, [{ cpuPercent: 100, memoryPercent: 50 }]),
    });
    let r = await m.comprehensiveHealthCheck();
    assert.ok(reportToMarkdown(r).includes('| CPU | 100% | 5-min average (0 of 5 min so far) | Unknown |'), reportToMarkdown(r));
    for (let i = 0; i < 10; i++) {
      clock.advance(30_000);
      r = await m.comprehensiveHealthCheck();
    }
    const md = reportToMarkdown(r);
    assert.ok(md.includes('| CPU | 100% | 5-min average 100% | Critical | 75% | 90% |'), md);
    assert.ok(md.includes('| Memory | 50% (2000 of 10000 MB) | 2-min average 50% | Healthy |'), md);
    assert.ok(r.resourceWarnings.includes('CPU 100% averaged over 5 min (critical at 90).'), r.resourceWarnings.join('\n'));
  });
});
