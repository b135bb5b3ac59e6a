import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
import { safeEntryPath } from '../backup/guard';
import { readJsonFileSync } from '../jsonFile';

/** One file to move: `from` under the plan's source, `to` under one of its targets (relative, `/`-separated). */
export interface MoveItem {
  from: string;
  target: number;
  to: string;
}

/** What to move where. Nothing is deleted outside `source` (or the targets' own scratch files). */
export interface MovePlan {
  /** The folder everything moves out of. */
  source: string;
  /** The folders things move into, absolute. */
  targets: string[];
  items: MoveItem[];
  /** Folders under `source` to remove once empty, deepest first; `''` is `source` itself. */
  folders: string[];
  /** Put into a new name when the destination holds another file: `alerts.json` → `alerts-<tag>.json`. */
  conflictTag: string;
}

export type ItemState = 'todo' | 'done' | 'missing';

export interface JournalItem extends MoveItem {
  size: number;
  state: ItemState;
}

/** The journal: the plan as it will be carried out (names of conflicts already chosen), and how far it got. */
export interface MoveJournal extends Omit<MovePlan, 'items'> {
  version: 1;
  items: JournalItem[];
}

const STATES = new Set<ItemState>(['todo', 'done', 'missing']);

/** A journal read back, checked before anything is moved or deleted on its word. */
export function checkJournal(v: unknown): MoveJournal {
  const j = v as Partial<MoveJournal> | null;
  if (!j || typeof j !== 'object' || j.version !== 1) throw new Error('is not a move journal of version 1');
  const abs = (p: unknown): p is string => typeof p === 'string' && path.isAbsolute(p) && !p.includes('\0');
  if (!abs(j.source) || !Array.isArray(j.targets) || !j.targets.length || !j.targets.every(abs)) throw new Error('names no source or targets');
  if (typeof j.conflictTag !== 'string' || !/^[a-z0-9.]{1,16}$/.test(j.conflictTag)) throw new Error('has no valid conflict tag');
  if (!Array.isArray(j.folders) || !j.folders.every((f) => f === '' || safeEntryPath(f))) throw new Error('lists a folder outside its source');
  if (!Array.isArray(j.items)) throw new Error('has no items');
  const targets = j.targets.length;
  for (const i of j.items) {
    const ok =
      i && safeEntryPath(i.from) && safeEntryPath(i.to) && Number.isInteger(i.target) && i.target >= 0 && i.target < targets && Number.isFinite(i.size) && STATES.has(i.state);
    if (!ok) throw new Error(`has an item that is not a safe move: ${JSON.stringify(i).slice(0, 200)}`);
  }
  return j as MoveJournal;
}

export function readJournal(file: string): MoveJournal | undefined {
  if (!fs.existsSync(file)) return undefined;
  return readJsonFileSync(file, checkJournal);
}

/** Writes the journal atomically; the first time also makes its name durable in its folder. */
export async function writeJournal(file: string, j: MoveJournal, first = false): Promise<void> {
  await writeJsonAtomically(file, j);
  if (first) fsyncDir(path.dirname(file));
}

/** Makes a folder's entries (a new name, a removed one) durable, where the platform allows. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Windows cannot open a folder; its renames are made durable by the file system's journal.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `name.ext` → `name-<tag>.ext`, then `name-<tag>-2.ext`, …: the n-th other name for a file. */
export function otherName(rel: string, tag: string, n: number): string {
  const dir = path.posix.dirname(rel);
  const base = path.posix.basename(rel);
  const dot = base.indexOf('.', 1);
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const name = `${stem}-${tag}${n > 1 ? `-${n}` : ''}${ext}`;
  return dir === '.' ? name : `${dir}/${name}`;
}
