import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManualClock, systemClock } from '../../src/core/clock';
import { isGardenerError } from '../../src/core/errors';
import { CHANNEL_FILES, csvField, LogManager, rotatedName, type LogEntry } from '../../src/core/logs';
import { tempDir } from './fixtures';

function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('logs: JSON lines', () => {
  it('quotes, backslashes, newlines, emoji and 100 KB strings round-trip as valid JSON, one line each', () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    const tricky = ['say "hi"', 'C:\\path\\to', 'line1\nline2\r\nline3', 'plants 🌱🪴 ok', '\u0000\u001f control', 'x'.repeat(100 * 1024)];
    for (const m of tricky) logs.info('test', m, { field: m, nested: { again: m } });
    logs.dispose();
    const lines = readLines(path.join(dir, CHANNEL_FILES.main));
    assert.equal(lines.length, tricky.length);
    lines.forEach((l, i) => {
      const e = JSON.parse(l) as LogEntry;
      assert.equal(e.message, tricky[i]);
      assert.equal(e.field, tricky[i]);
      assert.deepEqual(e.nested, { again: tricky[i] });
      assert.match(e.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(e.level, 'INFO');
      assert.equal(e.channel, 'main');
      assert.equal(e.component, 'test');
    });
  });

  it('errors carry name, message and stack and go to the error channel only; files are owner-only', () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    logs.error('backup', 'it broke', new TypeError('bad input'));
    logs.info('backup', 'fine');
    logs.dispose();
    const [err] = readLines(path.join(dir, CHANNEL_FILES.error)).map((l) => JSON.parse(l) as LogEntry);
    assert.equal(err.error?.name, 'TypeError');
    assert.equal(err.error?.message, 'bad input');
    assert.match(err.error?.stack ?? '', /TypeError: bad input/);
    const main = readLines(path.join(dir, CHANNEL_FILES.main));
    assert.equal(main.length, 1, 'the error is not written to main as well');
    if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(dir, CHANNEL_FILES.error)).mode & 0o777, 0o600);
  });

  it('redacts fields named like secrets, at any depth', () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    logs.info('auth', 'login', { user: 'ana', password: 'hunter2', config: { apiKey: 'sk-1', token: 't', headers: { Authorization: 'Bearer x' } }, keyboard: 'us' });
    logs.dispose();
    const [e] = readLines(path.join(dir, CHANNEL_FILES.main)).map((l) => JSON.parse(l));
    assert.equal(e.user, 'ana');
    assert.equal(e.password, '[REDACTED]');
    assert.deepEqual(e.config, { apiKey: '[REDACTED]', token: '[REDACTED]', headers: { Authorization: '[REDACTED]' } });
    assert.equal(e.keyboard, 'us', 'a name merely containing "key" is not a secret');
    assert.ok(!readLines(path.join(dir, CHANNEL_FILES.main))[0].includes('hunter2'));
  });

  it('1,000,000 lines from interleaved writers across ≥ 10 rotations: none lost, none duplicated, all parse', async function () {
    this.timeout(120_000);
    const dir = tempDir();
    const logs = new LogManager(systemClock, dir, { maxBytes: 6 * 1024 * 1024, maxFiles: 40 });
    const writers = 4;
    const per = 250_000;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < per; i++) {
          logs.info('load', 'line', { w, i });
          if (i % 5000 === 0) await new Promise((r) => setImmediate(r)); // let the other writers in
        }
      }),
    );
    logs.dispose();
    const files = [path.join(dir, CHANNEL_FILES.main), ...Array.from({ length: 40 }, (_, k) => rotatedName(path.join(dir, CHANNEL_FILES.main), k + 1))].filter((f) => fs.existsSync(f));
    assert.ok(files.length >= 11, `${files.length} files: at least 10 rotations`);
    const seen = new Uint8Array(writers * per);
    let lines = 0;
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      assert.ok(text.endsWith('\n'), `${path.basename(f)} ends with a whole line`);
      for (const l of text.split('\n')) {
        if (!l) continue;
        const e = JSON.parse(l) as { w: number; i: number };
        seen[e.w * per + e.i]++;
        lines++;
      }
      assert.ok(fs.statSync(f).size <= 6 * 1024 * 1024, 'no file exceeds the rotation size');
    }
    assert.equal(lines, writers * per);
    assert.equal(seen.filter((n) => n !== 1).length, 0, 'every line exactly once');
  });

  it('keeps only maxFiles rotated files per channel', () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir, { maxBytes: 2000, maxFiles: 3 });
    for (let i = 0; i < 500; i++) logs.info('x', `line ${i}`);
    logs.dispose();
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(names, ['codebase_gardener.log', 'codebase_gardener.log.1', 'codebase_gardener.log.2', 'codebase_gardener.log.3']);
  });

  it('deletes rotated files older than the retention period, never the live file', () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.now());
    const logs = new LogManager(clock, dir, { maxBytes: 500, maxFiles: 5, retentionMs: 30 * 86_400_000 });
    for (let i = 0; i < 30; i++) logs.info('x', `line ${i}`);
    logs.flush();
    const main = path.join(dir, CHANNEL_FILES.main);
    const old = (Date.now() - 31 * 86_400_000) / 1000;
    fs.utimesSync(rotatedName(main, 2), old, old);
    fs.utimesSync(main, old, old);
    const deleted = logs.applyRetention();
    assert.deepEqual(deleted, [rotatedName(main, 2)]);
    assert.ok(fs.existsSync(main) && fs.existsSync(rotatedName(main, 1)));
    logs.dispose();
  });
});

