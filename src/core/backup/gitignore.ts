import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Selection } from './walk';

type Ignore = { add(rules: string): Ignore; test(p: string): { ignored: boolean; unignored: boolean } };
let lib: ((o: { ignorecase: boolean }) => Ignore) | undefined;
/** Loaded on first use: activation must not pay for it. Case matters where the file system's does, as in git. */
function ignore(): Ignore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lib ??= require('ignore') as (o: { ignorecase: boolean }) => Ignore;
  return lib({ ignorecase: process.platform === 'darwin' || process.platform === 'win32' });
}

/**
 * `base` narrowed by the `.gitignore` files under `root`, read as git reads them: each file's
 * rules apply below its own folder, a deeper file's rules (negations too) over a shallower
 * one's, and an ignored folder is not entered. Paths `keep` accepts stay in whatever the rules
 * say: the repository itself and local files git ignores that nobody can regenerate (`.env`).
 * Each folder's `.gitignore` is read once, when the walk first asks about something in it.
 */
export function withGitignore(root: string, base: Selection, keep: (rel: string) => boolean): Selection {
  const rules = new Map<string, Ignore | null>();
  const rulesIn = (dir: string): Ignore | null => {
    let r = rules.get(dir);
    if (r !== undefined) return r;
    let text: string | undefined;
    try {
      text = fs.readFileSync(path.join(root, ...(dir ? dir.split('/') : []), '.gitignore'), 'utf8');
    } catch {
      text = undefined;
    }
    r = text ? ignore().add(text) : null;
    rules.set(dir, r);
    return r;
  };
  const ignored = (rel: string, isDir: boolean): boolean => {
    const parts = rel.split('/');
    let verdict = false;
    for (let i = 0; i < parts.length; i++) {
      const r = rulesIn(parts.slice(0, i).join('/'));
      if (!r) continue;
      const t = r.test(parts.slice(i).join('/') + (isDir ? '/' : ''));
      if (t.ignored) verdict = true;
      else if (t.unignored) verdict = false;
    }
    return verdict;
  };
  return {
    keep: (rel) => base.keep(rel) && (keep(rel) || !ignored(rel, false)),
    prunes: (dir) => base.prunes(dir) || (!keep(`${dir}/`) && !keep(dir) && ignored(dir, true)),
  };
}
