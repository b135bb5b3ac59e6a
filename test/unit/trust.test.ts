// Trust: the backup engine never loses data, whatever it finds on disk. Here: a catalog that is
// lost, damaged or older than the archives, and chains that loop or build on damaged archives.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Catalog, type BackupManager, type BackupRecord } from '../../src/core/backup';
import { fullyBackedUp, keys, snapshot, TEST_KEY, write } from './backupFixtures';
import { archiveFiles, flipByte, rejectsWith, restart, threeBackups } from './trustFixtures';

/** What a record says of its archive and chain: what Validate and a restore rely on. */
const essentials = (b: BackupRecord) => ({ id: b.id, type: b.type, parentId: b.parentId, status: b.status, archive: b.archive, sizeBytes: b.sizeBytes, sha256: b.sha256, encrypted: b.encrypted });

/** Every archive present is listed, and every listed completed backup validates. */
async function catalogMatchesArchives(m: BackupManager): Promise<void> {
  const listed = m.catalog.backups.filter((b) => b.status === 'completed');
  assert.deepEqual(listed.map((b) => b.archive).sort(), archiveFiles(m.backupsDir), 'every archive is listed, and only those');
  for (const b of listed) {
    const r = await m.validate(b.id);
    assert.equal(r.valid, true, `${b.id}: ${r.firstProblem}`);
  }
}

/**
 * What is done to the catalog, and what a start must then find: whether the file is moved aside
 * and how many of the three backups (the oldest first) it still lists, when that is known. A
 * flipped byte in a plain catalog may spoil one record or the whole file, by where it falls.
 */
const damages: { name: string; apply: (file: string, afterFirst: Buffer) => void; movedAside?: boolean; stillListed?: number }[] = [
  { name: 'deleted', apply: (f) => fs.rmSync(f), movedAside: false, stillListed: 0 },
  { name: 'truncated', apply: (f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2)), movedAside: true, stillListed: 0 },
  { name: 'given one flipped byte (its middle one)', apply: (f) => flipByte(f, Math.floor(fs.statSync(f).size / 2)) },
  { name: 'replaced by the copy taken after the first of three backups', apply: (f, first) => fs.writeFileSync(f, first), movedAside: false, stillListed: 1 },
];

