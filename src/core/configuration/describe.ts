import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXTENSIONS_SOURCE, MACHINE_SOURCE, USER_SOURCE, WORKSPACE_FILE_SOURCE, WORKSPACE_PREFIX } from './sources';

/** A restore plan's lists of archive paths (`<source name>/<path>`), as the engine gives them. */
export interface PlanLists {
  added: readonly string[];
  overwritten: readonly string[];
  deleted: readonly string[];
}

export interface DescribeOptions {
  /** What each source is to people ("folder api"), from `findConfiguration`. */
  labels?: Record<string, string>;
  /** Profile names by their folder's id (`profiles/<id>/`), from `readProfileNames`. */
  profiles?: Record<string, string>;
}

/** How many items a group names before it says "and N more". */
const SHOWN = 3;
/** The files of a profile, in the order people think of them. */
const ORDER = ['settings.json', 'keybindings.json', 'tasks.json', 'extensions.json'];

interface Group {
  /** Where it goes in the sentence: before the items ("User …") or after ("… in folder api"). */
  prefix?: string;
  suffix?: string;
  files: string[];
  snippets: number;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function groupText(g: Group): string {
  const files = [...g.files].sort((a, b) => {
    const ia = ORDER.indexOf(a);
    const ib = ORDER.indexOf(b);
    if (ia !== ib) return (ia < 0 ? ORDER.length : ia) - (ib < 0 ? ORDER.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const items = files.slice(0, SHOWN);
  const more = files.length - items.length;
  if (g.snippets) items.push(plural(g.snippets, 'snippet'));
  if (more) items.push(`${more} more`);
  const list = items.length > 1 ? `${items.slice(0, -1).join(', ')}${items.at(-1)?.endsWith(' more') ? ' and ' : ', '}${items.at(-1)}` : (items[0] ?? '');
  return [g.prefix, list, g.suffix].filter(Boolean).join(' ');
}

/**
 * The archive paths of a Configuration backup in words, grouped by where they go:
 * "User settings.json, keybindings.json, 2 snippets; .vscode/launch.json in folder api".
 * Empty when there are none.
 */
export function describeConfigurationPaths(paths: readonly string[], o: DescribeOptions = {}): string {
  const labels = o.labels ?? {};
  const groups = new Map<string, Group>();
  const group = (key: string, make: () => Omit<Group, 'files' | 'snippets'>): Group => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ...make(), files: [], snippets: 0 }));
    return g;
  };
  // A profile's or the default profile's file: snippets are counted, the rest named.
  const profileFile = (g: Group, rest: string): void => {
    if (rest.startsWith('snippets/')) g.snippets++;
    else g.files.push(rest);
  };
  let extensions = false;
  const others: string[] = [];
  for (const p of paths) {
    const slash = p.indexOf('/');
    const name = slash > 0 ? p.slice(0, slash) : '';
    const rest = p.slice(slash + 1);
    if (name === USER_SOURCE) {
      const profile = /^profiles\/([^/]+)\/(.+)$/.exec(rest);
      if (profile) {
        const [, id, file] = profile;
        profileFile(group(`1 profile ${id}`, () => ({ suffix: `in profile ${o.profiles?.[id] ?? id}` })), file);
      } else profileFile(group('0 user', () => ({ prefix: labels[USER_SOURCE] ?? 'User' })), rest);
    } else if (name === MACHINE_SOURCE) {
      group('2 machine', () => ({ prefix: labels[MACHINE_SOURCE] ?? 'Remote' })).files.push(rest);
    } else if (name.startsWith(WORKSPACE_PREFIX) && name !== WORKSPACE_FILE_SOURCE) {
      group(`3 ${name}`, () => ({ suffix: `in ${labels[name] ?? `folder ${name.slice(WORKSPACE_PREFIX.length)}`}` })).files.push(rest);
    } else if (name === WORKSPACE_FILE_SOURCE) {
      group('4 workspace file', () => ({ prefix: 'workspace file' })).files.push(rest);
    } else if (name === EXTENSIONS_SOURCE) {
      extensions = true;
    } else others.push(p);
  }
  const parts = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => groupText(g));
  if (extensions) parts.push(labels[EXTENSIONS_SOURCE] ?? 'the list of extensions');
  if (others.length) parts.push(plural(others.length, 'other file'));
  return parts.join('; ');
}

/**
 * What a restore of a Configuration backup will write and delete, for its confirmation.
 * `restores` covers the files added and overwritten (an overwritten file may be unchanged: the
 * plan does not compare contents), `deletes` the files the backup did not hold.
 */
export function describeConfigurationRestore(plan: PlanLists, o: DescribeOptions = {}): { restores: string; deletes: string } {
  return { restores: describeConfigurationPaths([...plan.added, ...plan.overwritten], o), deletes: describeConfigurationPaths(plan.deleted, o) };
}

/**
 * Profile names by id, as VS Code keeps them in `<User>/globalStorage/storage.json`
 * (`userDataProfiles`: each a name and the profile folder's location). Read only to name
 * profiles in messages; anything unreadable gives no names, never an error.
 */
export function readProfileNames(userFolder: string | undefined): Record<string, string> {
  const names: Record<string, string> = {};
  if (!userFolder) return names;
  try {
    const state = JSON.parse(fs.readFileSync(path.join(userFolder, 'globalStorage', 'storage.json'), 'utf8')) as { userDataProfiles?: unknown };
    if (!Array.isArray(state.userDataProfiles)) return names;
    for (const p of state.userDataProfiles as { name?: unknown; location?: unknown }[]) {
      const loc = typeof p?.location === 'string' ? p.location : (p?.location as { path?: unknown } | undefined)?.path;
      if (typeof p?.name !== 'string' || typeof loc !== 'string') continue;
      const id = loc.replace(/[/\\]+$/, '').split(/[/\\]/).pop();
      if (id) names[id] = p.name;
    }
  } catch {
    // No names: profiles are shown by their ids.
  }
  return names;
}
