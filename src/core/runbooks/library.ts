import * as fs from 'node:fs';
import * as path from 'node:path';
import { GardenerError } from '../errors';

/**
 * Runbooks are Markdown files in two folders: the ones bundled with the extension and,
 * optionally, a folder of the user's own (`runbooks.folder`), whose files override bundled ones
 * of the same name. Both are read as untrusted disk: only plain files named `[a-z0-9_-]+.md`
 * directly in the folder, never through a link, never over MAX_RUNBOOK_BYTES, valid UTF-8.
 */

/** A runbook's file name: lower-case letters, digits, `_` and `-`, then `.md`. Nothing else, so no path can hide in it. */
export const RUNBOOK_FILE = /^[a-z0-9_-]{1,100}\.md$/;
/** Runbooks are short documents; a bigger file is not one (and would be slow to render on every open). */
export const MAX_RUNBOOK_BYTES = 256 * 1024;
/** At most this many files of a folder are looked at, so a huge folder cannot stall the quick pick. */
export const MAX_RUNBOOK_FILES = 200;

export type RunbookSource = 'bundled' | 'user';

export interface RunbookEntry {
  /** The file name without `.md`: what alerts and commands name. */
  name: string;
  file: string;
  source: RunbookSource;
  /** From the first `#` heading, else from the name. */
  title: string;
  /** The first paragraph after the title, as plain text (may be empty). */
  description: string;
  /** A bundled runbook this one overrides. */
  overrides?: string;
}

export interface RunbookFolders {
  bundled: string;
  user?: string;
}

export interface RunbookList {
  runbooks: RunbookEntry[];
  /** Files left out and why, for the log: a bad name, a link, too large, not UTF-8… */
  problems: string[];
}

/** A runbook name as given by a caller (`backup_procedures` or `backup_procedures.md`), or undefined when it cannot be one. */
export function runbookName(given: unknown): string | undefined {
  if (typeof given !== 'string') return undefined;
  const file = given.endsWith('.md') ? given : `${given}.md`;
  return RUNBOOK_FILE.test(file) ? file.slice(0, -3) : undefined;
}

/**
 * The user's runbooks folder from the setting: an absolute path or `~/…`. A relative path has
 * no sensible base (which workspace folder?), so it is refused with a message, as is a folder
 * that does not exist.
 */
export function userRunbookFolder(setting: unknown, home: string): { folder?: string; problem?: string } {
  if (typeof setting !== 'string' || !setting.trim()) return {};
  const v = setting.trim();
  const expanded = v === '~' || v.startsWith('~/') ? path.join(home, v.slice(1)) : v;
  if (!path.isAbsolute(expanded)) return { problem: `codebaseGardener.runbooks.folder must be an absolute path or ~/…, not ${JSON.stringify(v)}; only the bundled runbooks are listed.` };
  const folder = path.resolve(expanded);
  try {
    if (!fs.statSync(folder).isDirectory()) return { problem: `codebaseGardener.runbooks.folder (${folder}) is not a folder; only the bundled runbooks are listed.` };
  } catch {
    return { problem: `codebaseGardener.runbooks.folder (${folder}) does not exist; only the bundled runbooks are listed.` };
  }
  return { folder };
}

/** Every runbook of both folders, the user's overriding bundled ones of the same name, sorted by title. */
export function listRunbooks(folders: RunbookFolders): RunbookList {
  const problems: string[] = [];
  const byName = new Map<string, RunbookEntry>();
  for (const [source, dir] of [
    ['bundled', folders.bundled],
    ['user', folders.user],
  ] as const) {
    if (!dir) continue;
    for (const e of scan(dir, source, problems)) {
      const bundled = byName.get(e.name);
      byName.set(e.name, bundled ? { ...e, overrides: bundled.file } : e);
    }
  }
  const runbooks = [...byName.values()].sort((a, b) => a.title.localeCompare(b.title) || a.name.localeCompare(b.name));
  return { runbooks, problems };
}

function scan(dir: string, source: RunbookSource, problems: string[]): RunbookEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    problems.push(`Could not list runbooks in ${dir}: ${(err as Error).message}`);
    return [];
  }
  const out: RunbookEntry[] = [];
  for (const f of names.filter((n) => n.toLowerCase().endsWith('.md')).sort().slice(0, MAX_RUNBOOK_FILES)) {
    if (!RUNBOOK_FILE.test(f)) {
      problems.push(`${path.join(dir, f)} is left out: a runbook's name is lower-case letters, digits, _ and - only.`);
      continue;
    }
    const file = path.join(dir, f);
    try {
      const text = readRunbookFile(file);
      const name = f.slice(0, -3);
      out.push({ name, file, source, ...heading(text, name) });
    } catch (err) {
      problems.push(`${file} is left out: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The text of one runbook file, checked: a plain file (not a link, opened without following
 * one where the OS can), at most MAX_RUNBOOK_BYTES, valid UTF-8 with no NUL.
 */
export function readRunbookFile(file: string): string {
  if (!RUNBOOK_FILE.test(path.basename(file))) throw new GardenerError(`${path.basename(file)} is not a runbook name.`, 'UNSAFE_PATH', { file });
  // lstat first: O_NOFOLLOW does not exist on Windows, and a link must be refused there too.
  const st = fs.lstatSync(file);
  if (st.isSymbolicLink()) throw new GardenerError('it is a link; runbooks must be plain files in the folder.', 'UNSAFE_PATH', { file });
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) throw new GardenerError('it is not a plain file.', 'UNSAFE_PATH', { file });
    if (fst.size > MAX_RUNBOOK_BYTES) throw new GardenerError(`it is larger than ${MAX_RUNBOOK_BYTES / 1024} KB.`, 'INVALID', { file });
    const buf = Buffer.alloc(fst.size);
    let read = 0;
    while (read < buf.length) {
      const n = fs.readSync(fd, buf, read, buf.length - read, read);
      if (n === 0) break;
      read += n;
    }
    if (buf.includes(0)) throw new GardenerError('it holds binary data.', 'INVALID', { file });
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, read));
    } catch {
      throw new GardenerError('it is not valid UTF-8 text.', 'INVALID', { file });
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a listed runbook again, as it is on disk now (it may have changed since it was listed). */
export function readRunbook(entry: RunbookEntry): string {
  return readRunbookFile(entry.file);
}

/** Title and description for the quick pick: the first `#` heading and the paragraph after it, as plain text. */
export function heading(text: string, name: string): { title: string; description: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let i = lines.findIndex((l) => /^#\s+\S/.test(l));
  const title = i >= 0 ? plain(lines[i].replace(/^#\s+/, '').replace(/\s+#+\s*$/, '')) : titleOf(name);
  const para: string[] = [];
  for (i = i + 1; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) {
      if (para.length) break;
      continue;
    }
    if (/^(#|```|~~~|[-*+] |\d+\. |>|\|)/.test(l)) {
      if (para.length) break;
      continue;
    }
    para.push(l);
  }
  const description = plain(para.join(' '));
  return { title: title.slice(0, 120), description: description.length > 240 ? `${description.slice(0, 239)}…` : description };
}

function titleOf(name: string): string {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Markdown inline syntax reduced to its text: links to their label, emphasis and code marks dropped. */
function plain(s: string): string {
  return s
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|\*|`)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