describe('trust: a lost, damaged or older catalog', () => {
  for (const plain of [false, true]) {
    for (const d of damages) {
      it(`${plain ? 'plain' : 'encrypted'} backups, catalog ${d.name}: no archive deleted over two starts and a backup; the rebuilt catalog lists every archive and each validates`, async function () {
        this.timeout(60_000);
        const { m, backups, afterFirst } = await threeBackups(plain);
        const before = archiveFiles(m.backupsDir);
        assert.equal(before.length, 3);
        d.apply(m.catalog.file, afterFirst);

        const first = restart(m);
        const report = await first.init();
        assert.deepEqual(archiveFiles(m.backupsDir), before, 'no archive deleted at the first start');
        assert.ok(report.problems.length > 0, 'the report says what happened');
        assert.deepEqual(report.removed, []);
        const ids = backups.map((b) => b.id);
        assert.ok(report.adopted.length > 0 && report.adopted.every((id) => ids.includes(id)), 'what the catalog lost is read back from the archives');
        if (d.stillListed !== undefined) assert.deepEqual([...report.adopted].sort(), ids.slice(d.stillListed).sort(), 'each backup the catalog lost is read back');
        const aside = fs.readdirSync(m.backupsDir).filter((n) => n.startsWith('catalog.json.damaged-'));
        if (d.movedAside !== undefined) assert.equal(aside.length, d.movedAside ? 1 : 0, 'a damaged catalog is moved aside, never deleted');
        assert.deepEqual(first.catalog.backups.map(essentials), backups.map(essentials), 'the rebuilt catalog says of each backup what the lost one did');
        await catalogMatchesArchives(first);

        const second = restart(m);
        const again = await second.init();
        assert.deepEqual(again, { removed: [], recovered: [], problems: [], adopted: [] }, 'the repair was saved: a second start finds nothing wrong');
        assert.deepEqual(archiveFiles(m.backupsDir), before, 'no archive deleted at the second start');

        const next = await second.createBackup('INCREMENTAL');
        assert.equal(next.parentId, backups[2].id, 'the next incremental builds on the newest backup read back');
        assert.deepEqual(archiveFiles(m.backupsDir), [...before, next.archive].sort(), 'a backup adds its archive and deletes none');
        await catalogMatchesArchives(second);
      });
    }
  }

  for (const plain of [false, true]) {
    it(`${plain ? 'plain' : 'sealed'} catalog, each of its bytes flipped in turn: it loads, or is moved aside, keeping only records as they were; a start then lists every backup as it was and keeps every archive`, async function () {
      this.timeout(120_000);
      const { m, backups } = await threeBackups(plain, 3);
      for (const b of backups) assert.equal((await m.validate(b.id)).valid, true);
      const good = fs.readFileSync(m.catalog.file);
      const before = archiveFiles(m.backupsDir);
      const outcomes: Record<string, number> = {};
      const tried = new Set<string>();
      const t0 = performance.now();
      for (let pos = 0; pos < good.length; pos++) {
        const where = `byte ${pos} (…${good.subarray(Math.max(0, pos - 24), pos).toString()}[${String.fromCharCode(good[pos])}]${good.subarray(pos + 1, pos + 24).toString()}…)`;
        const bad = Buffer.from(good);
        bad[pos] ^= 0xff;
        fs.writeFileSync(m.catalog.file, bad);
        // Every byte through the catalog's own load: what a start begins with.
        const c = new Catalog(m.backupsDir, keys(plain ? null : TEST_KEY), () => !plain);
        const p = await c.load().catch((err: Error) => assert.fail(`${where}: the catalog could not be loaded: ${err.message}`));
        const byId = new Map(backups.map((b) => [b.id, b]));
        for (const b of c.backups) assert.deepEqual(essentials(b), essentials(byId.get(b.id)!), `${where}: a damaged record was kept`);
        const outcome = p.movedAside ? 'moved aside' : c.backups.length < backups.length ? 'records left out' : 'unchanged';
        if (outcome === 'records left out') assert.equal(p.dropped.length, backups.length - c.backups.length, `${where}: a record went missing unreported`);
        if (outcome === 'unchanged') assert.deepEqual(c.backups, backups, `${where}: the catalog changed and loading it said nothing`);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        // A whole start for the first flip of each kind and every 32nd: it repairs what loading found.
        if (!tried.has(outcome) || pos % 32 === 0) {
          tried.add(outcome);
          fs.writeFileSync(m.catalog.file, bad);
          for (const n of fs.readdirSync(m.backupsDir)) if (n.startsWith('catalog.json.damaged-')) fs.rmSync(path.join(m.backupsDir, n));
          const next = restart(m);
          const report = await next.init().catch((err: Error) => assert.fail(`${where}: the start failed: ${err.message}`));
          assert.deepEqual(archiveFiles(m.backupsDir), before, `${where}: an archive was deleted`);
          assert.deepEqual(next.catalog.backups.map(essentials), backups.map(essentials), `${where}: the catalog does not list every backup as it was`);
          if (outcome === 'unchanged') assert.deepEqual(report.problems, []);
          else assert.ok(report.problems.length > 0, `${where}: the start did not say what it repaired`);
        }
        for (const n of fs.readdirSync(m.backupsDir)) if (n.startsWith('catalog.json.damaged-')) fs.rmSync(path.join(m.backupsDir, n));
      }
      fs.writeFileSync(m.catalog.file, good);
      const last = restart(m);
      await last.init();
      await catalogMatchesArchives(last);
      console.log(`      ${good.length} flips in ${Math.round(performance.now() - t0)} ms: ${JSON.stringify(outcomes)}`);
    });
  }
});

/** Rewrites a plain catalog's records with `change`. */
function forge(m: BackupManager, change: (backups: BackupRecord[]) => void): void {
  const c = JSON.parse(fs.readFileSync(m.catalog.file, 'utf8')) as { backups: BackupRecord[] };
  change(c.backups);
  fs.writeFileSync(m.catalog.file, JSON.stringify(c));
}

