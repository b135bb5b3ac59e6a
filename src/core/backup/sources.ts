import * as fs from 'node:fs';
import { pathInside, safeEntryPath } from './guard';
import { RESTORE_DIR } from './swapJournal';
import { BackupError, type Source } from './types';
import { withGitignore } from './gitignore';
import { select, walk, walkBatches, type FileInfo, type Selection, type WalkReport } from './walk';
import { keptDespiteGitignore } from './workspaceSources';

/**
 * The folders a backup reads. Each source's files are archived under its name (`<name>/<path>`),
 * so several roots (a multi-root workspace, the User folder and each `.vscode/`) never clash
 * and each is restored to its own root; a single source named '' keeps paths as 0.1 wrote them.
 */

/** A source name: one plain path segment. */
export function isSourceName(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 120 && !v.includes('/') && safeEntryPath(v);
}

/** What of a source a backup takes, and a restore may replace: its globs, never our restore folder. */
export function scopeOf(source: Source | undefined): Selection {
  let sel = select(source?.include.length ? source.include : ['**'], [`${RESTORE_DIR}/**`, ...(source?.exclude ?? [])]);
  if (source?.keep?.length) {
    const base = sel;
    const kept = select(source.keep, [`${RESTORE_DIR}/**`]);
    sel = { keep: (rel) => kept.keep(rel) || base.keep(rel), prunes: (dir) => base.prunes(dir) && !kept.keep(`${dir}/\u0000probe`) };
  }
  return source?.gitignore ? withGitignore(source.root, sel, keptDespiteGitignore) : sel;
}

/**
 * The backups folder may be neither a source nor inside one that would take it: backups would
 * hold earlier backups, and a restore would move them aside. Inside a source whose globs leave
 * it out (the User folder's globalStorage, a workspace that excludes it) it is neither.
 */
export function checkSources(sources: readonly Source[], backupsDir: string): void {
  for (const s of sources) {
    const rel = pathInside(backupsDir, s.root);
    if (rel !== undefined && (rel === '' || !scopeOf(s).prunes(rel))) {
      throw new BackupError(
        `The backups folder ${backupsDir} is inside ${s.root}, which it backs up: backups would contain earlier backups, and a restore would move them aside. Choose a backups folder outside it (codebaseGardener.backups.folder).`,
        'INVALID',
      );
    }
  }
}

/** Whether a file is within the source's size limit; one that is not is listed as left out. */
export function fits(s: Source, f: FileInfo, report: WalkReport): boolean {
  if (s.maxFileBytes === undefined || f.size <= s.maxFileBytes || keptWhole(s, f.path)) return true;
  report.skipped.push({ path: f.path, reason: 'too-large', detail: `${Math.round(f.size / 1048576)} MB, over the ${Math.round(s.maxFileBytes / 1048576)} MB limit` });
  return false;
}

const keptSelections = new WeakMap<Source, Selection>();
/** Whether the source's `keep` globs hold this path: the size limit does not apply to it. */
export function keptWhole(s: Source, rel: string): boolean {
  if (!s.keep?.length) return false;
  let k = keptSelections.get(s);
  if (!k) keptSelections.set(s, (k = select(s.keep, [])));
  return k.keep(rel);
}

/**
 * A folder's identity on disk, `<device>:<inode>:<birth time ms>` (decimal; birth time 0 where
 * the file system keeps none): a rename or a move on the same disk keeps it, as the workspace
 * identity's rule has it. Undefined when the folder cannot be read.
 */
export function rootId(dir: string): string | undefined {
  try {
    const st = fs.statSync(dir, { bigint: true });
    return `${st.dev}:${st.ino}:${st.birthtimeMs}`;
  } catch {
    return undefined;
  }
}

export const ROOT_ID = /^[0-9]{1,20}:[0-9]{1,20}:[0-9]{1,20}$/;

/** The same folder: device and inode, and birth time where both sides know it (a freed inode may be reused). */
export function sameRoot(a: string, b: string): boolean {
  const [da, ia, ba] = a.split(':');
  const [db, ib, bb] = b.split(':');
  return da === db && ia === ib && (ba === '0' || bb === '0' || ba === bb);
}

const named = (name: string, f: FileInfo): FileInfo => (name ? { ...f, path: `${name}/${f.path}` } : f);

function nameReport(name: string, from: WalkReport, into: WalkReport): void {
  for (const d of from.dirs) into.dirs.push(name ? { ...d, path: `${name}/${d.path}` } : d);
  for (const s of from.skipped) into.skipped.push(name ? { ...s, path: `${name}/${s.path}` } : s);
}

/** Every file the sources hold, with archive paths, sorted; folders and what was left out go to `report`. */
export async function walkSources(sources: readonly Source[], signal: AbortSignal | undefined, report: WalkReport): Promise<FileInfo[]> {
  const out: FileInfo[] = [];
  for (const s of sources) {
    const own: WalkReport = { dirs: [], skipped: [] };
    for (const f of await walk(s.root, scopeOf(s), signal, own)) if (fits(s, f, own)) out.push(named(s.name, f));
    nameReport(s.name, own, report);
  }
  return sources.length < 2 ? out : out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The same files in batches as they are found, for an incremental that writes while it walks. */
export async function* walkSourcesBatches(sources: readonly Source[], signal: AbortSignal | undefined, report: WalkReport): AsyncGenerator<FileInfo[]> {
  for (const s of sources) {
    const own: WalkReport = { dirs: [], skipped: [] };
    for await (const batch of walkBatches(s.root, scopeOf(s), signal, own)) {
      const kept = s.maxFileBytes === undefined ? batch : batch.filter((f) => fits(s, f, own));
      yield s.name ? kept.map((f) => named(s.name, f)) : kept;
    }
    nameReport(s.name, own, report);
  }
}
