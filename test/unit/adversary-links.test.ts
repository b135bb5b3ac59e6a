import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gathered, MANIFEST_PATH, readArchive, type BackupManager } from '../../src/core/backup';
import { sealJson } from '../../src/core/backup/sealedJson';
import {
  catalogFile,
  freshManager,
  journalFile,
  manifestFile,
  opened,
  outcome,
  outsideUnchanged,
  plantLink,
  readJson,
  SNAP,
  snapshotsDir,
  verdict,
  world,
  writeJson,
  type Outcome,
  type World,
} from './adversaryFixtures';
import { craft, snapshot, TEST_KEY, write, type CraftedEntry } from './backupFixtures';

/**
 * Links planted where the engine keeps its own folders and files, archives holding entries
 * under those folders, and sealed metadata edited without the key: each operation refuses or
 * ignores them, and the sentinel tree beside the data is unchanged.
 */

type Rec = Record<string, unknown>;

/** A sound snapshot record for SNAP in the data folder, past its days: the sentinel holds its folder and lists. */
function recordSnap(w: World): void {
  const catalog = readJson(catalogFile(w));
  writeJson(catalogFile(w), { ...catalog, snapshots: [{ id: SNAP, createdAt: 0, restoredBackupId: w.b.id, target: w.data, movedCount: 1, addedCount: 0 }] });
}

/** A journal as 0.1 left it, for SNAP, naming exactly the folders 0.1 would have made. */
const legacyJournal = (w: World): Rec => ({
  state: 'staging',
  target: w.data,
  staging: path.join(w.data, '.gardener-restore', `staging-${SNAP}`),
  snapshotDir: path.join(snapshotsDir(w.data), SNAP),
  snapshot: { id: SNAP, createdAt: 0, restoredBackupId: w.b.id, moved: [], added: [] },
  ops: [],
});

/** A sound journal of a restore into the data interrupted while staging, its snapshot folder marked: the next start would act on it, and remove it. */
function interruptedRestore(w: World, dir: string): void {
  const nonce = 'ab'.repeat(16);
  writeJson(path.join(dir, `${SNAP}.json`), { version: 2, state: 'staging', id: SNAP, nonce, target: w.data, restoredBackupId: w.b.id, createdAt: 0, ops: [], dirs: [], moved: [], added: [], encrypted: false });
  write(path.join(snapshotsDir(w.data), SNAP), '.gardener/mark', nonce);
}

type Op = [name: string, run: (w: World, m: BackupManager) => Promise<unknown>, expected: Outcome];
const restore: Op = ['restore', (w, m) => m.restore(w.b.id), 'UNSAFE_PATH'];
const undo = (expected: Outcome): Op => ['undo', (_, m) => m.undoRestore(SNAP), expected];
const retention: Op = ['retention', (_, m) => m.applyRetention(), 'ok'];
const backup = (expected: Outcome): Op => ['backup', (_, m) => m.createBackup('FULL'), expected];
/** A refused delete leaves the backup whole: its archive is not removed before its manifest is refused. */
const deleteKeepsArchive = async (w: World, m: BackupManager): Promise<void> => {
  try {
    await m.delete(w.b.id);
  } finally {
    assert.ok(fs.existsSync(path.join(w.backups, w.b.archive)), 'the archive is still there');
  }
};
const init = (problems: boolean): Op => [
  'init',
  async (_, m) => assert.equal((await m.init()).problems.length > 0, problems, 'problems reported'),
  'ok',
];

