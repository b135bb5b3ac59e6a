import { setting } from '../settings/values';
import type { LogLevel, LogSettings } from './types';

/** Log settings from validated settings (see validateSettings): bounds and defaults are package.json's. */
export function logSettingsFrom(values: Readonly<Record<string, unknown>>): LogSettings {
  return {
    maxBytes: setting<number>(values, 'logs.maxFileSizeMB') * 1048576,
    maxFiles: setting<number>(values, 'logs.maxFiles'),
    retentionMs: setting<number>(values, 'logs.retentionDays') * 86_400_000,
    minLevel: setting<LogLevel>(values, 'logs.level'),
  };
}
