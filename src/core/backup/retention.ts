import { BACKUP_TYPES, type BackupRecord, type BackupType, type SnapshotRecord } from './types';

export interface RetentionPolicy {
  /** Completed backups kept per type, newest first. */
  keep: Record<BackupType, number>;
  /** Failed backups kept (their errors), newest first. */
  failed: number;
  /** Pre-restore snapshots are kept this many days. */
  snapshotDays: number;
}

export interface Decision<T> {
  keep: { item: T; reason: string }[];
  remove: { item: T; reason: string }[];
}

/**
 * Which backups to keep and which to remove, and why — a pure function of the records, the
 * policy and nothing else, in the manner of restic's `ApplyPolicy`. Each type keeps its newest
 * N completed backups and every backup a kept incremental needs. A backup whose chain cannot be
 * followed (a missing parent, a cycle) is kept: a damaged index never deletes anything.
 */
export function applyPolicy(records: readonly BackupRecord[], policy: RetentionPolicy): Decision<BackupRecord> {
  const byId = new Map(records.map((r) => [r.id, r]));
  const why = new Map<string, string>();
  const keep = (id: string, reason: string): void => void (why.has(id) || why.set(id, reason));
  /** The ancestors of `r`, or undefined if the chain is broken. */
  const ancestors = (r: BackupRecord): BackupRecord[] | undefined => {
    const out: BackupRecord[] = [];
    const seen = new Set([r.id]);
    for (let p = r.parentId; p !== undefined; ) {
      const parent = byId.get(p);
      if (!parent || seen.has(p)) return undefined;
      seen.add(p);
      out.push(parent);
      p = parent.parentId;
    }
    return out;
  };
  for (const type of BACKUP_TYPES) {
    const completed = records.filter((r) => r.type === type && r.status === 'completed');
    const n = policy.keep[type];
    completed.slice(-n).forEach((r, i) => keep(r.id, `one of the newest ${n} ${type.toLowerCase().replace('_', '-')} backups (#${completed.length - Math.min(n, completed.length) + i + 1} of ${completed.length})`));
  }
  for (const r of records) {
    if (r.status !== 'completed') continue;
    const up = ancestors(r);
    if (!up) keep(r.id, 'its chain is broken (a parent is missing or loops); kept until it is looked at');
    else if (why.has(r.id)) for (const a of up) keep(a.id, `${r.id}, which is kept, builds on it`);
  }
  const failed = records.filter((r) => r.status === 'failed');
  failed.slice(-policy.failed).forEach((r) => keep(r.id, `one of the newest ${policy.failed} failed backups, kept for their errors`));
  const out: Decision<BackupRecord> = { keep: [], remove: [] };
  for (const r of records) {
    const reason = why.get(r.id);
    if (reason) out.keep.push({ item: r, reason });
    else out.remove.push({ item: r, reason: r.status === 'failed' ? `older than the newest ${policy.failed} failed backups` : `older than the newest ${policy.keep[r.type]} of its type, and no kept backup needs it` });
  }
  return out;
}

/** Which pre-restore snapshots have passed their days. */
export function snapshotPolicy(snapshots: readonly SnapshotRecord[], days: number, now: number): Decision<SnapshotRecord> {
  const cutoff = now - days * 86_400_000;
  const out: Decision<SnapshotRecord> = { keep: [], remove: [] };
  for (const s of snapshots) {
    if (s.undoing) out.keep.push({ item: s, reason: 'its undo was interrupted and is not finished yet' });
    else if (s.createdAt >= cutoff) out.keep.push({ item: s, reason: `younger than ${days} days` });
    else out.remove.push({ item: s, reason: `older than ${days} days` });
  }
  return out;
}
