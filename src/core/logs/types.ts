export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
export type Channel = 'main' | 'error' | 'performance' | 'audit';

export const LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];
export const CHANNELS: readonly Channel[] = ['main', 'error', 'performance', 'audit'];
export const LEVEL_RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4 };

export const CHANNEL_FILES: Record<Channel, string> = {
  main: 'codebase_gardener.log',
  error: 'codebase_gardener_error.log',
  performance: 'codebase_gardener_performance.log',
  audit: 'codebase_gardener_audit.log',
};

/** One line of a log file. Structured fields sit beside the fixed ones. */
export interface LogEntry {
  /** ISO-8601 UTC with milliseconds. */
  ts: string;
  level: LogLevel;
  channel: Channel;
  component: string;
  message: string;
  error?: { name: string; message: string; stack?: string };
  [field: string]: unknown;
}

export interface LogSettings {
  /** Rotate a channel's file when it would grow past this. */
  maxBytes: number;
  /** Rotated files kept per channel (.1 … .N). */
  maxFiles: number;
  /** Rotated files older than this are deleted. */
  retentionMs: number;
  /** Entries below this level are not written to the main channel. */
  minLevel: LogLevel;
}

export const DEFAULT_LOG_SETTINGS: LogSettings = Object.freeze({
  maxBytes: 10 * 1024 * 1024,
  maxFiles: 5,
  retentionMs: 30 * 86_400_000,
  minLevel: 'INFO' as LogLevel,
});
