import { DEFAULT_ALERT_SETTINGS, type AlertSettings } from './types';

export type NotificationLevel = 'critical' | 'warning' | 'none';

export interface RawAlertSettings {
  pendingSamples?: unknown;
  hysteresis?: unknown;
  clearSamples?: unknown;
  dampingMinutes?: unknown;
  retentionDays?: unknown;
  notifications?: unknown;
  acknowledgementExpiryHours?: unknown;
}

export interface ReadAlertSettings {
  engine: AlertSettings;
  notifications: NotificationLevel;
  /** 0: acknowledgements never expire. */
  acknowledgementExpiryMs: number;
  problems: string[];
}

/** Reads alert settings, naming each rejected value (with `prefix`) and using its default. */
export function readAlertSettings(raw: RawAlertSettings, prefix = 'alerts.'): ReadAlertSettings {
  const problems: string[] = [];
  const num = (name: keyof RawAlertSettings, def: number, min: number, max: number, integer: boolean): number => {
    const v = raw[name];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      problems.push(`${prefix}${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not ${JSON.stringify(v)}; using ${def}.`);
      return def;
    }
    return v;
  };
  const d = DEFAULT_ALERT_SETTINGS;
  const engine: AlertSettings = {
    pendingSamples: num('pendingSamples', d.pendingSamples, 1, 100, true),
    hysteresis: num('hysteresis', d.hysteresis, 0, 50, false),
    clearSamples: num('clearSamples', d.clearSamples, 1, 100, true),
    dampingMs: num('dampingMinutes', d.dampingMs / 60_000, 0, 10_080, false) * 60_000,
    retentionMs: num('retentionDays', d.retentionMs / 86_400_000, 1, 3650, false) * 86_400_000,
  };
  let notifications: NotificationLevel = 'warning';
  if (raw.notifications !== undefined) {
    if (raw.notifications === 'critical' || raw.notifications === 'warning' || raw.notifications === 'none') notifications = raw.notifications;
    else problems.push(`${prefix}notifications must be "critical", "warning" or "none", not ${JSON.stringify(raw.notifications)}; using "warning".`);
  }
  const acknowledgementExpiryMs = num('acknowledgementExpiryHours', 0, 0, 8760, false) * 3_600_000;
  return { engine, notifications, acknowledgementExpiryMs, problems };
}
