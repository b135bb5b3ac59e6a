import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeJsonAtomically } from '../atomicFile';
import type { Clock } from '../clock';
import { throwIfAborted, timeSlicer } from '../cancel';
import { flushToDisk, gathered, hashed, MANIFEST_PATH, readArchive, type ArchiveManifest, type ArchiveResult } from './archive';
import { archiveWriter } from './archiveWriter';
import { Catalog } from './catalog';
import {
  ALWAYS_EXCLUDED,
  BackupError,
  DEFAULT_BACKUP_SETTINGS,
  type BackupRecord,
  type BackupSettings,
  type BackupType,
  type KeyProvider,
  type ManifestEntry,
  type Progress,
  type SnapshotLists,
  type SnapshotRecord,
} from './types';
import { StagingWriter } from './stagingWriter';
import { select, walk, walkBatches, type FileInfo, type Selection } from './walk';

export interface BackupHooks {
  record?<T>(operation: string, fn: () => Promise<T>, fields?: Record<string, unknown>): Promise<T>;
  info?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, err: unknown): void;
}

export interface ValidationReport {
  id: string;
  valid: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
  firstProblem?: string;
}

export interface RestorePlan {
  added: string[];
  overwritten: string[];
  deleted: string[];
}

export interface RestoreResult extends RestorePlan {
  snapshotId: string;
  target: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

interface Journal {
  state: 'staging' | 'swapping';
  staging: string;
  snapshotDir: string;
  target: string;
  snapshot: SnapshotRecord & SnapshotLists;
  /** Paths (relative to target) to take from staging, and live paths to move aside only. */
  ops: { path: string; fromStaging: boolean }[];
}

const RESTORE_DIR = '.gardener-restore';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const exists = (p: string) => fs.existsSync(p);

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** An entry path a restore may write: relative, inside the target, no `..`, no drive or NUL. */
export function safeEntryPath(p: string): boolean {
  if (!p || p.includes('\0') || p.includes('\\')) return false;
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return false;
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return parts.length > 0 && !parts.includes('..');
}

/**
 * Backups of one data directory into one backups folder. Every operation that writes takes a
 * lock on the backups folder, so two VS Code windows never write at once.
 */
export class BackupManager {
  readonly catalog: Catalog;
  private settings: BackupSettings;
  private lastTree: { id: string; tree: Map<string, ManifestEntry> } | undefined;

  constructor(
    private readonly clock: Clock,
    readonly dataDir: string,
    readonly backupsDir: string,
    private readonly keys: KeyProvider,
    settings: Partial<BackupSettings> = {},
    private readonly hooks: BackupHooks = {},
  ) {
    this.settings = { ...DEFAULT_BACKUP_SETTINGS, ...settings };
    this.catalog = new Catalog(backupsDir);
  }

  configure(settings: Partial<BackupSettings>): void {
    this.settings = { ...DEFAULT_BACKUP_SETTINGS, ...settings };
  }

  /** Loads the catalog, removes half-written archives, and finishes any interrupted restore. */
  async init(): Promise<{ removed: string[]; recovered: boolean }> {
    fs.mkdirSync(this.backupsDir, { recursive: true, mode: 0o700 });
    await this.catalog.load();
    // Another window may be writing a backup right now: what looks left over is then its work
    // in progress, so leftovers are removed only by whoever can take the lock at once.
    const removed = (await this.locked(async () => this.removeLeftovers(), { wait: false })) ?? [];
    if (removed.length) this.hooks.info?.(`Removed ${removed.length} unfinished backup file(s) at start`, { files: removed });
    const recovered = await this.recoverRestore(this.dataDir);
    return { removed, recovered };
  }

  /**
   * What a backup cut short leaves behind: archives and manifests that no catalog record names,
   * and the temporary files of atomic writes (`<name>.json.<hex>`).
   */
  private removeLeftovers(): string[] {
    const removed: string[] = [];
    const tempWrite = /\.json\.[0-9a-f]+$/;
    const archives = new Set(this.catalog.backups.map((b) => b.archive));
    for (const f of fs.readdirSync(this.backupsDir)) {
      if (f.endsWith('.partial') || tempWrite.test(f) || ((f.endsWith('.cgb') || f.endsWith('.tar.gz')) && !archives.has(f))) {
        fs.rmSync(path.join(this.backupsDir, f), { force: true });
        removed.push(f);
      }
    }
    const ids = new Set(this.catalog.backups.map((b) => b.id));
    const manifests = path.dirname(this.catalog.manifestFile('x'));
    for (const f of fs.existsSync(manifests) ? fs.readdirSync(manifests) : []) {
      if (tempWrite.test(f) || (f.endsWith('.json') && !ids.has(f.slice(0, -'.json'.length)))) {
        fs.rmSync(path.join(manifests, f), { force: true });
        removed.push(`manifests/${f}`);
      }
    }
    return removed;
  }

  // ---- creating ----

