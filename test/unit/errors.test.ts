import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { archiveWriter, BackupCryptoError, BackupError, DecryptStream, EncryptStream, unwrapKey, wrapKey } from '../../src/core/backup';
import { CancelledError, throwIfAborted } from '../../src/core/cancel';
import { ManualClock } from '../../src/core/clock';
import { GARDENER_ERROR_CODES, GardenerError, isGardenerError } from '../../src/core/errors';
import { isMissing, readJsonFile, readJsonFileSync } from '../../src/core/jsonFile';
import { auditOutcome, CHANNEL_FILES, dismissed, failed, LogManager, notDone, type LogEntry } from '../../src/core/logs';
import { fullyBackedUp, manager, seedData, TEST_KEY } from './backupFixtures';
import { tempDir } from './fixtures';

describe('errors: one GardenerError, told apart by code', () => {
  it('carries a code, an optional file, and is named CancelledError only when cancelled', () => {
    const e = new GardenerError('bad file', 'CORRUPT_FILE', { file: '/x/y.json' });
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'CORRUPT_FILE');
    assert.equal(e.file, '/x/y.json');
    assert.equal(e.name, 'GardenerError');
    assert.equal(new GardenerError('stop', 'CANCELLED').name, 'CancelledError');
    assert.equal(new GardenerError('x', 'LOCKED').file, undefined);
    for (const code of ['NO_KEY', 'WRONG_KEY', 'CORRUPT', 'CORRUPT_FILE', 'UNSAFE_ENTRY', 'UNSAFE_PATH', 'NOT_FOUND', 'NO_SPACE', 'LOCKED', 'CANCELLED', 'INVALID', 'UNSUPPORTED', 'CYCLE'] as const) {
      assert.ok(GARDENER_ERROR_CODES.includes(code), code);
    }
  });

  it('isGardenerError checks the class and, when asked, the code (or one of several)', () => {
    const e = new GardenerError('gone', 'NOT_FOUND');
    assert.equal(isGardenerError(e), true);
    assert.equal(isGardenerError(e, 'NOT_FOUND'), true);
    assert.equal(isGardenerError(e, 'CORRUPT'), false);
    assert.equal(isGardenerError(e, ['CORRUPT', 'NOT_FOUND']), true);
    // Look-alikes are not ours: only the class counts, never a name or a message.
    assert.equal(isGardenerError(Object.assign(new Error('gone'), { code: 'NOT_FOUND', name: 'GardenerError' })), false);
    assert.equal(isGardenerError(undefined), false);
    assert.equal(isGardenerError('NOT_FOUND'), false);
  });

  it('BackupError, CancelledError and BackupCryptoError are GardenerErrors', () => {
    assert.equal(BackupError, GardenerError);
    const c = new CancelledError();
    assert.ok(c instanceof GardenerError);
    assert.equal(c.code, 'CANCELLED');
    assert.equal(c.name, 'CancelledError');
    const ac = new AbortController();
    ac.abort();
    assert.throws(() => throwIfAborted(ac.signal), (err: unknown) => isGardenerError(err, 'CANCELLED') && err instanceof CancelledError);
    assert.doesNotThrow(() => throwIfAborted(new AbortController().signal));
    assert.equal(new BackupCryptoError('damaged').code, 'CORRUPT');
    assert.ok(new BackupCryptoError('damaged') instanceof GardenerError);
  });

  it('a different key is WRONG_KEY, a damaged archive CORRUPT, without reading the message', async () => {
    const sealed = await buffer(Readable.from([Buffer.from('hello '.repeat(1000))]).pipe(new EncryptStream(TEST_KEY)));
    const open = (key: Buffer, bytes: Buffer) => pipeline(Readable.from([bytes]), new DecryptStream(key), new Writable({ write: (_c, _e, cb) => cb() }));
    await assert.rejects(open(Buffer.alloc(32, 9), sealed), (e: unknown) => isGardenerError(e, 'WRONG_KEY'));
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 5] ^= 1;
    await assert.rejects(open(TEST_KEY, flipped), (e: unknown) => isGardenerError(e, 'CORRUPT'));
  });

  it('a recovery key with the wrong passphrase is WRONG_KEY; a file that is none is CORRUPT', async function () {
    this.timeout(20_000);
    const text = await wrapKey(TEST_KEY, 'correct horse');
    await assert.rejects(unwrapKey(text, 'wrong horse'), (e: unknown) => isGardenerError(e, 'WRONG_KEY'));
    await assert.rejects(unwrapKey('{"format":"something else"}', 'x'), (e: unknown) => isGardenerError(e, 'CORRUPT'));
    await assert.rejects(unwrapKey('not json', 'x'), (e: unknown) => isGardenerError(e, 'CORRUPT'));
  });

  it("the archive worker's errors keep their code (and so their class) across the thread", async () => {
    const dir = tempDir();
    const files = [0, 1].map((i) => {
      const abs = path.join(dir, `f${i}.bin`);
      fs.writeFileSync(abs, Buffer.alloc(64 * 1024, i));
      return { path: `f${i}.bin`, abs, size: 64 * 1024, mtimeMs: 0, mode: 0o644 };
    });
    const ac = new AbortController();
    // The source ends quietly on the cancel, so the failure can only come back from the worker.
    async function* batches() {
      yield files;
      await new Promise((r) => ac.signal.addEventListener('abort', r));
    }
    setTimeout(() => ac.abort(), 50);
    const job = { backupId: 'test', key: TEST_KEY, level: 6, record: { type: 'FULL' as const, createdAt: 0 }, tail: () => ({ deleted: [], dirs: [], skipped: [] }), signal: ac.signal };
    await assert.rejects(archiveWriter.write(batches(), path.join(dir, 'out.cgb'), job), (e: unknown) => isGardenerError(e, 'CANCELLED') && e.name === 'CancelledError');
  });
});

