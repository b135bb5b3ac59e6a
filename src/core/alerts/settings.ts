import { setting } from '../settings/values';
import type { AlertSettings } from './types';

export type NotificationLevel = 'critical' | 'warning' | 'none';

export interface ReadAlertSettings {
  engine: AlertSettings;
  notifications: NotificationLevel;
  /** 0: acknowledgements never expire. */
  acknowledgementExpiryMs: number;
}

/** Alert settings from validated settings (see validateSettings): bounds and defaults are package.json's. */
export function alertSettingsFrom(values: Readonly<Record<string, unknown>>): ReadAlertSettings {
  const n = (name: string): number => setting<number>(values, `alerts.${name}`);
  return {
    engine: {
      pendingSamples: n('pendingSamples'),
      hysteresis: n('hysteresis'),
      clearSamples: n('clearSamples'),
      dampingMs: n('dampingMinutes') * 60_000,
      retentionMs: n('retentionDays') * 86_400_000,
    },
    notifications: setting<NotificationLevel>(values, 'alerts.notifications'),
    acknowledgementExpiryMs: n('acknowledgementExpiryHours') * 3_600_000,
  };
}
