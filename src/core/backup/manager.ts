import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../clock';
import { checkFolders, createBackup, latestCompleted, type Created } from './archiver';
import { Catalog, type CatalogProblems } from './catalog';
import { CHECK_ENTRIES, verifyArchive } from './checker';
import type { BackupHooks, Engine, RunOptions, Tree } from './engine';
import { FolderGuard } from './guard';
import { withLock } from './lock';
import { archiveKeyId, keyNamed } from './keyring';
import { adoptArchives } from './rebuild';
import { removeLeftovers } from './leftovers';
import { backupStatus, type BackupStatus } from './status';
import { ChangeLog } from './changeList';
import { checkSources } from './sources';
import { recoverRestores } from './recovery';
import { planRestore, restore, type RestoreOptions, type RestorePlan, type RestoreResult } from './restorer';
import { applyPolicy, snapshotPolicy, type Decision } from './retention';
import { removeSnapshotFiles, resumeUndos, undoRestore } from './snapshots';
import { Journals } from './swapJournal';
import {
  ALWAYS_EXCLUDED,
  BackupError,
  DEFAULT_BACKUP_SETTINGS,
  type BackupRecord,
  type BackupSettings,
  type BackupType,
  type KeyProvider,
  type ManifestEntry,
  type Source,
  type SourcedType,
} from './types';
import { select, type Selection } from './walk';

export type { BackupHooks, RunOptions } from './engine';
export type { RestorePlan, RestoreResult } from './restorer';
export { safeEntryPath } from './guard';

const SOURCED_TYPES: SourcedType[] = ['FULL', 'CONFIGURATION', 'USER_DATA'];

export interface ValidationReport {
  id: string;
  valid: boolean;
  checks: { name: string; ok: boolean; detail?: string }[];
  firstProblem?: string;
}

/** What start-up found and did: for the log and, when anything was wrong, an alert. */
export interface InitReport {
  removed: string[];
  recovered: string[];
  /** Catalog records left out, a damaged catalog moved aside, archives read back, journals refused. */
  problems: string[];
  adopted: string[];
}

/**
 * Backups of one data directory into one backups folder: a facade over the repository
 * (catalog, manifests, keys), the archiver, the one checker, the restorer with its swap
 * journals, and retention. Every operation that writes takes the backups folder's lock, so
 * two VS Code windows never write at once.
 */
export class BackupManager implements Engine {
  readonly catalog: Catalog;
  readonly journals: Journals;
  private current: BackupSettings;
  /** The newest backup's tree: the next incremental builds on it without reading every manifest of its chain. */
  private last: Created | undefined;
  /**
   * What changed in the workspace since the newest backup, as the adapter's file watcher
   * reports it (`note`, `lose`): an incremental then looks at those paths, not at every file,
   * with a full walk at least once a day and whenever the list may be incomplete.
   */
  readonly changes = new ChangeLog();

  constructor(
    readonly clock: Clock,
    readonly dataDir: string,
    readonly backupsDir: string,
    readonly keys: KeyProvider,
    settings: Partial<BackupSettings> = {},
    readonly hooks: BackupHooks = {},
  ) {
    this.current = { ...DEFAULT_BACKUP_SETTINGS, ...settings };
    this.catalog = new Catalog(backupsDir, keys, () => this.current.encrypt);
    this.journals = new Journals(path.join(backupsDir, 'journals'), keys);
  }

  configure(settings: Partial<BackupSettings>): void {
    this.current = { ...DEFAULT_BACKUP_SETTINGS, ...settings };
  }

  settings(): BackupSettings {
    return this.current;
  }

  async keyFor(b: BackupRecord): Promise<Buffer | undefined> {
    if (!b.encrypted) return undefined;
    const key = await keyNamed(this.keys, archiveKeyId(path.join(this.backupsDir, b.archive)));
    if (!key) throw new BackupError('This backup is encrypted and no key is available here: import its recovery key. Nothing was changed.', 'NO_KEY');
    return key;
  }

  /**
   * Loads the catalog (rebuilding it from the archives when it is lost or damaged), removes what
   * a killed backup left, and finishes or rolls back every interrupted restore. Cleaning and
   * recovery run only if the lock can be taken at once: another window may be mid-backup.
   */
  async init(): Promise<InitReport> {
    // A backups folder in the data is refused before anything is read or written there: start-up
    // cleaning would otherwise delete the user's files that look like our leftovers.
    checkFolders(this.dataDir, this.backupsDir);
    for (const t of SOURCED_TYPES) checkSources(this.sourcesOf(t), this.backupsDir);
    fs.mkdirSync(this.backupsDir, { recursive: true, mode: 0o700 });
    const report: InitReport = { removed: [], recovered: [], problems: [], adopted: [] };
    this.noteCatalog(await this.catalog.load(), report);
    await this.locked(
      async () => {
        report.removed = removeLeftovers(this.backupsDir);
        await this.adopt(report);
        report.recovered = [...(await recoverRestores(this, report.problems)), ...(await resumeUndos(this, report.problems))];
      },
      { wait: false },
    );
    if (report.removed.length) this.hooks.info?.(`Removed ${report.removed.length} unfinished backup file(s) at start`, { files: report.removed });
    if (report.problems.length) this.hooks.warn?.(`The backup catalog in ${this.backupsDir} needed repair: ${report.problems.join('; ')}`, { problems: report.problems, adopted: report.adopted });
    return report;
  }