describe('errors: readJsonFile names the file it could not read', () => {
  const isNumberList = (v: unknown): number[] => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error('is not a list of numbers');
    return v;
  };

  it('reads and checks a good file', async () => {
    const file = path.join(tempDir(), 'good.json');
    fs.writeFileSync(file, '[1, 2, 3]');
    assert.deepEqual(await readJsonFile(file, isNumberList), [1, 2, 3]);
    assert.deepEqual(readJsonFileSync(file, isNumberList), [1, 2, 3]);
    assert.deepEqual(await readJsonFile(file), [1, 2, 3]);
  });

  it('invalid JSON is CORRUPT_FILE, with the file in `file` and at the start of the message', async () => {
    const file = path.join(tempDir(), 'state.json');
    fs.writeFileSync(file, '{"version":1,"alerts":[{"id":');
    for (const read of [() => readJsonFile(file), async () => readJsonFileSync(file)]) {
      await assert.rejects(read(), (e: unknown) => {
        assert.ok(isGardenerError(e, 'CORRUPT_FILE'));
        assert.equal(e.file, file);
        assert.ok(e.message.startsWith(`${file} is not valid JSON (`), e.message);
        assert.ok(e.cause instanceof SyntaxError);
        return true;
      });
    }
  });

  it('a file the check refuses is CORRUPT_FILE too, with the check saying what it is not', async () => {
    const file = path.join(tempDir(), 'numbers.json');
    fs.writeFileSync(file, '["one"]');
    await assert.rejects(readJsonFile(file, isNumberList), (e: unknown) => isGardenerError(e, 'CORRUPT_FILE') && e.file === file && e.message === `${file} is not a list of numbers.`);
  });

  it('a missing file is not corrupt: ENOENT passes through unchanged', async () => {
    const file = path.join(tempDir(), 'absent.json');
    await assert.rejects(readJsonFile(file), (e: unknown) => !isGardenerError(e) && (e as NodeJS.ErrnoException).code === 'ENOENT' && isMissing(e));
    assert.throws(() => readJsonFileSync(file), (e: unknown) => isMissing(e));
  });
});

