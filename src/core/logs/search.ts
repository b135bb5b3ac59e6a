import * as fs from 'node:fs/promises';
import { ByteNeedle, scanRegions } from './byteSearch';
import { eachLine, throwIfAborted } from './reader';
import { LEVEL_RANK, type Channel, type LogEntry, type LogLevel } from './types';

export interface SearchQuery {
  /** Plain text, case-insensitive unless caseSensitive. */
  text?: string;
  /** A regular expression (a string is compiled case-insensitively unless caseSensitive). */
  regex?: string | RegExp;
  caseSensitive?: boolean;
  channels?: Channel[];
  minLevel?: LogLevel;
  component?: string;
  /** Epoch ms; or `hours` back from now. */
  since?: number;
  hours?: number;
  maxResults?: number;
}

export interface SearchResult {
  entries: LogEntry[];
  filesScanned: number;
  bytesScanned: number;
  /** Lines that were not valid JSON entries (a torn last line, say). */
  skippedLines: number;
  /** More entries matched than maxResults. */
  truncated: boolean;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The values of an entry as one text (keys left out), for matching. */
function entryText(e: unknown, out: string[] = []): string[] {
  if (typeof e === 'string') out.push(e);
  else if (typeof e === 'number' || typeof e === 'boolean') out.push(String(e));
  else if (e && typeof e === 'object') for (const v of Object.values(e)) entryText(v, out);
  return out;
}

export interface ChannelFiles {
  channel: Channel;
  /** Newest first. */
  files: string[];
}

/**
 * Searches log files newest first. For plain text, a search of the raw bytes for the
 * JSON-escaped text finds candidate lines, and only those are parsed: most of a large file
 * is never parsed at all. Memory holds one chunk plus the results.
 */
export async function searchFiles(sources: ChannelFiles[], q: SearchQuery, now: number, signal?: AbortSignal): Promise<SearchResult> {
  const max = q.maxResults ?? 200;
  const since = q.since ?? (q.hours !== undefined ? now - q.hours * 3_600_000 : undefined);
  const sinceIso = since !== undefined ? new Date(since).toISOString() : undefined;
  const flags = q.caseSensitive ? 'g' : 'gi';
  const userRegex = q.regex instanceof RegExp ? new RegExp(q.regex.source, q.regex.flags.replace('g', '')) : q.regex ? new RegExp(q.regex, flags.replace('g', '')) : undefined;
  const text = q.text?.length ? q.text : undefined;
  // The text as it stands inside a JSON string in the file (quotes and backslashes escaped).
  const rawText = text ? JSON.stringify(text).slice(1, -1) : undefined;
  const needle = rawText && ByteNeedle.fits(rawText) ? new ByteNeedle(rawText, !q.caseSensitive) : undefined;
  const raw = rawText && !needle ? new RegExp(escapeRegex(rawText), flags) : undefined;
  const textTest = text ? new RegExp(escapeRegex(text), flags.replace('g', '')) : undefined;
  const minRank = q.minLevel ? LEVEL_RANK[q.minLevel] : 0;
  const result: SearchResult = { entries: [], filesScanned: 0, bytesScanned: 0, skippedLines: 0, truncated: false };

  for (const { channel, files } of sources) {
    const found: LogEntry[] = [];
    for (const [i, file] of files.entries()) {
      throwIfAborted(signal);
      if (since !== undefined) {
        const st = await fs.stat(file).catch(() => undefined);
        // A file last written before `since` holds nothing newer, nor do the older ones.
        if (!st || st.mtimeMs < since) break;
      }
      // The newest `max` matches of this file, in file order (a ring keeps memory bounded).
      const ring: LogEntry[] = [];
      let matched = 0;
      const consider = (line: string): void => {
        let e: LogEntry;
        try {
          e = JSON.parse(line) as LogEntry;
        } catch {
          result.skippedLines++;
          return;
        }
        if (!e || typeof e !== 'object' || typeof e.ts !== 'string') {
          result.skippedLines++;
          return;
        }
        if (minRank && (LEVEL_RANK[e.level] ?? 0) < minRank) return;
        if (q.component && e.component !== q.component) return;
        if (sinceIso && e.ts < sinceIso) return;
        if (textTest || userRegex) {
          // A match must lie within one value: keys and JSON punctuation never match.
          const values = entryText({ ...e, ts: undefined, channel: undefined });
          if (textTest && !values.some((v) => textTest.test(v))) return;
          if (userRegex && !values.some((v) => userRegex.test(v))) return;
        }
        if (!e.channel) e.channel = channel;
        matched++;
        ring.push(e);
        if (ring.length > max) ring.shift();
      };
      result.bytesScanned += await scanRegions(
        file,
        (buf, start, end) => {
          if (needle) {
            // Only lines holding the text are decoded and parsed.
            needle.each(buf, start, end, (at) => {
              const ls = Math.max(start, buf.lastIndexOf(10, at) + 1);
              const le = buf.indexOf(10, at);
              consider(buf.toString('utf8', ls, le));
              return le + 1;
            });
            return;
          }
          const chunk = buf.toString('utf8', start, end);
          if (!raw) return void eachLine(chunk, consider);
          raw.lastIndex = 0;
          let m: RegExpExecArray | null;
          while ((m = raw.exec(chunk))) {
            const ls = chunk.lastIndexOf('\n', m.index) + 1;
            let le = chunk.indexOf('\n', m.index);
            if (le < 0) le = chunk.length;
            consider(chunk.slice(ls, le));
            raw.lastIndex = le + 1;
          }
        },
        signal,
      );
      result.filesScanned++;
      if (matched > ring.length) result.truncated = true;
      // Not push(...ring): spreading passes every entry as an argument, and a large maxResults
      // would overflow the call stack.
      for (let j = ring.length - 1; j >= 0; j--) found.push(ring[j]);
      if (found.length >= max) {
        // Older files may hold more matches; they cannot hold newer ones.
        if (i < files.length - 1) result.truncated = true;
        break;
      }
    }
    for (const e of found) result.entries.push(e);
  }
  result.entries.sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
  if (result.entries.length > max) {
    result.entries.length = max;
    result.truncated = true;
  }
  return result;
}
