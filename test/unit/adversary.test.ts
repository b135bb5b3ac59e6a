import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackupManager } from '../../src/core/backup';
import {
  catalogFile,
  DEEP,
  freshManager,
  journalFile,
  json,
  KEEP_ONE_FULL,
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
import { write } from './backupFixtures';

/**
 * Forged metadata, with encryption off so every file is plain JSON to edit: for every field of
 * every file the engine reads, a value that points outside (`..`, absolute) makes each
 * operation refuse or ignore it, and the sentinel tree beside the data is unchanged.
 * (Links and archives: adversary-links.test.ts.)
 */

type Rec = Record<string, unknown>;
const OLD = 'full-20000101-000000-000000';

/** A world whose data was restored once, so the catalog holds a snapshot and the data its folder and lists. */
async function restoredWorld(): Promise<World & { snap: string }> {
  const w = await world();
  write(w.data, 'projects/p1/file-1.txt', 'edited after the backup');
  return { ...w, snap: (await w.m.restore(w.b.id)).snapshotId };
}

describe('adversary: forged catalog backup records', () => {
  /** An older full backup than `b`: retention keeping one full would remove it, were it believed. */
  const older = (w: World): Rec => ({ ...w.b, id: OLD, archive: `${OLD}.tar.gz`, createdAt: 1 });
  const rows: { name: string; forge: (w: World) => Rec; kept?: { validate: string; restore: Outcome; delete: Outcome } }[] = [
    { name: 'an id with ../', forge: (w) => ({ ...older(w), id: '../../sentinel/a', archive: '../../sentinel/a.tar.gz' }) },
    { name: 'an absolute id', forge: (w) => ({ ...older(w), id: path.join(w.sentinel, 'a') }) },
    { name: 'an id of 400,000 characters', forge: (w) => ({ ...older(w), id: 'a'.repeat(400_000) }) },
    { name: 'an id of 400,000 characters of ../', forge: (w) => ({ ...older(w), id: '../'.repeat(133_334) }) },
    { name: 'an archive ../ into the sentinel', forge: (w) => ({ ...older(w), archive: '../sentinel/a.txt' }) },
    { name: 'an archive ../ beside the data', forge: (w) => ({ ...older(w), archive: '../beside.txt' }) },
    { name: 'an absolute archive', forge: (w) => ({ ...older(w), archive: path.join(w.sentinel, 'a.txt') }) },
    { name: 'an archive on a failed record', forge: (w) => ({ ...older(w), status: 'failed', sha256: '', archive: '../sentinel/a.txt' }) },
    { name: 'a parent id with ../', forge: (w) => ({ ...older(w), type: 'INCREMENTAL', parentId: '../sentinel' }) },
    { name: 'an absolute parent id', forge: (w) => ({ ...older(w), type: 'INCREMENTAL', parentId: w.sentinel }) },
    { name: 'a parent id on a full backup', forge: (w) => ({ ...older(w), parentId: w.b.id }) },
    { name: 'a legacy deleted list with ../', forge: (w) => ({ ...older(w), type: 'INCREMENTAL', parentId: w.b.id, deleted: ['../sentinel/a.txt'] }) },
    { name: 'a legacy deleted list with an absolute path', forge: (w) => ({ ...older(w), type: 'INCREMENTAL', parentId: w.b.id, deleted: [path.join(w.sentinel, 'a.txt')] }) },
    { name: 'a field nested 200,000 deep', forge: (w) => ({ ...older(w), extra: DEEP }), kept: { validate: 'invalid: archive exists', restore: 'CORRUPT_FILE', delete: 'ok' } },
    // Sound records whose chain cannot be followed: kept, and refused where the chain is needed.
    { name: 'a parent id looping to itself', forge: (w) => ({ ...older(w), type: 'INCREMENTAL', parentId: OLD }), kept: { validate: 'invalid: chain complete', restore: 'CYCLE', delete: 'INVALID' } },
    { name: 'a parent id that is missing', forge: (w) => ({ ...older(w), type: 'INCREMENTAL', parentId: 'full-20000101-000000-ffffff' }), kept: { validate: 'invalid: chain complete', restore: 'NOT_FOUND', delete: 'ok' } },
  ];
  const ops: Record<string, (m: BackupManager, id: string) => Promise<string>> = {
    validate: (m, id) => verdict(m, id),
    restore: (m, id) => outcome(m.restore(id)),
    delete: (m, id) => outcome(m.delete(id)),
    applyRetention: (m) => outcome(m.applyRetention()),
    createBackup: (m) => outcome(m.createBackup('FULL')),
  };

  for (const row of rows) {
    it(`a record with ${row.name}: init ${row.kept ? 'keeps it' : 'leaves it out and says so'}; validate, restore, delete, retention and the next backup refuse or ignore it`, async () => {
      const w = await world();
      const catalog = readJson<{ backups: Rec[] }>(catalogFile(w));
      const forged = row.forge(w);
      const text = json({ ...catalog, backups: [...catalog.backups, forged] });
      const expected = { validate: 'invalid: in catalog', restore: 'NOT_FOUND', delete: 'NOT_FOUND', ...row.kept, applyRetention: 'ok', createBackup: 'ok' };
      await outsideUnchanged(w, async () => {
        fs.writeFileSync(catalogFile(w), text);
        const m = freshManager(w, KEEP_ONE_FULL);
        const report = await m.init();
        assert.equal(report.problems.length > 0, !row.kept, `problems: ${report.problems}`);
        assert.equal(m.catalog.backups.some((b) => b.id === forged.id), !!row.kept);
        for (const [name, op] of Object.entries(ops)) {
          // Each operation meets the forged catalog afresh, as another window would have left it.
          fs.writeFileSync(catalogFile(w), text);
          assert.equal(await op(await opened(w, KEEP_ONE_FULL), forged.id as string), expected[name as keyof typeof expected], name);
        }
      });
    });
  }
});

describe('adversary: forged snapshot records and lists', () => {
  const records: [string, (w: World & { snap: string }) => Rec, boolean?][] = [
    ['a target that is the sentinel', (w) => ({ target: w.sentinel, id: SNAP }), true],
    ['a target that is the folder above the data', (w) => ({ target: w.parent, id: SNAP }), true],
    ['a relative target', () => ({ target: '../sentinel' })],
    ['a target with ..', (w) => ({ target: `${w.data}/../sentinel` })],
    ['an id with ..', () => ({ id: `snapshot-../../../sentinel/snapshots/${SNAP}` })],
    ['an absolute id', (w) => ({ id: path.join(w.sentinel, 'snapshots', SNAP) })],
    ['a restored backup id with ..', () => ({ restoredBackupId: '../sentinel' })],
    ['legacy moved list with ../', () => ({ moved: ['../sentinel/a.txt'], added: [] })],
    ['legacy added list with an absolute path', (w) => ({ moved: [], added: [path.join(w.sentinel, 'a.txt')] })],
  ];
  for (const [name, forge, kept] of records) {
    it(`a snapshot record with ${name}, past its days: undo refuses, retention and init touch nothing outside`, async () => {
      const w = await restoredWorld();
      const catalog = readJson<{ snapshots: Rec[] }>(catalogFile(w));
      const forged: Rec = { ...catalog.snapshots[0], createdAt: 0, ...forge(w) };
      const text = json({ ...catalog, snapshots: [forged] });
      await outsideUnchanged(w, async () => {
        fs.writeFileSync(catalogFile(w), text);
        const report = await freshManager(w).init();
        assert.equal(report.problems.length > 0, !kept, `problems: ${report.problems}`);
        for (const [op, run, expected] of [
          ['undo', (m: BackupManager) => m.undoRestore(forged.id as string), 'NOT_FOUND'],
          ['retention', (m: BackupManager) => m.applyRetention(), 'ok'],
          ['backup', (m: BackupManager) => m.createBackup('FULL'), 'ok'],
        ] as const) {
          fs.writeFileSync(catalogFile(w), text);
          assert.equal(await outcome(run(freshManager(w))), expected, op);
        }
      });
    });
  }

  const lists: [string, (w: World) => unknown][] = [
    ['a moved path with ../', () => ({ moved: ['../sentinel/a.txt'], added: [] })],
    ['an added path with ../', () => ({ moved: [], added: ['../sentinel/a.txt'] })],
    ['an added path with ../ in its middle', () => ({ moved: [], added: ['projects/../../sentinel/a.txt'] })],
    ['an absolute moved path', (w) => ({ moved: [path.join(w.sentinel, 'a.txt')], added: [] })],
    ['an absolute added path', (w) => ({ moved: [], added: [path.join(w.sentinel, 'sub')] })],
    ['a list that is not a list', () => ({ moved: '../sentinel', added: [] })],
    ['a list nested 200,000 deep', () => ({ moved: DEEP, added: [] })],
  ];
  for (const [name, forge] of lists) {
    it(`the lists file of a snapshot with ${name}: undo refuses (CORRUPT_FILE), retention removes only the snapshot's own files`, async () => {
      const w = await restoredWorld();
      const file = path.join(snapshotsDir(w.data), `${w.snap}.json`);
      writeJson(file, forge(w));
      await outsideUnchanged(w, async () => {
        assert.equal(await outcome(freshManager(w).undoRestore(w.snap)), 'CORRUPT_FILE');
        const catalog = readJson<{ snapshots: Rec[] }>(catalogFile(w));
        writeJson(catalogFile(w), { ...catalog, snapshots: [{ ...catalog.snapshots[0], createdAt: 0 }] });
        assert.equal(await outcome(freshManager(w).applyRetention()), 'ok');
      });
      assert.deepEqual(fs.readdirSync(snapshotsDir(w.data)), [], "the snapshot's folder and lists went, by retention");
    });
  }
});

describe('adversary: forged manifests beside the catalog', () => {
  type Manifest = { backupId: string; files: Rec[]; deleted: unknown[]; dirs: unknown[] };
  const rows: [string, (m: Manifest, w: World) => unknown][] = [
    ['an entry with ../', (m) => (m.files[0].path = '../sentinel/a.txt')],
    ['an entry with ../ in its middle', (m) => (m.files[0].path = 'projects/../../sentinel/a.txt')],
    ['an absolute entry', (m, w) => (m.files[0].path = path.join(w.sentinel, 'a.txt'))],
    ['an entry listed twice', (m) => m.files.push({ ...m.files[0] })],
    ['a deleted path with ../', (m) => (m.deleted = ['../sentinel/a.txt'])],
    ['an absolute deleted path', (m, w) => (m.deleted = [path.join(w.sentinel, 'a.txt')])],
    ['a folder ../ with a new mode', (m) => (m.dirs = [{ path: '../sentinel', mode: 0o777 }])],
    ['an absolute folder', (m, w) => (m.dirs = [{ path: w.sentinel, mode: 0o777 }])],
    ["another backup's id", (m) => (m.backupId = OLD)],
    ['the bare entry list of 0.1, with ../', (m) => [{ ...m.files[0], path: '../sentinel/a.txt' }]],
  ];
  for (const [name, forge] of rows) {
    it(`a manifest with ${name}: validate says invalid, restore and an incremental refuse (CORRUPT_FILE), delete removes only the backup's own files`, async () => {
      const w = await world();
      const m = readJson<Manifest>(manifestFile(w));
      const replaced = forge(m, w);
      writeJson(manifestFile(w), Array.isArray(replaced) ? replaced : m);
      await outsideUnchanged(w, async () => {
        assert.equal(await verdict(await opened(w), w.b.id), 'invalid: manifest in catalog');
        assert.equal(await outcome(freshManager(w).restore(w.b.id)), 'CORRUPT_FILE');
        assert.equal(await outcome(freshManager(w).createBackup('INCREMENTAL')), 'CORRUPT_FILE');
        assert.equal(await outcome(freshManager(w).delete(w.b.id)), 'ok');
      });
      assert.deepEqual(fs.readdirSync(path.join(w.backups, 'manifests')), []);
    });
  }

  it('a manifest entry with a field nested 200,000 deep: validate and restore end clearly, without a stack overflow', async () => {
    const w = await world();
    const m = readJson<Manifest>(manifestFile(w));
    m.files[0].extra = DEEP;
    writeJson(manifestFile(w), m);
    await outsideUnchanged(w, async () => {
      assert.equal(await verdict(await opened(w), w.b.id), 'valid');
      assert.equal(await outcome(freshManager(w).restore(w.b.id)), 'ok');
    });
  });
});

describe('adversary: forged restore journals', () => {
  const journal = (w: World): Rec => ({
    version: 2,
    state: 'swapping',
    id: SNAP,
    nonce: 'ab'.repeat(16),
    target: w.data,
    restoredBackupId: w.b.id,
    createdAt: 0,
    ops: [{ path: 'projects/p1/file-1.txt', fromStaging: false }],
    dirs: [],
    moved: ['projects/p1/file-1.txt'],
    added: [],
    encrypted: false,
  });
  /** Marks the data's snapshot folder `id` as a restore with `nonce` would have. */
  const mark = (w: World, id: string, nonce: string): void => write(path.join(snapshotsDir(w.data), id), '.gardener/mark', nonce);
  /**
   * By default the data holds the snapshot folder of the restore the journal names, marked with
   * its nonce, as an interrupted restore leaves it: only the journal's own checks stand between
   * a forged value and the swap.
   */
  const interrupted = (w: World, j: Rec): void => mark(w, j.id as string, j.nonce as string);
  const rows: [string, (w: World) => Rec, ((w: World, j: Rec) => void)?][] = [
    ['a target that is the sentinel', (w) => ({ ...journal(w), target: w.sentinel, ops: [{ path: 'a.txt', fromStaging: false }], moved: ['a.txt'] })],
    ['a target that is the sentinel, staging', (w) => ({ ...journal(w), target: w.sentinel, state: 'staging' })],
    ['a relative target', (w) => ({ ...journal(w), target: '../sentinel' })],
    ['a target with ..', (w) => ({ ...journal(w), target: `${w.data}/../sentinel` })],
    ['an operation with ../', (w) => ({ ...journal(w), ops: [{ path: '../sentinel/a.txt', fromStaging: false }] })],
    ['an absolute operation', (w) => ({ ...journal(w), ops: [{ path: path.join(w.sentinel, 'a.txt'), fromStaging: true }] })],
    ['a folder ../ with a new mode', (w) => ({ ...journal(w), dirs: [{ path: '../sentinel', mode: 0o777 }] })],
    ['a moved path with ../', (w) => ({ ...journal(w), moved: ['../sentinel/a.txt'] })],
    ['an absolute added path', (w) => ({ ...journal(w), added: [path.join(w.sentinel, 'a.txt')] })],
    ['an id that is not its file name', (w) => ({ ...journal(w), id: 'snapshot-20200101-000000-000000' })],
    ['a sound body, but no marked snapshot folder in its target', journal, () => undefined],
    ['a sound body, but a snapshot folder marked by another restore', journal, (w) => mark(w, SNAP, 'cd'.repeat(16))],
    ['a sound body, but its snapshot folder a link to the sentinel', journal, (w) => plantLink(snapshotsDir(w.data), SNAP, path.join(w.sentinel, 'snapshots', SNAP))],
  ];
  for (const [name, forge, setup = interrupted] of rows) {
    it(`a journal with ${name}: the next start does not act on it and says so`, async () => {
      const w = await world();
      const j = forge(w);
      const staging = (j as { state?: string }).state === 'staging';
      writeJson(journalFile(w), j);
      setup(w, j);
      await outsideUnchanged(w, async () => {
        const report = await freshManager(w).init();
        assert.deepEqual(report.recovered, []);
        // One that was staging and names a folder it never made changed nothing: only its journal goes.
        if (staging) assert.deepEqual(report.problems, []);
        else assert.equal(report.problems.length, 1, `problems: ${report.problems}`);
      });
      assert.equal(fs.existsSync(journalFile(w)), !staging, staging ? 'the journal is removed' : 'the journal is left where it is');
    });
  }

  /** A journal as 0.1 left it in the data folder, naming its folders in full. */
  const legacy = (w: World, id = SNAP): Rec => ({
    state: 'staging',
    target: w.data,
    staging: path.join(w.data, '.gardener-restore', `staging-${id}`),
    snapshotDir: path.join(snapshotsDir(w.data), id),
    snapshot: { id, createdAt: 0, restoredBackupId: w.b.id, moved: [], added: [] },
    ops: [],
  });
  const legacyRows: [string, (w: World) => Rec][] = [
    ['staging in the sentinel', (w) => ({ ...legacy(w), staging: path.join(w.sentinel, `staging-${SNAP}`) })],
    ['its snapshot folder in the sentinel', (w) => ({ ...legacy(w), state: 'swapping', snapshotDir: path.join(w.sentinel, 'snapshots', SNAP) })],
    ['a target that is the sentinel', (w) => ({ ...legacy(w), target: w.sentinel })],
    ['an operation with ../', (w) => ({ ...legacy(w), state: 'swapping', ops: [{ path: '../sentinel/a.txt', fromStaging: false }] })],
    // Its folders derived from the id as 0.1 would have: the id itself leads out.
    ['an id with ../ that leads its folders into the sentinel', (w) => legacy(w, `snapshot-/../../../../sentinel/snapshots/${SNAP}`)],
    ['an id with ../, swapping', (w) => ({ ...legacy(w, `snapshot-/../../../../sentinel/snapshots/${SNAP}`), state: 'swapping', ops: [{ path: 'projects/p1/file-1.txt', fromStaging: false }] })],
  ];
  for (const [name, forge] of legacyRows) {
    it(`a 0.1 journal in the data folder with ${name}: the next start does not act on it and says so`, async () => {
      const w = await world();
      const file = path.join(w.data, '.gardener-restore', 'journal.json');
      writeJson(file, forge(w));
      await outsideUnchanged(w, async () => {
        const report = await freshManager(w).init();
        assert.deepEqual(report.recovered, []);
        assert.equal(report.problems.length, 1, `problems: ${report.problems}`);
      });
      assert.ok(fs.existsSync(file), 'the journal is left where it is');
    });
  }
});

describe('adversary: the lock', () => {
  const rows: [string, (w: World) => void][] = [
    ['.lock-owner a link to a sentinel file', (w) => plantLink(w.backups, '.lock-owner', path.join(w.sentinel, 'a.txt'))],
    ['.lock a link to a sentinel folder', (w) => plantLink(w.backups, '.lock', path.join(w.sentinel, 'sub'))],
    ['.lock a link to a sentinel folder, .lock-owner a link to a sentinel file', (w) => (plantLink(w.backups, '.lock', path.join(w.sentinel, 'sub')), plantLink(w.backups, '.lock-owner', path.join(w.sentinel, 'a.txt')))],
    ['.lock-owner naming an impossible holder', (w) => (fs.mkdirSync(path.join(w.backups, '.lock')), writeJson(path.join(w.backups, '.lock-owner'), { pid: '../sentinel', host: os.hostname() }))],
  ];
  for (const [name, plant] of rows) {
    it(`${name}: the next backup takes the lock and works; the sentinel is unchanged`, async () => {
      const w = await world();
      plant(w);
      // Made long ago: whoever held it is gone.
      for (const f of ['.lock', '.lock-owner'].map((n) => path.join(w.backups, n))) if (fs.lstatSync(f, { throwIfNoEntry: false })) fs.lutimesSync(f, new Date(0), new Date(0));
      await outsideUnchanged(w, async () => assert.equal(await outcome(freshManager(w).createBackup('FULL')), 'ok'));
      assert.ok(!fs.existsSync(path.join(w.backups, '.lock-owner')));
      assert.ok(!fs.lstatSync(path.join(w.backups, '.lock'), { throwIfNoEntry: false }), 'the lock was released');
    });
  }
});
