import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
import type { BackupRecord, ManifestEntry, SnapshotRecord } from './types';

interface CatalogFile {
  version: 1;
  backups: BackupRecord[];
  snapshots: SnapshotRecord[];
}

/**
 * catalog.json: every backup and snapshot, rewritten atomically. Each backup's manifest (every
 * file with its sha256) lives beside it in manifests/<id>.json, also inside the archive.
 */
export class Catalog {
  backups: BackupRecord[] = [];
  snapshots: SnapshotRecord[] = [];
  /** The file's identity when we last read or wrote it, so `refresh` reads it only if it changed. */
  private seen = '';

  constructor(readonly dir: string) {}

  get file(): string {
    return path.join(this.dir, 'catalog.json');
  }

  manifestFile(id: string): string {
    return path.join(this.dir, 'manifests', `${id}.json`);
  }

  private async stamp(): Promise<string> {
    const st = await fs.stat(this.file).catch(() => undefined);
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '';
  }

  /** Reads the file again if another window has written it since we last read or wrote it. */
  async refresh(): Promise<void> {
    if ((await this.stamp()) !== this.seen) await this.load();
  }

  async load(): Promise<void> {
    this.seen = await this.stamp();
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const data = JSON.parse(text) as CatalogFile;
    if (data.version !== 1 || !Array.isArray(data.backups)) throw new Error(`${this.file} is not a backup catalog of version 1.`);
    this.backups = data.backups;
    this.snapshots = data.snapshots ?? [];
  }

  async save(): Promise<void> {
    await writeJsonAtomically(this.file, { version: 1, backups: this.backups, snapshots: this.snapshots } satisfies CatalogFile);
    this.seen = await this.stamp();
  }

  get(id: string): BackupRecord | undefined {
    return this.backups.find((b) => b.id === id);
  }

  async manifest(id: string): Promise<ManifestEntry[]> {
    return JSON.parse(await fs.readFile(this.manifestFile(id), 'utf8')) as ManifestEntry[];
  }

  saveManifest(id: string, m: ManifestEntry[]): Promise<void> {
    return writeJsonAtomically(this.manifestFile(id), m);
  }

  /** The chain that rebuilds `id`: its full backup first, then each incremental in order. */
  chain(id: string): BackupRecord[] {
    const out: BackupRecord[] = [];
    let cur = this.get(id);
    while (cur) {
      out.unshift(cur);
      cur = cur.parentId ? this.get(cur.parentId) : undefined;
    }
    return out;
  }
}