  selection(type: Exclude<BackupType, 'INCREMENTAL'>): Selection {
    return select(this.settings.sources[type], [...ALWAYS_EXCLUDED, ...this.settings.exclude, this.relBackupsGlob()].filter(Boolean) as string[]);
  }

  /** If the backups folder lies inside the data directory, it is excluded wherever it is. */
  private relBackupsGlob(): string | undefined {
    const rel = path.relative(this.dataDir, this.backupsDir);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `${rel.split(path.sep).join('/')}/**` : undefined;
  }

  latestCompleted(types: BackupType[]): BackupRecord | undefined {
    return [...this.catalog.backups].reverse().find((b) => b.status === 'completed' && types.includes(b.type));
  }

  /** The tree a backup restores to: its chain's manifests applied in order. A copy: callers may change it. */
  async treeOf(id: string): Promise<Map<string, ManifestEntry>> {
    // The next incremental builds on the backup just made: keep its tree rather than re-read
    // every manifest of the chain. A backup's manifests never change once it exists.
    if (this.lastTree?.id === id) return new Map(this.lastTree.tree);
    const tree = new Map<string, ManifestEntry>();
    for (const b of this.catalog.chain(id)) {
      for (const d of b.deleted ?? []) tree.delete(d);
      for (const e of await this.catalog.manifest(b.id)) tree.set(e.path, e);
    }
    return tree;
  }

  async createBackup(requested: BackupType, o: RunOptions = {}): Promise<BackupRecord> {
    return this.locked(() => this.timed('backup', () => this.doCreate(requested, o), { type: requested }));
  }

  private async doCreate(requested: BackupType, o: RunOptions): Promise<BackupRecord> {
    const started = performance.now();
    let type = requested;
    let note: string | undefined;
    let parent: BackupRecord | undefined;
    if (type === 'INCREMENTAL') {
      parent = this.latestCompleted(['FULL', 'INCREMENTAL']);
      if (!parent) {
        type = 'FULL';
        note = 'No full backup to build on, so this incremental was made as a full backup.';
      }
    }
    o.onProgress?.({ phase: 'scanning', files: 0, totalFiles: 0, bytes: 0, totalBytes: 0 });
    // What goes in: for an incremental, the changed files as the walk finds them, so writing
    // overlaps the walk; otherwise the whole walk first.
    let files: FileInfo[] | AsyncGenerator<FileInfo[]>;
    const found = { files: 0, bytes: 0 };
    let deleted: string[] = [];
    let parentTree: Map<string, ManifestEntry> | undefined;
    if (type === 'INCREMENTAL' && parent) {
      // The cached tree itself, not a copy: it changes only once this backup is complete, when
      // it becomes this backup's tree.
      const tree = (parentTree = this.lastTree?.id === parent.id ? this.lastTree.tree : await this.treeOf(parent.id));
      // A full disk is found before anything is written; how much is needed is known only
      // once the walk ends, which the archive's source checks before the archive is finished.
      this.checkSpace(0);
      files = this.changedSince(tree, o.signal, found, (gone) => (deleted = gone));
    } else {
      files = await walk(this.dataDir, this.selection(type === 'INCREMENTAL' ? 'FULL' : type), o.signal);
      for (const f of files) found.bytes += f.size;
      found.files = files.length;
      this.checkSpace(found.bytes);
    }
    const key = this.settings.encrypt ? await this.keys.getKey(true) : undefined;
    if (this.settings.encrypt && !key) throw new BackupError('No encryption key is available, so nothing was written.', 'NO_KEY');

    const now = this.clock.now();
    const id = `${type.toLowerCase().replace('_', '-')}-${stamp(now)}-${randomBytes(3).toString('hex')}`;
    const archive = `${id}${key ? '.cgb' : '.tar.gz'}`;
    const partial = path.join(this.backupsDir, `${id}.partial`);
    let result: ArchiveResult;
    try {
      result = await archiveWriter.write(files, partial, {
        backupId: id,
        key,
        level: this.settings.compressionLevel,
        deleted: () => deleted,
        signal: o.signal,
        onProgress: (count, bytes) => o.onProgress?.({ phase: 'writing', files: count, totalFiles: found.files, bytes, totalBytes: found.bytes }),
      });
      // The archive's flush and the manifest's write wait on the disk together; neither counts
      // until the catalog names the backup.
      const done = await Promise.allSettled([flushToDisk(partial), this.catalog.saveManifest(id, result.manifest.files)]);
      for (const d of done) if (d.status === 'rejected') throw d.reason;
      // Cancelled while the worker finished: nothing is kept all the same.
      throwIfAborted(o.signal);
      fs.renameSync(partial, path.join(this.backupsDir, archive));
    } catch (err) {
      fs.rmSync(partial, { force: true });
      fs.rmSync(this.catalog.manifestFile(id), { force: true });
      if (err instanceof BackupError) throw err;
      if (o.signal?.aborted || (err as Error).name === 'AbortError' || (err as Error).name === 'CancelledError') {
        throw new BackupError('The backup was cancelled; nothing was kept.', 'CANCELLED');
      }
      const code = (err as NodeJS.ErrnoException).code;
      const message = code === 'ENOSPC' ? `The backups folder ran out of space; the partial archive was removed.` : (err as Error).message;
      await this.recordFailure(id, type, now, parent?.id, message, started);
      throw code === 'ENOSPC' ? new BackupError(message, 'NO_SPACE') : err;
    }
    const tree = parentTree ?? new Map<string, ManifestEntry>();
    // The parent's cached tree turns into this backup's: until the catalog has this backup, no cache.
    this.lastTree = undefined;
    for (const d of deleted) tree.delete(d);
    for (const e of result.manifest.files) tree.set(e.path, e);
    const record: BackupRecord = {
      id,
      type,
      ...(parent && type === 'INCREMENTAL' ? { parentId: parent.id } : {}),
      createdAt: now,
      status: 'completed',
      archive,
      sizeBytes: result.size,
      fileCount: result.manifest.files.length,
      treeFileCount: tree.size,
      sha256: result.sha256,
      encrypted: !!key,
      durationMs: Math.round(performance.now() - started),
      ...(deleted.length ? { deleted } : {}),
      ...(note ? { note } : {}),
    };
    this.catalog.backups.push(record);
    await this.catalog.save();
    this.lastTree = { id, tree };
    await this.applyRetentionUnlocked();
    return record;
  }

