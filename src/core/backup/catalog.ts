import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { FolderGuard, isId } from './guard';
import { keyNamed } from './keyring';
import { BACKUP_FIELDS, backupRecordProblem, parseManifest, SNAPSHOT_FIELDS, snapshotRecordProblem, soundRecords } from './records';
import { defaultCodec } from './codec';
import { isPackedManifest, packedKeyId, packManifest, unpackManifestJson } from './manifestFile';
import { isSealed, openJson, sealJson } from './sealedJson';
import { BackupError, type ArchiveManifest, type BackupRecord, type KeyProvider, type SnapshotRecord } from './types';

/** Manifests with more files than this are cached weakly (see Catalog.read). */
const HELD_WEAKLY = 10_000;

/**
 * The sha256 of the JSON text a manifest read beside the catalog was parsed from, when that
 * text is the manifest whole (the packed form, manifestFile.ts): the same text inside the
 * archive is then the same manifest, with no need to parse it again (checker.ts).
 */
const jsonSha256s = new WeakMap<ArchiveManifest, string>();

export const manifestJsonSha256 = (m: ArchiveManifest): string | undefined => jsonSha256s.get(m);

interface CatalogFile {
  version: 1;
  backups: BackupRecord[];
  snapshots: SnapshotRecord[];
}

/** What loading the catalog found wrong, for the user: records left out, a damaged file moved aside. */
export interface CatalogProblems {
  dropped: string[];
  movedAside?: string;
  reason?: string;
}

/**
 * catalog.json: every backup and snapshot, rewritten atomically, sealed with the backup key
 * when backups are encrypted. Each backup's manifest lives beside it in manifests/<id>.json,
 * sealed likewise, and inside the archive. The catalog is an index, never the only record:
 * archives describe themselves, so a catalog that is lost or damaged is rebuilt from them.
 */
export class Catalog {
  backups: BackupRecord[] = [];
  snapshots: SnapshotRecord[] = [];
  /** The file's identity when we last read or wrote it, so `refresh` reads it only if it changed. */
  private seen = '';
  /** Whether the file on disk is sealed: it stays so, whatever the setting says later. */
  private sealed = false;
  /**
   * Why the file on disk could not be opened (no key, another key): until it can, nothing may
   * be saved over it, or a catalog naming only new backups would replace one we cannot read.
   */
  private unopened: BackupError | undefined;

  constructor(
    readonly dir: string,
    private readonly keys: KeyProvider,
    /** Whether new writes are sealed (the encryption setting). */
    private readonly encrypt: () => boolean,
  ) {}

  get file(): string {
    return path.join(this.dir, 'catalog.json');
  }

  /** A backup's manifest beside the catalog; a link in place of `manifests` is refused. */
  manifestFile(id: string): string {
    return new FolderGuard(this.dir).resolve(this.manifestName(id));
  }

  private manifestName(id: string): string {
    if (!isId(id)) throw new BackupError(`"${String(id).slice(0, 80)}" is not a backup id.`, 'UNSAFE_PATH');
    return `manifests/${id}.json`;
  }

  private async stamp(): Promise<string> {
    const st = await fs.stat(this.file).catch(() => undefined);
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
  }

  /** Reads the file again if another window has written it since we last read or wrote it. */
  async refresh(): Promise<CatalogProblems | undefined> {
    // A key may have been imported since: try again.
    if (this.unopened || (await this.stamp()) !== this.seen) return this.load();
    return undefined;
  }