  /** Reads every archive back into a fresh catalog (the Rebuild Catalog command); the old file is kept beside it. */
  async rebuildCatalog(signal?: AbortSignal): Promise<InitReport> {
    return this.locked(async () => {
      const report: InitReport = { removed: [], recovered: [], problems: [], adopted: [] };
      if (fs.existsSync(this.catalog.file)) fs.copyFileSync(this.catalog.file, `${this.catalog.file}.before-rebuild-${this.clock.now()}`);
      const before = this.catalog.backups;
      this.catalog.backups = [];
      this.last = undefined;
      try {
        await this.adopt(report, signal);
      } catch (err) {
        this.catalog.backups = before;
        throw err;
      }
      await this.catalog.save();
      return report;
    });
  }

  private noteCatalog(p: CatalogProblems, report: InitReport): void {
    if (p.movedAside) report.problems.push(`the catalog could not be read (${p.reason}); it was moved to ${path.basename(p.movedAside)} and rebuilt from the archives`);
    for (const d of p.dropped) report.problems.push(`left out ${d}`);
  }

  private async adopt(report: InitReport, signal?: AbortSignal): Promise<void> {
    const a = await adoptArchives(this, signal);
    report.adopted.push(...a.adopted);
    if (a.adopted.length) {
      report.problems.push(`${a.adopted.length} backup(s) the catalog did not list were read back from their archives`);
      await this.catalog.save();
    }
    for (const u of a.unreadable) report.problems.push(`an archive the catalog does not list could not be read back, and was left where it is: ${u}`);
  }

  // ---- creating ----

  selection(type: Exclude<BackupType, 'INCREMENTAL'>): Selection {
    return select(this.current.sources[type], [...ALWAYS_EXCLUDED, ...this.current.exclude]);
  }

  sourcesOf(type: SourcedType): Source[] {
    return this.current.roots?.[type] ?? [{ name: '', root: this.dataDir, include: this.current.sources[type], exclude: [...ALWAYS_EXCLUDED, ...this.current.exclude] }];
  }

  latestCompleted(types: BackupType[]): BackupRecord | undefined {
    return latestCompleted(this, types);
  }

  /** The tree a backup restores to: its chain's manifests applied in order. A copy: callers may change it. */
  async treeOf(id: string): Promise<Tree> {
    // A backup's manifests never change once it exists.
    const last = this.last?.record.id === id ? this.last.tree : undefined;
    if (last) return { files: new Map(last.files), dirs: last.dirs };
    const files = new Map<string, ManifestEntry>();
    let dirs: Tree['dirs'] = [];
    for (const b of this.catalog.chain(id)) {
      const m = await this.catalog.manifest(b.id);
      for (const d of m.deleted) files.delete(d);
      for (const e of m.files) files.set(e.path, e);
      dirs = m.dirs;
    }
    return { files, dirs };
  }

  /** What the change list must have been kept for: the workspace's folders and globs. */
  private sourcesKey(): string {
    return JSON.stringify(this.sourcesOf('FULL'));
  }

  /**
   * For a caller that kept a watcher's list in another process (the benchmarks' parent): the
   * paths changed since the newest backup of the workspace, which walked.
   */
  resumeChanges(paths: readonly string[]): void {
    const b = latestCompleted(this, ['FULL', 'INCREMENTAL']);
    if (!b) return;
    this.changes.resume(b.id, b.createdAt, this.sourcesKey());
    for (const p of paths) this.changes.note(p);
  }

