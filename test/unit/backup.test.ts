import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BackupError, BackupManager, DecryptStream, keyId, EncryptStream, gathered, hashed, isEncrypted, readArchive, sealedMembers, select, unwrapKey, wrapKey, writeArchive, type Progress } from '../../src/core/backup';
import picomatch from 'picomatch';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSegments, looksIncompressible } from '../../src/core/backup/segments';
import { sha256Hex, sha256HexByStream } from '../../src/core/backup/hashFile';
import { decodeOps, encodeOps, type StagingOp } from '../../src/core/backup/stagingOps';
import { StagingWriter } from '../../src/core/backup/stagingWriter';
import { ByteRing } from '../../src/core/backup/byteRing';
import { ArchiveWriter, archiveWriter } from '../../src/core/backup/archiveWriter';
import { MANIFEST_PATH } from '../../src/core/backup/archive';
import { unpackManifest } from '../../src/core/backup/manifestFile';
import type { ArchiveManifest } from '../../src/core/backup/types';
import { CancelledError } from '../../src/core/cancel';
import { systemClock } from '../../src/core/clock';
import { isGardenerError } from '../../src/core/errors';
import { tempDir } from './fixtures';
import { craft, fullyBackedUp, manager, seedData, snapshot, TEST_KEY, write, withCodec, type CraftedEntry } from './backupFixtures';
import { runChild as killableChild } from './trustFixtures';

const rejectsWith = (p: Promise<unknown>, code: BackupError['code']) => assert.rejects(p, (e: unknown) => e instanceof BackupError && e.code === code);

