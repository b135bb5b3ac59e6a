import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
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

  it('a process killed while appending (SIGKILL, 10 random moments) loses at most its last sample; a torn last line costs only itself', async function () {
    this.timeout(60_000);
    const dir = tempDir();
    const child = path.join(__dirname, 'metricsChild.js');
    let start = T0;
    for (let i = 0; i < 10; i++) {
      const p = spawn(process.execPath, [child, dir, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((r) => p.stdout.once('data', () => r()));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      const lines = fs.readFileSync(path.join(dir, 'metrics', 'raw.csv'), 'utf8').split('\n');
      const last = lines.pop()!;
      // Every whole line parses; what follows the last newline is at most one sample cut short.
      assert.deepEqual(lines.filter((l) => !parseLine(l) && l !== ''), [], `run ${i}: every whole line is a sample`);
      assert.ok(last === '' || (last.length < 60 && !last.includes('\n')), `run ${i}: at most the last sample is torn`);
      const ts = lines.map((l) => parseLine(l)?.t).filter((t): t is number => t !== undefined);
      assert.ok(ts.length > 0, `run ${i}: the child appended`);
      for (let k = 1; k < ts.length; k++) assert.ok(ts[k] > ts[k - 1], `run ${i}: samples in order, none duplicated`);
      start = ts.at(-1)! + 1_000_000;
    }
    // Power lost mid-line: the file ends in half a sample. The next process's first sample is kept whole.
    const raw = path.join(dir, 'metrics', 'raw.csv');
    const samples = () => fs.readFileSync(raw, 'utf8').split('\n').map((l) => parseLine(l)).filter((p) => p !== undefined);
    const before = samples().length;
    fs.appendFileSync(raw, `${start},12.`);
    const h = new MetricHistory(dir);
    h.append(point(start + 1000, 7));
    h.append(point(start + 2000, 8));
    const after = samples();
    assert.equal(after.length, before + 2, 'both new samples are read back; only the torn one is lost');
    assert.deepEqual(after.slice(-2).map((p) => p.cpu), [7, 8]);
  });

  it('reads a full month (every sample for a day, 5-minute and hourly averages) for every chart range', () => {
    const dir = tempDir();
    const h = new MetricHistory(dir);
    // 30 days at a sample every 30 s: 86,400 appends, what a month of a running extension writes.
    for (let t = T0; t < T0 + 30 * DAY; t += 30_000) h.append(point(t, (t / HOUR) % 100));
    const now = T0 + 30 * DAY;
    const again = new MetricHistory(dir);
    const started = Date.now();
    const month = again.read(now - 30 * DAY, now, now);
    const week = again.read(now - 7 * DAY, now, now);
    const day = again.read(now - DAY, now, now);
    const ms = Date.now() - started;
    assert.ok(month.length >= 718 && month.length <= 720, `${month.length} hourly points in 30 d`);
    assert.ok(week.length >= 2014 && week.length <= 2016, `${week.length} 5-minute points in 7 d`);
    assert.ok(day.length >= 2879 && day.length <= 2881, `${day.length} samples in 24 h`);
    for (const s of [month, week, day]) for (let k = 1; k < s.length; k++) assert.ok(s[k].t > s[k - 1].t);
    // Ten times the dashboard's range-switch goal (50 ms) for all three reads together.
    assert.ok(ms < 1500, `three reads took ${ms} ms`);
  });
});