describe('adversary: links planted in our folders', () => {
  const rows: { name: string; plant: (w: World) => void; ops: Op[] }[] = [
    {
      name: "the data folder's .gardener-restore a link to the sentinel",
      plant: (w) => (recordSnap(w), plantLink(w.data, '.gardener-restore', w.sentinel)),
      ops: [restore, undo('UNSAFE_PATH'), retention, backup('ok')],
    },
    {
      name: "the data folder's .gardener-restore a link to the sentinel, holding a 0.1 journal",
      plant: (w) => (writeJson(path.join(w.sentinel, 'journal.json'), legacyJournal(w)), plantLink(w.data, '.gardener-restore', w.sentinel)),
      ops: [init(true)],
    },
    {
      name: '.gardener-restore/snapshots a link to the sentinel',
      plant: (w) => (recordSnap(w), plantLink(w.data, '.gardener-restore/snapshots', path.join(w.sentinel, 'snapshots'))),
      ops: [restore, undo('UNSAFE_PATH'), retention, backup('ok')],
    },
    {
      name: 'a snapshot folder a link to the sentinel',
      plant: (w) => (recordSnap(w), plantLink(snapshotsDir(w.data), SNAP, path.join(w.sentinel, 'snapshots', SNAP))),
      ops: [undo('NOT_FOUND'), retention],
    },
    {
      name: 'the mark of a 0.1 journal\'s snapshot folder a link to a sentinel file',
      plant: (w) => (writeJson(path.join(w.data, '.gardener-restore', 'journal.json'), legacyJournal(w)), plantLink(path.join(snapshotsDir(w.data), SNAP), '.gardener/mark', path.join(w.sentinel, 'a.txt'))),
      ops: [init(false)],
    },
    {
      name: 'a folder of the data a link to the sentinel',
      plant: (w) => plantLink(w.data, 'projects', w.sentinel),
      ops: [restore],
    },
    {
      name: "the backups folder's manifests a link to the sentinel",
      plant: (w) => plantLink(w.backups, 'manifests', w.sentinel),
      ops: [backup('UNSAFE_PATH'), ['delete', deleteKeepsArchive, 'UNSAFE_PATH'], ['init', (_, m) => m.init(), 'UNSAFE_PATH']],
    },
    {
      name: "the backups folder's journals a link to the sentinel, holding a journal",
      plant: (w) => (interruptedRestore(w, w.sentinel), plantLink(w.backups, 'journals', w.sentinel)),
      ops: [restore, init(true)],
    },
    {
      name: 'catalog.json a link to a sentinel file that reads as a catalog',
      plant: (w) => plantLink(w.backups, 'catalog.json', path.join(w.sentinel, 'listed.json')),
      ops: [init(true), backup('ok')],
    },
  ];
  for (const { name, plant, ops } of rows) {
    it(`${name}: ${ops.map((o) => `${o[0]} ${o[2] === 'ok' ? 'works' : `refuses (${o[2]})`}`).join(', ')}; the sentinel is unchanged`, async () => {
      const w = await world();
      plant(w);
      await outsideUnchanged(w, async () => {
        for (const [op, run, expected] of ops) assert.equal(await outcome(run(w, await opened(w))), expected, op);
      });
    });
  }

  it("a restore's snapshot, its data folder a link to the sentinel afterwards: undo refuses (UNSAFE_PATH) before anything moves", async () => {
    const w = await world();
    write(w.data, 'projects/p1/file-1.txt', 'edited after the backup');
    const { snapshotId } = await w.m.restore(w.b.id);
    plantLink(w.data, 'projects', w.sentinel);
    await outsideUnchanged(w, async () => assert.equal(await outcome((await opened(w)).undoRestore(snapshotId)), 'UNSAFE_PATH'));
  });

  it("a manifest beside the catalog a link to a sentinel file: reading its backup's archive back writes a file of its own", async () => {
    const w = await world();
    plantLink(w.backups, `manifests/${w.b.id}.json`, path.join(w.sentinel, 'a.json'));
    fs.rmSync(catalogFile(w));
    await outsideUnchanged(w, async () => {
      const report = await freshManager(w).init();
      assert.deepEqual(report.adopted, [w.b.id]);
    });
    assert.ok(fs.lstatSync(manifestFile(w)).isFile());
    assert.equal(await verdict(await opened(w), w.b.id), 'valid');
  });
});

