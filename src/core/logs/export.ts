import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { eachLine, scanFile, throwIfAborted } from './reader';
import type { LogEntry } from './types';

export type ExportFormat = 'ndjson' | 'json' | 'csv';

const CSV_COLUMNS = ['ts', 'level', 'channel', 'component', 'message', 'fields'] as const;

/** What a spreadsheet takes for the start of a formula (OWASP, CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled.
 * A log message is anyone's text: one that starts like a formula gets a leading `'` and
 * quotes, as OWASP advises, so a spreadsheet shows it as text instead of running it.
 */
export function csvField(value: string): string {
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRow(e: LogEntry): string {
  const { ts, level, channel, component, message, ...rest } = e;
  const fields = Object.keys(rest).length ? JSON.stringify(rest) : '';
  return [ts, level, channel, component, message, fields].map((v) => csvField(String(v ?? ''))).join(',') + '\r\n';
}

/**
 * Writes the entries of `files` (oldest file first) from `sinceIso` on to `destination`,
 * through a temporary file renamed into place at the end: a cancelled or failed export
 * leaves no partial file. Returns the number of entries written.
 */
export async function exportFiles(
  files: string[],
  opts: { format: ExportFormat; destination: string; sinceIso?: string },
  signal?: AbortSignal,
): Promise<number> {
  throwIfAborted(signal);
  const tmp = path.join(path.dirname(opts.destination), `.${path.basename(opts.destination)}.${process.pid}.${Date.now()}.partial`);
  // Open before streaming, so a cancel at any moment finds the file there to remove.
  const fd = fs.openSync(tmp, 'wx', 0o600);
  const out = fs.createWriteStream('', { fd, autoClose: true });
  const closed = once(out, 'close').catch(() => undefined);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let count = 0;
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await Promise.race([once(out, 'drain'), failed]);
  };
  try {
    if (opts.format === 'json') await write('[\n');
    if (opts.format === 'csv') await write(CSV_COLUMNS.join(',') + '\r\n');
    for (const file of files) {
      throwIfAborted(signal);
      await scanFile(
        file,
        async (text) => {
          const pending: string[] = [];
          eachLine(text, (line) => {
            let e: LogEntry;
            try {
              e = JSON.parse(line) as LogEntry;
            } catch {
              return;
            }
            if (!e || typeof e.ts !== 'string' || (opts.sinceIso && e.ts < opts.sinceIso)) return;
            const s = opts.format === 'csv' ? csvRow(e) : opts.format === 'json' ? `${count ? ',\n' : ''}${JSON.stringify(e)}` : JSON.stringify(e) + '\n';
            count++;
            pending.push(s);
          });
          if (pending.length) await write(pending.join(''));
        },
        signal,
      );
    }
    if (opts.format === 'json') await write('\n]\n');
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    await fs.promises.rename(tmp, opts.destination);
    return count;
  } catch (err) {
    out.destroy();
    await closed;
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
