import type { Clock } from '../clock';
import type { Catalog } from './catalog';
import type { Journals } from './swapJournal';
import type { BackupRecord, BackupSettings, BackupType, KeyProvider, ManifestEntry, DirEntry, Progress, Source, SourcedType } from './types';
import type { Selection } from './walk';

export interface BackupHooks {
  record?<T>(operation: string, fn: () => Promise<T>, fields?: Record<string, unknown>): Promise<T>;
  info?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, err: unknown): void;
  /** Something the user should know of that is not an error of theirs: a catalog rebuilt, a journal refused. */
  warn?(message: string, fields?: Record<string, unknown>): void;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** A backup's tree: every file, and every folder, it restores to. */
export interface Tree {
  files: Map<string, ManifestEntry>;
  dirs: DirEntry[];
}

/**
 * What the archiver, checker, restorer and retention share of one backups folder: the parts of
 * the manager they use, so each can live in a file of its own.
 */
export interface Engine {
  readonly clock: Clock;
  readonly dataDir: string;
  readonly backupsDir: string;
  readonly keys: KeyProvider;
  readonly catalog: Catalog;
  readonly journals: Journals;
  readonly hooks: BackupHooks;
  settings(): BackupSettings;
  selection(type: Exclude<BackupType, 'INCREMENTAL'>): Selection;
  /** The folders a type reads now: the adapter's roots, or the data directory with the settings' globs. */
  sourcesOf(type: SourcedType): Source[];
  treeOf(id: string): Promise<Tree>;
  /** The key a backup was sealed with, or undefined for a plain one; NO_KEY if it is needed and absent. */
  keyFor(b: BackupRecord): Promise<Buffer | undefined>;
}