  async createBackup(requested: BackupType, o: RunOptions = {}): Promise<BackupRecord> {
    // Before the lock, which would make the folder: nothing is written where it may not be.
    checkFolders(this.dataDir, this.backupsDir);
    checkSources(this.sourcesOf(requested === 'INCREMENTAL' ? 'FULL' : requested), this.backupsDir);
    return this.locked(() =>
      this.timed(
        'backup',
        async () => {
          const cached = this.last;
          // The cached tree turns into the new backup's: until the catalog has it, no cache.
          this.last = undefined;
          // Configuration and user-data backups read other folders: the workspace's list stays.
          const tracked = requested === 'FULL' || requested === 'INCREMENTAL';
          const taken = tracked ? this.changes.take(latestCompleted(this, ['FULL', 'INCREMENTAL'])?.id, this.sourcesKey(), this.clock.now()) : undefined;
          let created: Created;
          try {
            created = await createBackup(this, requested, o, cached, requested === 'INCREMENTAL' ? taken : undefined);
          } catch (err) {
            if (taken) this.changes.failed(taken);
            throw err;
          }
          if (taken) this.changes.done(taken, created.record.id, created.listed);
          this.last = created;
          await this.retain();
          return created.record;
        },
        { type: requested },
      ),
    );
  }

  // ---- validating ----

  async validate(id: string, o: RunOptions = {}): Promise<ValidationReport> {
    return this.timed('validate', () => this.doValidate(id, o, new Map()), { id });
  }

  /**
   * Every check of one backup's archive, and of every link of its chain before it: an
   * incremental whose parent is damaged cannot be restored, so it is not valid either.
   */
  private async doValidate(id: string, o: RunOptions, known: Map<string, ValidationReport>): Promise<ValidationReport> {
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
    const chain = this.catalog.tryChain(id);
    if (!chain.chain) return check('chain complete', false, chain.problem.message), report;
    for (const link of chain.chain.slice(0, -1)) {
      const r = known.get(link.id) ?? (await this.doValidate(link.id, o, known));
      known.set(link.id, r);
      if (!check(`chain link ${link.id}`, r.valid, `${link.id}, which this backup builds on, is invalid: ${r.firstProblem}`)) return report;
    }
    const file = path.join(this.backupsDir, b.archive);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (!check('archive exists', !!st, st ? undefined : `${b.archive} is missing`) || !st) return report;
    if (!check('size matches catalog', st.size === b.sizeBytes, `${st.size} bytes, catalog says ${b.sizeBytes}`)) return report;
    const key = b.encrypted ? await keyNamed(this.keys, archiveKeyId(file)) : undefined;
    if (b.encrypted && !check('key available', !!key, 'no key for these backups; import the recovery key')) return report;
    let manifest;
    try {
      manifest = await this.catalog.manifest(id);
      check('manifest in catalog', true);
    } catch (err) {
      check('manifest in catalog', false, (err as Error).message);
      return report;
    }
    try {
      await verifyArchive(file, b, key, manifest, { signal: o.signal, report: check });
    } catch (err) {
      if (err instanceof BackupError && err.code === 'CANCELLED') throw err;
      if (!report.firstProblem) check(CHECK_ENTRIES, false, (err as Error).message);
      return report;
    }
    report.valid = true;
    known.set(id, report);
    return report;
  }

  async validateAll(o: RunOptions = {}): Promise<ValidationReport[]> {
    const known = new Map<string, ValidationReport>();
    const out: ValidationReport[] = [];
    for (const b of this.catalog.backups.filter((x) => x.status === 'completed')) out.push(await this.timed('validate', () => this.doValidate(b.id, o, known), { id: b.id }));
    return out;
  }

  // ---- restoring ----

  /** What a restore would do, without doing it: for the confirmation. */
  planRestore(id: string, opts: Omit<RestoreOptions, 'signal' | 'onProgress'> = {}): Promise<RestorePlan> {
    return planRestore(this, id, opts);
  }

  async restore(id: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
    // A restore rewrites files faster than a watcher may report them: the next incremental walks.
    this.changes.lose();
    return this.locked(() => this.timed('restore', () => restore(this, id, opts), { id, path: opts.path, target: opts.target }));
  }

  /** Undoes a restore: every root it wrote (the snapshots of its group), last first. */
  async undoRestore(snapshotId: string, o: { replaceChanged?: boolean } = {}): Promise<void> {
    this.changes.lose();
    return this.locked(async () => {
      const s = this.catalog.snapshots.find((x) => x.id === snapshotId);
      const group = s?.group ?? snapshotId;
      const ids = this.catalog.snapshots.filter((x) => x.id === group || x.group === group).map((x) => x.id);
      for (const id of (ids.length ? ids : [snapshotId]).reverse()) await undoRestore(this, id, o);
    });
  }

  // ---- housekeeping ----

  async delete(id: string): Promise<void> {
    return this.locked(async () => {
      const b = this.catalog.get(id);
      if (!b) throw new BackupError(`No backup has the ID ${id}.`, 'NOT_FOUND');
      const dependents = this.catalog.backups.filter((x) => x.parentId === id);
      if (dependents.length) throw new BackupError(`${dependents.length} incremental backup(s) build on ${id}; delete them first.`, 'INVALID');
      this.removeBackup(b);
      await this.catalog.save();
    });
  }

