import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Source } from '../backup/types';
import { select, walk } from '../backup/walk';

/*
 * What a Configuration backup reads: VS Code's own configuration, found from what VS Code tells
 * the extension (never from guessed OS paths). Each part is a backup Source, archived under a
 * name of its own and restored to where that name points now.
 */

/** The User folder: settings, keybindings, tasks, snippets and profiles. */
export const USER_SOURCE = 'user';
/** A remote machine's own settings (`<server data>/Machine/settings.json`), beside its User folder. */
export const MACHINE_SOURCE = 'machine';
/** The multi-root `.code-workspace` file. */
export const WORKSPACE_FILE_SOURCE = 'workspace-file';
/** Our list of installed extensions, written before each Configuration backup. */
export const EXTENSIONS_SOURCE = 'extensions';
/** Each workspace folder's `.vscode/` folder: `workspace-<folder name>`. */
export const WORKSPACE_PREFIX = 'workspace-';
const RESERVED = [USER_SOURCE, MACHINE_SOURCE, WORKSPACE_FILE_SOURCE, EXTENSIONS_SOURCE];

/** Under the data directory: our own state for Configuration backups. */
export const CONFIGURATION_STATE_DIR = 'configuration';
export const EXTENSION_LIST_FILE = 'extensions.json';

/** The configuration files of one profile, relative to its folder. */
const PROFILE_FILES = ['settings.json', 'keybindings.json', 'tasks.json', 'snippets/**'];

/**
 * Exactly these files of the User folder: the default profile's settings, keybindings, tasks and
 * snippets, and the same of every other profile (`profiles/<id>/`) with its extension list.
 */
export const USER_INCLUDE = [...PROFILE_FILES, ...[...PROFILE_FILES, 'extensions.json'].map((f) => `profiles/*/${f}`)];

/**
 * Never, whatever the includes: VS Code's (and every extension's) state, per-workspace state and
 * local history. The last two globs keep the walk out of every other folder (`sync/`, caches…,
 * and each profile's own `globalStorage/`): it reads only `snippets/` and `profiles/*\/snippets/`.
 */
export const USER_EXCLUDE = ['globalStorage/**', 'workspaceStorage/**', 'History/**', '!(snippets|profiles)/**/*', 'profiles/*/!(snippets)/**/*'];

/** Keeps a walk that wants only top-level files out of every folder below its root. */
const NO_SUBFOLDERS = ['*/**'];

/** A URI as VS Code gives it: only `file` ones are folders this extension can read. */
export interface UriLike {
  scheme: string;
  fsPath: string;
}

export interface ConfigurationInputs {
  /** `ExtensionContext.globalStorageUri`: `<User>/globalStorage/<publisher.name>`. */
  globalStorage?: UriLike;
  /** `vscode.workspace.workspaceFolders`, in order. */
  folders: readonly { name: string; uri: UriLike }[];
  /** `vscode.workspace.workspaceFile`: the `.code-workspace` file, or an `untitled:` one. */
  workspaceFile?: UriLike;
  /** The data directory: the extension list lives in `<dataDir>/configuration/`. */
  dataDir: string;
}

export interface FoundConfiguration {
  sources: Source[];
  /** What each source is to people, for messages: "User", "folder api", … */
  labels: Record<string, string>;
  /** The User folder, when one was found. */
  userFolder?: string;
  /** Why a part is missing, in words: no User folder, no folder open on disk. */
  missing: { user?: string; folders?: string };
  /** The open folders on disk, by the name VS Code shows. */
  folderNames: string[];
}

export type UserFolderResult = { folder: string; dataRoot: string } | { problem: string; dataRoot?: string };

/**
 * The User folder, two levels above the extension's global storage, if it looks like one: its
 * storage is in a `globalStorage` folder, and it holds a `settings.json`, a `keybindings.json`
 * or a `snippets` folder. `dataRoot` (the folder above it, where a remote server keeps
 * `Machine/`) is given whenever the layout is VS Code's, even if the User folder is empty.
 */
export function findUserFolder(globalStorage: UriLike | undefined): UserFolderResult {
  if (!globalStorage || globalStorage.scheme !== 'file') {
    return { problem: `VS Code gives this extension no storage folder on disk${globalStorage ? ` (${globalStorage.scheme}:)` : ''}, so its User folder cannot be found` };
  }
  const storageParent = path.dirname(globalStorage.fsPath);
  if (path.basename(storageParent).toLowerCase() !== 'globalstorage') {
    return { problem: `the extension's storage folder ${globalStorage.fsPath} is not in a globalStorage folder, so VS Code's User folder cannot be told from it` };
  }
  const folder = path.dirname(storageParent);
  const dataRoot = path.dirname(folder);
  const has = (name: string, dir: boolean): boolean => {
    const st = fs.statSync(path.join(folder, name), { throwIfNoEntry: false });
    return !!st && (dir ? st.isDirectory() : st.isFile());
  };
  if (!has('settings.json', false) && !has('keybindings.json', false) && !has('snippets', true)) {
    return { problem: `${folder} holds no settings.json, keybindings.json or snippets folder, so it is not taken for VS Code's User folder`, dataRoot };
  }
  return { folder, dataRoot };
}

/** A glob that matches exactly this file name (picomatch, as the backup walk reads globs). */
export function literalGlob(name: string): string {
  return name.replace(/\\/g, '\\\\').replace(/[*?[\]{}()!+@,|]/g, (c) => `[${c}]`);
}

/** A folder name as it can stand in an archive entry's first segment. */
function safeName(name: string): string {
  const s = name
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[-.]+|-+$/g, '');
  // An archive's top-level names stay short: a long folder name is cut (the clash check below
  // then adds a hash where two cut names meet).
  return (s.length > 60 ? s.slice(0, 60).replace(/-+$/, '') : s) || 'folder';
}

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 6);

