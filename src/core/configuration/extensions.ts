import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
import { readJsonFile } from '../jsonFile';

/** An installed extension as the list records it: whether it is enabled cannot be known. */
export interface InstalledExtension {
  id: string;
  version: string;
}

/** `<dataDir>/configuration/extensions.json`, written before each Configuration backup. */
export interface ExtensionList {
  version: 1;
  savedAt: string;
  /** The VS Code that listed them, and its remote (`ssh-remote`, `wsl`…) when it ran on one. */
  vscode?: string;
  remote?: string;
  extensions: InstalledExtension[];
}

/** What `vscode.extensions.all` gives for each extension, as far as the list needs it. */
export interface ExtensionLike {
  id: string;
  extensionPath: string;
  packageJSON: unknown;
}

/** `publisher.name`, as the Marketplace and `workbench.extensions.installExtension` take it. */
const ID = /^[A-Za-z0-9][\w-]*\.[A-Za-z0-9][\w.-]*$/;

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The extensions the user installed, sorted by id: everything VS Code lists but its built-in ones
 * (`packageJSON.isBuiltin`, or installed under its application folder `appRoot`). Each id once.
 */
export function userExtensions(all: readonly ExtensionLike[], appRoot: string | undefined): InstalledExtension[] {
  const byId = new Map<string, InstalledExtension>();
  for (const e of all) {
    const pkg = (e.packageJSON ?? {}) as { isBuiltin?: unknown; version?: unknown };
    if (pkg.isBuiltin === true) continue;
    if (appRoot && e.extensionPath && isInside(appRoot, e.extensionPath)) continue;
    if (!ID.test(e.id) || byId.has(e.id.toLowerCase())) continue;
    byId.set(e.id.toLowerCase(), { id: e.id, version: typeof pkg.version === 'string' ? pkg.version : '' });
  }
  return [...byId.values()].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : a.id.toLowerCase() > b.id.toLowerCase() ? 1 : 0));
}

/**
 * Writes the list (atomically, owner-only) where the Configuration backup's `extensions` source
 * reads it. With no extension installed there is nothing to list: a list from before is removed,
 * so a backup never holds extensions that are gone.
 */
export async function writeExtensionList(file: string, extensions: InstalledExtension[], about: { now: number; vscode?: string; remote?: string }): Promise<void> {
  if (!extensions.length) {
    fs.rmSync(file, { force: true });
    return;
  }
  const list: ExtensionList = {
    version: 1,
    savedAt: new Date(about.now).toISOString(),
    ...(about.vscode ? { vscode: about.vscode } : {}),
    ...(about.remote ? { remote: about.remote } : {}),
    extensions,
  };
  await writeJsonAtomically(file, list);
}

/**
 * A list as a backup brought it back. It came from the user's own backup, but its ids go to VS
 * Code's install command: an entry that is not a plain `publisher.name` is left out (counted in
 * `dropped`), never passed on.
 */
export async function readExtensionList(file: string): Promise<{ list: ExtensionList; dropped: number }> {
  let dropped = 0;
  const list = await readJsonFile(file, (v): ExtensionList => {
    const o = v as Partial<ExtensionList> | null;
    if (!o || typeof o !== 'object' || o.version !== 1 || !Array.isArray(o.extensions)) throw new Error('is not an extension list of version 1');
    const extensions: InstalledExtension[] = [];
    for (const e of o.extensions as unknown[]) {
      const x = e as Partial<InstalledExtension> | null;
      if (x && typeof x.id === 'string' && ID.test(x.id)) extensions.push({ id: x.id, version: typeof x.version === 'string' ? x.version : '' });
      else dropped++;
    }
    return {
      version: 1,
      savedAt: typeof o.savedAt === 'string' ? o.savedAt : '',
      ...(typeof o.vscode === 'string' ? { vscode: o.vscode } : {}),
      ...(typeof o.remote === 'string' ? { remote: o.remote } : {}),
      extensions,
    };
  });
  return { list, dropped };
}

/** The listed extensions that are not installed now (ids compare without case, as VS Code's do). */
export function missingExtensions(listed: readonly InstalledExtension[], installedIds: Iterable<string>): InstalledExtension[] {
  const have = new Set<string>();
  for (const id of installedIds) have.add(id.toLowerCase());
  const seen = new Set<string>();
  return listed.filter((e) => {
    const key = e.id.toLowerCase();
    if (have.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
