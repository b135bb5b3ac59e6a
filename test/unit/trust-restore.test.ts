// Trust: a Restore To… another folder that is killed at any moment leaves that folder wholly as
// it was or wholly restored once the next start has run, and what it held can always be had back.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Journals, RESTORE_DIR } from '../../src/core/backup/swapJournal';
import { fullyBackedUp, manager, snapshot, TEST_KEY, write } from './backupFixtures';
import { tempDir } from './fixtures';
import { journalFiles, runChild, tree } from './trustFixtures';

/** A folder of the user's, other than the data: some paths the backup has (other bytes, other modes), some it lacks. */
function userFolder(round: number): string {
  const target = path.join(tempDir(), 'target');
  write(target, 'projects/p1/file-1.txt', `mine, round ${round}`);
  write(target, 'settings/app.json', '{"mine":true}', 0o600);
  write(target, 'mine/keep.txt', 'only here');
  write(target, `projects/p3/extra-${round}.txt`, 'extra');
  write(target, 'projects/own.bin', randomBytes(256 * 1024));
  return target;
}

/** Wholly as it was, wholly restored, or a mix: the files (bytes and modes) outside our own folder. */
function which(target: string, old: object, restored: object): 'old' | 'new' | 'mixed' {
  const now = JSON.stringify(snapshot(target));
  return now === JSON.stringify(old) ? 'old' : now === JSON.stringify(restored) ? 'new' : 'mixed';
}

/** The journals left in the backups folder, opened with the test key: what a start will act on. */
const journals = (backupsDir: string) => new Journals(path.join(backupsDir, 'journals'), { getKey: async () => TEST_KEY }).all();

describe('trust: a Restore To… killed midway', () => {
  it('killed with SIGKILL at 30 random moments, into a folder holding other files: after the next start that folder is wholly old or wholly new, no journal is left, and Undo brings the old back', async function () {
    this.timeout(300_000);
    const { data, m, b } = await fullyBackedUp(60, { bigMB: 2 });
    const restored = snapshot(data);
    const dataBefore = tree(data);
    // Kill moments spread over how long such a restore takes in a child on this machine: one at
    // random in each twentieth of it, then ten in its swap (from the moment the child says it
    // begins to its end), which is short beside the staging.
    const timing = await runChild(['restore-to', data, m.backupsDir, b.id, userFolder(-1)]);
    assert.equal(timing.outcome, 'done');
    const window = Math.max(50, timing.ms);
    const swap = Math.max(5, timing.ms - timing.at.swapping);
    const seen = { killed: 0, old: 0, new: 0, journalStaging: 0, journalSwapping: 0, mixedBeforeStart: 0 };
    for (let i = 0; i < 30; i++) {
      const target = userFolder(i);
      const old = snapshot(target);
      const untouched = tree(target);
      const kill = i < 20 ? { after: 'ready', ms: ((i + Math.random()) / 20) * window } : { after: 'swapping', ms: ((i - 20 + Math.random()) / 10) * swap };
      if ((await runChild(['restore-to', data, m.backupsDir, b.id, target], { after: kill.after, ms: Math.floor(kill.ms) })).outcome === 'killed') seen.killed++;
      // What the kill left, for the record: which state its journal was in, and whether the folder was half swapped.
      for (const j of await journals(m.backupsDir)) {
        assert.ok(j.journal, `an unreadable journal: ${j.problem}`);
        seen[j.journal.state === 'staging' ? 'journalStaging' : 'journalSwapping']++;
      }
      if (which(target, old, restored) === 'mixed') seen.mixedBeforeStart++;

      const after = manager(data, m.backupsDir);
      const report = await after.init();
      assert.deepEqual(report.problems, [], `run ${i}`);
      const state = which(target, old, restored);
      if (state === 'mixed') assert.fail(`run ${i}: the folder is half old, half new`);
      seen[state]++;
      assert.deepEqual(journalFiles(m.backupsDir), [], `run ${i}: every journal was acted on`);
      const ours = path.join(target, RESTORE_DIR);
      assert.deepEqual(fs.existsSync(ours) ? fs.readdirSync(ours).filter((n) => n.startsWith('staging-')) : [], [], `run ${i}: no staging folder is left`);
      assert.deepEqual(tree(data), dataBefore, `run ${i}: the data directory was not touched`);
      if (state === 'old') assert.deepEqual(tree(target), untouched, `run ${i}: not a folder of ours is left in it either`);
      if (state === 'new') {
        const s = after.catalog.snapshots.find((x) => x.target === target);
        assert.ok(s, `run ${i}: the restore's snapshot is in the catalog`);
        await after.undoRestore(s.id);
        assert.deepEqual(snapshot(target), old, `run ${i}: Undo brings back what the folder held`);
      }
    }
    console.log(`      a restore takes ${window} ms, its swap ${swap} ms; ${JSON.stringify(seen)}`);
    assert.ok(seen.killed >= 5, `${seen.killed} of 30 runs were killed midway`);
    assert.ok(seen.journalSwapping >= 1, 'some run was killed while swapping');
  });

  const moments: { at: string; state: 'staging' | 'swapping'; outcome: 'old' | 'new' }[] = [
    { at: 'staging', state: 'staging', outcome: 'old' },
    { at: 'swapping', state: 'swapping', outcome: 'new' },
    { at: 'swapped', state: 'swapping', outcome: 'new' },
  ];
  for (const { at, state, outcome } of moments) {
    it(`killed at '${at}' (journal in ${state}): the next start ${outcome === 'old' ? 'drops it, the folder untouched' : 'finishes it, and Undo brings the old back'}`, async function () {
      this.timeout(60_000);
      const { data, m, b } = await fullyBackedUp(30);
      const restored = snapshot(data);
      const target = userFolder(0);
      const untouched = tree(target);
      const old = snapshot(target);
      assert.equal((await runChild(['restore-to', data, m.backupsDir, b.id, target, at])).outcome, 'killed');
      const left = await journals(m.backupsDir);
      assert.equal(left.length, 1);
      assert.equal(left[0].journal?.state, state);

      const after = manager(data, m.backupsDir);
      const report = await after.init();
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.recovered, [left[0].id]);
      assert.deepEqual(journalFiles(m.backupsDir), []);
      assert.equal(which(target, old, restored), outcome);
      if (outcome === 'old') {
        assert.deepEqual(tree(target), untouched, 'not a folder of ours is left in it either');
        assert.deepEqual(after.catalog.snapshots, []);
      } else {
        const s = after.catalog.snapshots.find((x) => x.target === target);
        assert.ok(s, "the restore's snapshot is in the catalog");
        await after.undoRestore(s.id);
        assert.deepEqual(snapshot(target), old);
      }
    });
  }
});
