// Trust: what a backup or a restore may find in the folders it is given: a backups folder in the
// data, links, names that are not UTF-8, links planted in a restore's target, folders and modes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackupManager } from '../../src/core/backup';
import { fullyBackedUp, manager, seedData, write } from './backupFixtures';
import { tempDir } from './fixtures';
import { journalFiles, rejectsWith, tree } from './trustFixtures';

describe('trust: a backups folder in the data', () => {
  const places: { name: string; folder: (data: string, backups: string) => string }[] = [
    { name: 'the data directory itself', folder: (data) => data },
    { name: 'a new folder inside it', folder: (data) => path.join(data, 'backups-here') },
    { name: 'a folder of the data (projects)', folder: (data) => path.join(data, 'projects') },
    {
      name: 'a copy of a real backups folder inside it',
      folder: (data, backups) => {
        fs.cpSync(backups, path.join(data, 'old-backups'), { recursive: true });
        return path.join(data, 'old-backups');
      },
    },
  ];
  for (const { name, folder } of places) {
    it(`${name}: start, backups and restores are refused with INVALID, and nothing in the data is written`, async () => {
      const { data, m: elsewhere, b } = await fullyBackedUp(5);
      // Files of the user's named like what a start clears from a backups folder.
      write(data, 'state.json.1a2b', 'looks like a temporary write');
      write(data, 'manifests/notes.json', 'looks like a manifest');
      write(data, 'projects/plan.json.42', 'looks like a temporary write');
      const backups = folder(data, elsewhere.backupsDir);
      const before = tree(data);
      const m = manager(data, backups);
      await rejectsWith(m.init(), 'INVALID');
      await rejectsWith(m.createBackup('FULL'), 'INVALID');
      await rejectsWith(m.createBackup('INCREMENTAL'), 'INVALID');
      await rejectsWith(m.restore(b.id), 'INVALID');
      const target = tempDir();
      await rejectsWith(m.restore(b.id, { target }), 'INVALID');
      await rejectsWith(m.rebuildCatalog(), 'INVALID');
      assert.deepEqual(tree(data), before);
      assert.deepEqual(tree(target), {});
    });
  }
});

describe('trust: links and names a backup cannot hold', () => {
  /** Each regular file of the sources is in the backup's tree; each link or unreadable name is in its manifest's skipped list, counted in its record. */
  async function accountedFor(m: BackupManager, id: string, data: string): Promise<void> {
    const record = m.catalog.get(id)!;
    const manifest = await m.catalog.manifest(id);
    const files = new Set((await m.treeOf(id)).files.keys());
    const skipped = Object.fromEntries(manifest.skipped.map((s) => [s.path, s.reason]));
    assert.deepEqual(skipped, { 'projects/b\\xff.txt': 'not-utf8', 'projects/linked-file.json': 'symlink', 'projects/linked-folder': 'symlink' });
    assert.equal(record.skippedCount, 3);
    for (const [listed, what] of Object.entries(tree(data))) {
      // A name that is not UTF-8, as the engine shows it: each stray byte as \xNN.
      const rel = listed.replace(/hex:([0-9a-f]+)/g, (_, hex: string) => [...Buffer.from(hex, 'hex')].map((c) => (c < 0x80 ? String.fromCharCode(c) : `\\x${c.toString(16)}`)).join(''));
      if (/^(cache|temp)(\/|$)/.test(rel) || what.startsWith('dir') || rel in skipped) continue;
      assert.ok(what.startsWith('file'), `${rel} (${what}) is neither backed up nor listed as left out`);
      assert.ok(files.has(rel), `${rel} is not in backup ${id}`);
    }
    assert.ok(![...files].some((f) => f.startsWith('projects/linked-folder/')), 'nothing is read through the link');
  }

  for (const plain of [false, true]) {
    it(`${plain ? 'plain' : 'encrypted'}: a linked folder, a linked file and a name that is not UTF-8 are each in the backup or listed as left out, and counted: in a full, an incremental and a rebuilt catalog`, async () => {
      const data = tempDir();
      seedData(data, 5);
      const outside = tempDir();
      write(outside, 'zq-outside.txt', 'outside');
      fs.symlinkSync(outside, path.join(data, 'projects/linked-folder'));
      fs.symlinkSync(path.join(data, 'settings/app.json'), path.join(data, 'projects/linked-file.json'));
      fs.writeFileSync(Buffer.concat([Buffer.from(path.join(data, 'projects/b')), Buffer.from([0xff]), Buffer.from('.txt')]), 'a name that is not UTF-8');
      const m = plain ? manager(data, undefined, null, { encrypt: false }) : manager(data);
      await m.init();
      const full = await m.createBackup('FULL');
      await accountedFor(m, full.id, data);
      write(data, 'projects/p1/file-1.txt', 'changed');
      const inc = await m.createBackup('INCREMENTAL');
      assert.equal(inc.type, 'INCREMENTAL');
      await accountedFor(m, inc.id, data);
      fs.rmSync(m.catalog.file);
      const rebuilt = manager(data, m.backupsDir, plain ? null : undefined, m.settings());
      await rebuilt.init();
      await accountedFor(rebuilt, full.id, data);
      await accountedFor(rebuilt, inc.id, data);
    });
  }
});