describe('errors: the audit says how a command ended', () => {
  it('a failed backup is failed, with its code and message', async () => {
    const data = tempDir();
    seedData(data, 3);
    const noKey = manager(data, undefined, null);
    await noKey.init();
    const err = await noKey.createBackup('FULL').then(
      () => assert.fail('a backup without a key must fail'),
      (e: unknown) => e,
    );
    // What backupCommands returns after showing the error, and what the audit makes of it.
    const returned = notDone(err);
    assert.deepEqual(returned, { ok: false, reason: 'failed', code: 'NO_KEY', message: (err as Error).message });
    assert.deepEqual(auditOutcome({ result: returned }), { outcome: 'failed', code: 'NO_KEY', error: (err as Error).message });
    // A command that lets the error escape ends the same way.
    assert.deepEqual(auditOutcome({ error: err }), { outcome: 'failed', code: 'NO_KEY', error: (err as Error).message });
  });

  it('a cancelled backup is cancelled, returned or thrown', async () => {
    const { m } = await fullyBackedUp(3);
    const ac = new AbortController();
    ac.abort();
    const err = await m.createBackup('INCREMENTAL', { signal: ac.signal }).then(
      () => assert.fail('a cancelled backup must not finish'),
      (e: unknown) => e,
    );
    assert.equal(notDone(err).reason, 'cancelled');
    assert.deepEqual(auditOutcome({ result: notDone(err) }), { outcome: 'cancelled' });
    assert.deepEqual(auditOutcome({ error: err }), { outcome: 'cancelled' });
    assert.deepEqual(auditOutcome({ error: new CancelledError() }), { outcome: 'cancelled' });
  });

  it('a dismissed pick is dismissed; success is ok, or done when nothing is returned', () => {
    assert.deepEqual(auditOutcome({ result: dismissed('No backup was chosen.') }), { outcome: 'dismissed' });
    assert.deepEqual(auditOutcome({ result: { id: 'b1', status: 'completed' } }), { outcome: 'ok' });
    assert.deepEqual(auditOutcome({ result: true }), { outcome: 'ok' });
    assert.deepEqual(auditOutcome({ result: 0 }), { outcome: 'ok' });
    assert.deepEqual(auditOutcome({ result: undefined }), { outcome: 'done' });
  });

  it('a refused request (an unknown alert) stays rejected; a command that could not start is failed', () => {
    assert.deepEqual(auditOutcome({ result: { ok: false, reason: 'not-found', message: 'No alert a1.' } }), { outcome: 'rejected', reason: 'not-found', error: 'No alert a1.' });
    assert.deepEqual(auditOutcome({ result: failed('There are no backups yet.', 'NOT_FOUND') }), { outcome: 'failed', code: 'NOT_FOUND', error: 'There are no backups yet.' });
    // Not ours, but its errno code still says what happened.
    assert.deepEqual(auditOutcome({ error: Object.assign(new Error('disk full'), { code: 'ENOSPC' }) }), { outcome: 'failed', code: 'ENOSPC', error: 'disk full' });
    assert.deepEqual(auditOutcome({ error: 'a string' }), { outcome: 'failed', error: 'a string' });
  });

  it('the audit log writes the outcome, failures as warnings', () => {
    const dir = tempDir();
    const logs = new LogManager(new ManualClock(), dir);
    logs.audit({ action: 'createBackup', target: 'FULL', actor: 'me', ...auditOutcome({ result: notDone(new GardenerError('Not enough free space.', 'NO_SPACE')) }) });
    logs.audit({ action: 'restoreBackup', actor: 'me', ...auditOutcome({ result: dismissed('No backup was chosen.') }) });
    logs.dispose();
    const [a, b] = fs
      .readFileSync(path.join(dir, CHANNEL_FILES.audit), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogEntry);
    assert.equal(a.message, 'me createBackup FULL: failed');
    assert.equal(a.level, 'WARNING');
    assert.equal(a.code, 'NO_SPACE');
    assert.deepEqual(a.error, { name: 'Error', message: 'Not enough free space.' });
    assert.equal(b.message, 'me restoreBackup: dismissed');
    assert.equal(b.level, 'INFO');
  });
});