  /** What retention would keep and remove now, and why. */
  retentionPlan(): Decision<BackupRecord> {
    return applyPolicy(this.catalog.backups, this.policy());
  }

  /** Keeps the newest N of each type and everything a kept incremental needs. */
  async applyRetention(): Promise<{ deleted: string[]; bytesFreed: number; reasons: Record<string, string> }> {
    return this.locked(() => this.retain());
  }

  /** Removes pre-restore snapshots past their days (the data-cleanup task), and nothing else. */
  async pruneSnapshots(): Promise<{ deleted: string[]; bytesFreed: number; reasons: Record<string, string> }> {
    if (!fs.existsSync(this.backupsDir)) return { deleted: [], bytesFreed: 0, reasons: {} };
    return (await this.locked(() => this.retainSnapshots())) ?? { deleted: [], bytesFreed: 0, reasons: {} };
  }

  private policy() {
    return { keep: this.current.retention, failed: 10, snapshotDays: this.current.snapshotRetentionDays };
  }

  private async retain(): Promise<{ deleted: string[]; bytesFreed: number; reasons: Record<string, string> }> {
    const decision = applyPolicy(this.catalog.backups, this.policy());
    let bytesFreed = 0;
    const reasons: Record<string, string> = {};
    for (const { item, reason } of decision.remove) {
      bytesFreed += this.removeBackup(item);
      reasons[item.id] = reason;
    }
    const snaps = await this.retainSnapshots(false);
    if (decision.remove.length || snaps.deleted.length) await this.catalog.save();
    return { deleted: decision.remove.map((r) => r.item.id), bytesFreed, reasons };
  }

  private async retainSnapshots(save = true): Promise<{ deleted: string[]; bytesFreed: number; reasons: Record<string, string> }> {
    const snaps = snapshotPolicy(this.catalog.snapshots, this.current.snapshotRetentionDays, this.clock.now());
    const kept = snaps.keep.map((k) => k.item);
    const reasons: Record<string, string> = {};
    for (const { item, reason } of snaps.remove) {
      try {
        removeSnapshotFiles(this, item);
        reasons[item.id] = reason;
      } catch (err) {
        if (!(err instanceof BackupError) || err.code !== 'UNSAFE_PATH') throw err;
        // Its folder is reached through a link: nothing removed, and the record kept, until that is looked at.
        kept.push(item);
        this.hooks.warn?.(`The pre-restore snapshot ${item.id} was not removed: ${err.message}`, { snapshot: item.id });
      }
    }
    this.catalog.snapshots = kept;
    if (save && snaps.remove.length) await this.catalog.save();
    // What a snapshot held is not measured before it goes: its files are counted, not its bytes.
    return { deleted: Object.keys(reasons), bytesFreed: 0, reasons };
  }

  /** Removes a backup's archive and manifest (each by a name derived from its checked id) and its record. */
  private removeBackup(b: BackupRecord): number {
    const folder = new FolderGuard(this.backupsDir);
    // Both names are checked before either goes: one refused leaves the backup whole.
    folder.resolve(`manifests/${b.id}.json`);
    let freed = 0;
    if (b.archive) {
      freed = fs.lstatSync(folder.resolve(b.archive), { throwIfNoEntry: false })?.size ?? 0;
      folder.remove(b.archive);
    }
    folder.remove(`manifests/${b.id}.json`);
    if (this.last?.record.id === b.id) this.last = undefined;
    this.catalog.backups = this.catalog.backups.filter((x) => x.id !== b.id);
    return freed;
  }

  /** The guide's get_backup_status(). */
  status(now = this.clock.now()): BackupStatus {
    return backupStatus(this.catalog.backups, this.current.retention, now);
  }

  /** Runs `fn` holding the backups folder's lock: no backup, restore or retention of any window runs meanwhile. */
  whileLocked<T>(fn: () => Promise<T>): Promise<T> {
    return this.locked(fn);
  }

  private timed<T>(op: string, fn: () => Promise<T>, fields?: Record<string, unknown>): Promise<T> {
    return this.hooks.record ? this.hooks.record(op, fn, fields) : fn();
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T>;
  /** With `wait: false`: undefined, without running `fn`, if another window holds the lock. */
  private async locked<T>(fn: () => Promise<T>, o: { wait: false }): Promise<T | undefined>;
  private async locked<T>(fn: () => Promise<T>, o: { wait: boolean } = { wait: true }): Promise<T | undefined> {
    // Before the lock, which is written into the backups folder.
    checkFolders(this.dataDir, this.backupsDir);
    return withLock(
      this.backupsDir,
      async () => {
        // Another window may have written the catalog since we read it: start from what is on
        // disk, or saving would drop its backups.
        await this.catalog.refresh();
        return fn();
      },
      o,
    );
  }
}
