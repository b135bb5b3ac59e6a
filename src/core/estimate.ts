import { walkSources } from './backup/sources';
import type { Source } from './backup/types';
import { MACHINE_SOURCE, USER_SOURCE, WORKSPACE_FILE_SOURCE, WORKSPACE_PREFIX } from './configuration/sources';

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

/**
 * The parts of VS Code's configuration a Configuration backup's paths hold, in words:
 * "settings, keybindings, snippets, .vscode and 41 extensions".
 */
export function configurationParts(paths: readonly string[], extensions: number): string {
  const has = (re: RegExp): boolean => paths.some((p) => re.test(p));
  const profile = `^(?:${USER_SOURCE}|${MACHINE_SOURCE})/(?:profiles/[^/]+/)?`;
  const parts = [
    has(new RegExp(`${profile}settings\\.json$`)) && 'settings',
    has(new RegExp(`${profile}keybindings\\.json$`)) && 'keybindings',
    has(new RegExp(`${profile}tasks\\.json$`)) && 'tasks',
    has(new RegExp(`${profile}snippets/`)) && 'snippets',
    paths.some((p) => p.startsWith(WORKSPACE_PREFIX) && !p.startsWith(`${WORKSPACE_FILE_SOURCE}/`) && p.includes('/.vscode/')) && '.vscode',
    paths.some((p) => p.startsWith(`${WORKSPACE_FILE_SOURCE}/`)) && 'the workspace file',
    extensions > 0 && countOf(extensions, 'extension'),
  ].filter((p): p is string => !!p);
  return parts.length < 2 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}