describe('trust: chains that loop or build on damage', () => {
  // Full, then two incrementals: the loop is forged in the incrementals' parents.
  const loops: { name: string; forge: (b: BackupRecord[]) => void; inLoop: (b: BackupRecord[]) => string[] }[] = [
    {
      name: 'two incrementals pointing at each other',
      forge: (b) => {
        b[1].parentId = b[2].id;
      },
      inLoop: (b) => [b[1].id, b[2].id],
    },
    {
      name: 'an incremental that is its own parent',
      forge: (b) => {
        b[1].parentId = b[1].id;
      },
      inLoop: (b) => [b[1].id],
    },
  ];
  for (const { name, forge: forged, inLoop } of loops) {
    it(`a parentId loop (${name}) is reported at once: Validate says invalid naming the loop, restore refuses with CYCLE, nothing hangs`, async () => {
      const { data, m, backups } = await threeBackups(true, 5);
      const [full, i1, i2] = backups;
      forge(m, forged);
      const looped = restart(m);
      await looped.init();
      const live = snapshot(data);
      const times: Record<string, number> = {};
      const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
        const t = performance.now();
        try {
          return await fn();
        } finally {
          times[name] = Math.round((performance.now() - t) * 10) / 10;
          // The goal is 1 s; tests never assert tighter than ten times a goal.
          assert.ok(times[name] < 10_000, `${name} took ${times[name]} ms`);
        }
      };
      for (const [label, b] of [['i1', i1], ['i2', i2]] as const) {
        const r = await timed(`validate ${label}`, () => looped.validate(b.id));
        assert.equal(r.valid, false);
        assert.ok(r.checks.some((c) => c.name === 'chain complete' && !c.ok));
        for (const member of inLoop(backups)) assert.ok(r.firstProblem?.includes(member), `names ${member} of the loop: ${r.firstProblem}`);
        await timed(`restore ${label}`, () => rejectsWith(looped.restore(b.id), 'CYCLE'));
        await timed(`restore ${label} elsewhere`, () => rejectsWith(looped.restore(b.id, { target: `${data}-elsewhere` }), 'CYCLE'));
        await timed(`plan ${label}`, () => rejectsWith(looped.planRestore(b.id), 'CYCLE'));
      }
      assert.ok(!fs.existsSync(`${data}-elsewhere`));
      assert.deepEqual(snapshot(data), live, 'nothing was restored');
      const all = await timed('validate all', () => looped.validateAll());
      assert.deepEqual(
        all.map((r) => r.valid),
        [true, false, false],
      );
      assert.equal((await looped.validate(full.id)).valid, true);
      const plan = await timed('retention', async () => looped.retentionPlan());
      assert.deepEqual(plan.remove, [], 'a looping chain deletes nothing');
      // An incremental cannot build on a looping chain; it says so rather than hang.
      await timed('incremental', () => rejectsWith(looped.createBackup('INCREMENTAL'), 'CYCLE'));
      assert.deepEqual(archiveFiles(m.backupsDir), backups.map((b) => b.archive).sort());
      // The archives say what their parents are: a rebuilt catalog has no loop.
      await timed('rebuild', () => looped.rebuildCatalog());
      for (const b of backups) assert.equal((await looped.validate(b.id)).valid, true);
      console.log(`      ms: ${JSON.stringify(times)}`);
    });
  }

  for (const plain of [false, true]) {
    it(`${plain ? 'plain' : 'encrypted'}: an incremental whose full backup's archive has one flipped byte is invalid, its first problem naming the full backup; its restore changes nothing`, async () => {
      const { data, m, b: full } = await fullyBackedUp(10, { plain });
      write(data, 'projects/p1/file-1.txt', 'changed');
      const inc = await m.createBackup('INCREMENTAL');
      const file = path.join(m.backupsDir, full.archive);
      flipByte(file, Math.floor(fs.statSync(file).size / 2));
      const r = await m.validate(inc.id);
      assert.equal(r.valid, false);
      assert.ok(r.firstProblem?.includes(full.id), `names the full backup: ${r.firstProblem}`);
      assert.equal((await m.validate(full.id)).valid, false);
      const live = snapshot(data);
      await rejectsWith(m.restore(inc.id), 'CORRUPT');
      assert.deepEqual(snapshot(data), live);
    });
  }
});
