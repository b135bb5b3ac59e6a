import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackupSettings } from './backup/types';
import { MACHINE_SOURCE, USER_SOURCE } from './configuration/sources';

/*
 * Whether the backups folder shares a device with what it protects: a backup on the same disk
 * as its originals is lost with them when that disk fails. Devices are compared as the
 * operating system reports them (`stat().dev`), so two partitions of one disk count as two.
 */

/** What a source root is to the user: the workspace, VS Code's settings, their own data. */
export type RootKind = 'workspace' | 'settings' | 'userData';

export interface PlacedRoot {
  kind: RootKind;
  /** Absolute. */
  path: string;
}

export interface SharedPlacement {
  /** The backups folder, or its nearest existing parent when it is not made yet: what was compared. */
  checked: string;
  device: number;
  /** The roots on that same device, in the order given; each kind at least once. */
  shared: PlacedRoot[];
  /** The kinds among them, in the order workspace, settings, user data. */
  kinds: RootKind[];
}

/**
 * What a disk failure could take from the backup types' sources: the workspace folders (Full),
 * VS Code's User folder and a remote's Machine folder (Configuration; each folder's `.vscode`
 * is in the workspace already, and the extension list is ours), and the user's data folders.
 */
export function rootsToCheck(roots: BackupSettings['roots']): PlacedRoot[] {
  const out: PlacedRoot[] = [];
  for (const s of roots?.FULL ?? []) out.push({ kind: 'workspace', path: s.root });
  for (const s of roots?.CONFIGURATION ?? []) if (s.name === USER_SOURCE || s.name === MACHINE_SOURCE) out.push({ kind: 'settings', path: s.root });
  for (const s of roots?.USER_DATA ?? []) out.push({ kind: 'userData', path: s.root });
  return out;
}

type StatDev = (p: string) => { dev: number } | undefined;
const statDev: StatDev = (p) => fs.statSync(p, { throwIfNoEntry: false });

/** The folder itself if it exists, else its nearest existing parent. */
export function nearestExisting(folder: string, stat: StatDev = statDev): string | undefined {
  for (let p = path.resolve(folder); ; p = path.dirname(p)) {
    try {
      if (stat(p)) return p;
    } catch {
      // Unreadable: try its parent.
    }
    if (path.dirname(p) === p) return undefined;
  }
}

function deviceOf(p: string, stat: StatDev): number | undefined {
  try {
    return stat(p)?.dev;
  } catch {
    return undefined;
  }
}

/**
 * The roots that sit on the backups folder's device, or undefined when none does (or the
 * backups folder's device cannot be read). A root that does not exist holds nothing to lose,
 * and is not counted.
 */
export function sharedDevice(backupsDir: string, roots: readonly PlacedRoot[], stat: StatDev = statDev): SharedPlacement | undefined {
  const checked = nearestExisting(backupsDir, stat);
  const device = checked === undefined ? undefined : deviceOf(checked, stat);
  if (checked === undefined || device === undefined) return undefined;
  const shared = roots.filter((r) => deviceOf(r.path, stat) === device);
  if (!shared.length) return undefined;
  const kinds = (['workspace', 'settings', 'userData'] as const).filter((k) => shared.some((r) => r.kind === k));
  return { checked, device, shared, kinds };
}

const KIND_WORDS: Record<RootKind, string> = { workspace: 'your workspace', settings: 'your VS Code settings', userData: 'your user data' };

function list(words: string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** "Backups are on the same disk as your workspace and your VS Code settings". */
export function sameDiskTitle(p: SharedPlacement): string {
  return `Backups are on the same disk as ${list(p.kinds.map((k) => KIND_WORDS[k]))}`;
}

/** "Same disk as your workspace": the first kind only, short enough for a tree item in a sidebar. */
export function sameDiskShort(p: SharedPlacement): string {
  return `Same disk as ${KIND_WORDS[p.kinds[0]]}`;
}

/** "a disk failure would take both", or "them all" when several kinds share the disk. */
function sameDiskConsequence(p: SharedPlacement): string {
  return p.kinds.length > 1 ? 'a disk failure would take them all' : 'a disk failure would take both';
}

/** The whole sentence: "Backups are on the same disk as your workspace: a disk failure would take both." */
export function sameDiskWarning(p: SharedPlacement): string {
  return `${sameDiskTitle(p)}: ${sameDiskConsequence(p)}.`;
}