describe('logs: search, summary, export, statistics', () => {
  it('search finds entries in rotated files, newest first, with level, component, channel and time filters', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const logs = new LogManager(clock, dir, { maxBytes: 4000, maxFiles: 50 });
    for (let i = 0; i < 400; i++) {
      clock.advance(60_000);
      if (i % 50 === 0) logs.warn('model', `Model server slow #${i}`, { ms: i });
      else logs.info('health', `sample ${i}`);
    }
    logs.flush();
    assert.ok(fs.existsSync(rotatedName(path.join(dir, CHANNEL_FILES.main), 5)), 'entries are spread over rotated files');
    const r = await logs.search({ text: 'model server SLOW' });
    assert.deepEqual(r.entries.map((e) => e.message), [350, 300, 250, 200, 150, 100, 50, 0].map((i) => `Model server slow #${i}`));
    assert.equal((await logs.search({ text: 'slow', minLevel: 'WARNING', hours: 2 })).entries.length, 2);
    assert.equal((await logs.search({ component: 'model', maxResults: 3 })).entries.length, 3);
    assert.equal((await logs.search({ component: 'model', maxResults: 3 })).truncated, true);
    assert.equal((await logs.search({ text: 'slow', channels: ['error'] })).entries.length, 0);
    assert.deepEqual((await logs.search({ regex: '#(100|200)$' })).entries.map((e) => e.message), ['Model server slow #200', 'Model server slow #100']);
    assert.equal((await logs.search({ text: 'message' })).entries.length, 0, 'keys do not match, only values');
    logs.dispose();
  });

  it('search matches text that JSON escapes (quotes, backslashes) and tolerates a torn last line', async () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    logs.info('fs', 'opened C:\\data\\"x".txt');
    logs.flush();
    fs.appendFileSync(path.join(dir, CHANNEL_FILES.main), '{"ts":"2026-01-01T00:00:00.000Z","level":"INFO","mess');
    const r = await logs.search({ text: '\\"x".txt' });
    assert.equal(r.entries.length, 1);
    assert.equal(r.entries[0].message, 'opened C:\\data\\"x".txt');
    assert.equal((await logs.search({})).skippedLines, 1);
    logs.dispose();
  });

  it('search can be cancelled', async () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    logs.info('x', 'y');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(logs.search({ text: 'y' }, ac.signal), (e: unknown) => isGardenerError(e, 'CANCELLED'));
    logs.dispose();
  });

  it('the performance summary comes from the persisted channel, so it is the same after a restart', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.now());
    const a = new LogManager(clock, dir);
    for (const ms of [10, 20, 30, 40, 100]) a.performance('health_check', ms, 'ok');
    a.performance('backup', 5000, 'error');
    await a.record('validate', async () => 'ok');
    await assert.rejects(a.record('restore', async () => Promise.reject(new Error('no key'))));
    const before = await a.performanceSummary({ hours: 24 });
    a.dispose();
    const b = new LogManager(clock, dir);
    const after = await b.performanceSummary({ hours: 24 });
    assert.deepEqual(after, before);
    assert.deepEqual(after.operations.health_check, { count: 5, errors: 0, avgMs: 40, minMs: 10, maxMs: 100, p50Ms: 30, p95Ms: 100, totalMs: 200 });
    assert.equal(after.operations.backup.errors, 1);
    assert.equal(after.operations.restore.errors, 1);
    assert.equal(after.operations.validate.count, 1);
    assert.deepEqual(Object.keys((await b.performanceSummary({ operation: 'backup' })).operations), ['backup']);
    b.dispose();
  });

  it('CSV export of tricky fields re-parses (by Python\'s csv module) to the same values', async () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    const tricky = ['comma, here', 'quote " here', 'new\nline', 'crlf\r\nline', 'plain', '"starts and ends"'];
    for (const m of tricky) logs.info('csv', m, { note: m });
    const dest = path.join(dir, 'out.csv');
    assert.equal(await logs.export({ channel: 'main', format: 'csv', destination: dest }), tricky.length);
    const rows = JSON.parse(
      execFileSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))', dest], { encoding: 'utf8' }),
    ) as string[][];
    assert.deepEqual(rows[0], ['ts', 'level', 'channel', 'component', 'message', 'fields']);
    assert.deepEqual(rows.slice(1).map((r) => r[4]), tricky);
    assert.deepEqual(rows.slice(1).map((r) => JSON.parse(r[5]).note), tricky);
    logs.dispose();
  });

  it('a CSV cell that starts like a formula (= + - @ tab CR) is written as quoted text with a leading apostrophe (OWASP)', async () => {
    const cases: [string, string][] = [
      ['=1+1', `"'=1+1"`],
      ['@SUM(A1)', `"'@SUM(A1)"`],
      ['+x', `"'+x"`],
      ['-x', `"'-x"`],
      ['\tx', `"'\tx"`],
      ['\rx', `"'\rx"`],
      ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
      ['x=1', 'x=1'],
      ['plain', 'plain'],
    ];
    for (const [value, written] of cases) assert.equal(csvField(value), written, JSON.stringify(value));
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    for (const [m] of cases.slice(0, 4)) logs.info('csv', m);
    const dest = path.join(dir, 'formulas.csv');
    await logs.export({ channel: 'main', format: 'csv', destination: dest });
    const lines = fs.readFileSync(dest, 'utf8').split('\r\n');
    assert.deepEqual(
      lines.slice(1, 5).map((l) => l.split(',')[4]),
      [`"'=1+1"`, `"'@SUM(A1)"`, `"'+x"`, `"'-x"`],
      'the bytes written for the message column',
    );
    logs.dispose();
  });

  it('exports NDJSON and JSON that parse, oldest first, and leaves no partial file when cancelled', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const logs = new LogManager(clock, dir, { maxBytes: 1000, maxFiles: 20 });
    for (let i = 0; i < 50; i++) {
      clock.advance(1000);
      logs.info('x', `n${i}`);
    }
    const nd = path.join(dir, 'a.ndjson');
    await logs.export({ channel: 'main', format: 'ndjson', destination: nd });
    assert.deepEqual(readLines(nd).map((l) => JSON.parse(l).message), Array.from({ length: 50 }, (_, i) => `n${i}`));
    const js = path.join(dir, 'a.json');
    await logs.export({ channel: 'main', format: 'json', destination: js });
    assert.equal((JSON.parse(fs.readFileSync(js, 'utf8')) as LogEntry[]).length, 50);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(logs.export({ channel: 'main', format: 'json', destination: path.join(dir, 'b.json') }, ac.signal));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('b.json')), []);
    logs.dispose();
  });

  it('statistics give size, lines, oldest and newest entry and rotated files per channel; audit records actions', async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const logs = new LogManager(clock, dir, { maxBytes: 1500, maxFiles: 5 });
    for (let i = 0; i < 40; i++) {
      clock.advance(1000);
      logs.info('x', `line ${i}`);
    }
    logs.audit({ actor: 'ana', action: 'acknowledge alert', target: 'abc', outcome: 'ok', durationMs: 3 });
    const stats = await logs.statistics();
    const main = stats.find((s) => s.channel === 'main')!;
    assert.equal(main.lines, 40);
    assert.equal(main.oldest, '2026-01-01T00:00:01.000Z');
    assert.equal(main.newest, '2026-01-01T00:00:40.000Z');
    assert.ok(main.rotated.length >= 1);
    const audit = (await logs.search({ channels: ['audit'] })).entries[0];
    assert.equal(audit.message, 'ana acknowledge alert abc: ok');
    assert.deepEqual([audit.actor, audit.action, audit.target, audit.outcome, audit.durationMs], ['ana', 'acknowledge alert', 'abc', 'ok', 3]);
    logs.dispose();
  });
});