  /**
   * The files of the selection that differ from `tree` (new, or changed by size, mode or, for a
   * new time, by hash), a batch per stretch of the walk that finds them. When the walk ends it
   * reports the paths of `tree` it did not see, and checks there is room for what it found.
   */
  private async *changedSince(
    tree: Map<string, ManifestEntry>,
    signal: AbortSignal | undefined,
    found: { files: number; bytes: number },
    onDeleted: (paths: string[]) => void,
  ): AsyncGenerator<FileInfo[]> {
    const present = new Set<string>();
    for await (const batch of walkBatches(this.dataDir, this.selection('FULL'), signal)) {
      const changed: FileInfo[] = [];
      for (const f of batch) {
        present.add(f.path);
        const before = tree.get(f.path);
        let differs = !before || before.size !== f.size || before.mode !== f.mode;
        // Same size, new time: it may have changed (or only been touched); the hash decides.
        if (!differs && before!.mtimeMs !== f.mtimeMs) differs = (await hashFile(f.abs)) !== before!.sha256;
        if (!differs) continue;
        found.files++;
        found.bytes += f.size;
        changed.push(f);
      }
      yield changed;
    }
    onDeleted([...tree.keys()].filter((p) => !present.has(p)));
    this.checkSpace(found.bytes);
  }

  private async recordFailure(id: string, type: BackupType, at: number, parentId: string | undefined, error: string, started: number): Promise<void> {
    this.catalog.backups.push({
      id,
      type,
      ...(parentId ? { parentId } : {}),
      createdAt: at,
      status: 'failed',
      archive: '',
      sizeBytes: 0,
      fileCount: 0,
      treeFileCount: 0,
      sha256: '',
      encrypted: this.settings.encrypt,
      durationMs: Math.round(performance.now() - started),
      error,
    });
    await this.catalog.save().catch(() => undefined);
  }

  private checkSpace(needed: number): void {
    try {
      const s = fs.statfsSync(this.backupsDir);
      const free = s.bavail * s.bsize;
      // Compressed archives are smaller than this; without knowing by how much, ask for the whole.
      if (free < needed + 1024 * 1024) {
        throw new BackupError(
          `Not enough free space in ${this.backupsDir}: ${Math.round(free / 1048576)} MB free, up to ${Math.round(needed / 1048576)} MB needed. Nothing was written.`,
          'NO_SPACE',
        );
      }
    } catch (err) {
      if (err instanceof BackupError) throw err;
    }
  }

  // ---- validating ----

  async validate(id: string, o: RunOptions = {}): Promise<ValidationReport> {
    return this.timed('validate', () => this.doValidate(id, o), { id });
  }

