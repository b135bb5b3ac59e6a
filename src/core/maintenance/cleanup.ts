import * as fs from 'node:fs';
import * as path from 'node:path';
import { FolderGuard } from '../backup/guard';
import type { Decision } from '../backup/retention';

/** A file found in our state folder, as lstat saw it. */
export interface FoundFile {
  /** Relative to the state folder, with `/`. */
  rel: string;
  size: number;
  mtimeMs: number;
  /** A symbolic link: never followed, never removed by cleanup. */
  link: boolean;
}

export interface CleanupPolicy {
  /** Temporary files older than this are left over from an interrupted write. */
  tempMaxAgeMs: number;
}

export const DEFAULT_CLEANUP_POLICY: CleanupPolicy = { tempMaxAgeMs: 86_400_000 };

// What an interrupted write leaves: write-file-atomic's `<name>.<hash>` temp files, our `.partial`
// and `.tmp` files, and state files set aside as corrupt.
const TEMPORARY = [/\.json\.[0-9a-f]{6,}$/, /\.partial$/, /\.tmp$/, /\.corrupt$/];

/**
 * Which files of our state folder cleanup removes, and why — a pure function of what was found,
 * the policy and the time. Only leftovers of interrupted writes, once old enough that no write
 * can still be under way; links are kept whatever they are called.
 */
export function cleanupPlan(files: readonly FoundFile[], policy: CleanupPolicy, now: number): Decision<FoundFile> {
  const out: Decision<FoundFile> = { keep: [], remove: [] };
  for (const f of files) {
    const temporary = TEMPORARY.some((re) => re.test(f.rel));
    if (f.link) out.keep.push({ item: f, reason: 'a link: cleanup never follows or removes one' });
    else if (!temporary) out.keep.push({ item: f, reason: 'in use' });
    else if (now - f.mtimeMs < policy.tempMaxAgeMs) out.keep.push({ item: f, reason: 'a temporary file younger than a day: a write may still be under way' });
    else out.remove.push({ item: f, reason: 'a temporary file left by an interrupted write, over a day old' });
  }
  return out;
}

/** Every file under `root`, by lstat, without entering linked folders. */
export function listStateFiles(root: string, limit = 100_000): FoundFile[] {
  const out: FoundFile[] = [];
  const visit = (rel: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(root, rel));
    } catch {
      return;
    }
    for (const name of names) {
      if (out.length >= limit) return;
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r), { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) visit(r);
      else out.push({ rel: r, size: st.size, mtimeMs: st.mtimeMs, link: st.isSymbolicLink() });
    }
  };
  visit('');
  return out;
}

export interface CleanupReport {
  removed: { rel: string; bytes: number; reason: string }[];
  bytesFreed: number;
}

/** Removes what `cleanupPlan` decides, each through the guard of the state folder. */
export function cleanStateFolder(root: string, now: number, policy: CleanupPolicy = DEFAULT_CLEANUP_POLICY): CleanupReport {
  const plan = cleanupPlan(listStateFiles(root), policy, now);
  const guard = new FolderGuard(root);
  const report: CleanupReport = { removed: [], bytesFreed: 0 };
  for (const { item, reason } of plan.remove) {
    guard.remove(item.rel);
    report.removed.push({ rel: item.rel, bytes: item.size, reason });
    report.bytesFreed += item.size;
  }
  return report;
}
