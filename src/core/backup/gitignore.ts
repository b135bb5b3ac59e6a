import * as fs from 'node:fs';
import * as path from 'node:path';
import { repositoryOf, trackedFiles, type TrackedFiles } from './gitIndex';
import type { Selection } from './walk';

type Ignore = { add(rules: string | Ignore): Ignore; test(p: string): { ignored: boolean; unignored: boolean } };
let lib: ((o: { ignorecase: boolean }) => Ignore) | undefined;
/** Loaded on first use: activation must not pay for it. Case matters where the file system's does, as in git. */
function ignore(): Ignore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lib ??= require('ignore') as (o: { ignorecase: boolean }) => Ignore;
  return lib({ ignorecase: process.platform === 'darwin' || process.platform === 'win32' });
}

/**
 * Parsed `.gitignore` files by absolute path, kept between walks while the file's size, time
 * and inode stay the same: a workspace's incrementals re-read none of them. (As for the backup
 * itself, an edit that keeps size and time is the one change not seen.)
 */
const parsed = new Map<string, { stamp: string; rules: Ignore | null }>();

function readRules(file: string): Ignore | null {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    st = undefined;
  }
  if (!st) {
    parsed.delete(file);
    return null;
  }
  const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const known = parsed.get(file);
  if (known?.stamp === stamp) return known.rules;
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  const rules = text ? ignore().add(text) : null;
  parsed.set(file, { stamp, rules });
  return rules;
}

/**
 * An `ignore` instance answers each path once and keeps the answer for good: kept between
 * walks, it held every path of the workspace (on 100,000 files, ~15 MB for the life of the
 * extension host). The parsed file above is only copied from (`add` takes an instance, without
 * parsing again); a walk tests against copies it drops, a new one every this many tests.
 */
const TESTS_PER_COPY = 5000;

class WalkRules {
  private copy: Ignore | undefined;
  private tests = 0;

  constructor(private readonly parsed: Ignore) {}

  test(p: string): { ignored: boolean; unignored: boolean } {
    if (!this.copy || ++this.tests > TESTS_PER_COPY) {
      this.copy = ignore().add(this.parsed);
      this.tests = 0;
    }
    return this.copy.test(p);
  }
}

/** The `.gitignore` files that apply below a folder, outermost first, each with the folder it sits in (`''` or `dir/`). */
type Chain = readonly { base: string; rules: WalkRules }[];

/**
 * `base` narrowed by the `.gitignore` files under `root`, read as git reads them: each file's
 * rules apply below its own folder, a deeper file's rules (negations too) over a shallower
 * one's, and an ignored folder is not entered. Paths `keep` accepts stay in whatever the rules
 * say: the repository itself and local files git ignores that nobody can regenerate (`.env`).
 * As in git, the rules leave out untracked files only: a file the repository tracks stays (its
 * index is read, once per walk, only when a rule first matches). A walk says what each folder's listing holds (`listed`), so a `.gitignore` is read only where
 * one is listed (folders it never listed, as a restore asks about, are looked at directly), and
 * each path is tested only against the files that apply to it. Measured on a workspace of
 * 3,224 files in 708 folders, this took the matcher from about as long as the walk's own stats
 * to a few milliseconds.
 */
export function withGitignore(root: string, base: Selection, keep: (rel: string) => boolean): Selection {
  /** Whether a folder's listing held a `.gitignore`, for the folders the walk has read. */
  const listedHas = new Map<string, boolean>();
  const chains = new Map<string, Chain>();
  const chainOf = (dir: string): Chain => {
    let c = chains.get(dir);
    if (c) return c;
    const cut = dir.lastIndexOf('/');
    const outer = dir ? chainOf(cut < 0 ? '' : dir.slice(0, cut)) : [];
    const has = listedHas.get(dir);
    const rules = has === false ? null : readRules(path.join(root, ...(dir ? dir.split('/') : []), '.gitignore'));
    c = rules ? [...outer, { base: dir ? `${dir}/` : '', rules: new WalkRules(rules) }] : outer;
    chains.set(dir, c);
    return c;
  };
  const ignored = (rel: string, isDir: boolean): boolean => {
    const cut = rel.lastIndexOf('/');
    let verdict = false;
    for (const { base: at, rules } of chainOf(cut < 0 ? '' : rel.slice(0, cut))) {
      const t = rules.test(rel.slice(at.length) + (isDir ? '/' : ''));
      if (t.ignored) verdict = true;
      else if (t.unignored) verdict = false;
    }
    return verdict;
  };
  const tracked = trackedIn(root);
  return {
    keep: (rel) => base.keep(rel) && (keep(rel) || !ignored(rel, false) || tracked.file(rel)),
    prunes: (dir) => base.prunes(dir) || (!keep(`${dir}/`) && !keep(dir) && ignored(dir, true) && !tracked.folder(dir)),
    listed: (relDir, names) => {
      // A folder's chain is made once; a listing after it was made (never, in a walk) changes nothing.
      if (!chains.has(relDir)) listedHas.set(relDir, names.some((e) => e.name === '.gitignore'));
      if (relDir && names.some((e) => e.name === '.git')) tracked.nested(relDir);
    },
  };
}

/**
 * Which paths under `root` a git repository tracks: the one `root` is in (its top may be above
 * `root`) and those a walk finds below it (a folder whose listing holds `.git`), each asked
 * about the paths under it. Each index is read the first time a path under it is asked about.
 */
function trackedIn(root: string): { file(rel: string): boolean; folder(rel: string): boolean; nested(relDir: string): void } {
  type Repo = { at: string; prefix: string; gitDir: string; files?: TrackedFiles | null };
  const nested = new Map<string, Repo>();
  let outer: Repo | null | undefined;
  const repoOf = (rel: string): Repo | null => {
    if (nested.size) {
      for (let cut = rel.lastIndexOf('/'); cut > 0; cut = rel.lastIndexOf('/', cut - 1)) {
        const r = nested.get(rel.slice(0, cut));
        if (r) return r;
      }
    }
    if (outer === undefined) {
      const found = repositoryOf(root);
      const prefix = found ? path.relative(found.top, root).split(path.sep).join('/') : '';
      outer = found ? { at: '', prefix: prefix ? `${prefix}/` : '', gitDir: found.gitDir } : null;
    }
    return outer;
  };
  const inRepo = (rel: string): { files: TrackedFiles; path: string } | undefined => {
    const repo = repoOf(rel);
    if (!repo) return undefined;
    if (repo.files === undefined) repo.files = trackedFiles(repo.gitDir) ?? null;
    return repo.files ? { files: repo.files, path: repo.prefix + (repo.at ? rel.slice(repo.at.length + 1) : rel) } : undefined;
  };
  return {
    file: (rel) => {
      const r = inRepo(rel);
      return !!r && r.files.has(r.path);
    },
    // A submodule is tracked as the folder's own path.
    folder: (rel) => {
      const r = inRepo(rel);
      return !!r && (r.files.under(r.path) || r.files.has(r.path));
    },
    nested: (relDir) => {
      const found = repositoryOf(path.join(root, ...relDir.split('/')));
      if (found && path.resolve(found.top) === path.resolve(root, ...relDir.split('/'))) nested.set(relDir, { at: relDir, prefix: '', gitDir: found.gitDir });
    },
  };
}
