import * as assert from 'node:assert/strict';
import { applyPolicy, type RetentionPolicy } from '../../src/core/backup/retention';
import type { BackupRecord, BackupType } from '../../src/core/backup';
import { chainNeedsNewFull, validationPicks } from '../../src/core/maintenance';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);

/** A record: `f3` a full, `i7` an incremental, `c1` configuration, `u1` user data; `!` failed. */
function rec(spec: string, day: number, parent?: string): BackupRecord {
  const failed = spec.endsWith('!');
  const id = failed ? spec.slice(0, -1) : spec;
  const type: BackupType = ({ f: 'FULL', i: 'INCREMENTAL', c: 'CONFIGURATION', u: 'USER_DATA' } as const)[id[0] as 'f' | 'i' | 'c' | 'u'];
  return {
    id,
    type,
    ...(parent ? { parentId: parent } : {}),
    createdAt: T0 + day * DAY,
    status: failed ? 'failed' : 'completed',
    archive: `${id}.tar.gz`,
    sizeBytes: 1,
    fileCount: 1,
    treeFileCount: 1,
    sha256: '0'.repeat(64),
    encrypted: true,
    durationMs: 1,
  };
}

/** A full on `day` and `n` incrementals after it, each on the one before, one every 6 hours. */
function chain(full: string, day: number, n: number, prefix: string): BackupRecord[] {
  const out = [rec(full, day)];
  for (let k = 1; k <= n; k++) out.push({ ...rec(`${prefix}${k}`, day + k / 4, out[k - 1].id) });
  return out;
}

const policy = (keep: Partial<Record<BackupType, number>>, failed = 10): RetentionPolicy => ({
  keep: { FULL: 7, INCREMENTAL: 30, CONFIGURATION: 10, USER_DATA: 14, ...keep },
  failed,
  snapshotDays: 7,
});

describe('retention: the pure policy', () => {
  const table: { name: string; records: BackupRecord[]; policy: RetentionPolicy; removed: string[] }[] = [
    { name: 'nothing to remove under the limits', records: [rec('f1', 0), rec('c1', 0), rec('c2', 1)], policy: policy({}), removed: [] },
    { name: 'the newest N of a type', records: [rec('c1', 0), rec('c2', 1), rec('c3', 2)], policy: policy({ CONFIGURATION: 2 }), removed: ['c1'] },
    { name: 'types are counted apart', records: [rec('c1', 0), rec('u1', 1), rec('c2', 2)], policy: policy({ CONFIGURATION: 1, USER_DATA: 1 }), removed: ['c1'] },
    { name: 'failed backups beyond their own limit', records: [rec('c1!', 0), rec('c2!', 1), rec('c3', 2)], policy: policy({}, 1), removed: ['c1'] },
    { name: 'a kept incremental keeps its whole chain', records: chain('f1', 0, 3, 'i'), policy: policy({ FULL: 1, INCREMENTAL: 1 }), removed: [] },
    {
      name: 'a broken chain is kept, whatever its age',
      records: [rec('f1', 0), rec('f2', 1), { ...rec('i1', 2, 'fgone') }, rec('i2', 3, 'f2')],
      policy: policy({ FULL: 1, INCREMENTAL: 1 }),
      removed: ['f1'],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const d = applyPolicy(row.records, row.policy);
      assert.deepEqual(d.remove.map((r) => r.item.id).sort(), row.removed.sort());
      assert.equal(d.keep.length + d.remove.length, row.records.length);
      for (const x of [...d.keep, ...d.remove]) assert.ok(x.reason.length > 10, `a reason for ${x.item.id}`);
    });
  }

  it('a chain of 40 incrementals is kept whole until a weekly full lets retention prune it, never leaving a kept incremental without its base', () => {
    const old = chain('f1', 0, 40, 'ia');
    const p = policy({ FULL: 2, INCREMENTAL: 30 });
    // One chain: the newest 30 incrementals need every one before them, and the full.
    assert.deepEqual(applyPolicy(old, p).remove, []);
    // The weekly full begins a new chain; once 30 incrementals build on it, the old chain goes.
    const next = chain('f2', 10, 30, 'ib');
    next[1] = { ...next[1], parentId: 'f2' };
    const d = applyPolicy([...old, ...next], p);
    const removed = new Set(d.remove.map((r) => r.item.id));
    assert.equal(removed.size, 40, 'the 40 old incrementals');
    assert.ok(!removed.has('f1'), 'the old full stays: FULL keeps 2');
    const kept = new Map(d.keep.map((k) => [k.item.id, k.item]));
    for (const k of kept.values()) {
      for (let p2 = k.parentId; p2; p2 = kept.get(p2)?.parentId) assert.ok(kept.has(p2), `${k.id}'s base ${p2} is kept`);
    }
    assert.match(d.remove.find((r) => r.item.id === 'ia40')!.reason, /no kept backup needs it/);
  });
});

describe('backup maintenance: pure decisions', () => {
  it('validates the newest of each type and then the share validated longest ago', () => {
    const records = [rec('f1', 0), rec('c1', 0), rec('c2', 1), rec('c3', 2), rec('c4', 3), rec('f2', 4), rec('c5!', 5)];
    const picks = validationPicks(records, { c1: T0 + 9 * DAY, c2: T0 + 8 * DAY }, 0.5);
    assert.deepEqual(
      picks.map((p) => p.id),
      ['f2', 'c4', 'f1', 'c3'],
    );
    assert.match(picks[2].reason, /never validated/);
    // Four weekly runs at a quarter each reach every kept backup.
    const validated: Record<string, number> = {};
    for (let week = 0; week < 4; week++) for (const p of validationPicks(records, validated, 0.25)) validated[p.id] = T0 + week * 7 * DAY + 1;
    assert.deepEqual(Object.keys(validated).sort(), ['c1', 'c2', 'c3', 'c4', 'f1', 'f2']);
  });

  it('ends an incremental chain with a new full once the newest full is older than the full schedule', () => {
    const records = chain('f1', 0, 5, 'i');
    assert.equal(chainNeedsNewFull(records, 7 * DAY, T0 + 6 * DAY), undefined);
    assert.match(chainNeedsNewFull(records, 7 * DAY, T0 + 8 * DAY) ?? '', /8 days old and 5 incrementals/);
    assert.equal(chainNeedsNewFull([rec('f1', 0)], 7 * DAY, T0 + 30 * DAY), undefined, 'no chain, no need');
  });
});