  /**
   * Reads the catalog, keeping every sound record and leaving out (and naming) the others. A
   * file that cannot be read at all is moved aside, never deleted, and the catalog starts
   * empty for the archives to fill again. A sealed file without its key is an error: the
   * catalog is locked, not damaged, and nothing may be done as if it were empty.
   */
  async load(): Promise<CatalogProblems> {
    this.seen = await this.stamp();
    this.unopened = undefined;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.backups = [];
      this.snapshots = [];
      return { dropped: [] };
    }
    let data: unknown;
    try {
      const parsed: unknown = JSON.parse(text);
      this.sealed = isSealed(parsed);
      data = openJson(parsed, this.sealed ? await keyNamed(this.keys, (parsed as { keyId?: string }).keyId) : undefined, 'catalog', this.file);
    } catch (err) {
      if (err instanceof BackupError && err.code !== 'CORRUPT_FILE') {
        this.backups = [];
        this.snapshots = [];
        this.unopened = err;
        throw err;
      }
      return this.moveAside((err as Error).message);
    }
    const d = data as Partial<CatalogFile> | null;
    if (!d || typeof d !== 'object' || d.version !== 1 || !Array.isArray(d.backups)) return this.moveAside(`${this.file} is not a backup catalog of version 1`);
    const backups = soundRecords<BackupRecord>(d.backups, backupRecordProblem, 'backup', BACKUP_FIELDS);
    const snapshots = soundRecords<SnapshotRecord>(d.snapshots ?? [], snapshotRecordProblem, 'snapshot', SNAPSHOT_FIELDS);
    this.backups = backups.records;
    this.snapshots = snapshots.records;
    return { dropped: [...backups.dropped, ...snapshots.dropped] };
  }

  private async moveAside(reason: string): Promise<CatalogProblems> {
    const aside = `${this.file}.damaged-${Date.now()}`;
    await fs.rename(this.file, aside).catch(() => undefined);
    this.backups = [];
    this.snapshots = [];
    this.seen = await this.stamp();
    return { dropped: [], movedAside: aside, reason };
  }

  async save(): Promise<void> {
    if (this.unopened) throw this.unopened;
    const value: CatalogFile = { version: 1, backups: this.backups, snapshots: this.snapshots };
    const seal = this.sealed || this.encrypt();
    const key = seal ? await this.keys.getKey(this.encrypt()) : undefined;
    if (seal && !key) throw new BackupError('The backup catalog is encrypted and no backup key is available here: import the recovery key.', 'NO_KEY');
    await new FolderGuard(this.dir).writeFile('catalog.json', key ? sealJson(key, 'catalog', value) : JSON.stringify(value, null, 1) + '\n');
    this.sealed = !!key;
    this.seen = await this.stamp();
  }

  get(id: string): BackupRecord | undefined {
    return this.backups.find((b) => b.id === id);
  }

  /**
   * Manifests read lately, by the identity of their file: a restore reads the same ones several
   * times. A big one (a full backup of a big workspace: ~25 MB parsed for 100,000 files) is held
   * weakly: reused while its reader still has it, never kept in memory for the cache alone.
   */
  private readonly read = new Map<string, { stamp: string; m: ArchiveManifest | WeakRef<ArchiveManifest> }>();

  /** The manifest kept beside the catalog, checked; sealed ones open only with the key. */
  async manifest(id: string): Promise<ArchiveManifest> {
    const file = this.manifestFile(id);
    const st = await fs.stat(file).catch(() => undefined);
    const stamp = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
    const known = this.read.get(id);
    const kept = known && stamp && known.stamp === stamp ? (known.m instanceof WeakRef ? known.m.deref() : known.m) : undefined;
    if (kept) return kept;
    const m = await this.readManifest(id, file);
    this.read.delete(id);
    this.read.set(id, { stamp, m: m.files.length > HELD_WEAKLY ? new WeakRef(m) : m });
    if (this.read.size > 8) this.read.delete(this.read.keys().next().value as string);
    return m;
  }

  private async readManifest(id: string, file: string): Promise<ArchiveManifest> {
    let bytes: Buffer;
    let value: unknown;
    try {
      bytes = await fs.readFile(file);
      // Before the packed form, a manifest was JSON text (sealed or not).
      if (!isPackedManifest(bytes)) value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is not valid JSON';
      throw new BackupError(`${file} ${why}: run Rebuild Catalog to read it again from the archive.`, 'CORRUPT_FILE');
    }
    const label = `manifest:${id}`;
    let jsonSha256: string | undefined;
    if (isPackedManifest(bytes)) ({ value, jsonSha256 } = await unpackManifestJson(bytes, await keyNamed(this.keys, packedKeyId(bytes)), label, file));
    else value = openJson(value, isSealed(value) ? await keyNamed(this.keys, value.keyId) : undefined, label, file);
    const m = parseManifest(value, id);
    if (typeof m === 'string') throw new BackupError(`${file} is damaged (${m}): run Rebuild Catalog to read it again from the archive.`, 'CORRUPT_FILE');
    // A catalog from 0.1 kept an incremental's deletions in its record.
    const legacy = this.get(id)?.deleted;
    if (legacy && !m.deleted.length) return { ...m, deleted: legacy };
    if (jsonSha256 !== undefined) jsonSha256s.set(m, jsonSha256);
    return m;
  }

  /** Writes a backup's manifest beside the catalog, compressed (manifestFile.ts): sealed with `key` when the backup is encrypted. */
  async saveManifest(id: string, m: ArchiveManifest, key: Buffer | undefined): Promise<void> {
    await this.saveManifestFile(id, await packManifest(m, key, `manifest:${id}`, defaultCodec()));
  }

  /** Writes a manifest already packed (as the archive writer packs it, piece by piece). */
  async saveManifestFile(id: string, packed: Buffer): Promise<void> {
    await new FolderGuard(this.dir).writeFile(this.manifestName(id), packed);
  }

  /**
   * The chain that rebuilds `id`: its full backup first, then each incremental in order. A
   * missing parent or a cycle is an error naming the link, found in one pass over at most as
   * many links as there are backups.
   */
  chain(id: string): BackupRecord[] {
    const out: BackupRecord[] = [];
    const seen = new Set<string>();
    let cur = this.get(id);
    if (!cur) throw new BackupError(`No backup has the ID ${id}.`, 'NOT_FOUND');
    for (;;) {
      if (seen.has(cur.id)) {
        // `out` holds the links visited, the latest first: the loop is those back to where it closes.
        const closes = cur.id;
        const loop = out.slice(0, out.findIndex((b) => b.id === closes) + 1).reverse().map((b) => b.id);
        throw new BackupError(`The chain of ${id} loops (${[...loop, closes].join(' → ')}): the catalog is damaged; run Rebuild Catalog.`, 'CYCLE');
      }
      seen.add(cur.id);
      out.unshift(cur);
      if (!cur.parentId) break;
      const parent = this.get(cur.parentId);
      if (!parent) throw new BackupError(`${cur.id} builds on ${cur.parentId}, which is missing.`, 'NOT_FOUND');
      cur = parent;
    }
    if (out[0].type === 'INCREMENTAL') throw new BackupError(`The chain of ${id} starts with ${out[0].id}, an incremental with no parent.`, 'NOT_FOUND');
    return out;
  }

  /** The chain, or the problem with it: for views and retention, which must not fail on one bad chain. */
  tryChain(id: string): { chain: BackupRecord[]; problem?: undefined } | { chain?: undefined; problem: BackupError } {
    try {
      return { chain: this.chain(id) };
    } catch (err) {
      if (err instanceof BackupError) return { problem: err };
      throw err;
    }
  }
}