describe('trust: links planted in a restore target', () => {
  const plants: { name: string; into: 'data' | 'elsewhere'; link: string }[] = [
    { name: 'the data directory, projects a link to a folder outside', into: 'data', link: 'projects' },
    { name: 'another folder, projects a link to a folder outside', into: 'elsewhere', link: 'projects' },
    { name: 'another folder, projects/alpha a link to a folder outside', into: 'elsewhere', link: 'projects/alpha' },
    { name: `another folder, its own ${'.gardener-restore'} a link to a folder outside`, into: 'elsewhere', link: '.gardener-restore' },
  ];
  for (const { name, into, link } of plants) {
    it(`restoring into ${name}: refused with UNSAFE_PATH, nothing written through the link, the target unchanged`, async () => {
      const { data, m, b } = await fullyBackedUp(10);
      const target = into === 'data' ? data : tempDir();
      if (into === 'elsewhere') {
        write(target, 'projects/p1/file-1.txt', 'mine');
        write(target, 'mine.txt', 'mine');
      }
      const outside = tempDir();
      write(outside, 'alpha/notes.md', 'outside, not to be overwritten');
      write(outside, 'p1/file-1.txt', 'outside');
      fs.rmSync(path.join(target, link), { recursive: true, force: true });
      fs.mkdirSync(path.dirname(path.join(target, link)), { recursive: true });
      fs.symlinkSync(outside, path.join(target, link));
      const outsideBefore = tree(outside);
      const targetBefore = tree(target);
      await rejectsWith(m.restore(b.id, into === 'data' ? {} : { target }), 'UNSAFE_PATH');
      assert.deepEqual(tree(outside), outsideBefore, 'nothing was written through the link');
      assert.deepEqual(tree(target), targetBefore, 'the target is unchanged');
      assert.deepEqual(journalFiles(m.backupsDir), []);
      assert.deepEqual(m.catalog.snapshots, []);
    });
  }
});

describe('trust: folders and their modes', () => {
  /** Every folder and file a backup keeps, with modes (and bytes): cache, temp and our own folder aside. */
  const kept = (dir: string): Record<string, string> => Object.fromEntries(Object.entries(tree(dir)).filter(([rel]) => !/^(cache|temp|\.gardener-restore)(\/|$)/.test(rel)));
  const folder = (data: string, rel: string, mode: number): void => {
    fs.mkdirSync(path.join(data, rel), { recursive: true });
    fs.chmodSync(path.join(data, rel), mode);
  };

  it('an empty folder, a 0700 and a 0750 folder (empty or not) come back as they were: a full and an incremental, each restored into a fresh folder', async () => {
    const data = tempDir();
    seedData(data, 5);
    folder(data, 'projects/empty', 0o755);
    folder(data, 'projects/private', 0o700);
    write(data, 'projects/private/key.txt', 'k', 0o600);
    folder(data, 'projects/group', 0o750);
    write(data, 'projects/group/shared.txt', 's', 0o640);
    folder(data, 'contexts/empty-private', 0o700);
    folder(data, 'settings/empty-group', 0o750);
    const m = manager(data);
    await m.init();
    const full = await m.createBackup('FULL');
    const atFull = kept(data);
    const fresh1 = path.join(tempDir(), 'fresh');
    await m.restore(full.id, { target: fresh1 });
    assert.deepEqual(kept(fresh1), atFull);

    fs.chmodSync(path.join(data, 'projects/private'), 0o750);
    fs.chmodSync(path.join(data, 'projects/group'), 0o700);
    fs.chmodSync(path.join(data, 'contexts/empty-private'), 0o750);
    fs.rmdirSync(path.join(data, 'projects/empty'));
    folder(data, 'projects/new-empty', 0o700);
    folder(data, 'projects/new-group/deeper', 0o750);
    const inc = await m.createBackup('INCREMENTAL');
    assert.equal(inc.type, 'INCREMENTAL');
    const atInc = kept(data);
    const fresh2 = path.join(tempDir(), 'fresh');
    await m.restore(inc.id, { target: fresh2 });
    assert.deepEqual(kept(fresh2), atInc);
    // And the full again, from the same backups, into yet another folder.
    const fresh3 = tempDir();
    await m.restore(full.id, { target: fresh3 });
    assert.deepEqual(kept(fresh3), atFull);
  });
});
