import { walkSources } from './backup/sources';
import type { Source } from './backup/types';

/** What a backup of these sources would hold now, found by the walk the engine makes. */
export interface Measure {
  files: number;
  bytes: number;
  /** Files the walk leaves out and lists (too large, links, special files, unreadable names). */
  leftOut: number;
  /** Archive paths (`<source>/<path>`), when asked for: a Configuration backup's are few. */
  paths?: string[];
}

/**
 * Walks the sources as a backup does (their globs, `.gitignore`, the size limit), without
 * reading a file: sizes come from the walk's stat. Cancelled through `signal`.
 */
export async function measureSources(sources: readonly Source[], signal?: AbortSignal, withPaths = false): Promise<Measure> {
  const report = { dirs: [], skipped: [] };
  const files = await walkSources(sources, signal, report);
  let bytes = 0;
  for (const f of files) bytes += f.size;
  return { files: files.length, bytes, leftOut: report.skipped.length, ...(withPaths ? { paths: files.map((f) => f.path) } : {}) };
}

/** A size for people, rounded as an estimate: "about" goes before it. 950 B, 80 KB, 4.2 MB, 240 MB. */
export function roughBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} B`;
  return `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)} ${units[u]}`;
}

/** "1 file", "1,234 files". */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