describe('adversary: archives with entries under our folders', () => {
  /** Replaces b's archive with a plain one holding its files and `extra`, with a manifest (inside and beside) and a catalog record that match it. */
  async function plantArchive(w: World, extra: { path: string; body: string }[]): Promise<void> {
    const file = path.join(w.backups, w.b.archive);
    const entries: CraftedEntry[] = [];
    await readArchive(file, undefined, (e) => gathered((body) => void (e.path !== MANIFEST_PATH && entries.push({ path: e.path, type: 'File', body }))));
    const manifest = readJson<{ files: Rec[] }>(manifestFile(w));
    for (const x of extra) {
      entries.push({ path: x.path, type: 'File', body: x.body });
      manifest.files.push({ path: x.path, size: x.body.length, mtimeMs: 0, mode: 0o644, sha256: createHash('sha256').update(x.body).digest('hex') });
    }
    const archive = craft([...entries, { path: MANIFEST_PATH, type: 'File', body: JSON.stringify(manifest) }]);
    fs.writeFileSync(file, archive);
    writeJson(manifestFile(w), manifest);
    const catalog = readJson<{ backups: Rec[] }>(catalogFile(w));
    Object.assign(catalog.backups[0], { sizeBytes: archive.length, sha256: createHash('sha256').update(archive).digest('hex') });
    writeJson(catalogFile(w), catalog);
  }

  const hostile: string[] = ['.gardener-restore/journal.json', '.gardener/evil', '.gardener-restore/snapshots/x/.gardener/mark', './.gardener/evil', '.gardener'];
  for (const entry of hostile) {
    it(`an archive with ${entry} (manifest and catalog matching it): validate says invalid, restore and reading it back refuse, nothing is written`, async () => {
      const w = await world();
      await plantArchive(w, [
        { path: 'projects/fine.txt', body: 'fine' },
        { path: entry, body: JSON.stringify({ ...legacyJournal(w), target: w.sentinel }) },
      ]);
      const data = snapshot(w.data, []);
      await outsideUnchanged(w, async () => {
        assert.equal(await verdict(await opened(w), w.b.id), 'invalid: chunks authenticate, archive decompresses and parses');
        assert.equal(await outcome((await opened(w)).restore(w.b.id)), 'UNSAFE_ENTRY');
        // Unlisted, it is not read back into the catalog either.
        fs.rmSync(catalogFile(w));
        const report = await freshManager(w).init();
        assert.deepEqual([report.adopted, report.problems.length], [[], 1]);
      });
      assert.deepEqual(snapshot(w.data, []), data, 'nothing was written in the data, its control folders included');
      const ours = path.join(w.data, '.gardener-restore');
      assert.deepEqual(fs.existsSync(ours) ? fs.readdirSync(ours) : [], [], 'nothing of the refused restore is left');
      assert.deepEqual(fs.readdirSync(path.join(w.backups, 'journals')), []);
    });
  }

  it('an archive with entries under the backups folder cannot reach it: a restore into a folder holding it, or into it, is refused (INVALID)', async () => {
    const w = await world();
    await plantArchive(w, [{ path: 'data-backups/catalog.json', body: '{}' }]);
    const backups = snapshot(w.backups, []);
    await outsideUnchanged(w, async () => {
      assert.equal(await outcome((await opened(w)).restore(w.b.id, { target: w.parent })), 'INVALID');
      assert.equal(await outcome((await opened(w)).restore(w.b.id, { target: w.backups })), 'INVALID');
    });
    assert.deepEqual(snapshot(w.backups, []), backups);
  });
});

