import type { BackupRecord } from '../backup/types';

/** A backup to validate, and why it was picked. */
export interface Pick {
  id: string;
  reason: string;
}

/**
 * Which backups this Backup Maintenance run validates — a pure function: the newest completed
 * backup of each type, and then the share `share` of the other completed ones, those validated
 * longest ago (or never) first. At a share of 1/4 and a weekly run, every kept backup is
 * validated within a month.
 */
export function validationPicks(records: readonly BackupRecord[], validatedAt: Readonly<Record<string, number>>, share: number): Pick[] {
  const completed = records.filter((r) => r.status === 'completed');
  const picks: Pick[] = [];
  const newest = new Set<string>();
  for (const type of ['FULL', 'INCREMENTAL', 'CONFIGURATION', 'USER_DATA'] as const) {
    const last = completed.filter((r) => r.type === type).at(-1);
    if (last) {
      newest.add(last.id);
      picks.push({ id: last.id, reason: `the newest ${type.toLowerCase().replace('_', '-')} backup` });
    }
  }
  const older = completed.filter((r) => !newest.has(r.id)).sort((a, b) => (validatedAt[a.id] ?? -1) - (validatedAt[b.id] ?? -1) || a.createdAt - b.createdAt);
  const n = Math.min(older.length, Math.ceil(older.length * Math.max(0, Math.min(1, share))));
  for (const r of older.slice(0, n)) {
    const at = validatedAt[r.id];
    picks.push({ id: r.id, reason: at === undefined ? 'never validated yet' : `last validated ${new Date(at).toISOString().slice(0, 10)}, longest ago` });
  }
  return picks;
}

/**
 * Whether the incremental chain must end with a new full backup: the newest full is older than
 * the full schedule's period (so weekly fulls lapsed, or are turned off) and incrementals build
 * on it. A new full lets retention prune the old chain; without one, every incremental of it is
 * kept, since each needs all before it.
 */
export function chainNeedsNewFull(records: readonly BackupRecord[], periodMs: number, now: number): string | undefined {
  const completed = records.filter((r) => r.status === 'completed');
  const full = completed.filter((r) => r.type === 'FULL').at(-1);
  if (!full) return completed.some((r) => r.type === 'INCREMENTAL') ? 'incrementals exist without a full backup' : undefined;
  const onIt = completed.filter((r) => r.type === 'INCREMENTAL' && r.createdAt > full.createdAt).length;
  if (!onIt || now - full.createdAt <= periodMs) return undefined;
  const days = Math.floor((now - full.createdAt) / 86_400_000);
  return `the newest full backup is ${days} days old and ${onIt} incremental${onIt === 1 ? '' : 's'} build on it`;
}