  private async doValidate(id: string, o: RunOptions): Promise<ValidationReport> {
    const report: ValidationReport = { id, valid: false, checks: [] };
    const check = (name: string, ok: boolean, detail?: string): boolean => {
      // A detail explains a failure: next to a check that passed it would mislead.
      report.checks.push({ name, ok, ...(detail && !ok ? { detail } : {}) });
      if (!ok && !report.firstProblem) report.firstProblem = `${name}: ${detail ?? 'failed'}`;
      return ok;
    };
    const b = this.catalog.get(id);
    if (!check('in catalog', !!b, b ? undefined : `no backup has the ID ${id}`) || !b) return report;
    if (!check('completed', b.status === 'completed', b.error)) return report;
    const file = path.join(this.backupsDir, b.archive);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!check('archive exists', !!st, st ? undefined : `${b.archive} is missing`) || !st) return report;
    if (!check('size matches catalog', st.size === b.sizeBytes, `${st.size} bytes, catalog says ${b.sizeBytes}`)) return report;
    const key = b.encrypted ? await this.keys.getKey(false) : undefined;
    if (b.encrypted && !check('key available', !!key, 'no key for this data directory; import the recovery key')) return report;
    const manifest = await this.catalog.manifest(id).catch(() => undefined);
    if (!check('manifest in catalog', !!manifest, 'manifests/' + id + '.json is missing or unreadable') || !manifest) return report;
    const expected = new Map(manifest.map((m) => [m.path, m]));
    const seen = new Map<string, string>();
    let inner: ArchiveManifest | undefined;
    let hash: string;
    try {
      const r = await readArchive(
        file,
        key,
        (e) => {
          if (e.path === MANIFEST_PATH) return gathered((b) => (inner = JSON.parse(b.toString('utf8')) as ArchiveManifest));
          if (e.type !== 'File' || !safeEntryPath(e.path)) throw new BackupError(`unsafe entry ${e.type} ${e.path}`, 'UNSAFE_ENTRY');
          return hashed((sha256) => seen.set(e.path, sha256));
        },
        o.signal,
      );
      hash = r.sha256;
      check('chunks authenticate, archive decompresses and parses', true);
    } catch (err) {
      check('chunks authenticate, archive decompresses and parses', false, (err as Error).message);
      return report;
    }
    if (!check('sha256 matches catalog', hash === b.sha256, `archive hashes to ${hash.slice(0, 12)}…, catalog says ${b.sha256.slice(0, 12)}…`)) return report;
    if (!check('manifest inside archive matches catalog', !!inner && sha(JSON.stringify(inner.files)) === sha(JSON.stringify(manifest)))) return report;
    let bad: string | undefined;
    for (const [p, m] of expected) if (seen.get(p) !== m.sha256) bad ??= `${p}: ${seen.has(p) ? 'sha256 differs' : 'missing from the archive'}`;
    for (const p of seen.keys()) if (!expected.has(p)) bad ??= `${p}: in the archive but not in the manifest`;
    if (!check('every entry matches its sha256', !bad, bad)) return report;
    report.valid = true;
    return report;
  }

  async validateAll(o: RunOptions = {}): Promise<ValidationReport[]> {
    const out: ValidationReport[] = [];
    for (const b of this.catalog.backups.filter((x) => x.status === 'completed')) out.push(await this.validate(b.id, o));
    return out;
  }

  // ---- restoring ----

  private scopeFor(b: BackupRecord): Selection {
    const type = this.catalog.chain(b.id)[0]?.type ?? b.type;
    return this.selection(type === 'INCREMENTAL' ? 'FULL' : type);
  }

  /** What a restore would do, without doing it: for the confirmation. */
  async planRestore(id: string, opts: { path?: string; target?: string } = {}): Promise<RestorePlan> {
    const b = this.mustGet(id);
    const target = opts.target ?? this.dataDir;
    const tree = [...(await this.treeOf(id)).keys()].filter((p) => under(p, opts.path));
    const live = (await walk(target, this.scopeFor(b))).map((f) => f.path).filter((p) => under(p, opts.path));
    const liveSet = new Set(live);
    const treeSet = new Set(tree);
    return {
      added: tree.filter((p) => !liveSet.has(p)),
      overwritten: tree.filter((p) => liveSet.has(p)),
      deleted: live.filter((p) => !treeSet.has(p)),
    };
  }

  async restore(id: string, opts: { path?: string; target?: string } & RunOptions = {}): Promise<RestoreResult> {
    return this.locked(() => this.timed('restore', () => this.doRestore(id, opts), { id, path: opts.path, target: opts.target }));
  }