describe('adversary: sealed metadata edited without the key', () => {
  /** Flips one byte of a sealed file's ciphertext: it no longer authenticates. */
  function flip(file: string): void {
    const raw = fs.readFileSync(file);
    if (raw.subarray(0, 4).toString() === 'CGMF') {
      // A packed manifest (manifestFile.ts): its ciphertext follows the 43-byte header.
      raw[43 + ((raw.length - 43) >> 1)] ^= 1;
      return fs.writeFileSync(file, raw);
    }
    const sealed = readJson<{ data: string }>(file);
    const bytes = Buffer.from(sealed.data, 'base64');
    bytes[bytes.length >> 1] ^= 1;
    writeJson(file, { ...sealed, data: bytes.toString('base64') });
  }
  const forgedCatalog = (w: World): Rec => ({
    version: 1,
    backups: [{ ...w.b, id: '../../sentinel/a', archive: '../sentinel/a.txt', encrypted: false }],
    snapshots: [{ id: SNAP, createdAt: 0, restoredBackupId: w.b.id, target: w.data, moved: ['../sentinel/a.txt'], added: [] }],
  });

  const catalogs: [string, (w: World) => void, boolean][] = [
    ['a byte of its ciphertext flipped', (w) => flip(catalogFile(w)), true],
    ["another file's sealed contents (a manifest's)", (w) => fs.copyFileSync(manifestFile(w), catalogFile(w)), true],
    ['plain JSON with forged records', (w) => writeJson(catalogFile(w), forgedCatalog(w)), false],
  ];
  for (const [name, forge, movedAside] of catalogs) {
    it(`a sealed catalog replaced by ${name}: ${movedAside ? 'moved aside and rebuilt from the archives' : 'its forged records left out'}; the sentinel is unchanged`, async () => {
      const w = await world({ encrypt: true });
      forge(w);
      await outsideUnchanged(w, async () => {
        const m = freshManager(w);
        const report = await m.init();
        assert.deepEqual(report.adopted, [w.b.id], 'the backup is read back from its archive');
        assert.equal(fs.readdirSync(w.backups).some((n) => n.startsWith('catalog.json.damaged-')), movedAside);
        assert.equal(await outcome(m.applyRetention()), 'ok');
        assert.equal(await outcome(m.createBackup('FULL')), 'ok');
        assert.equal(await verdict(m, w.b.id), 'valid');
      });
    });
  }

  const manifests: [string, (w: World) => Promise<void> | void][] = [
    ['a byte of its ciphertext flipped', (w) => flip(manifestFile(w))],
    ["another backup's sealed manifest", async (w) => fs.copyFileSync(manifestFile(w, (await w.m.createBackup('FULL')).id), manifestFile(w))],
    ['plain JSON with an entry ../', (w) => writeJson(manifestFile(w), { version: 2, backupId: w.b.id, files: [{ path: '../sentinel/a.txt', size: 1, mtimeMs: 0, mode: 0o644, sha256: '0'.repeat(64) }], deleted: [] })],
  ];
  for (const [name, forge] of manifests) {
    it(`a sealed manifest replaced by ${name}: validate says invalid, restore refuses (CORRUPT_FILE)`, async () => {
      const w = await world({ encrypt: true });
      await forge(w);
      await outsideUnchanged(w, async () => {
        assert.equal(await verdict(await opened(w), w.b.id), 'invalid: manifest in catalog');
        assert.equal(await outcome((await opened(w)).restore(w.b.id)), 'CORRUPT_FILE');
      });
    });
  }

  const journal = (w: World): Rec => ({ version: 2, state: 'swapping', id: SNAP, nonce: 'ab'.repeat(16), target: w.sentinel, restoredBackupId: w.b.id, createdAt: 0, ops: [{ path: 'a.txt', fromStaging: false }], dirs: [], moved: ['a.txt'], added: [], encrypted: true });
  const journals: [string, (w: World) => void][] = [
    ['a sealed journal with a byte of its ciphertext flipped', (w) => (writeJson(journalFile(w), sealJson(TEST_KEY, `journal:${SNAP}`, journal(w))), flip(journalFile(w)))],
    ["a journal sealed for another restore's name", (w) => writeJson(journalFile(w), sealJson(TEST_KEY, 'journal:snapshot-20200101-000000-000000', journal(w)))],
    ['a plain journal naming the sentinel', (w) => writeJson(journalFile(w), journal(w))],
  ];
  for (const [name, forge] of journals) {
    it(`${name}: the next start does not act on it and says so`, async () => {
      const w = await world({ encrypt: true });
      forge(w);
      await outsideUnchanged(w, async () => {
        const report = await freshManager(w).init();
        assert.deepEqual([report.recovered, report.problems.length], [[], 1]);
      });
      assert.ok(fs.existsSync(journalFile(w)));
    });
  }
});
