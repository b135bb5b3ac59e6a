import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { hashed, MANIFEST_PATH, readArchive } from '../../src/core/backup/archive';
import { manifestJsonSha256 } from '../../src/core/backup/catalog';
import { openJson, sealJson, sealJsonBytes } from '../../src/core/backup/sealedJson';
import type { ArchiveManifest } from '../../src/core/backup/types';
import { freshManager, outcome, outsideUnchanged, verdict, world, type World } from './adversaryFixtures';
import { TEST_KEY } from './backupFixtures';

describe('backup: restore memory (the archive\'s manifest checked by its hash, a journal sealed without copies)', () => {
  it('seals JSON as bytes that open to the value, the same form as before, with characters across its pieces', () => {
    // Pieces are 65,536 characters: a surrogate pair and multi-byte characters on each side of a boundary.
    const values = [{}, { a: `${'x'.repeat(65_535)}😀${'y'.repeat(70_000)}` }, { a: 'é😀'.repeat(70_000) }, `${'x'.repeat(65_534)}😀`, [1, 'ü', null]];
    for (const v of values) {
      const bytes = sealJsonBytes(TEST_KEY, 'journal:x', v);
      const file = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(file), ['format', 'version', 'keyId', 'nonce', 'data', 'tag']);
      assert.equal(JSON.stringify(file), bytes.toString('utf8'), 'the text JSON.stringify writes');
      assert.deepEqual(openJson(file, TEST_KEY, 'journal:x', 'f'), v);
      assert.deepEqual(openJson(JSON.parse(sealJson(TEST_KEY, 'journal:x', v)), TEST_KEY, 'journal:x', 'f'), v);
    }
  });

  it("a new backup's manifest beside the catalog is the very text of the one in its archive, so a restore reads its archive once", async () => {
    const w = await world({ encrypt: true });
    const m = freshManager(w);
    await m.init();
    const stored = await m.catalog.manifest(w.b.id);
    let inner: string | undefined;
    await readArchive(path.join(w.backups, w.b.archive), TEST_KEY, (e) => (e.path === MANIFEST_PATH ? hashed((h) => (inner = h)) : { data: () => undefined, end: () => undefined }));
    assert.ok(inner);
    assert.equal(manifestJsonSha256(stored), inner);
  });

  /** The catalog's copy of `w.b`'s manifest, packed and sealed again as `change` leaves it. */
  async function repack(w: World, change: (m: ArchiveManifest) => unknown): Promise<void> {
    const m = freshManager(w);
    await m.init();
    const stored = structuredClone(await m.catalog.manifest(w.b.id));
    await m.catalog.saveManifest(w.b.id, change(stored) as ArchiveManifest, TEST_KEY);
  }

  it("the catalog's copy in another text of the same manifest (a field we do not write): the archive's manifest is read again, and validate and restore succeed", async () => {
    const w = await world({ encrypt: true });
    await repack(w, (m) => ({ ...m, files: m.files.map((f) => ({ ...f, note: 'not ours' })), extra: [1, 2] }));
    const m = freshManager(w);
    await m.init();
    assert.notEqual(manifestJsonSha256(await m.catalog.manifest(w.b.id)), undefined);
    assert.equal(await verdict(m, w.b.id), 'valid');
    assert.equal(await outcome(freshManager(w).restore(w.b.id)), 'ok');
  });

  it("the catalog's copy packed and sealed with another mode for a file: validate says invalid, restore refuses (CORRUPT) and changes nothing", async () => {
    const w = await world({ encrypt: true });
    await repack(w, (m) => ({ ...m, files: m.files.map((f, i) => (i === 0 ? { ...f, mode: f.mode ^ 0o100 } : f)) }));
    await outsideUnchanged(w, async () => {
      const m = freshManager(w);
      await m.init();
      assert.equal(await verdict(m, w.b.id), 'invalid: manifest inside archive matches catalog');
      assert.equal(await outcome(freshManager(w).restore(w.b.id)), 'CORRUPT');
    });
  });
});
