import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetricHistory, parseLine, type MetricPoint } from '../../src/core/metrics';
import { tempDir } from './fixtures';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 5);
const point = (t: number, cpu: number): MetricPoint => ({ t, cpu, memory: 50, disk: 40, responseMs: null, score: 100 });

describe('metric history', () => {
  it('keeps every sample for a day, 5-minute averages for a week and hourly ones for a month, across a restart', () => {
    const dir = tempDir();
    const h = new MetricHistory(dir);
    // Two days of a sample every 30 s, CPU climbing by one point an hour.
    for (let t = T0; t < T0 + 2 * DAY; t += 30_000) h.append(point(t, Math.floor((t - T0) / HOUR)));
    const now = T0 + 2 * DAY;
    const again = new MetricHistory(dir);
    const hour = again.read(now - HOUR, now, now);
    assert.equal(hour.length, 120, 'full resolution for the last hour');
    const week = again.read(now - 2 * DAY, now, now);
    assert.ok(week.length >= 2 * 288 - 2 && week.length <= 2 * 288, `${week.length} 5-minute points`);
    assert.equal(week[0].cpu, 0);
    assert.equal(week.at(-1)!.t % (5 * MIN), 0);
    const month = again.read(now - 20 * DAY, now, now);
    assert.equal(month.length, 47, 'an hourly average for each closed hour');
    assert.deepEqual(month.slice(0, 3).map((p) => p.cpu), [0, 1, 2]);
  });

  it('prunes past each tier and to a size bound, reports the bytes, and never follows a link', async () => {
    const dir = tempDir();
    const h = new MetricHistory(dir);
    for (let t = T0; t < T0 + 3 * DAY; t += 30_000) h.append(point(t, 10));
    const now = T0 + 3 * DAY;
    const raw = fs.statSync(h.file('raw')).size;
    const r = await h.prune(now, 20 * 1024 * 1024);
    assert.ok(r.bytesFreed > 0 && r.bytesFreed < raw);
    assert.ok(h.read(now - DAY, now, now).every((p) => p.t >= now - DAY));
    assert.equal(new MetricHistory(dir).read(now - 2 * DAY, now - 1.5 * DAY, now).length > 0, true, 'older samples remain as 5-minute averages');
    const small = await h.prune(now, 10 * 1024);
    assert.ok(small.bytesFreed > 0);
    const total = ['raw', '5m', '1h'].reduce((n, t) => n + fs.statSync(h.file(t as 'raw')).size, 0);
    assert.ok(total <= 10 * 1024, `${total} bytes left`);
    // A link planted in place of a tier file: appends refuse it, prune replaces the link, the target is untouched.
    const outside = path.join(tempDir(), 'victim');
    fs.writeFileSync(outside, 'keep');
    fs.rmSync(h.file('1h'));
    fs.symlinkSync(outside, h.file('1h'));
    assert.throws(() => h.append(point(now + HOUR, 1)));
    await h.prune(now + 40 * DAY, 1024);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'keep');
  });

  it('reads back only lines of its own format', () => {
    assert.deepEqual(parseLine('1767571200000,12.5,,40,,100'), { t: 1767571200000, cpu: 12.5, memory: null, disk: 40, responseMs: null, score: 100 });
    for (const bad of ['', 'x,1,2,3,4,5', '1,2,3', '1,2,3,4,5,6,7', `1,${'9'.repeat(300)},,,,`, '1,1e9,,,,', '1,NaN,,,,']) assert.equal(parseLine(bad), undefined, bad);
  });
});