  private async doRestore(id: string, opts: { path?: string; target?: string } & RunOptions): Promise<RestoreResult> {
    const b = this.mustGet(id);
    if (opts.path !== undefined && !safeEntryPath(opts.path)) throw new BackupError(`"${opts.path}" is not a path inside the backup.`, 'INVALID');
    const target = path.resolve(opts.target ?? this.dataDir);
    fs.mkdirSync(target, { recursive: true });
    const chain = this.catalog.chain(id);
    const work = path.join(target, RESTORE_DIR);
    const now = this.clock.now();
    const snapshotId = `snapshot-${stamp(now)}-${randomBytes(3).toString('hex')}`;
    const staging = path.join(work, `staging-${snapshotId}`);
    const snapshotDir = path.join(work, 'snapshots', snapshotId);
    fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
    const journal: Journal = {
      state: 'staging',
      staging,
      snapshotDir,
      target,
      snapshot: { id: snapshotId, createdAt: now, restoredBackupId: id, target, movedCount: 0, addedCount: 0, moved: [], added: [] },
      ops: [],
    };
    await writeJsonAtomically(path.join(work, 'journal.json'), journal);
    let writer: StagingWriter | undefined;
    try {
      // 1. Unpack every archive of the chain into staging, checking every entry.
      const files = (writer = new StagingWriter());
      const staged = new Map<string, ManifestEntry>();
      /** Files the worker hashed: checked once it has finished, still before anything live is touched. */
      const hashedByWorker: { id: number; path: string; sha256: string; backup: string }[] = [];
      const manifests = await Promise.all(chain.map((c) => this.catalog.manifest(c.id)));
      let done = 0;
      let bytes = 0;
      const totalFiles = manifests.reduce((t, m) => t + m.length, 0);
      const totalBytes = manifests.reduce((t, m) => m.reduce((u, e) => u + e.size, t), 0);
      for (const [i, c] of chain.entries()) {
        const key = c.encrypted ? await this.keys.getKey(false) : undefined;
        if (c.encrypted && !key) throw new BackupError('This backup is encrypted and no key is available here: import its recovery key. Nothing was changed.', 'NO_KEY');
        const manifest = new Map(manifests[i].map((m) => [m.path, m]));
        const seen = new Set<string>();
        let inner: ArchiveManifest | undefined;
        const read = await readArchive(
          path.join(this.backupsDir, c.archive),
          key,
          (e) => {
            if (e.path === MANIFEST_PATH && e.type === 'File') return gathered((b) => (inner = JSON.parse(b.toString('utf8')) as ArchiveManifest));
            if (e.type !== 'File') throw new BackupError(`The archive holds a ${e.type} entry (${e.path}); only files are restored. Nothing was changed.`, 'UNSAFE_ENTRY');
            if (!safeEntryPath(e.path)) throw new BackupError(`The archive holds an unsafe path (${e.path}). Nothing was changed.`, 'UNSAFE_ENTRY');
            const m = manifest.get(e.path);
            if (!m) throw new BackupError(`${e.path} is in the archive but not in its manifest. Nothing was changed.`, 'CORRUPT');
            if (seen.has(e.path)) throw new BackupError(`${e.path} is in the archive twice. Nothing was changed.`, 'CORRUPT');
            seen.add(e.path);
            // Hashed here as it is parsed (a file that does not match ends the restore before
            // the next is read) or, while it keeps up, by the worker as it writes it.
            const toStage = under(e.path, opts.path);
            const onWorker = toStage && !files.behind();
            const h = onWorker ? undefined : createHash('sha256');
            const file = toStage ? files.open(path.join(staging, ...e.path.split('/')), staged.has(e.path), m.mode, onWorker) : undefined;
            return {
              data: (b, pos) => {
                h?.update(b);
                if (file !== undefined) files.write(file, pos, b.length);
              },
              end: () => {
                if (h && h.digest('hex') !== m.sha256) throw new BackupError(`${e.path} in backup ${c.id} does not match its sha256. Nothing was changed.`, 'CORRUPT');
                if (file !== undefined) files.close(file, m.mtimeMs);
                if (onWorker) hashedByWorker.push({ id: file!, path: e.path, sha256: m.sha256, backup: c.id });
                bytes += e.size;
                opts.onProgress?.({ phase: 'staging', files: ++done, totalFiles, bytes, totalBytes });
              },
            };
          },
          opts.signal,
          { ring: files.ring },
        ).catch((err: unknown) => {
          if (err instanceof BackupError) throw err;
          if ((err as { code?: string }).code === 'ENOSPC') throw noSpaceToStage();
          if ((err as { code?: string }).code === 'NO_KEY') throw new BackupError((err as Error).message, 'NO_KEY');
          if ((err as Error).name === 'BackupCryptoError' && /different key/.test((err as Error).message)) throw new BackupError(`${(err as Error).message} Nothing was changed.`, 'WRONG_KEY');
          if (opts.signal?.aborted || (err as Error).name === 'AbortError' || (err as Error).name === 'CancelledError') throw new BackupError('The restore was cancelled; nothing was changed.', 'CANCELLED');
          throw new BackupError(`Backup ${c.id} is damaged (${(err as Error).message}). Nothing was changed.`, 'CORRUPT');
        });
        // Everything Validate checks, in the same pass: the archive is the one the catalog names
        // (its hashing runs on this thread while the worker writes files), every chunk
        // authenticated, the manifest and every file's sha256.
        if (read.size !== c.sizeBytes || read.sha256 !== c.sha256) throw new BackupError(`Backup ${c.id}'s archive does not match the size and sha256 in the catalog. Nothing was changed.`, 'CORRUPT');
        if (!inner || sha(JSON.stringify(inner.files)) !== sha(JSON.stringify([...manifest.values()]))) {
          throw new BackupError(`Backup ${c.id}'s manifest does not match the catalog. Nothing was changed.`, 'CORRUPT');
        }
        const missing = [...manifest.keys()].find((p) => !seen.has(p));
        if (missing) throw new BackupError(`${missing} is in backup ${c.id}'s manifest but not in its archive. Nothing was changed.`, 'CORRUPT');
        for (const d of c.deleted ?? []) {
          staged.delete(d);
          files.remove(path.join(staging, ...d.split('/')));
        }
        for (const m of manifest.values()) if (under(m.path, opts.path)) staged.set(m.path, m);
      }
      await files.finish().catch((err: unknown) => {
        throw (err as { code?: string }).code === 'ENOSPC' ? noSpaceToStage() : err;
      });
      throwIfAborted(opts.signal);
      for (const f of hashedByWorker) {
        if (files.sha256Of(f.id) !== f.sha256) throw new BackupError(`${f.path} in backup ${f.backup} does not match its sha256. Nothing was changed.`, 'CORRUPT');
      }

      // 2. Plan the swap: staged files in, live files in scope that the backup lacks out.
      const live = (await walk(target, this.scopeFor(b))).map((f) => f.path).filter((p) => under(p, opts.path));
      const liveSet = new Set(live);
      journal.ops = [...[...staged.keys()].map((p) => ({ path: p, fromStaging: true })), ...live.filter((p) => !staged.has(p)).map((p) => ({ path: p, fromStaging: false }))];
      journal.snapshot.moved = live;
      journal.snapshot.added = [...staged.keys()].filter((p) => !liveSet.has(p));
      journal.snapshot.movedCount = journal.snapshot.moved.length;
      journal.snapshot.addedCount = journal.snapshot.added.length;
      journal.state = 'swapping';
      await writeJsonAtomically(path.join(work, 'journal.json'), journal);
    } catch (err) {
      // Nothing may still be writing into staging while it is removed.
      await writer?.stop();
      fs.rmSync(staging, { recursive: true, force: true });
      fs.rmSync(path.join(work, 'journal.json'), { force: true });
      throw err;
    }
    // 3. From here on a crash is rolled forward at the next start: the journal says what to move.
    opts.onProgress?.({ phase: 'swapping', files: 0, totalFiles: journal.ops.length, bytes: 0, totalBytes: 0 });
    await this.finishSwap(journal);
    const liveBefore = new Set(journal.snapshot.moved);
    return {
      snapshotId,
      target,
      added: journal.snapshot.added,
      overwritten: journal.ops.filter((o) => o.fromStaging && liveBefore.has(o.path)).map((o) => o.path),
      deleted: journal.ops.filter((o) => !o.fromStaging).map((o) => o.path),
    };
  }

