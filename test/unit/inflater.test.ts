import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { BackupError } from '../../src/core/backup';
import { ByteRing } from '../../src/core/backup/byteRing';
import { inflatePath, inflaterFor, retestInflatePath, type Inflater } from '../../src/core/backup/inflater';
import { RingInflater } from '../../src/core/backup/ringInflater';
import { StreamInflater } from '../../src/core/backup/streamInflater';
import { CancelledError } from '../../src/core/cancel';
import { fullyBackedUp, withCodec } from './backupFixtures';

type Make = (ring: ByteRing, onRegion: (view: Buffer, pos: number) => void) => Inflater;
const paths: [string, Make][] = [
  ['ring', (r, f) => new RingInflater(r, f)],
  ['public', (r, f) => new StreamInflater(r, f)],
];

/**
 * Inflates `gz` fed in pieces of the given sizes (cycled) through a fresh ring, checking that
 * each region lies in the ring where its position says, after the one before.
 */
async function inflateAll(make: Make, gz: Buffer, ringSize = 256 * 1024, pieces = [1000]): Promise<Buffer> {
  const ring = new ByteRing(ringSize);
  const out: Buffer[] = [];
  let next = 0;
  const inflater = make(ring, (view, pos) => {
    assert.ok(pos >= next && view.byteOffset - ring.bytes.byteOffset === pos % ring.size && view.buffer === ring.bytes.buffer, `region at ${pos}`);
    next = pos + view.length;
    out.push(Buffer.from(view));
    ring.parsedAll();
  });
  try {
    for (let off = 0, i = 0; off < gz.length; i++) {
      const n = pieces[i % pieces.length];
      await inflater.write(gz.subarray(off, off + n));
      off += n;
    }
    await inflater.end();
  } finally {
    inflater.close();
  }
  return Buffer.concat(out);
}

/** What both paths make of `gz`: the same bytes, or errors of the same class and message. */
async function alike(gz: Buffer, pieces?: number[]): Promise<Buffer | Error> {
  const [a, b] = await Promise.all(paths.map(([, make]) => inflateAll(make, gz, 256 * 1024, pieces).catch((e: unknown) => e as Error)));
  if (a instanceof Error || b instanceof Error) {
    const show = (x: Buffer | Error) => (x instanceof Error ? x.message : `${x.length} bytes`);
    assert.ok(a instanceof Error && b instanceof Error, `one path failed, one did not: ring ${show(a)}, public ${show(b)}`);
    assert.equal(b.constructor, a.constructor);
    assert.equal(b.message, a.message);
    return a;
  }
  assert.ok(a.equals(b), 'both paths give the same bytes');
  return a;
}

const parts = [randomBytes(300_000), Buffer.from('text '.repeat(100_000)), Buffer.alloc(0), randomBytes(10)];
const members = Buffer.concat(parts.map((p, i) => zlib.gzipSync(p, { level: i % 2 ? 9 : 0 })));

