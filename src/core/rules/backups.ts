import type { AlertService } from '../alerts';
import type { BackupType } from '../backup/types';

const DAY = 86_400_000;

/** What the freshness rule needs to know of the backups. */
export interface BackupFreshness {
  lastSuccessfulAt?: number;
}

/**
 * The rules that join backups and alerts, in one place so that a command, a schedule and a
 * later command line behave alike: a failed backup or validation raises an alert and a later
 * success resolves it; no successful backup for N hours raises one (also before the first
 * backup ever, once the workspace has been watched for a day); a completed scheduled backup is
 * an INFO alert that resolves itself.
 */
export class BackupRules {
  constructor(private readonly alerts: AlertService) {}

  async backupSucceeded(type: BackupType, o: { scheduled?: boolean; id?: string } = {}): Promise<void> {
    await this.resolve(['run', 'freshness'], 'a backup completed');
    if (o.scheduled) {
      const ev = await this.alerts.raise({ component: 'backup', metric: 'scheduled', level: 'INFO', message: `Scheduled ${label(type)} backup completed${o.id ? ` (${o.id})` : ''}.` });
      // Information, not a problem: it goes straight to the history, where it can still be read.
      await this.alerts.resolve(ev.alert.id, { by: 'system', note: 'informational' });
    }
  }

  async backupFailed(type: BackupType, err: unknown, o: { scheduled?: boolean } = {}): Promise<void> {
    await this.alerts.raise({
      component: 'backup',
      metric: 'run',
      level: 'WARNING',
      message: `A ${o.scheduled ? 'scheduled ' : ''}${label(type)} backup failed: ${err instanceof Error ? err.message : String(err)}`,
    });
  }

  async validationFailed(message: string): Promise<void> {
    await this.alerts.raise({ component: 'backup', metric: 'validation', level: 'WARNING', message });
  }

  async validationSucceeded(): Promise<void> {
    await this.resolve(['validation'], 'the backups validated');
  }

  async restoreFailed(err: unknown): Promise<void> {
    await this.alerts.raise({ component: 'backup', metric: 'restore', level: 'WARNING', message: `A restore failed: ${err instanceof Error ? err.message : String(err)}` });
  }

  /**
   * "No successful backup in N hours". `watchedSince` is when this workspace's state began: a
   * workspace that never backed up is warned about once it has been watched for a day.
   */
  async checkFreshness(s: BackupFreshness, o: { now: number; staleAfterHours: number; watchedSince?: number }): Promise<boolean> {
    if (s.lastSuccessfulAt !== undefined) {
      const hours = (o.now - s.lastSuccessfulAt) / 3_600_000;
      if (hours <= o.staleAfterHours) return false;
      await this.alerts.raise({ component: 'backup', metric: 'freshness', level: 'WARNING', message: `No successful backup in ${Math.floor(hours)} hours (the limit is ${o.staleAfterHours}).` });
      return true;
    }
    if (o.watchedSince === undefined || o.now - o.watchedSince < DAY) return false;
    const days = Math.floor((o.now - o.watchedSince) / DAY);
    await this.alerts.raise({
      component: 'backup',
      metric: 'freshness',
      level: 'WARNING',
      message: `This workspace has no backup yet, ${days} day${days === 1 ? '' : 's'} after Codebase Gardener began watching it.`,
    });
    return true;
  }

  private async resolve(metrics: string[], note: string): Promise<void> {
    for (const a of this.alerts.engine.query({ component: 'backup', state: ['OPEN', 'ACKNOWLEDGED'] })) {
      if (metrics.includes(a.metric)) await this.alerts.resolve(a.id, { by: 'system', note });
    }
  }
}

function label(type: BackupType): string {
  return type.toLowerCase().replace('_', '-');
}