  /** Moves live files aside and staged files in; every step can be repeated safely. */
  private async finishSwap(j: Journal): Promise<void> {
    const ensureDir = dirMaker();
    // A folder the live tree lacks is renamed in whole: one rename instead of one per file
    // (restoring into a new folder, or a deleted subtree). After a crash, its files are simply
    // no longer in staging, which the per-file steps below already treat as done.
    const liveDirs = new Map<string, boolean>();
    const movedDirs = new Set<string>();
    const movedWhole = (rel: string): boolean => {
      const parts = rel.split('/');
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/');
        if (movedDirs.has(dir)) return true;
        let there = liveDirs.get(dir);
        if (there === undefined) liveDirs.set(dir, (there = exists(path.join(j.target, ...parts.slice(0, i)))));
        if (there) continue;
        const from = path.join(j.staging, ...parts.slice(0, i));
        if (exists(from)) fs.renameSync(from, path.join(j.target, ...parts.slice(0, i)));
        movedDirs.add(dir);
        liveDirs.set(dir, true);
        return true;
      }
      return false;
    };
    for (const op of j.ops) {
      if (op.fromStaging && movedWhole(op.path)) continue;
      const live = path.join(j.target, ...op.path.split('/'));
      const staged = path.join(j.staging, ...op.path.split('/'));
      const aside = path.join(j.snapshotDir, ...op.path.split('/'));
      const stagedThere = op.fromStaging && exists(staged);
      if ((stagedThere || !op.fromStaging) && exists(live) && !exists(aside)) {
        ensureDir(path.dirname(aside));
        fs.renameSync(live, aside);
      }
      if (stagedThere) {
        ensureDir(path.dirname(live));
        fs.renameSync(staged, live);
      }
    }
    const { moved, added, ...record } = j.snapshot;
    await writeJsonAtomically(snapshotListsFile(record), { moved, added } satisfies SnapshotLists);
    if (!this.catalog.snapshots.some((s) => s.id === record.id)) this.catalog.snapshots.push(record);
    await this.catalog.save();
    fs.rmSync(j.staging, { recursive: true, force: true });
    fs.rmSync(path.join(j.target, RESTORE_DIR, 'journal.json'), { force: true });
  }

  /** After a crash: a restore still staging is dropped (live untouched); one swapping is finished. */
  async recoverRestore(target: string): Promise<boolean> {
    const file = path.join(target, RESTORE_DIR, 'journal.json');
    let j: Journal;
    try {
      j = JSON.parse(fs.readFileSync(file, 'utf8')) as Journal;
    } catch {
      return false;
    }
    if (j.state === 'staging') {
      fs.rmSync(j.staging, { recursive: true, force: true });
      fs.rmSync(file, { force: true });
      this.hooks.info?.('Dropped a restore that was interrupted while staging; the data was not changed');
    } else {
      await this.finishSwap(j);
      this.hooks.info?.(`Finished a restore of ${j.snapshot.restoredBackupId} that was interrupted`);
    }
    return true;
  }

  /** Puts back what a restore moved aside and removes what it added. */
  async undoRestore(snapshotId: string): Promise<void> {
    return this.locked(async () => {
      const s = this.catalog.snapshots.find((x) => x.id === snapshotId);
      if (!s) throw new BackupError(`No pre-restore snapshot has the ID ${snapshotId}.`, 'NOT_FOUND');
      const dir = path.join(s.target, RESTORE_DIR, 'snapshots', s.id);
      let lists: SnapshotLists;
      try {
        lists = s.moved && s.added ? { moved: s.moved, added: s.added } : (JSON.parse(fs.readFileSync(snapshotListsFile(s), 'utf8')) as SnapshotLists);
      } catch (err) {
        throw new BackupError(`The list of what restore ${s.id} changed is missing or unreadable (${(err as Error).message}); nothing was undone.`, 'NOT_FOUND');
      }
      for (const p of lists.added) fs.rmSync(path.join(s.target, ...p.split('/')), { force: true });
      for (const p of lists.moved) {
        const from = path.join(dir, ...p.split('/'));
        if (!exists(from)) continue;
        const to = path.join(s.target, ...p.split('/'));
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.renameSync(from, to);
      }
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(snapshotListsFile(s), { force: true });
      this.catalog.snapshots = this.catalog.snapshots.filter((x) => x.id !== snapshotId);
      await this.catalog.save();
    });
  }

  // ---- housekeeping ----

  async delete(id: string): Promise<void> {
    return this.locked(async () => {
      const b = this.mustGet(id);
      const dependents = this.catalog.backups.filter((x) => x.parentId === id);
      if (dependents.length) throw new BackupError(`${dependents.length} incremental backup(s) build on ${id}; delete them first.`, 'INVALID');
      this.removeBackup(b);
      await this.catalog.save();
    });
  }

  /** Keeps the newest N of each type and everything a kept incremental needs. */
  async applyRetention(): Promise<{ deleted: string[]; bytesFreed: number }> {
    return this.locked(() => this.applyRetentionUnlocked());
  }

  private async applyRetentionUnlocked(): Promise<{ deleted: string[]; bytesFreed: number }> {
    const keep = new Set<string>();
    for (const type of Object.keys(this.settings.retention) as BackupType[]) {
      const ofType = this.catalog.backups.filter((b) => b.type === type && b.status === 'completed');
      for (const b of ofType.slice(-this.settings.retention[type])) for (const c of this.catalog.chain(b.id)) keep.add(c.id);
    }
    const failed = this.catalog.backups.filter((b) => b.status === 'failed');
    for (const b of failed.slice(-10)) keep.add(b.id);
    const gone = this.catalog.backups.filter((b) => !keep.has(b.id));
    let bytesFreed = 0;
    for (const b of gone) bytesFreed += this.removeBackup(b);
    // Snapshots past their days go too.
    const cutoff = this.clock.now() - this.settings.snapshotRetentionDays * 86_400_000;
    for (const s of this.catalog.snapshots.filter((x) => x.createdAt < cutoff)) {
      fs.rmSync(path.join(s.target, RESTORE_DIR, 'snapshots', s.id), { recursive: true, force: true });
      fs.rmSync(snapshotListsFile(s), { force: true });
    }
    this.catalog.snapshots = this.catalog.snapshots.filter((x) => x.createdAt >= cutoff);
    if (gone.length) await this.catalog.save();
    return { deleted: gone.map((b) => b.id), bytesFreed };
  }

  private removeBackup(b: BackupRecord): number {
    let freed = 0;
    if (b.archive) {
      const f = path.join(this.backupsDir, b.archive);
      freed = fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0;
      fs.rmSync(f, { force: true });
    }
    fs.rmSync(this.catalog.manifestFile(b.id), { force: true });
    if (this.lastTree?.id === b.id) this.lastTree = undefined;
    this.catalog.backups = this.catalog.backups.filter((x) => x.id !== b.id);
    return freed;
  }

  status(now = this.clock.now()): {
    types: Record<BackupType, { total: number; completed: number; failed: number; lastSuccessful?: string; retention: number }>;
    recent: BackupRecord[];
    backupsFolderBytes: number;
    lastSuccessfulAt?: number;
    hoursSinceLastSuccess?: number;
  } {
    const types = {} as Record<BackupType, { total: number; completed: number; failed: number; lastSuccessful?: string; retention: number }>;
    for (const t of ['FULL', 'INCREMENTAL', 'CONFIGURATION', 'USER_DATA'] as BackupType[]) {
      const of = this.catalog.backups.filter((b) => b.type === t);
      const last = [...of].reverse().find((b) => b.status === 'completed');
      types[t] = {
        total: of.length,
        completed: of.filter((b) => b.status === 'completed').length,
        failed: of.filter((b) => b.status === 'failed').length,
        ...(last ? { lastSuccessful: new Date(last.createdAt).toISOString() } : {}),
        retention: this.settings.retention[t],
      };
    }
    let bytes = 0;
    for (const b of this.catalog.backups) bytes += b.sizeBytes;
    const last = this.latestCompleted(['FULL', 'INCREMENTAL', 'CONFIGURATION', 'USER_DATA']);
    return {
      types,
      recent: [...this.catalog.backups].reverse().slice(0, 10),
      backupsFolderBytes: bytes,
      ...(last ? { lastSuccessfulAt: last.createdAt, hoursSinceLastSuccess: Math.round(((now - last.createdAt) / 3_600_000) * 10) / 10 } : {}),
    };
  }

  private mustGet(id: string): BackupRecord {
    const b = this.catalog.get(id);
    if (!b) throw new BackupError(`No backup has the ID ${id}.`, 'NOT_FOUND');
    if (b.status !== 'completed') throw new BackupError(`Backup ${id} failed (${b.error ?? 'unknown error'}) and cannot be restored.`, 'INVALID');
    return b;
  }

  private timed<T>(op: string, fn: () => Promise<T>, fields?: Record<string, unknown>): Promise<T> {
    return this.hooks.record ? this.hooks.record(op, fn, fields) : fn();
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T>;
  /** With `wait: false`: undefined, without running `fn`, if another window holds the lock. */
  private async locked<T>(fn: () => Promise<T>, o: { wait: false }): Promise<T | undefined>;
  private async locked<T>(fn: () => Promise<T>, o: { wait: boolean } = { wait: true }): Promise<T | undefined> {
    fs.mkdirSync(this.backupsDir, { recursive: true, mode: 0o700 });
    const lockPath = path.join(this.backupsDir, '.lock');
    const ownerFile = path.join(this.backupsDir, '.lock-owner');
    const options = { lockfilePath: lockPath, stale: 30_000, update: 5_000 };
    // Loaded on first use: it costs ~18 ms to load, which activation must not pay.
    const lockfile = await import('proper-lockfile');
    let release: (() => Promise<void>) | undefined;
    for (let attempt = 0; !release; attempt++) {
      try {
        release = await lockfile.lock(this.backupsDir, { ...options, retries: 0 });
      } catch {
        // A holder that died (a crash, a kill) leaves its lock until it goes stale; on this
        // machine we can tell at once whether the holder still lives.
        if (holderIsGone(lockPath, ownerFile)) fs.rmSync(lockPath, { recursive: true, force: true });
        else if (!o.wait) return undefined;
        else if (attempt >= 60) throw new BackupError('Another VS Code window is writing backups right now; try again when it has finished.', 'LOCKED');
        else await new Promise((r) => setTimeout(r, 250));
      }
    }
    fs.writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, host: os.hostname() }));
    try {
      // Another window may have written the catalog since we read it: start from what is on disk,
      // or saving would drop its backups.
      await this.catalog.refresh();
      return await fn();
    } finally {
      fs.rmSync(ownerFile, { force: true });
      await release().catch(() => undefined);
    }
  }
}