describe('backup: full and incremental chains on real folders', () => {
  it('full → change/add/delete → incremental → restoring each point reproduces the exact tree (paths, bytes, modes)', async () => {
    const data = tempDir();
    seedData(data);
    const m = manager(data);
    await m.init();
    const full = await m.createBackup('FULL');
    const atFull = snapshot(data);
    assert.equal(full.status, 'completed');
    assert.equal(full.encrypted, true);
    assert.ok(isEncrypted(fs.readFileSync(path.join(m.backupsDir, full.archive)).subarray(0, 4)));
    assert.equal((await m.treeOf(full.id)).files.size, Object.keys(atFull).length);
    assert.ok(![...(await m.treeOf(full.id)).files.keys()].some((p) => p.startsWith('cache/') || p.startsWith('temp/')), 'cache and temp are never backed up');

    write(data, 'projects/p1/file-1.txt', 'changed\n');
    write(data, 'projects/new/added.txt', 'new file\n', 0o600);
    fs.rmSync(path.join(data, 'projects/p2/file-2.txt'));
    fs.chmodSync(path.join(data, 'projects/p4/file-4.txt'), 0o600);
    const inc1 = await m.createBackup('INCREMENTAL');
    const atInc1 = snapshot(data);
    assert.equal(inc1.type, 'INCREMENTAL');
    assert.equal(inc1.parentId, full.id);
    assert.equal(inc1.fileCount, 3, 'only the changed, added and re-moded files');
    assert.deepEqual((await m.catalog.manifest(inc1.id)).deleted, ['projects/p2/file-2.txt']);

    write(data, 'contexts/ctx-2.json', '{"ctx":2}');
    fs.rmSync(path.join(data, 'projects/new'), { recursive: true });
    const inc2 = await m.createBackup('INCREMENTAL');
    const atInc2 = snapshot(data);
    assert.equal(inc2.parentId, inc1.id);

    write(data, 'projects/after.txt', 'made after the last backup');
    for (const [id, expected] of [
      [full.id, atFull],
      [inc1.id, atInc1],
      [inc2.id, atInc2],
    ] as const) {
      await m.restore(id);
      assert.deepEqual(snapshot(data), expected, `restore of ${id}`);
    }
  });

  it('an incremental keeps a same-size edit (the hash decides) and leaves out a file only touched; another window builds on the same chain', async () => {
    const data = tempDir();
    seedData(data, 10);
    const m = manager(data);
    await m.init();
    await m.createBackup('FULL');
    const later = new Date(Date.now() + 10_000);
    const edited = path.join(data, 'projects/p1/file-1.txt');
    const bytes = fs.readFileSync(edited);
    bytes[0] ^= 1;
    fs.writeFileSync(edited, bytes);
    fs.utimesSync(edited, later, later);
    fs.utimesSync(path.join(data, 'projects/p2/file-2.txt'), later, later);
    const inc = await m.createBackup('INCREMENTAL');
    assert.deepEqual((await m.catalog.manifest(inc.id)).files.map((e) => e.path), ['projects/p1/file-1.txt']);

    // A second window knows the chain only from the catalog and manifests on disk.
    const other = manager(data, m.backupsDir);
    await other.init();
    write(data, 'projects/p2/file-2.txt', 'edited in the other window');
    const inc2 = await other.createBackup('INCREMENTAL');
    assert.equal(inc2.parentId, inc.id);
    assert.deepEqual((await other.catalog.manifest(inc2.id)).files.map((e) => e.path), ['projects/p2/file-2.txt']);
    const expected = snapshot(data);
    write(data, 'projects/p1/file-1.txt', 'lost after the backup');
    // The first window learns of the other's backup when it next takes the lock, and keeps it.
    await m.restore(inc2.id);
    assert.deepEqual(snapshot(data), expected);
    await m.createBackup('INCREMENTAL');
    const onDisk = manager(data, m.backupsDir);
    await onDisk.catalog.load();
    const ids = onDisk.catalog.backups.map((b) => b.id);
    assert.ok(ids.includes(inc2.id), "the first window's next backup kept the other window's record");
  });

  it('an incremental with no full to build on becomes a full backup and says so', async () => {
    const data = tempDir();
    seedData(data, 5);
    const m = manager(data);
    await m.init();
    const b = await m.createBackup('INCREMENTAL');
    assert.equal(b.type, 'FULL');
    assert.match(b.note ?? '', /No full backup to build on/);
  });

  it('configuration and user-data backups hold only their sources', async () => {
    const data = tempDir();
    seedData(data, 5);
    const m = manager(data);
    await m.init();
    const conf = await m.createBackup('CONFIGURATION');
    assert.deepEqual([...(await m.treeOf(conf.id)).files.keys()], ['settings/app.json', 'settings/secret.env']);
    const user = await m.createBackup('USER_DATA');
    const paths = [...(await m.treeOf(user.id)).files.keys()];
    assert.ok(paths.every((p) => p.startsWith('projects/') || p.startsWith('contexts/')));
    // A restore of the configuration never touches the projects.
    write(data, 'projects/untouched.txt', 'stay');
    write(data, 'settings/app.json', 'broken');
    await m.restore(conf.id);
    assert.equal(fs.readFileSync(path.join(data, 'projects/untouched.txt'), 'utf8'), 'stay');
    assert.equal(JSON.parse(fs.readFileSync(path.join(data, 'settings/app.json'), 'utf8')).theme, 'dark');
  });

  it('partial restore of one path, and restore into another folder', async () => {
    const { data, m, b } = await fullyBackedUp(10);
    const before = snapshot(data);
    write(data, 'projects/p1/file-1.txt', 'edited');
    write(data, 'settings/app.json', 'edited too');
    const plan = await m.planRestore(b.id, { path: 'projects/p1' });
    assert.deepEqual(plan.deleted, []);
    assert.ok(plan.overwritten.includes('projects/p1/file-1.txt'));
    await m.restore(b.id, { path: 'projects/p1' });
    assert.deepEqual(snapshot(data)['projects/p1/file-1.txt'], before['projects/p1/file-1.txt']);
    assert.equal(fs.readFileSync(path.join(data, 'settings/app.json'), 'utf8'), 'edited too', 'outside the path: untouched');

    const elsewhere = tempDir();
    const r = await m.restore(b.id, { target: elsewhere });
    assert.equal(r.target, elsewhere);
    assert.deepEqual(snapshot(elsewhere), before);
  });

  it('Undo Restore brings back the exact previous tree', async () => {
    const { data, m, b } = await fullyBackedUp(10);
    write(data, 'projects/p1/file-1.txt', 'work in progress');
    write(data, 'projects/brand-new.txt', 'not in the backup');
    fs.rmSync(path.join(data, 'settings/app.json'));
    const before = snapshot(data);
    const r = await m.restore(b.id);
    assert.ok(r.deleted.includes('projects/brand-new.txt'));
    assert.ok(r.added.includes('settings/app.json'));
    assert.ok(r.overwritten.includes('projects/p1/file-1.txt'));
    assert.notDeepEqual(snapshot(data), before);
    // The catalog keeps counts; the path lists lie beside the moved-aside files.
    const onDisk = manager(data, m.backupsDir);
    await onDisk.catalog.load();
    const record = onDisk.catalog.snapshots[0];
    assert.deepEqual([record.movedCount, record.addedCount, record.moved, record.added], [Object.keys(before).length, 1, undefined, undefined]);
    const lists = path.join(data, '.gardener-restore', 'snapshots', `${r.snapshotId}.json`);
    assert.deepEqual(JSON.parse(fs.readFileSync(lists, 'utf8')).added, ['settings/app.json']);
    await m.undoRestore(r.snapshotId);
    assert.deepEqual(snapshot(data), before);
    assert.equal(m.catalog.snapshots.length, 0);
    assert.ok(!fs.existsSync(lists));
  });

  it("Undo Restore refuses a lists file edited after the restore (it would delete what it names as added), touching nothing; the untouched file undoes", async () => {
    const { data, m, b } = await fullyBackedUp(10);
    write(data, 'projects/brand-new.txt', 'not in the backup');
    fs.rmSync(path.join(data, 'settings/app.json'));
    const r = await m.restore(b.id);
    const lists = path.join(data, '.gardener-restore', 'snapshots', `${r.snapshotId}.json`);
    const original = fs.readFileSync(lists, 'utf8');
    const v = JSON.parse(original) as { moved: string[]; added: string[] };
    // A file the user made after the restore (with an old time, so that no "changed since" check
    // catches it), named as "added" in a forged list: Undo would delete it.
    const victim = 'projects/written-after.txt';
    write(data, victim, 'mine, not the restore’s');
    fs.utimesSync(path.join(data, victim), new Date(2020, 0, 1), new Date(2020, 0, 1));
    const after = snapshot(data);
    for (const forged of [JSON.stringify({ moved: v.moved, added: [...v.added.slice(1), victim] }), JSON.stringify({ moved: v.moved, added: [...v.added, victim] }), `${original} `]) {
      fs.writeFileSync(lists, forged);
      await assert.rejects(m.undoRestore(r.snapshotId), (err: Error & { code?: string }) => err.code === 'CORRUPT_FILE');
      assert.deepEqual(snapshot(data), after, 'nothing was deleted or moved');
    }
    fs.writeFileSync(lists, original);
    await m.undoRestore(r.snapshotId);
    assert.ok(fs.existsSync(path.join(data, 'projects/brand-new.txt')) && !fs.existsSync(path.join(data, 'settings/app.json')));
    assert.equal(fs.readFileSync(path.join(data, victim), 'utf8'), 'mine, not the restore’s');
  });

  it('a restore reports its progress in files and bytes, ending at the totals', async () => {
    const { m, b } = await fullyBackedUp(12);
    const seen: Progress[] = [];
    await m.restore(b.id, { onProgress: (p) => seen.push(p) });
    const staging = seen.filter((p) => p.phase === 'staging');
    const last = staging.at(-1)!;
    assert.equal(last.files, last.totalFiles);
    assert.equal(last.totalBytes, (await m.catalog.manifest(b.id)).files.reduce((t, e) => t + e.size, 0));
    assert.equal(last.bytes, last.totalBytes);
    assert.ok(staging.every((p, i) => i === 0 || p.bytes >= staging[i - 1].bytes), 'bytes only grow');
    assert.equal(seen.at(-1)?.phase, 'swapping');
  });

  it('Undo Restore still works for a snapshot recorded by 0.1, with its lists in the catalog', async () => {
    const { data, m, b } = await fullyBackedUp(5);
    write(data, 'projects/p1/file-1.txt', 'work in progress');
    const before = snapshot(data);
    const r = await m.restore(b.id);
    const lists = path.join(data, '.gardener-restore', 'snapshots', `${r.snapshotId}.json`);
    // Rewrite the record as 0.1 kept it: lists inline, no counts, the catalog in the clear.
    const plain = manager(data, m.backupsDir, TEST_KEY, { encrypt: false });
    await plain.catalog.load();
    const old = plain.catalog.snapshots[0] as unknown as Record<string, unknown>;
    Object.assign(old, JSON.parse(fs.readFileSync(lists, 'utf8')));
    delete old.movedCount;
    delete old.addedCount;
    fs.writeFileSync(plain.catalog.file, JSON.stringify({ version: 1, backups: plain.catalog.backups, snapshots: [old] }));
    fs.rmSync(lists);
    const reloaded = manager(data, m.backupsDir);
    await reloaded.init();
    await reloaded.undoRestore(r.snapshotId);
    assert.deepEqual(snapshot(data), before);
  });

  it('retention keeps the newest N per type and never a chain a kept incremental needs; the catalog survives reload', async () => {
    const data = tempDir();
    seedData(data, 3);
    const m = manager(data, undefined, TEST_KEY, { retention: { FULL: 1, INCREMENTAL: 2, CONFIGURATION: 10, USER_DATA: 14 } });
    await m.init();
    const f1 = await m.createBackup('FULL');
    write(data, 'projects/a.txt', '1');
    const i1 = await m.createBackup('INCREMENTAL');
    write(data, 'projects/a.txt', '2');
    const i2 = await m.createBackup('INCREMENTAL');
    const f2 = await m.createBackup('FULL');
    // f1 falls out of FULL retention, but i1 and i2 (kept) build on it.
    assert.deepEqual(m.catalog.backups.map((b) => b.id).sort(), [f1.id, i1.id, i2.id, f2.id].sort());
    write(data, 'projects/a.txt', '3');
    const i3 = await m.createBackup('INCREMENTAL');
    write(data, 'projects/a.txt', '4');
    const i4 = await m.createBackup('INCREMENTAL');
    // Now the two newest incrementals build on f2, so f1's chain may go.
    assert.deepEqual(m.catalog.backups.map((b) => b.id).sort(), [f2.id, i3.id, i4.id].sort());
    assert.ok(!fs.existsSync(path.join(m.backupsDir, f1.archive)));
    const reloaded = manager(data, m.backupsDir);
    await reloaded.init();
    assert.deepEqual(reloaded.catalog.backups, m.catalog.backups);
    for (const b of reloaded.catalog.backups) assert.equal((await reloaded.validate(b.id)).valid, true, b.id);
  });

  it('archives and the catalog are owner-only; the backups folder is 0700', async () => {
    const { m, b } = await fullyBackedUp(2);
    assert.equal(fs.statSync(path.join(m.backupsDir, b.archive)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(m.catalog.file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(m.backupsDir).mode & 0o777, 0o700);
  });
});

describe('backup: selections', () => {
  it('decides folder globs by comparing strings, exactly as picomatch would', () => {
    const globs = [['**'], ['logs/**'], ['settings/**'], ['projects/**', 'contexts/**'], ['**/*.tmp'], ['a/b/**'], ['x*/**'], ['{a,b}/**'], ['**/logs/**'], ['**/node_modules/**', '**/.venv/**'], ['**/logs/**', 'a/b/**', '**/*.tmp', '**/node_modules/**']];
    const paths = ['logs', 'logs/a', 'logsx/a', 'a/logs/b', 'a/logs', 'a/xlogs/b', 'settings/app.json', 'settings', 'projects/.h/x', 'contexts/c.json', 'a/b', 'a/b/c', 'a/bc', 'b/x', 'f.tmp', 'd/e.tmp', 'xy/z', '.x', 'node_modules', 'p/node_modules/q/r.js', 'p/.venv/bin/python', 'p/x.venv/y', 'logs/\u0000probe', 'w/node_modules/\u0000probe'];
    for (const g of globs) {
      const ours = select(g, []);
      const theirs = picomatch(g, { dot: true });
      for (const p of paths) assert.equal(ours.keep(p), theirs(p), `${g.join(',')} on ${p}`);
      assert.equal(select(['**'], g).keep('logs/a'), !theirs('logs/a'), `excluding ${g.join(',')}`);
    }
  });
});

describe('backup: compression', () => {
  const text = (n: number) => Buffer.from('health alert backup restore sample metric 1234\n'.repeat(Math.ceil(n / 47))).subarray(0, n);

  it('tells random bytes from text by their entropy', () => {
    assert.equal(looksIncompressible(randomBytes(256 * 1024)), true);
    assert.equal(looksIncompressible(text(256 * 1024)), false);
    assert.equal(looksIncompressible(zlib.gzipSync(Buffer.from(randomBytes(400 * 1024).toString('base64')))), true, 'already compressed data');
    assert.equal(looksIncompressible(randomBytes(1000)), false, 'too small to judge: compressed with its neighbours');
  });

  it('writes gzip members that gunzip reads back as one stream, storing what deflate cannot shrink', async () => {
    const pieces = [text(3 * 1024 * 1024), randomBytes(3 * 1024 * 1024), text(100), randomBytes(300 * 1024), text(2 * 1024 * 1024)];
    // As the archive writer reads files: in chunks of at most 256 KB.
    const chunks = pieces.flatMap((p) => Array.from({ length: Math.ceil(p.length / 262144) }, (_, i) => p.subarray(i * 262144, (i + 1) * 262144)));
    const out: Buffer[] = [];
    for await (const m of gzipSegments(chunks, { level: 6 })) out.push(m);
    assert.ok(out.length >= 8, `${out.length} members of about 1 MB`);
    const all = Buffer.concat(out);
    assert.deepEqual(zlib.gunzipSync(all), Buffer.concat(pieces));
    const file = path.join(tempDir(), 'members.gz');
    fs.writeFileSync(file, all);
    const gz = spawnSync('gzip', ['-dc', file], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(gz.status, 0, String(gz.stderr));
    assert.deepEqual(gz.stdout, Buffer.concat(pieces), 'gzip reads the members as one stream');
    const random = 3 * 1024 * 1024 + 300 * 1024;
    // Stored random data costs a few bytes per 64 KB block; the text shrinks to almost nothing.
    assert.ok(all.length < random * 1.01 + 200 * 1024, `archive ${all.length} bytes for ${random} random bytes`);
  });

  it('hashes bytes in memory alike with the one-shot hash and with its fallback for older runtimes', () => {
    for (const b of [Buffer.alloc(0), text(1500), randomBytes(300 * 1024)]) {
      const expected = createHash('sha256').update(b).digest('hex');
      assert.equal(sha256Hex(b), expected);
      assert.equal(sha256HexByStream(b), expected);
    }
  });

  it('an unencrypted backup is a .tar.gz (or, where Node.js has zstd, a .tar.zst) that system tar extracts', async () => {
    const { data, m, b } = await fullyBackedUp(30, { plain: true, bigMB: 3 });
    assert.match(b.archive, /\.tar\.(gz|zst)$/);
    const out = tempDir();
    const r = spawnSync('tar', [b.archive.endsWith('.zst') ? '--zstd' : '-z', '-xf', path.join(m.backupsDir, b.archive), '-C', out]);
    assert.equal(r.status, 0, String(r.stderr));
    fs.rmSync(path.join(out, '.gardener'), { recursive: true });
    assert.deepEqual(snapshot(out), snapshot(data));
  });
});

describe('backup: reading archives', () => {
  it('bytes the reader still holds are never overwritten: reading waits for them, again and again, and every byte arrives', async function () {
    this.timeout(60_000);
    const data = tempDir();
    write(data, 'projects/big.bin', randomBytes(6 * 1024 * 1024));
    write(data, 'projects/text.txt', 'slow reader\n'.repeat(200_000));
    const m = manager(data);
    await m.init();
    const b = await m.createBackup('FULL');
    // A small ring whose data is hashed only later, from where it lies, as a worker would write it.
    const ring = new ByteRing(256 * 1024);
    let held: { pos: number; n: number; h: ReturnType<typeof createHash> }[] = [];
    ring.holdFrom = () => (held.length ? held[0].pos : Infinity);
    let releases = 0;
    const release = setInterval(() => {
      for (const { pos, n, h } of held) h.update(ring.bytes.subarray(pos % ring.size, (pos % ring.size) + n));
      if (held.length) releases++;
      held = [];
      ring.wake();
    }, 2);
    const seen = new Map<string, string>();
    try {
      await readArchive(
        path.join(m.backupsDir, b.archive),
        TEST_KEY,
        (e) => {
          const h = createHash('sha256');
          return {
            data: (bytes, pos) => void held.push({ pos, n: bytes.length, h }),
            end: () => void setTimeout(() => seen.set(e.path, h.digest('hex')), 20),
          };
        },
        undefined,
        { ring },
      );
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      clearInterval(release);
    }
    assert.ok(releases > 20, `reading waited for the reader ${releases} times`);
    for (const f of ['projects/big.bin', 'projects/text.txt']) {
      assert.equal(seen.get(f), createHash('sha256').update(fs.readFileSync(path.join(data, f))).digest('hex'), f);
    }
  });

  it('a cancelled read stops reading and says so', async () => {
    const data = tempDir();
    write(data, 'projects/big.bin', randomBytes(4 * 1024 * 1024));
    const m = manager(data);
    await m.init();
    const b = await m.createBackup('FULL');
    const ac = new AbortController();
    await assert.rejects(
      readArchive(path.join(m.backupsDir, b.archive), TEST_KEY, () => {
        ac.abort();
        return hashed(() => undefined);
      }, ac.signal),
      (e: unknown) => isGardenerError(e, 'CANCELLED'),
    );
  });
});

describe('backup: encryption format', () => {
  it('decrypts what was sealed in any chunk size the header names (64 KB archives from 0.1 included), across odd write sizes', async () => {
    const plain = randomBytes(700_000);
    // Writes that straddle chunk boundaries in every way.
    const writes = [1, 65_535, 65_537, 262_143, 262_145, 3, plain.length - 655_224].reduce<Buffer[]>((out, n) => {
      const at = out.reduce((t, b) => t + b.length, 0);
      return [...out, plain.subarray(at, at + n)];
    }, []);
    assert.equal(Buffer.concat(writes).length, plain.length);
    for (const chunk of [64 * 1024, 256 * 1024, 1000]) {
      const streamed = await buffer(Readable.from(writes).pipe(new EncryptStream(TEST_KEY, chunk)));
      assert.deepEqual(await buffer(Readable.from([streamed]).pipe(new DecryptStream(TEST_KEY))), plain, `chunk ${chunk}`);
    }
    // Version 2, one chunk per piece written, opens the same way.
    const pieces: Buffer[] = [];
    for await (const chunk of sealedMembers(Readable.from(writes), TEST_KEY)) pieces.push(...chunk);
    const members = Buffer.concat(pieces);
    assert.deepEqual(await buffer(Readable.from([members]).pipe(new DecryptStream(TEST_KEY))), plain, 'one chunk per member');
    const empty = await buffer(Readable.from([]).pipe(new EncryptStream(TEST_KEY)));
    assert.equal((await buffer(Readable.from([empty]).pipe(new DecryptStream(TEST_KEY)))).length, 0, 'an empty stream still has its final chunk');
  });

  it('opens an archive arriving in pieces of any size, and passes on no byte of a chunk that fails authentication', async () => {
    const plain = randomBytes(5000);
    const archive = await buffer(Readable.from([plain]).pipe(new EncryptStream(TEST_KEY, 1000)));
    // Pieces that split the header, the length words, the bodies and the tags in every way.
    for (const size of [1, 2, 3, 5, 7, 19, 1021, 4096]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < archive.length; i += size) pieces.push(archive.subarray(i, i + size));
      assert.deepEqual(await buffer(Readable.from(pieces).pipe(new DecryptStream(TEST_KEY))), plain, `pieces of ${size} bytes`);
    }
    // One flipped bit in the third chunk's ciphertext (header 25 bytes, each chunk 4 + 1000 + 16).
    const bad = Buffer.from(archive);
    bad[25 + 2 * 1020 + 4 + 10] ^= 1;
    const out: Buffer[] = [];
    const d = new DecryptStream(TEST_KEY);
    d.on('data', (c: Buffer) => out.push(c));
    await assert.rejects(
      new Promise((resolve, reject) => {
        d.once('end', resolve).once('error', reject);
        for (let i = 0; i < bad.length; i += 300) d.write(bad.subarray(i, i + 300));
        d.end();
      }),
      /Chunk 2 failed authentication/,
    );
    assert.deepEqual(Buffer.concat(out), plain.subarray(0, 2000), 'the first two chunks came out, nothing of the third');
  });
});

describe('backup: archives from earlier versions', () => {
  it('an archive sealed in fixed 256 KB chunks (format version 1) still validates and restores', async () => {
    const data = tempDir();
    seedData(data, 30);
    write(data, 'projects/big.bin', randomBytes(700 * 1024));
    const m = manager(data);
    await m.init();
    // Version 1 held gzip only: made from a gzip archive whatever this Node.js would choose.
    const b = await withCodec('gzip', () => m.createBackup('FULL'));
    const expected = snapshot(data);
    const file = path.join(m.backupsDir, b.archive);
    const v2 = fs.readFileSync(file);
    assert.equal(v2[4], 2, 'new gzip archives seal one gzip member per chunk');
    const v1 = await buffer(Readable.from([v2]).pipe(new DecryptStream(TEST_KEY)).pipe(new EncryptStream(TEST_KEY)));
    assert.equal(v1[4], 1);
    fs.writeFileSync(file, v1);
    Object.assign(m.catalog.get(b.id)!, { sizeBytes: v1.length, sha256: createHash('sha256').update(v1).digest('hex') });
    await m.catalog.save();
    assert.equal((await m.validate(b.id)).valid, true);
    write(data, 'projects/p1/file-1.txt', 'changed since');
    await m.restore(b.id);
    assert.deepEqual(snapshot(data), expected);
  });
});

describe('backup: validation, corruption, keys and hostile archives', () => {
  it('validate checks existence, size, sha256, every chunk and every entry', async () => {
    const { m, b } = await fullyBackedUp(5);
    const r = await m.validate(b.id);
    assert.equal(r.valid, true, r.firstProblem);
    assert.deepEqual(r.checks.filter((c) => !c.ok || c.detail), [], 'every check passed, and none carries a failure detail');
    assert.deepEqual(r.checks.map((c) => c.name), [
      'in catalog',
      'completed',
      'archive exists',
      'size matches catalog',
      'key available',
      'manifest in catalog',
      'chunks authenticate, archive decompresses and parses',
      'sha256 matches catalog',
      'manifest inside archive matches catalog',
      'every entry matches its sha256',
    ]);
    const missing = await m.validate('nope');
    assert.equal(missing.valid, false);
    assert.equal(missing.firstProblem, 'in catalog: no backup has the ID nope');
  });

  for (const encrypt of [true, false]) {
    it(`≥ 50 corrupted ${encrypt ? 'encrypted' : 'plain'} archives (byte flips, truncations) are all invalid and refused for restore, live data untouched`, async function () {
      this.timeout(120_000);
      const data = tempDir();
      seedData(data, 8);
      const m = manager(data, undefined, encrypt ? TEST_KEY : null, { encrypt });
      await m.init();
      const b = await m.createBackup('FULL');
      const file = path.join(m.backupsDir, b.archive);
      const good = fs.readFileSync(file);
      write(data, 'projects/live.txt', 'live data');
      const live = snapshot(data);
      for (let i = 0; i < 50; i++) {
        const bad = Buffer.from(good);
        if (i % 5 === 4) {
          fs.writeFileSync(file, bad.subarray(0, Math.floor((bad.length * (i + 1)) / 52)));
        } else {
          const at = Math.floor(Math.random() * bad.length);
          bad[at] ^= 1 + Math.floor(Math.random() * 255);
          fs.writeFileSync(file, bad);
        }
        const v = await m.validate(b.id);
        assert.equal(v.valid, false, `corruption ${i} went unnoticed`);
        // A flip in the header's key id cannot be told from a wrong key: refused either way.
        await assert.rejects(m.restore(b.id), (e: unknown) => e instanceof BackupError && ['CORRUPT', 'UNSAFE_ENTRY', 'WRONG_KEY'].includes(e.code), `restore ${i}`);
        assert.deepEqual(snapshot(data), live, `live data after corruption ${i}`);
        assert.deepEqual(fs.readdirSync(path.join(m.backupsDir, 'journals')), [], 'every journal was acted on');
      }
      fs.writeFileSync(file, good);
      assert.equal((await m.validate(b.id)).valid, true);
    });
  }

  it('a restore checks the archive against the catalog as Validate does: another backup of the same files, sealed with the same key, is refused', async () => {
    const { data, m, b } = await fullyBackedUp(4);
    const twin = await m.createBackup('FULL');
    // Every chunk authenticates and every file matches: only the catalog's sha256 tells them apart.
    fs.copyFileSync(path.join(m.backupsDir, twin.archive), path.join(m.backupsDir, b.archive));
    write(data, 'projects/live.txt', 'live data');
    const live = snapshot(data);
    await assert.rejects(m.restore(b.id), (e: unknown) => e instanceof BackupError && e.code === 'CORRUPT' && /size and sha256 in the catalog/.test(e.message));
    assert.deepEqual(snapshot(data), live);
    assert.equal((await m.validate(b.id)).valid, false);
  });

  it('a wrong key gives a clear error and writes nothing; so does a missing one', async () => {
    const { data, m, b } = await fullyBackedUp(3);
    write(data, 'projects/p1/file-1.txt', 'edited');
    const live = snapshot(data);
    const folder = () => fs.readdirSync(m.backupsDir).sort();
    const before = folder();
    // The catalog is sealed: without its own key nothing of it can be read, nor taken for empty.
    await assert.rejects(manager(data, undefined, Buffer.alloc(32, 9)).init(), (e: unknown) => e instanceof BackupError && e.code === 'WRONG_KEY' && /different key/.test(e.message));
    await rejectsWith(manager(data, undefined, null).init(), 'NO_KEY');
    // Nor may a backup save a catalog over the one it cannot read: it would name only itself.
    const catalogBytes = fs.readFileSync(m.catalog.file);
    const other = manager(data, undefined, Buffer.alloc(32, 9));
    await other.init().catch(() => undefined);
    await rejectsWith(other.createBackup('FULL'), 'WRONG_KEY');
    assert.deepEqual(fs.readFileSync(m.catalog.file), catalogBytes);
    assert.deepEqual(folder(), before, 'nothing was written or removed in the backups folder');
    // A key that changes after the catalog was read: the manifests and archives refuse it.
    let key = TEST_KEY;
    const changing = new BackupManager(systemClock, data, m.backupsDir, { getKey: async () => key });
    await changing.init();
    key = Buffer.alloc(32, 9);
    await assert.rejects(changing.restore(b.id), (e: unknown) => e instanceof BackupError && e.code === 'WRONG_KEY' && /different key/.test(e.message));
    assert.match((await changing.validate(b.id)).firstProblem ?? '', /different key/);
    assert.deepEqual(snapshot(data), live);
  });

  it('keys are found by their id: a backup set whose own key is now another stays readable while this machine holds the old one', async () => {
    const { data, m, b } = await fullyBackedUp(3);
    const expected = snapshot(data);
    write(data, 'projects/p1/file-1.txt', 'edited');
    const fresh = Buffer.alloc(32, 3);
    const held = new Map([[keyId(TEST_KEY).toString('hex'), TEST_KEY]]);
    const moved = new BackupManager(systemClock, data, m.backupsDir, { getKey: async () => fresh, getKeyById: async (id) => held.get(id) });
    await moved.init();
    assert.equal((await moved.validate(b.id)).valid, true);
    await moved.restore(b.id);
    assert.deepEqual(snapshot(data), expected);
  });

  it('a recovery key round-trips through a passphrase; a wrong passphrase is refused', async function () {
    this.timeout(20_000);
    const file = await wrapKey(TEST_KEY, 'correct horse');
    assert.deepEqual(await unwrapKey(file, 'correct horse'), TEST_KEY);
    await assert.rejects(unwrapKey(file, 'wrong'), /Wrong passphrase/);
    await assert.rejects(unwrapKey('{"not":"it"}', 'x'), /not a recovery key file/);
  });

  it('a file whose bytes do not match the manifest is refused, though the archive and its manifest check out, whichever thread hashed it', async () => {
    const { data, m, b } = await fullyBackedUp(12, { plain: true, bigMB: 8 });
    const file = path.join(m.backupsDir, b.archive);
    const entries: { path: string; type: string; body: Buffer }[] = [];
    await readArchive(file, undefined, (e) => gathered((body) => void entries.push({ path: e.path, type: 'File', body })));
    const live = snapshot(data);
    const big = entries.find((e) => e.path === 'projects/big.bin')!;
    const victim = entries.find((e) => e.path === 'projects/p1/file-1.txt')!;
    const rest = entries.filter((e) => e !== big && e !== victim);
    const forged = { ...victim, body: Buffer.concat([Buffer.from([victim.body[0] ^ 1]), victim.body.subarray(1)]) };
    // First in the archive, the worker hashes it (it has nothing else to do yet); after 8 MB,
    // whichever thread has time. (Without the check of the worker's hashes, the first fails.)
    for (const order of [[forged, big, ...rest], [big, forged, ...rest]]) {
      const archive = craft(order);
      fs.writeFileSync(file, archive);
      Object.assign(m.catalog.get(b.id)!, { sizeBytes: archive.length, sha256: createHash('sha256').update(archive).digest('hex') });
      await assert.rejects(m.restore(b.id), (e: unknown) => e instanceof BackupError && e.code === 'CORRUPT' && e.message.includes(`projects/p1/file-1.txt in backup ${b.id} does not match its sha256`), order[0].path);
      assert.deepEqual(snapshot(data), live);
    }
  });

  const hostile: [string, CraftedEntry][] = [
    ['../ escape', { path: '../escaped.txt', type: 'File', body: 'x' }],
    ['nested ../', { path: 'projects/../../escaped.txt', type: 'File', body: 'x' }],
    ['absolute path', { path: '/tmp/gardener-absolute-escape.txt', type: 'File', body: 'x' }],
    ['symlink out', { path: 'projects/link', type: 'SymbolicLink', linkpath: '/etc' }],
    ['hardlink out', { path: 'projects/hard', type: 'Link', linkpath: '/etc/passwd' }],
    ['character device', { path: 'projects/dev', type: 'CharacterDevice' }],
    ['block device', { path: 'projects/blk', type: 'BlockDevice' }],
    ['fifo', { path: 'projects/fifo', type: 'FIFO' }],
  ];
  for (const [name, entry] of hostile) {
    it(`a crafted archive with ${name} is refused with nothing written outside (or inside) the target`, async () => {
      const parent = tempDir();
      const data = path.join(parent, 'data');
      seedData(data, 2);
      const m = manager(data, undefined, null, { encrypt: false });
      await m.init();
      const b = await m.createBackup('FULL');
      fs.writeFileSync(path.join(m.backupsDir, b.archive), craft([{ path: 'projects/ok.txt', type: 'File', body: 'fine' }, entry]));
      const liveBefore = snapshot(data);
      const parentBefore = fs.readdirSync(parent);
      await assert.rejects(m.restore(b.id), (e: unknown) => e instanceof BackupError && (e.code === 'UNSAFE_ENTRY' || e.code === 'CORRUPT'));
      assert.deepEqual(snapshot(data), liveBefore);
      assert.deepEqual(fs.readdirSync(parent), parentBefore);
      assert.ok(!fs.existsSync('/tmp/gardener-absolute-escape.txt'));
      assert.equal((await m.validate(b.id)).valid, false);
    });
  }
});

/** Runs backupChild.js with `args`, killing it with SIGKILL `killAfterMs` after it is ready. */
const runChild = async (args: string[], killAfterMs: number): Promise<'killed' | 'done'> => (await killableChild(args, { after: 'ready', ms: killAfterMs })).outcome;

describe('backup: faults', () => {
  it('a backup killed with SIGKILL at 20 random moments leaves no partial file, a catalog that parses, and valid earlier backups', async function () {
    this.timeout(300_000);
    const data = tempDir();
    seedData(data, 60);
    write(data, 'projects/big.bin', randomBytes(3 * 1024 * 1024));
    const backups = path.join(tempDir(), 'backups');
    const m = manager(data, backups);
    await m.init();
    const t0 = Date.now();
    const first = await m.createBackup('FULL');
    // Kill moments spread over how long a backup takes on this machine.
    const window = Math.max(50, Date.now() - t0);
    let killed = 0;
    for (let i = 0; i < 20; i++) {
      if ((await runChild(['backup', data, backups, 'FULL'], Math.floor(Math.random() * window))) === 'killed') killed++;
      const after = manager(data, backups);
      await after.init();
      assert.deepEqual(fs.readdirSync(backups).filter((f) => f.endsWith('.partial') || /\.json\.[0-9a-f]+$/.test(f)), []);
      const ids = new Set(after.catalog.backups.map((b) => b.id));
      assert.deepEqual(fs.readdirSync(path.join(backups, 'manifests')).filter((f) => !ids.has(f.replace(/\.json$/, ''))), [], 'no manifest without its backup');
      assert.equal((await after.validate(first.id)).valid, true);
      for (const b of after.catalog.backups.filter((x) => x.status === 'completed')) assert.equal((await after.validate(b.id)).valid, true, b.id);
    }
    assert.ok(killed >= 10, `${killed} of 20 runs were killed midway`);
  });

  it('a window starting while another writes a backup leaves that backup\'s files alone; the next start clears real leftovers', async () => {
    const { data, m } = await fullyBackedUp();
    write(data, 'projects/big.bin', randomBytes(2 * 1024 * 1024));
    let other: Promise<unknown> | undefined;
    const b = await m.createBackup('FULL', {
      // A second window opens on the same backups folder while this one writes.
      onProgress: (p) => {
        if (p.phase === 'writing' && !other) other = manager(data, m.backupsDir).init();
      },
    });
    assert.deepEqual(await other, { removed: [], recovered: [], problems: [], adopted: [] });
    assert.equal((await m.validate(b.id)).valid, true);
    // Leftovers of a backup killed midway: removed by the next start that takes the lock.
    fs.writeFileSync(path.join(m.backupsDir, 'full-x.partial'), 'half');
    fs.writeFileSync(path.join(m.backupsDir, 'manifests', 'full-x.json'), '[]');
    fs.writeFileSync(path.join(m.backupsDir, 'catalog.json.1a2b3c'), '{');
    const next = await manager(data, m.backupsDir).init();
    assert.deepEqual(next.removed.sort(), ['catalog.json.1a2b3c', 'full-x.partial', 'manifests/full-x.json']);
    assert.equal((await m.validate(b.id)).valid, true);
  });

  it('a restore killed with SIGKILL at 20 random moments leaves the data wholly old or wholly new after the next start', async function () {
    this.timeout(300_000);
    const { data, m, b } = await fullyBackedUp(60, { bigMB: 2 });
    const newTree = snapshot(data);
    write(data, 'projects/p1/file-1.txt', 'timing run');
    const t0 = Date.now();
    await m.restore(b.id);
    const window = Math.max(50, Date.now() - t0);
    let killed = 0;
    for (let i = 0; i < 20; i++) {
      // Make the live tree differ: edits, additions, deletions.
      write(data, `projects/p1/file-1.txt`, `old state ${i}`);
      write(data, `projects/extra-${i}.txt`, 'extra');
      fs.rmSync(path.join(data, 'settings/app.json'), { force: true });
      // A whole folder gone: the restore renames it back in one piece.
      fs.rmSync(path.join(data, 'projects/p2'), { recursive: true, force: true });
      const oldTree = snapshot(data);
      if ((await runChild(['restore', data, m.backupsDir, b.id], Math.floor(Math.random() * window))) === 'killed') killed++;
      const after = manager(data);
      await after.init();
      const now = snapshot(data);
      const wholly = JSON.stringify(now) === JSON.stringify(oldTree) ? 'old' : JSON.stringify(now) === JSON.stringify(newTree) ? 'new' : 'mixed';
      assert.notEqual(wholly, 'mixed', `run ${i}: data is half old, half new`);
      assert.deepEqual(fs.readdirSync(path.join(m.backupsDir, 'journals')), [], 'every journal was acted on');
      // Start the next round from the restored state again.
      if (wholly === 'old') await after.restore(b.id);
    }
    assert.ok(killed >= 5, `${killed} of 20 runs were killed midway`);
  });
});

describe('backup: interrupted undo', () => {
  let window = 50;
  it('an Undo Restore killed with SIGKILL at random moments is finished at the next start: the data is exactly as before the restore', async function () {
    this.timeout(300_000);
    const data = tempDir();
    seedData(data, 60);
    const m = manager(data);
    await m.init();
    const b = await m.createBackup('FULL');
    let killed = 0;
    for (let i = 0; i < 12; i++) {
      write(data, 'projects/p1/file-1.txt', `before ${i}`);
      write(data, `projects/extra-${i}.txt`, 'extra');
      fs.rmSync(path.join(data, 'settings/app.json'), { force: true });
      const before = snapshot(data);
      const r = await m.restore(b.id);
      const t0 = Date.now();
      // The first round times an undo, to spread the kills over how long one takes here.
      if (i === 0) {
        await m.undoRestore(r.snapshotId);
        window = Math.max(20, Date.now() - t0);
        assert.deepEqual(snapshot(data), before);
        continue;
      }
      const restored = snapshot(data);
      if ((await runChild(['undo', data, m.backupsDir, r.snapshotId], Math.floor(Math.random() * window))) === 'killed') killed++;
      const after = manager(data);
      await after.init();
      // Killed before it began, the undo has not happened and can still be done; once begun, it is finished.
      const pending = after.catalog.snapshots.some((s) => s.id === r.snapshotId);
      assert.deepEqual(snapshot(data), pending ? restored : before, `run ${i}: wholly ${pending ? 'restored' : 'undone'}`);
      if (pending) await after.undoRestore(r.snapshotId);
      assert.deepEqual(snapshot(data), before, `run ${i}: undone`);
    }
    assert.ok(killed >= 2, `${killed} of 11 runs were killed midway`);
  });
});

describe('backup: disk full and cancel', () => {
  let mnt: string | undefined;
  afterEach(() => {
    if (mnt) spawnSync('umount', [mnt]);
    mnt = undefined;
  });

  /** A 2 MB tmpfs for the backups folder (this suite runs as root, as CI does). */
  function smallDisk(): string {
    const dir = tempDir();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
    assert.equal(r.status, 0, `mounting a tmpfs needs root: ${r.stderr}`);
    mnt = dir;
    return path.join(dir, 'backups');
  }

  it('not enough free space: a clear error before anything is written', async () => {
    const data = tempDir();
    seedData(data, 2);
    write(data, 'projects/big.bin', randomBytes(3 * 1024 * 1024));
    const m = manager(data, smallDisk());
    await m.init();
    await assert.rejects(m.createBackup('FULL'), (e: unknown) => e instanceof BackupError && e.code === 'NO_SPACE' && /Not enough free space/.test(e.message));
    assert.deepEqual(fs.readdirSync(m.backupsDir).filter((f) => f.endsWith('.partial') || f.endsWith('.cgb')), []);
  });

  it('the disk filling up during a backup: a clear error, no partial file, earlier backups intact', async () => {
    const data = tempDir();
    seedData(data, 2);
    const backups = smallDisk();
    const m = manager(data, backups);
    await m.init();
    const first = await m.createBackup('FULL');
    write(data, 'projects/big.bin', randomBytes(600 * 1024));
    let filled = false;
    await assert.rejects(
      m.createBackup('FULL', {
        onProgress: (p) => {
          // Something else takes the rest of the disk just as we start writing.
          if (p.phase === 'writing' && !filled) {
            filled = true;
            try {
              fs.writeFileSync(path.join(backups, 'filler'), Buffer.alloc(4 * 1024 * 1024));
            } catch {
              // Written as far as it fit: the disk is full now.
            }
          }
        },
      }),
      (e: unknown) => e instanceof BackupError && e.code === 'NO_SPACE' && /ran out of space/.test(e.message),
    );
    fs.rmSync(path.join(backups, 'filler'));
    assert.deepEqual(fs.readdirSync(backups).filter((f) => f.endsWith('.partial')), []);
    const reloaded = manager(data, backups);
    await reloaded.init();
    assert.equal((await reloaded.validate(first.id)).valid, true, 'the catalog parses and the earlier backup validates');
    // The failure is recorded; on a full disk the record may only reach the file later.
    assert.equal(m.catalog.backups.at(-1)?.status, 'failed');
    assert.match(m.catalog.backups.at(-1)?.error ?? '', /ran out of space/);
  });

  it('an archive whose last write only partly fits fails with ENOSPC instead of ending short', async () => {
    const dir = tempDir();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    assert.equal(r.status, 0, `mounting a tmpfs needs root: ${r.stderr}`);
    mnt = dir;
    // One page left: the archive's header fits, its one sealed chunk (~10 KB) only in part.
    fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(15 * 4096));
    const src = path.join(tempDir(), 'f.bin');
    fs.writeFileSync(src, randomBytes(10 * 1024));
    const out = path.join(dir, 'out.cgb');
    const files = [{ path: 'f.bin', abs: src, size: 10 * 1024, mtimeMs: 0, mode: 0o644 }];
    await assert.rejects(writeArchive(files, out, { backupId: 'x', key: TEST_KEY, level: 6, record: { type: 'FULL', createdAt: 0 }, tail: () => ({ deleted: [], dirs: [], skipped: [] }) }), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC');
    assert.ok(!fs.existsSync(out));
  });

  it('an incremental that does not fit (its archive is written as its walk runs): a clear error, no partial archive, no manifest', async () => {
    const data = tempDir();
    seedData(data, 2);
    const m = manager(data, smallDisk());
    await m.init();
    const first = await m.createBackup('FULL');
    write(data, 'projects/a-big.bin', randomBytes(3 * 1024 * 1024));
    write(data, 'projects/z-new.txt', 'found after the big file');
    await assert.rejects(m.createBackup('INCREMENTAL'), (e: unknown) => e instanceof BackupError && e.code === 'NO_SPACE' && /space/.test(e.message));
    assert.deepEqual(fs.readdirSync(m.backupsDir).filter((f) => f.endsWith('.partial') || f.endsWith('.cgb')), [`${first.id}.cgb`]);
    assert.deepEqual(fs.readdirSync(path.join(m.backupsDir, 'manifests')), [`${first.id}.json`]);
    assert.equal((await m.validate(first.id)).valid, true);
    // With room again, the next incremental builds on the full and holds both new files.
    fs.rmSync(path.join(data, 'projects/a-big.bin'));
    const next = await m.createBackup('INCREMENTAL');
    assert.equal(next.parentId, first.id);
    assert.deepEqual((await m.catalog.manifest(next.id)).files.map((e) => e.path), ['projects/z-new.txt']);
  });

  it('a restore into a folder on a full disk: a clear error, and nothing left behind in that folder', async () => {
    const data = tempDir();
    seedData(data, 5);
    write(data, 'projects/big.bin', randomBytes(3 * 1024 * 1024));
    const m = manager(data);
    await m.init();
    const b = await m.createBackup('FULL');
    const target = smallDisk();
    await assert.rejects(m.restore(b.id, { target }), (e: unknown) => e instanceof BackupError && e.code === 'NO_SPACE' && /not enough free space to stage/.test(e.message));
    assert.deepEqual(snapshot(target), {});
    assert.ok(!fs.existsSync(path.join(target, '.gardener-restore', 'journal.json')));
    assert.ok(!fs.existsSync(path.join(target, '.gardener-restore')), 'the staging folder is gone, and ours with it');
  });

  it('a cancelled backup leaves no partial archive and no catalog entry; a cancelled restore changes nothing', async () => {
    const { data, m, b } = await fullyBackedUp(30);
    const ac = new AbortController();
    await assert.rejects(
      m.createBackup('FULL', { signal: ac.signal, onProgress: (p) => p.phase === 'writing' && ac.abort() }),
      (e: unknown) => e instanceof BackupError && e.code === 'CANCELLED',
    );
    assert.deepEqual(fs.readdirSync(m.backupsDir).filter((f) => f.endsWith('.partial')), []);
    assert.deepEqual(m.catalog.backups.map((x) => x.id), [b.id]);
    write(data, 'projects/p1/file-1.txt', 'edited');
    // An incremental writes while it walks: cancelled then, it too leaves nothing.
    const ac1 = new AbortController();
    await assert.rejects(
      m.createBackup('INCREMENTAL', { signal: ac1.signal, onProgress: (p) => p.phase === 'writing' && ac1.abort() }),
      (e: unknown) => e instanceof BackupError && e.code === 'CANCELLED',
    );
    assert.deepEqual(fs.readdirSync(m.backupsDir).filter((f) => f.endsWith('.partial') || f.endsWith('.cgb')), [`${b.id}.cgb`]);
    assert.deepEqual(fs.readdirSync(path.join(m.backupsDir, 'manifests')), [`${b.id}.json`]);
    assert.deepEqual(m.catalog.backups.map((x) => x.id), [b.id]);
    const live = snapshot(data);
    const ac2 = new AbortController();
    await assert.rejects(
      m.restore(b.id, { signal: ac2.signal, onProgress: (p) => p.phase === 'staging' && ac2.abort() }),
      (e: unknown) => e instanceof BackupError && e.code === 'CANCELLED',
    );
    assert.deepEqual(snapshot(data), live);
    assert.ok(!fs.existsSync(path.join(data, '.gardener-restore', 'journal.json')));
  });
});

describe('backup: archive worker', () => {
  /** `n` files of 64 KB in a new folder, and where an archive of them goes. */
  const filesIn = (n: number) => {
    const dir = tempDir();
    const files = [];
    for (let i = 0; i < n; i++) {
      const abs = path.join(dir, `f${i}.bin`);
      fs.writeFileSync(abs, randomBytes(64 * 1024));
      files.push({ path: `f${i}.bin`, abs, size: 64 * 1024, mtimeMs: 0, mode: 0o644 });
    }
    return { files, out: path.join(dir, 'out.cgb') };
  };
  const job = { backupId: 'test', key: TEST_KEY, level: 6, record: { type: 'FULL' as const, createdAt: 0 }, tail: () => ({ deleted: ['gone.txt'], dirs: [], skipped: [] }) };

  it('writes an archive from batches as they come, reporting progress, with the deletions asked for at the end', async () => {
    const { files, out } = filesIn(6);
    async function* batches() {
      yield files.slice(0, 2);
      await new Promise((r) => setTimeout(r, 60));
      yield [];
      yield files.slice(2);
    }
    const seen: number[] = [];
    const r = await archiveWriter.write(batches(), out, { ...job, onProgress: (n) => seen.push(n) });
    assert.deepEqual(r.files?.map((f) => f.path), files.map((f) => f.path).sort());
    assert.equal(r.fileCount, 6);
    // The catalog's copy of the manifest, packed in the worker, is the archive's own.
    const packed = (await unpackManifest(r.manifestFile, TEST_KEY, 'manifest:test', 'm')) as ArchiveManifest;
    assert.deepEqual(packed.deleted, ['gone.txt']);
    assert.equal(r.size, fs.statSync(out).size);
    assert.ok(seen.length >= 1 && seen.every((n) => n >= 1 && n <= 6), `progress ${seen}`);
    let inner: Buffer | undefined;
    const read = await readArchive(out, TEST_KEY, (e) => (e.path === MANIFEST_PATH ? gathered((b) => (inner = b)) : hashed(() => undefined)));
    assert.equal(read.sha256, r.sha256);
    assert.deepEqual(JSON.parse(inner!.toString()), packed);
  });

  it('a source that fails midway: the job is dropped, its partial archive removed, the failure passed on', async () => {
    const { files, out } = filesIn(4);
    async function* batches() {
      yield files.slice(0, 2);
      await new Promise((r) => setTimeout(r, 30));
      throw new Error('the walk failed');
    }
    await assert.rejects(archiveWriter.write(batches(), out, job), /the walk failed/);
    assert.ok(!fs.existsSync(out));
    // The shared worker goes on serving.
    assert.equal((await archiveWriter.write(files, out, job)).fileCount, 4);
  });

  it('a cancel while the worker waits for more files ends the job at once, its partial archive removed', async () => {
    const { files, out } = filesIn(2);
    const ac = new AbortController();
    // Like the walk: it stops when the signal fires.
    async function* batches() {
      yield files;
      await new Promise((r) => ac.signal.addEventListener('abort', r));
      throw new CancelledError();
    }
    setTimeout(() => ac.abort(), 100);
    const t = Date.now();
    await assert.rejects(archiveWriter.write(batches(), out, { ...job, signal: ac.signal }), (e: unknown) => isGardenerError(e, 'CANCELLED'));
    assert.ok(Date.now() - t < 5000);
    assert.ok(!fs.existsSync(out));
  });

  it('a worker that stops mid-job fails the job with a clear error and leaves no partial archive; the next job starts a new worker', async () => {
    const { files, out } = filesIn(4);
    const writer = new ArchiveWriter();
    let stopped: Promise<void> | undefined;
    async function* batches() {
      yield files.slice(0, 2);
      await new Promise((r) => setTimeout(r, 100));
      stopped = writer.stop();
      await stopped;
      yield files.slice(2);
    }
    await assert.rejects(writer.write(batches(), out, job), /backup worker stopped/);
    assert.ok(!fs.existsSync(out));
    assert.equal((await writer.write(files, out, job)).fileCount, 4);
    await writer.stop();
  });
});

describe('backup: staging writer', () => {
  it('encodes a batch of operations for the worker and decodes it unchanged', () => {
    const ops: StagingOp[] = [
      { t: 'open', id: 0, path: '/s/a b/ü.txt', replace: false, hash: true, mode: 0o640 },
      { t: 'data', id: 0, at: 4_194_000, n: 65_536, end: 12_582_912 + 4_194_000 + 65_536 },
      { t: 'close', id: 0, mtimeMs: 1_700_000_000_123 },
      { t: 'open', id: 1, path: '/s/x', replace: true, hash: false, mode: 0o664 },
      { t: 'remove', path: '/s/gone' },
      { t: 'end' },
    ];
    assert.deepEqual([...decodeOps(encodeOps(ops))], ops);
  });

  /** Puts `bytes` into the writer's ring and has them written to file `id`; true if it had to wait for room. */
  async function put(w: StagingWriter, id: number, bytes: Buffer): Promise<boolean> {
    let waited = false;
    for (let off = 0; off < bytes.length; ) {
      const room = w.ring.space(1);
      waited ||= (await Promise.race([room.then(() => false), new Promise<boolean>((r) => setImmediate(() => r(true)))])) as boolean;
      const { at, len } = await room;
      const n = Math.min(len, bytes.length - off, 100_000);
      bytes.copy(w.ring.bytes, at, off, off + n);
      const { pos } = w.ring.commit(n);
      w.write(id, pos, n);
      w.ring.parsedAll();
      off += n;
    }
    return waited;
  }

  it('writes (and hashes, when asked) files bigger than its ring in order, waiting for room when full, with their modes past the umask; replaces and removes in order', async () => {
    const dir = tempDir();
    const w = new StagingWriter();
    const big = randomBytes(10 * 1024 * 1024 + 123);
    const mtime = 1_600_000_000_000;
    let told: string | undefined;
    const a = w.open(path.join(dir, 'a', 'b', 'big.bin'), false, 0o640, (sha256) => (told = sha256));
    const waited = await put(w, a, big);
    w.close(a, mtime);
    for (const [text, replace] of [
      ['one', false],
      ['two', true],
    ] as const) {
      // Read-only the first time: replacing it still works. Group-writable the second: past the umask.
      const f = w.open(path.join(dir, 'small.txt'), replace, replace ? 0o664 : 0o444);
      await put(w, f, Buffer.from(text));
      w.close(f, mtime);
    }
    const g = w.open(path.join(dir, 'gone.txt'), false, 0o644);
    w.close(g, mtime);
    w.remove(path.join(dir, 'gone.txt'));
    await w.finish();
    assert.ok(waited, 'the ring filled up at least once');
    assert.equal(told, createHash('sha256').update(big).digest('hex'), 'hashed as written');
    const st = fs.statSync(path.join(dir, 'a', 'b', 'big.bin'));
    assert.ok(fs.readFileSync(path.join(dir, 'a', 'b', 'big.bin')).equals(big));
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(st.mtimeMs, mtime);
    assert.equal(fs.readFileSync(path.join(dir, 'small.txt'), 'utf8'), 'two');
    assert.equal(fs.statSync(path.join(dir, 'small.txt')).mode & 0o777, 0o664);
    assert.ok(!fs.existsSync(path.join(dir, 'gone.txt')));
  });

  it('a failure on the worker is reported with its code, ends any wait for room, and nothing more is written', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'taken.txt'), 'already here');
    const w = new StagingWriter();
    const f = w.open(path.join(dir, 'taken.txt'), false, 0o644);
    await put(w, f, Buffer.from('not written'));
    w.close(f, Date.now());
    const after = w.open(path.join(dir, 'after.txt'), false, 0o644);
    w.close(after, Date.now());
    await assert.rejects(w.finish(), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
    assert.throws(() => w.write(after, 0, 1), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
    await assert.rejects(w.ring.space(1), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
    assert.equal(fs.readFileSync(path.join(dir, 'taken.txt'), 'utf8'), 'already here');
    assert.ok(!fs.existsSync(path.join(dir, 'after.txt')));
  });
});
