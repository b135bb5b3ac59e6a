import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Header, Pax } from 'tar';
import { fileHeader } from '../../src/core/backup/tarHeader';
import { TarParser, type EntryInfo } from '../../src/core/backup/tarParser';
import { tempDir } from './fixtures';

type Seen = EntryInfo & { sha256: string };

/** Parses `tar` fed in pieces of the given sizes (cycled), as regions of a ring would come. */
function parse(tar: Buffer, pieces: number[] = [tar.length]): Seen[] {
  const seen: Seen[] = [];
  const parser = new TarParser((e) => {
    const h = createHash('sha256');
    return { data: (b) => void h.update(b), end: () => void seen.push({ ...e, sha256: h.digest('hex') }) };
  });
  for (let off = 0, i = 0; off < tar.length; i++) {
    const n = Math.max(1, pieces[i % pieces.length]);
    parser.write(tar.subarray(off, off + n), off);
    off += n;
  }
  parser.end();
  return seen;
}

function entry(p: string, body: Buffer | string, o: { type?: string; linkpath?: string; mode?: number } = {}): Buffer {
  const data = Buffer.from(body);
  const type = o.type ?? 'File';
  const size = type === 'File' ? data.length : 0;
  const h = new Header({ path: p, type: type as 'File', size, mode: o.mode ?? 0o644, mtime: new Date(1_700_000_000_000), linkpath: o.linkpath });
  const block = Buffer.alloc(512);
  h.encode(block, 0);
  const head = h.needPax ? Buffer.concat([new Pax({ path: p, size, mtime: new Date(1_700_000_000_000) }).encode(), block]) : block;
  return Buffer.concat([head, type === 'File' ? data : Buffer.alloc(0), Buffer.alloc(type === 'File' ? (512 - (size % 512)) % 512 : 0)]);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const END = Buffer.alloc(1024);

describe('backup: tar parser', () => {
  const long = `projects/${'deep/'.repeat(40)}file-with-a-long-name.txt`;
  const files: [string, Buffer][] = [
    ['projects/a.txt', Buffer.from('hello\n')],
    ['projects/empty.txt', Buffer.alloc(0)],
    ['projects/exactly-512.bin', randomBytes(512)],
    [long, randomBytes(70_000)],
    [`projects/${'x'.repeat(120)}/ustar-prefix.txt`, Buffer.from('prefix and name')],
    ['projects/ünïcode name.txt', Buffer.from('utf-8 paths')],
  ];
  const tar = Buffer.concat([...files.map(([p, b]) => entry(p, b)), END]);

  it('reads paths (ustar prefixes and pax), sizes, modes and data, however the bytes are split', () => {
    for (const pieces of [[tar.length], [1], [511, 513], [7, 1000, 3], [65_536]]) {
      const seen = parse(tar, pieces);
      assert.deepEqual(
        seen.map((e) => [e.path, e.type, e.size, e.sha256]),
        files.map(([p, b]) => [p, 'File', b.length, sha(b)]),
        `pieces ${pieces}`,
      );
      assert.ok(seen.every((e) => e.mode === 0o644 && e.mtimeMs === 1_700_000_000_000));
    }
  });

  it('reads what GNU tar writes in pax format (extra pax records are ignored)', () => {
    const dir = tempDir();
    for (const [p, b] of files) {
      fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), b);
    }
    const r = spawnSync('tar', ['--format=pax', '-cf', '-', '-C', dir, ...files.map(([p]) => p)], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, String(r.stderr));
    const seen = parse(r.stdout, [4096]);
    assert.deepEqual(
      seen.map((e) => [e.path, e.size, e.sha256]),
      files.map(([p, b]) => [p, b.length, sha(b)]),
    );
  });

  it('reports links, devices, folders and GNU long names by type, for the caller to refuse', () => {
    const types: [string, Buffer][] = [
      ['SymbolicLink', entry('projects/l', '', { type: 'SymbolicLink', linkpath: '/etc' })],
      ['Link', entry('projects/h', '', { type: 'Link', linkpath: '/etc/passwd' })],
      ['CharacterDevice', entry('projects/c', '', { type: 'CharacterDevice' })],
      ['Directory', entry('projects/d', '', { type: 'Directory' })],
      ['FIFO', entry('projects/f', '', { type: 'FIFO' })],
    ];
    for (const [type, bytes] of types) {
      const seen = parse(Buffer.concat([bytes, END]));
      assert.equal(seen[0].type, type);
    }
    const gnu = spawnSync('tar', ['--format=gnu', '-cf', '-', '-C', tempDirWith(long), long]);
    assert.equal(parse(gnu.stdout)[0].type, 'NextFileHasLongPath');
  });

  it('reads back what our own header writer writes, and so does GNU tar (list and extract)', () => {
    // Paths of 100 bytes exactly (no room for a NUL), 101 (pax), long UTF-8 (pax, cut mid-character in the ustar field).
    const ours: [string, Buffer][] = [
      ...files,
      [`p/${'a'.repeat(98)}`, Buffer.from('a hundred')],
      [`p/${'b'.repeat(99)}`, Buffer.from('a hundred and one')],
      [`p/${'é'.repeat(80)}/ü.txt`, randomBytes(1000)],
    ];
    const mtimeMs = 1_700_000_123_000;
    const ourTar = Buffer.concat([
      ...ours.map(([p, b]) => Buffer.concat([fileHeader(p, b.length, 0o640, mtimeMs), b, Buffer.alloc((512 - (b.length % 512)) % 512)])),
      END,
    ]);
    const seen = parse(ourTar, [777]);
    assert.deepEqual(
      seen.map((e) => [e.path, e.type, e.size, e.mode, e.mtimeMs, e.sha256]),
      ours.map(([p, b]) => [p, 'File', b.length, 0o640, mtimeMs, sha(b)]),
    );
    const listed = spawnSync('tar', ['-tvf', '-'], { input: ourTar, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stderr, '');
    assert.deepEqual(
      listed.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')),
      ours.map(([p]) => p),
    );
    const dir = tempDir();
    const x = spawnSync('tar', ['-xf', '-', '-C', dir], { input: ourTar, encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    for (const [p, b] of ours) {
      assert.equal(sha(fs.readFileSync(path.join(dir, p))), sha(b), p);
      assert.equal(fs.statSync(path.join(dir, p)).mtimeMs, mtimeMs, p);
    }
  });

  function tempDirWith(p: string): string {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), 'x');
    return dir;
  }

  it('refuses a bad checksum, a bad number, a header after the end, and a stream cut short', () => {
    const flipped = Buffer.from(tar);
    flipped[10] ^= 1;
    assert.throws(() => parse(flipped), /fails its checksum/);
    const badSize = entry('projects/a.txt', 'hello');
    badSize.write('9', 124);
    // Keep the checksum right, so only the number is wrong.
    badSize.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of badSize.subarray(0, 512)) sum += b;
    badSize.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    assert.throws(() => parse(Buffer.concat([badSize, END])), /size is not a number/);
    assert.throws(() => parse(Buffer.concat([entry('a', 'x'), Buffer.alloc(512), entry('b', 'y'), END])), /follows an end-of-archive block/);
    assert.throws(() => parse(tar.subarray(0, 512 + 3)), /ends inside projects\/a.txt/);
    assert.throws(() => parse(tar.subarray(0, 300)), /ends inside a tar header/);
    // Without end blocks, a stream that stops between entries is whole (as tar reads it too).
    assert.equal(parse(entry('projects/a.txt', 'hello')).length, 1);
  });
});