/**
 * `workspace-<name>` for each folder, by its name on disk (a display name set in the workspace
 * file may change; the folder seldom does). Folders whose names clash (ignoring case, since the
 * archive may be unpacked on a case-insensitive disk) all get a hash of their path too, so which
 * one gets which name never depends on their order in the workspace: a restore never puts one
 * folder's `.vscode/` into another.
 */
export function workspaceSourceNames(paths: readonly string[], prefix = WORKSPACE_PREFIX): string[] {
  const base = paths.map((p) => prefix + safeName(path.basename(p)));
  const count = new Map<string, number>();
  for (const n of [...RESERVED, ...base]) count.set(n.toLowerCase(), (count.get(n.toLowerCase()) ?? 0) + 1);
  const names = base.map((n, i) => ((count.get(n.toLowerCase()) ?? 0) > 1 ? `${n}-${shortHash(paths[i])}` : n));
  // Two names still equal (paths that differ only so the hashes collide): numbered, as a last resort.
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 2; seen.has(name.toLowerCase()); i++) name = `${n}-${i}`;
    seen.add(name.toLowerCase());
    return name;
  });
}

const isInsideOrSame = (dir: string, p: string): boolean => {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** What a Configuration backup reads here, and why any part is missing. */
export function findConfiguration(inputs: ConfigurationInputs): FoundConfiguration {
  const sources: Source[] = [];
  const labels: Record<string, string> = {};
  const missing: FoundConfiguration['missing'] = {};
  const user = findUserFolder(inputs.globalStorage);
  if ('folder' in user) {
    sources.push({ name: USER_SOURCE, root: user.folder, include: [...USER_INCLUDE], exclude: [...USER_EXCLUDE] });
    labels[USER_SOURCE] = 'User';
  } else missing.user = user.problem;
  if (user.dataRoot) {
    const machine = path.join(user.dataRoot, 'Machine');
    if (fs.statSync(path.join(machine, 'settings.json'), { throwIfNoEntry: false })?.isFile()) {
      sources.push({ name: MACHINE_SOURCE, root: machine, include: ['settings.json'], exclude: [...NO_SUBFOLDERS] });
      labels[MACHINE_SOURCE] = 'Remote';
    }
  }

  // Folders on disk, each once (a folder added twice is one folder).
  const folders: { name: string; fsPath: string }[] = [];
  for (const f of inputs.folders) {
    if (f.uri.scheme !== 'file' || folders.some((g) => path.resolve(g.fsPath) === path.resolve(f.uri.fsPath))) continue;
    folders.push({ name: f.name, fsPath: path.resolve(f.uri.fsPath) });
  }
  if (!inputs.folders.length) missing.folders = 'no folder is open';
  else if (!folders.length) missing.folders = 'no open folder is on this machine’s disk';
  workspaceSourceNames(folders.map((f) => f.fsPath)).forEach((name, i) => {
    sources.push({ name, root: folders[i].fsPath, include: ['.vscode/**'], exclude: [] });
    labels[name] = `folder ${folders[i].name}`;
  });

  const wf = inputs.workspaceFile;
  if (wf?.scheme === 'file') {
    const file = path.resolve(wf.fsPath);
    // Already in a folder's .vscode/: backed up (and restored) once, with that folder.
    if (!folders.some((f) => isInsideOrSame(path.join(f.fsPath, '.vscode'), file))) {
      sources.push({ name: WORKSPACE_FILE_SOURCE, root: path.dirname(file), include: [literalGlob(path.basename(file))], exclude: [...NO_SUBFOLDERS] });
      labels[WORKSPACE_FILE_SOURCE] = `workspace file ${path.basename(file)}`;
    }
  }

  sources.push({ name: EXTENSIONS_SOURCE, root: extensionListDir(inputs.dataDir), include: [EXTENSION_LIST_FILE], exclude: [...NO_SUBFOLDERS] });
  labels[EXTENSIONS_SOURCE] = 'the list of extensions';
  return { sources, labels, ...('folder' in user ? { userFolder: user.folder } : {}), missing, folderNames: folders.map((f) => f.name) };
}

/** Where the extension list is written before each Configuration backup. */
export function extensionListDir(dataDir: string): string {
  return path.join(dataDir, CONFIGURATION_STATE_DIR);
}

export function extensionListFile(dataDir: string): string {
  return path.join(extensionListDir(dataDir), EXTENSION_LIST_FILE);
}

/** The files each source holds now, as `<name>/<path>` (what the archive would hold), sorted. */
export async function filesInSources(sources: readonly Source[], signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  for (const s of sources) {
    for (const f of await walk(s.root, select(s.include.length ? s.include : ['**'], s.exclude), signal)) out.push(`${s.name}/${f.path}`);
  }
  return out.sort();
}

/** Why a Configuration backup found nothing to hold, in words for the user. */
export function nothingToBackUp(found: FoundConfiguration): string {
  const user = found.userFolder ? `no VS Code settings, keybindings, tasks, snippets or profiles are in ${found.userFolder}` : `no VS Code settings were found (${found.missing.user})`;
  const names = found.folderNames;
  const folders = !names.length
    ? (found.missing.folders ?? 'no folder is open')
    : names.length === 1
      ? `the open folder ${names[0]} has no .vscode folder`
      : `none of the open folders (${names.join(', ')}) has a .vscode folder`;
  return `There is nothing to back up: ${user}, ${folders}, and no extensions are installed besides VS Code's built-in ones. Nothing was written.`;
}
