import * as fs from 'node:fs';
import * as path from 'node:path';
import { FolderGuard, isId } from './guard';
import { ARCHIVE } from './rebuild';

/**
 * What a backup cut short leaves behind, and only that: `.partial` archives, the temporary
 * files of atomic writes, and manifests whose archive does not exist. An archive is never
 * removed here, whether the catalog lists it or not.
 */
export function removeLeftovers(backupsDir: string): string[] {
  const folder = new FolderGuard(backupsDir);
  const removed: string[] = [];
  const tempWrite = /^[^/]+\.json\.[0-9a-f]+$/;
  const names = fs.readdirSync(backupsDir);
  const archives = new Set(names.map((n) => ARCHIVE.exec(n)?.[1]).filter((x): x is string => !!x));
  const remove = (rel: string): void => {
    folder.remove(rel);
    removed.push(rel);
  };
  for (const f of names) {
    if ((f.endsWith('.partial') && isId(f.slice(0, -'.partial'.length))) || tempWrite.test(f)) remove(f);
  }
  for (const sub of ['manifests', 'journals']) {
    const dir = path.join(backupsDir, sub);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const id = f.slice(0, -'.json'.length);
      if (tempWrite.test(f) || (sub === 'manifests' && f.endsWith('.json') && isId(id) && !archives.has(id))) remove(`${sub}/${f}`);
    }
  }
  return removed;
}
