import type { BackupRecord, BackupType } from './types';

export interface BackupStatus {
  types: Record<BackupType, { total: number; completed: number; failed: number; lastSuccessful?: string; retention: number }>;
  recent: BackupRecord[];
  backupsFolderBytes: number;
  lastSuccessfulAt?: number;
  hoursSinceLastSuccess?: number;
}

const TYPES: readonly BackupType[] = ['FULL', 'INCREMENTAL', 'CONFIGURATION', 'USER_DATA'];

/** The guide's get_backup_status(), from the catalog's records (oldest first) and the retention counts. */
export function backupStatus(backups: readonly BackupRecord[], retention: Record<BackupType, number>, now: number): BackupStatus {
  const types = {} as BackupStatus['types'];
  for (const t of TYPES) {
    const of = backups.filter((b) => b.type === t);
    const last = [...of].reverse().find((b) => b.status === 'completed');
    types[t] = {
      total: of.length,
      completed: of.filter((b) => b.status === 'completed').length,
      failed: of.filter((b) => b.status === 'failed').length,
      ...(last ? { lastSuccessful: new Date(last.createdAt).toISOString() } : {}),
      retention: retention[t],
    };
  }
  let bytes = 0;
  for (const b of backups) bytes += b.sizeBytes;
  const last = [...backups].reverse().find((b) => b.status === 'completed');
  return {
    types,
    recent: [...backups].reverse().slice(0, 10),
    backupsFolderBytes: bytes,
    ...(last ? { lastSuccessfulAt: last.createdAt, hoursSinceLastSuccess: Math.round(((now - last.createdAt) / 3_600_000) * 10) / 10 } : {}),
  };
}