/**
 * Whether the process holding the lock is dead: its recorded pid is gone on this machine, or
 * it never recorded one although the lock is older than a live holder needs to write it.
 */
function holderIsGone(lockPath: string, ownerFile: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(ownerFile, 'utf8');
  } catch {
    const st = fs.statSync(lockPath, { throwIfNoEntry: false });
    return !!st && Date.now() - st.mtimeMs > 2000;
  }
  try {
    const o = JSON.parse(text) as { pid: number; host: string };
    if (o.host !== os.hostname()) return false;
    process.kill(o.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' || err instanceof SyntaxError;
  }
}

const noSpaceToStage = (): BackupError => new BackupError('There is not enough free space to stage the restore. Nothing was changed.', 'NO_SPACE');

/** Where a snapshot's path lists lie: beside the folder of the files it moved aside. */
function snapshotListsFile(s: Pick<SnapshotRecord, 'id' | 'target'>): string {
  return path.join(s.target, RESTORE_DIR, 'snapshots', `${s.id}.json`);
}

/** mkdir -p that remembers what it made: one recursive mkdir per folder, not per file. */
function dirMaker(): (dir: string) => void {
  const made = new Set<string>();
  return (dir) => {
    if (made.has(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    made.add(dir);
  };
}

function under(p: string, prefix: string | undefined): boolean {
  if (!prefix) return true;
  const clean = prefix.replace(/\/+$/, '');
  return p === clean || p.startsWith(`${clean}/`);
}

/**
 * A file's sha256, read synchronously through one 128 KB buffer (fast from the page cache, as
 * in the walk), in time slices so big files don't block the event loop.
 */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  const slice = timeSlicer();
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(128 * 1024);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      h.update(buf.subarray(0, n));
      if (slice.due()) await slice.yield();
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
