export type BackupType = 'FULL' | 'INCREMENTAL' | 'CONFIGURATION' | 'USER_DATA';
export const BACKUP_TYPES: readonly BackupType[] = ['FULL', 'INCREMENTAL', 'CONFIGURATION', 'USER_DATA'];

/** One file as a backup saw it. */
export interface ManifestEntry {
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
  sha256: string;
}

export interface BackupRecord {
  id: string;
  type: BackupType;
  /** The backup this incremental builds on (full or incremental). */
  parentId?: string;
  createdAt: number;
  status: 'completed' | 'failed';
  /** The archive file's name in the backups folder. */
  archive: string;
  sizeBytes: number;
  /** Files stored in this archive. */
  fileCount: number;
  /** Files in the tree this backup restores to (for incrementals: the whole chain). */
  treeFileCount: number;
  sha256: string;
  encrypted: boolean;
  durationMs: number;
  error?: string;
  /** Paths deleted since the parent: catalogs from 0.1 only; now in the (sealed) manifest. */
  deleted?: string[];
  note?: string;
  /** How many links, special files and unreadable names the walk left out (listed in the manifest). */
  skippedCount?: number;
}

/** A folder as a backup saw it: so empty folders and folder modes come back. */
export interface DirEntry {
  path: string;
  mode: number;
}

/** What a backup left out, and why: never silently. */
export interface SkippedEntry {
  path: string;
  reason: 'symlink' | 'not-utf8' | 'special' | 'unreadable' | 'too-large';
  detail?: string;
}

/** What a backup knows only once its walk has ended: it goes last into the manifest. */
export interface ManifestTail {
  deleted: string[];
  dirs: DirEntry[];
  skipped: SkippedEntry[];
}

/** What the catalog says of a backup that its archive says too: so a lost catalog can be rebuilt. */
export interface ArchiveRecordInfo {
  type: BackupType;
  parentId?: string;
  createdAt: number;
  note?: string;
  /** The names of the sources whose files it holds under `<name>/`; absent for one unnamed source. */
  sources?: string[];
  /**
   * Each source's root folder as it was on disk (`rootId`), in the order of `sources`: a folder
   * renamed since (whose source name, taken from its name, changed) is found again by it.
   */
  roots?: string[];
}

/**
 * The manifest: the archive's last entry, and a copy beside the catalog (sealed when the backup
 * is encrypted). Version 1 (0.1) had no `record`, `dirs` or `skipped`.
 */
export interface ArchiveManifest extends ManifestTail {
  version: 1 | 2;
  backupId: string;
  record?: ArchiveRecordInfo;
  files: ManifestEntry[];
}

/**
 * A pre-restore snapshot: what a restore moved aside, so it can be undone. The catalog keeps
 * the counts; the paths (`SnapshotLists`) lie beside the moved-aside files, since a restore of
 * many files would otherwise make the catalog, read and rewritten by every backup, grow by all
 * their paths.
 */
export interface SnapshotRecord {
  id: string;
  createdAt: number;
  restoredBackupId: string;
  target: string;
  movedCount: number;
  addedCount: number;
  /** Where its folder lies, when not in `<target>/.gardener-restore` (our own state, on the target's device). */
  work?: string;
  /** The first snapshot of the same restore, when it wrote several roots: undone together. */
  group?: string;
  /** Set when Undo Restore starts: an undo cut short is finished at the next start. */
  undoing?: boolean;
  /**
   * The sha256 of the lists file as the restore wrote it. That file lies in the target folder,
   * where anyone may edit it, and Undo deletes what it lists as added: it is acted on only if it
   * is still what the restore wrote (the catalog holding this is sealed when encrypted).
   */
  listsSha256?: string;
  /** Catalogs from 0.1 hold the lists here. */
  moved?: string[];
  added?: string[];
}

export interface SnapshotLists {
  /** Paths (relative to target) that existed before the restore and were moved aside. */
  moved: string[];
  /** Paths the restore added that did not exist before. */
  added: string[];
}

/**
 * One folder a backup type reads. Its files go into the archive under `name/` (a top-level
 * entry of its own, so two roots with the same relative paths never clash) and are restored to
 * `root`. A backup of one source named '' keeps its paths at the top, as 0.1's did.
 */
export interface Source {
  name: string;
  /** Absolute. */
  root: string;
  /** Globs relative to root; everything when empty. */
  include: string[];
  /** Globs relative to root, never backed up (besides the settings' `exclude`). */
  exclude: string[];
  /** Globs kept whatever `exclude` and the size limit say (the repository's `.git`). */
  keep?: string[];
  /** Honour the `.gitignore` files under root (but for `.git` and local environment files). */
  gitignore?: boolean;
  /** Files bigger than this are left out, and listed as left out. */
  maxFileBytes?: number;
}

export type SourcedType = Exclude<BackupType, 'INCREMENTAL'>;

export interface BackupSettings {
  /** Globs under the data directory, for the types `roots` does not give. */
  sources: Record<SourcedType, string[]>;
  /** A folder of ours where restores stage and keep pre-restore snapshots, when on the target's device; unset: in the target. */
  scratchDir?: string;
  /** Where each type reads from, given by the adapter (workspace folders, VS Code's User folder…). */
  roots?: Partial<Record<SourcedType, Source[]>>;
  exclude: string[];
  retention: Record<BackupType, number>;
  encrypt: boolean;
  snapshotRetentionDays: number;
  /** zstd (or gzip) level for compressible files (1 fastest … 9 smallest). */
  compressionLevel: number;
}

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = {
  sources: {
    FULL: ['**'],
    CONFIGURATION: ['settings/**'],
    USER_DATA: ['projects/**', 'contexts/**'],
  },
  exclude: ['logs/**'],
  retention: { FULL: 7, INCREMENTAL: 30, CONFIGURATION: 10, USER_DATA: 14 },
  encrypt: true,
  snapshotRetentionDays: 7,
  compressionLevel: 6,
};

/** Always left out, whatever the settings: the backups themselves, scratch and cache. */
export const ALWAYS_EXCLUDED = ['backups/**', 'temp/**', 'cache/**', '.gardener-restore/**'];

export interface KeyProvider {
  /** The key for this data directory, creating one if `create` and none exists. */
  getKey(create: boolean): Promise<Buffer | undefined>;
  /**
   * Any key this machine holds, by its id (the 8-byte hex id archive headers and sealed files
   * carry): a backup set that moved, or whose workspace was renamed, stays readable.
   */
  getKeyById?(id: string): Promise<Buffer | undefined>;
}

export interface Progress {
  phase: 'scanning' | 'hashing' | 'writing' | 'verifying' | 'staging' | 'swapping';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

// Backup code predates GardenerError and still names it BackupError; both are the same class.
export { GardenerError as BackupError, type GardenerErrorCode as BackupErrorCode } from '../errors';
