import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILES_CROSS_MAX } from '../../src/core/backup/archiveProtocol';
import { ArchiveWriter } from '../../src/core/backup/archiveWriter';
import { decompressWhole, hasNativeZstd, type Codec } from '../../src/core/backup/codec';
import { ManifestCompressor, manifestLength, manifestPieces } from '../../src/core/backup/manifestWriter';
import type { ArchiveManifest } from '../../src/core/backup/types';
import type { FileInfo } from '../../src/core/backup/walk';
import { tempDir } from './fixtures';
import { manager } from './backupFixtures';

/** A manifest whose paths hold what JSON escapes, and the key the writer cuts the text at. */
function tricky(count: number): ArchiveManifest {
  const names = ['plain.ts', 'quote".txt', 'back\\slash', 'new\nline', 'ünïcødé/文件.md', '"files":[]', 'tab\there', 'lone\ud800surrogate', 'emoji 🌱'];
  return {
    version: 2,
    backupId: 'full-x',
    record: { type: 'FULL', createdAt: 1, sources: ['a'] },
    files: Array.from({ length: count }, (_, i) => ({ path: `a/${i}/${names[i % names.length]}`, size: i, mtimeMs: 1_700_000_000_000 + i, mode: 0o644, sha256: i.toString(16).padStart(64, '0') })),
    deleted: ['a/"gone"'],
    dirs: [{ path: 'a/0', mode: 0o755 }],
    skipped: [{ path: 'a/link', reason: 'symlink', detail: '../"x"' }],
  };
}

describe('backup: the manifest written in pieces', () => {
  for (const count of [0, 1, 127, 128, 129, 1000]) {
    it(`its pieces are JSON.stringify's text exactly, and its length their bytes (${count} files)`, () => {
      const m = tricky(count);
      const whole = JSON.stringify(m);
      assert.equal([...manifestPieces(m)].join(''), whole);
      assert.equal(manifestLength(m), Buffer.byteLength(whole));
    });
  }

  const codecs: Codec[] = hasNativeZstd() ? ['gzip', 'zstd'] : ['gzip'];
  for (const codec of codecs) {
    it(`a manifest compressed as it comes inflates to its whole text (${codec})`, async () => {
      const m = tricky(3000);
      const c = new ManifestCompressor(codec);
      for (const p of manifestPieces(m)) await c.write(p);
      const packed = await c.end();
      assert.equal((await decompressWhole(codec, packed)).toString(), JSON.stringify(m));
    });
  }

  it('the walk is held back while the worker cannot take files: a few batches ahead, not the whole tree', async function () {
    if (process.platform === 'win32') this.skip();
    const dir = tempDir();
    // A FIFO's open blocks the worker until this thread opens it for writing.
    const fifo = path.join(dir, 'pipe');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const file = (name: string): FileInfo => {
      const abs = path.join(dir, name);
      fs.writeFileSync(abs, name);
      return { path: name, abs, size: name.length, mtimeMs: 0, mode: 0o644 };
    };
    let pulled = 0;
    async function* batches(): AsyncGenerator<FileInfo[]> {
      yield [{ path: 'pipe', abs: fifo, size: 0, mtimeMs: 0, mode: 0o644 }];
      for (let i = 0; i < 50; i++) {
        pulled++;
        yield [file(`f${i}`)];
      }
    }
    const writer = new ArchiveWriter();
    try {
      const job = { backupId: 'pieces', level: 6, record: { type: 'FULL' as const, createdAt: 0 }, tail: () => ({ deleted: [], dirs: [], skipped: [] }) };
      const done = writer.write(batches(), path.join(dir, 'out.cgb'), job);
      await new Promise((r) => setTimeout(r, 500));
      const whileStuck = pulled;
      // Unblock the worker: open the FIFO for writing and close it (an empty file).
      fs.closeSync(fs.openSync(fifo, 'w'));
      const r = await done;
      assert.ok(whileStuck <= 6, `the walk ran ${whileStuck} batches ahead of a stuck worker`);
      assert.equal(pulled, 50);
      assert.equal(r.fileCount, 51);
    } finally {
      await writer.stop();
    }
  });

  it(`a full backup of more than ${FILES_CROSS_MAX} files keeps no tree in memory; the incremental after it reads the tree from the catalog and restores exactly`, async function () {
    this.timeout(120_000);
    const data = tempDir();
    const m = manager(data);
    const root = path.join(data, 'projects', 'big');
    const files = FILES_CROSS_MAX + 5;
    for (let d = 0; d < Math.ceil(files / 1000); d++) {
      fs.mkdirSync(path.join(root, `d${d}`), { recursive: true });
      for (let i = d * 1000; i < Math.min(files, (d + 1) * 1000); i++) fs.writeFileSync(path.join(root, `d${d}`, `f${i}.txt`), `file ${i}\n`);
    }
    await m.init();
    const full = await m.createBackup('FULL');
    assert.equal(full.fileCount, files);
    assert.equal(full.treeFileCount, files);
    const cached = (): unknown => (m as unknown as { last?: { tree?: unknown } }).last?.tree;
    assert.equal(cached(), undefined, 'a tree this big is not kept between backups');
    fs.appendFileSync(path.join(root, 'd3', 'f3000.txt'), 'edited\n');
    fs.rmSync(path.join(root, 'd4', 'f4000.txt'));
    fs.writeFileSync(path.join(root, 'new.txt'), 'new\n');
    const inc = await m.createBackup('INCREMENTAL');
    assert.equal(inc.type, 'INCREMENTAL');
    assert.equal(inc.fileCount, 2);
    assert.equal(inc.treeFileCount, files);
    const target = tempDir();
    await m.restore(inc.id, { target });
    const back = path.join(target, 'projects', 'big');
    assert.equal(fs.readFileSync(path.join(back, 'd3', 'f3000.txt'), 'utf8'), 'file 3000\nedited\n');
    assert.ok(!fs.existsSync(path.join(back, 'd4', 'f4000.txt')));
    assert.equal(fs.readFileSync(path.join(back, 'new.txt'), 'utf8'), 'new\n');
    assert.equal(fs.readFileSync(path.join(back, `d${Math.floor((files - 1) / 1000)}`, `f${files - 1}.txt`), 'utf8'), `file ${files - 1}\n`);
    const tree = await m.treeOf(inc.id);
    assert.equal(tree.files.size, files);
  });
});
