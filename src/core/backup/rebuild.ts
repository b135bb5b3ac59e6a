import * as fs from 'node:fs';
import * as path from 'node:path';
import { verifyArchive } from './checker';
import { isGardenerError } from '../errors';
import type { Engine } from './engine';
import { isId } from './guard';
import { BackupError, BACKUP_TYPES, type BackupRecord, type BackupType } from './types';

/** An archive's file name: its backup's id, then `.cgb` (encrypted), `.tar.gz` or `.tar.zst`. */
export const ARCHIVE = /^(.+)\.(cgb|tar\.gz|tar\.zst)$/;

/** The id's own type and time (`full-20261202-082400-a1b2c3`): what 0.1's archives say of themselves. */
function fromId(id: string): { type: BackupType; createdAt: number } | undefined {
  const m = /^(full|incremental|configuration|user-data)-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-[0-9a-f]+$/.exec(id);
  if (!m) return undefined;
  const type = m[1].toUpperCase().replace('-', '_') as BackupType;
  return BACKUP_TYPES.includes(type) ? { type, createdAt: Date.UTC(+m[2], +m[3] - 1, +m[4], +m[5], +m[6], +m[7]) } : undefined;
}

export interface Adopted {
  adopted: string[];
  /** Archives that could not be read back, each with why: left where they are, never deleted. */
  unreadable: string[];
}

/**
 * Archives in the backups folder that the catalog does not list, read back into it: each is
 * verified whole (every chunk, entry and its manifest) and its record taken from its own
 * manifest. This is how a catalog that was lost, damaged or replaced by an older copy is
 * rebuilt; an archive is never deleted because a catalog does not name it.
 */
export async function adoptArchives(e: Engine, signal?: AbortSignal): Promise<Adopted> {
  const listed = new Set(e.catalog.backups.map((b) => b.archive));
  const ids = new Set(e.catalog.backups.map((b) => b.id));
  const out: Adopted = { adopted: [], unreadable: [] };
  const found: { record: BackupRecord }[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(e.backupsDir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const m = ARCHIVE.exec(name);
    if (!m || listed.has(name) || !isId(m[1]) || ids.has(m[1])) continue;
    const id = m[1];
    const encrypted = m[2] === 'cgb';
    const draft: BackupRecord = { id, type: 'FULL', createdAt: 0, status: 'completed', archive: name, sizeBytes: 0, fileCount: 0, treeFileCount: 0, sha256: '', encrypted, durationMs: 0 };
    try {
      const key = await e.keyFor(draft);
      const inner = await verifyArchive(path.join(e.backupsDir, name), draft, key, undefined, { signal });
      const info = inner.record ?? fromId(id);
      if (!info) throw new Error('it says neither its type nor its time');
      if (info.type === 'INCREMENTAL' && !inner.record?.parentId) throw new Error('an incremental that does not name the backup it builds on');
      const record: BackupRecord = {
        ...draft,
        type: info.type,
        ...(inner.record?.parentId ? { parentId: inner.record.parentId } : {}),
        createdAt: info.createdAt,
        sizeBytes: inner.size,
        sha256: inner.sha256,
        fileCount: inner.files.length,
        note: [inner.record?.note, 'Read back from its archive when the catalog was rebuilt.'].filter(Boolean).join(' '),
        ...(inner.skipped.length ? { skippedCount: inner.skipped.length } : {}),
      };
      await e.catalog.saveManifest(id, inner, key);
      found.push({ record });
    } catch (err) {
      // A cancel is not an unreadable archive: the rebuild stops, and nothing is saved.
      if (isGardenerError(err, 'CANCELLED') || signal?.aborted) throw new BackupError('Rebuilding the catalog was cancelled; it was not changed.', 'CANCELLED');
      out.unreadable.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (!found.length) return out;
  e.catalog.backups.push(...found.map((f) => f.record));
  e.catalog.backups.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  // Each adopted backup's tree size, from its chain's manifests as now listed (a broken chain: left at 0).
  for (const { record } of found) record.treeFileCount = (await e.treeOf(record.id).catch(() => undefined))?.files.size ?? 0;
  out.adopted = found.map((f) => f.record.id);
  return out;
}