describe('backup: inflating into a ring, on the ring and the public zlib path', () => {
  it('both inflate many gzip members as one stream through a ring smaller than the data, in pieces of any size', async () => {
    for (const pieces of [[1000], [members.length], [1, 7, 333, 65_537, 4093]]) {
      const out = await alike(members, pieces);
      assert.ok(out instanceof Buffer && out.equals(Buffer.concat(parts)), `pieces ${pieces}`);
    }
  });

  it('both refuse a stream cut short, a damaged one, data after its end (even after zeros) and nothing at all, alike; trailing zeros are fine', async () => {
    const gz = zlib.gzipSync(Buffer.from('some text '.repeat(10_000)));
    const flip = (at: number) => Object.assign(Buffer.from(gz), { [at]: gz[at] ^ 0xff });
    const bad: [string, Buffer][] = [
      ['cut short', gz.subarray(0, gz.length - 10)],
      ['cut inside a member of many', members.subarray(0, 200_000)],
      ['crc flipped', flip(gz.length - 6)],
      ['deflate data flipped', flip(20)],
      ['junk after the end', Buffer.concat([gz, Buffer.from('junk')])],
      ['junk after zeros after the end', Buffer.concat([gz, Buffer.alloc(10), Buffer.from('junk')])],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [name, input] of bad) {
      for (const pieces of [[1000], [7, 4093]]) {
        const e = await alike(input, pieces);
        assert.ok(e instanceof Error && e.message.startsWith('The archive is corrupt'), `${name}, pieces ${pieces}: ${String(e)}`);
      }
    }
    assert.equal(((await alike(Buffer.concat([gz, Buffer.alloc(100)]))) as Buffer).length, 100_000);
    // Writes that end in zeros after a member, and ones that go on after them.
    const zeros = Buffer.concat([gz, Buffer.alloc(10)]);
    for (const [name, pieces, next] of [
      ['a member', [zeros.length, gz.length], gz],
      ['a member after a write of zeros', [zeros.length, 3, gz.length], Buffer.concat([Buffer.alloc(3), gz])],
      ['junk', [zeros.length, 4], Buffer.from('junk')],
      ['zeros, then junk', [zeros.length, 6], Buffer.from('\0\0junk')],
    ] as const) {
      const out = await alike(Buffer.concat([zeros, next]), [...pieces]);
      assert.ok(name.startsWith('a member') ? out instanceof Buffer && out.length === 200_000 : out instanceof Error, `${name}: ${String(out)}`);
    }
  });

  it('both wait for room while the reader holds the ring, keeping little beyond it', async () => {
    const size = 32 * 1024 * 1024;
    const gz = zlib.gzipSync(Buffer.alloc(size), { level: 1 });
    for (const [name, make] of paths) {
      const ring = new ByteRing(256 * 1024);
      let got = 0;
      let release = false;
      const inflater = make(ring, (view) => {
        got += view.length;
        if (release) ring.parsedAll();
      });
      const before = process.memoryUsage().arrayBuffers;
      let settled = false;
      const writing = inflater.write(gz).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 100));
      const held = process.memoryUsage().arrayBuffers - before;
      assert.equal(settled, false, `${name}: waits while the ring is full`);
      assert.ok(got <= ring.size, `${name}: ${got} bytes handed on into a ring of ${ring.size}`);
      assert.ok(held < 4 * 1024 * 1024, `${name}: ${held} bytes held beyond the ring`);
      release = true;
      ring.parsedAll();
      await writing;
      await inflater.end();
      inflater.close();
      assert.equal(got, size, name);
    }
  });

  it('both end with the failure of their ring (a cancelled read), while waiting for room or after all output was handed on', async () => {
    const big = zlib.gzipSync(Buffer.alloc(1024 * 1024));
    const small = zlib.gzipSync(Buffer.from('small'));
    for (const [name, make] of paths) {
      const waiting = new ByteRing(256 * 1024);
      const a = make(waiting, () => undefined);
      const writing = a.write(big);
      await new Promise((r) => setTimeout(r, 20));
      waiting.fail(new CancelledError());
      await assert.rejects(writing, CancelledError, `${name}: waiting for room`);
      a.close();
      const ring = new ByteRing(256 * 1024);
      const b = make(ring, () => ring.parsedAll());
      await b.write(small);
      ring.fail(new CancelledError());
      await assert.rejects(b.end(), CancelledError, `${name}: at the end`);
      b.close();
    }
  });

  it('on a Node.js without the zlib binding the ring inflater says so, rather than call the archive damaged', async () => {
    await withHandle(hide.writeSync, async () =>
      assert.throws(
        () => new RingInflater(new ByteRing(1024 * 1024), () => undefined),
        (e: unknown) => e instanceof BackupError && e.code === 'INVALID' && /zlib binding/.test(e.message),
      ),
    );
  });
});

type Handle = { writeSync?: (...a: unknown[]) => void };

/** Ways the binding under a gunzip stream could differ from what the ring inflater expects. */
const hide: Record<'writeSync' | 'throws' | 'wrongBytes', (h: Handle) => void> = {
  writeSync: (h) => void (h.writeSync = undefined),
  throws: (h) =>
    void (h.writeSync = () => {
      throw new TypeError('Illegal invocation');
    }),
  wrongBytes: (h) => {
    const writeSync = h.writeSync!;
    h.writeSync = function (this: Handle, ...a: unknown[]) {
      writeSync.apply(this, a);
      (a[4] as Buffer)[a[5] as number] ^= 1;
    };
  },
};

/** Runs `fn` while every new gunzip's binding is changed by `patch` (public streams do not use `writeSync`). */
async function withHandle<T>(patch: (h: Handle) => void, fn: () => Promise<T>): Promise<T> {
  // The module object itself, which the inflaters read `createGunzip` from.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const z = require('node:zlib') as typeof zlib;
  const original = Object.getOwnPropertyDescriptor(z, 'createGunzip')!;
  const createGunzip = original.value as typeof z.createGunzip;
  const patched = (o?: zlib.ZlibOptions) => {
    const g = createGunzip(o);
    patch((g as unknown as { _handle: Handle })._handle);
    return g;
  };
  Object.defineProperty(z, 'createGunzip', { ...original, value: patched });
  try {
    return await fn();
  } finally {
    Object.defineProperty(z, 'createGunzip', original);
  }
}

describe('backup: choosing the inflate path', () => {
  const ENV = 'CODEBASE_GARDENER_INFLATE';
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env[ENV];
    delete process.env[ENV];
    retestInflatePath();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[ENV];
    else process.env[ENV] = saved;
    retestInflatePath();
  });
  const want = Buffer.concat(parts);

  it('this Node.js passes the ring self-test; CODEBASE_GARDENER_INFLATE=public or =ring forces a path', async () => {
    assert.equal(await inflatePath(), 'ring');
    process.env[ENV] = 'public';
    assert.equal(await inflatePath(), 'public');
    // Forced public, a binding without writeSync does not matter.
    await withHandle(hide.writeSync, async () => assert.ok((await inflateAll(inflaterFor, members)).equals(want)));
    process.env[ENV] = 'ring';
    retestInflatePath();
    await withHandle(hide.wrongBytes, async () => assert.equal(await inflatePath(), 'ring', 'forced: no self-test'));
    await withHandle(hide.writeSync, () =>
      assert.rejects(inflateAll(inflaterFor, members), (e: unknown) => e instanceof BackupError && e.code === 'INVALID' && /zlib binding/.test(e.message)),
    );
  });

  it('a binding without writeSync, one that throws, or one that inflates wrongly fails the self-test: reads take the public path and come out right', async () => {
    for (const [name, patch] of Object.entries(hide)) {
      retestInflatePath();
      await withHandle(patch, async () => {
        assert.equal(await inflatePath(), 'public', name);
        assert.ok((await inflateAll(inflaterFor, members)).equals(want), name);
      });
    }
  });

  it('after a passed self-test, a missing binding falls back at once, and one that throws mid-read is no damaged backup: later reads take the public path', async () => {
    assert.equal(await inflatePath(), 'ring');
    await withHandle(hide.writeSync, async () => assert.ok((await inflateAll(inflaterFor, members)).equals(want)));
    assert.equal(await inflatePath(), 'public');

    retestInflatePath();
    // gzip whatever this Node.js would choose: `withHandle` changes gunzip's binding.
    const { m, b } = await withCodec('gzip', () => fullyBackedUp(3));
    assert.equal(await inflatePath(), 'ring');
    await withHandle(hide.throws, async () => {
      await assert.rejects(m.restore(b.id), (e: unknown) => e instanceof BackupError && e.code === 'INVALID' && /zlib binding failed/.test(e.message));
      assert.equal(await inflatePath(), 'public');
      await m.restore(b.id);
      assert.equal((await m.validate(b.id)).valid, true);
    });
  });
});
