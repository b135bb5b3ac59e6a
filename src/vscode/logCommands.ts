import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CHANNELS, dismissed, LEVELS, notDone, type Channel, type ExportFormat, type LogEntry, type LogLevel, type SearchQuery, type SearchResult } from '../core/logs';
import type { Cmd } from './commands';
import type { Ctx } from './context';
import { withCancellableProgress } from './progress';

const HISTORY_KEY = 'codebaseGardener.searchHistory';
let searches = 0;

export function formatEntry(e: LogEntry): string {
  const { ts, level, channel, component, message, ...rest } = e;
  const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
  const where = component === channel ? channel : `${channel}/${component}`;
  return `${ts} ${level.padEnd(8)} [${where}] ${message.replace(/\r?\n/g, '⏎ ')}${extra}`;
}

export function describeQuery(q: SearchQuery): string {
  const parts = [q.text ? `"${q.text}"` : q.regex ? `/${String(q.regex)}/` : 'all entries'];
  if (q.channels?.length && q.channels.length < CHANNELS.length) parts.push(`in ${q.channels.join(', ')}`);
  if (q.minLevel) parts.push(`at ${q.minLevel} or above`);
  if (q.component) parts.push(`from ${q.component}`);
  if (q.hours !== undefined) parts.push(`in the last ${q.hours} h`);
  return parts.join(' ');
}

async function askText(ctx: Ctx): Promise<string | undefined> {
  const history = ctx.extension.globalState.get<string[]>(HISTORY_KEY, []);
  const qp = vscode.window.createQuickPick();
  qp.title = 'Search Logs';
  qp.placeholder = 'Text to search for in every log channel (recent searches below)';
  const recent = history.map((label) => ({ label, description: 'recent search' }));
  qp.items = recent;
  qp.onDidChangeValue((v) => (qp.items = v ? [{ label: v, description: 'search' }, ...recent.filter((r) => r.label !== v)] : recent));
  const value = await new Promise<string | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]?.label ?? qp.value));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (value) await ctx.extension.globalState.update(HISTORY_KEY, [value, ...history.filter((h) => h !== value)].slice(0, 10));
  return value;
}

export function searchLogs(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    let q = arg && typeof arg === 'object' ? (arg as SearchQuery) : undefined;
    if (!q) {
      const text = await askText(ctx);
      if (text === undefined) return dismissed('No search text was given.');
      const channels = await vscode.window.showQuickPick(
        CHANNELS.map((c) => ({ label: c, picked: true })),
        { canPickMany: true, title: 'Search Logs: channels', placeHolder: 'Which channels?' },
      );
      if (!channels?.length) return dismissed('No channel was chosen.');
      const level = await vscode.window.showQuickPick(
        [{ label: 'Any level', value: undefined as LogLevel | undefined }, ...LEVELS.filter((l) => l !== 'DEBUG').map((l) => ({ label: `${l} or above`, value: l }))],
        { title: 'Search Logs: level' },
      );
      if (!level) return dismissed('No level was chosen.');
      q = { text, channels: channels.map((c) => c.label as Channel), minLevel: level.value, maxResults: 500 };
    }
    const query = q;
    let result: SearchResult;
    try {
      result = await withCancellableProgress(`Codebase Gardener: searching logs for ${describeQuery(query)}`, (signal) =>
        ctx.logs.record('log_search', () => ctx.logs.search(query, signal)),
      );
    } catch (err) {
      const r = notDone(err);
      if (r.reason === 'cancelled') return r;
      throw err;
    }
    const header = [
      `# Search: ${describeQuery(query)}`,
      `# ${result.entries.length} entr${result.entries.length === 1 ? 'y' : 'ies'}, newest first${result.truncated ? ` (first ${result.entries.length} shown; narrow the search for more)` : ''}; ${result.filesScanned} files, ${(result.bytesScanned / 1048576).toFixed(1)} MB scanned${result.skippedLines ? `, ${result.skippedLines} unreadable lines skipped` : ''}`,
      '',
    ];
    const body = result.entries.length ? result.entries.map(formatEntry) : ['No log entries match this search.'];
    // A document per search, so earlier results stay open beside the new ones.
    await ctx.reports.showText(`Log Search ${++searches}`, [...header, ...body, ''].join('\n'));
    return result;
  };
}

export function showPerformanceSummary(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const hours = (arg as { hours?: number } | undefined)?.hours ?? 24;
    const s = await ctx.logs.performanceSummary({ hours });
    const rows = Object.entries(s.operations).map(
      ([op, o]) => `| ${op} | ${o.count} | ${o.errors} | ${o.avgMs} | ${o.minMs} | ${o.p50Ms} | ${o.p95Ms} | ${o.maxMs} | ${o.totalMs} |`,
    );
    const md = [
      `# Performance summary — last ${hours} h`,
      '',
      rows.length
        ? ['| Operation | Count | Errors | Avg ms | Min ms | p50 ms | p95 ms | Max ms | Total ms |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n')
        : 'No operations were recorded in this period.',
      '',
      `From the performance log since ${s.since}.`,
    ].join('\n');
    await ctx.reports.showMarkdown('Codebase Gardener Performance', md);
    return s;
  };
}

export function exportLogs(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    let opts = arg && typeof arg === 'object' ? (arg as { channel?: Channel; format?: ExportFormat; hours?: number; destination?: string }) : undefined;
    if (!opts?.destination) {
      const channel = await vscode.window.showQuickPick(CHANNELS.map((c) => ({ label: c })), { title: 'Export Logs: channel' });
      if (!channel) return dismissed('No channel was chosen.');
      const format = await vscode.window.showQuickPick(
        [
          { label: 'ndjson', description: 'one JSON object per line' },
          { label: 'json', description: 'a JSON array' },
          { label: 'csv', description: 'RFC 4180, for spreadsheets' },
        ],
        { title: 'Export Logs: format' },
      );
      if (!format) return dismissed('No format was chosen.');
      const target = await vscode.window.showSaveDialog({
        title: 'Export Logs',
        // The home folder: the data directory lies hidden in VS Code's storage, the workspace is the user's repository.
        defaultUri: vscode.Uri.file(path.join(os.homedir(), `codebase_gardener_${channel.label}.${format.label}`)),
        filters: { [format.label.toUpperCase()]: [format.label] },
      });
      if (!target) return dismissed('No file was chosen to export to.');
      opts = { channel: channel.label as Channel, format: format.label as ExportFormat, destination: target.fsPath };
    }
    const o = { channel: opts.channel ?? 'main', format: opts.format ?? 'ndjson', hours: opts.hours, destination: opts.destination as string };
    try {
      const count = await withCancellableProgress(`Codebase Gardener: exporting the ${o.channel} log`, (signal) =>
        ctx.logs.record('log_export', () => ctx.logs.export(o, signal), { channel: o.channel, format: o.format }),
      );
      if (!arg) {
        void vscode.window.showInformationMessage(`Exported ${count} log entries to ${o.destination}.`, 'Open').then((c) => {
          if (c) void vscode.window.showTextDocument(vscode.Uri.file(o.destination));
        });
      }
      return { count, destination: o.destination };
    } catch (err) {
      const r = notDone(err);
      if (r.reason === 'failed') void vscode.window.showErrorMessage(`Codebase Gardener: the export failed and wrote nothing: ${r.message}`);
      return r;
    }
  };
}

export function showLogStatistics(ctx: Ctx): Cmd {
  return async () => {
    const stats = await ctx.logs.statistics();
    const mb = (n: number) => (n / 1048576).toFixed(2);
    const rows = stats.map(
      (s) => `| ${s.channel} | ${path.basename(s.file)} | ${mb(s.sizeBytes)} | ${s.lines} | ${s.oldest ?? '—'} | ${s.newest ?? '—'} | ${s.rotated.length} (${mb(s.rotated.reduce((t, r) => t + r.sizeBytes, 0))} MB) |`,
    );
    const md = [
      '# Log statistics',
      '',
      `Folder: ${ctx.logs.dir}`,
      '',
      '| Channel | File | MB | Lines (all files) | Oldest | Newest | Rotated files |',
      '|---|---|---:|---:|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    await ctx.reports.showMarkdown('Codebase Gardener Log Statistics', md);
    return stats;
  };
}

export function showDiagnostics(ctx: Ctx): Cmd {
  return async () => {
    const settings = vscode.workspace.getConfiguration('codebaseGardener');
    const effective = JSON.parse(JSON.stringify(settings)) as Record<string, unknown>;
    const d = await ctx.logs.diagnostics(
      {
        extension: `${ctx.extension.extension.packageJSON.version}`,
        vscode: vscode.version,
        appHost: vscode.env.appHost,
        remote: vscode.env.remoteName ?? 'local',
        dataDirectory: ctx.config.dataDir,
      },
      effective,
    );
    const md = ['# Codebase Gardener diagnostics', '', 'Paste this into a bug report; secrets are redacted.', '', '```json', JSON.stringify(d, null, 2), '```', ''].join('\n');
    await ctx.reports.showMarkdown('Codebase Gardener Diagnostics', md);
    return d;
  };
}

export function openLogsFolder(ctx: Ctx): Cmd {
  return async () => {
    ctx.logs.flush();
    const main = vscode.Uri.file(ctx.logs.filesOf('main')[0] ?? path.join(ctx.logs.dir, 'codebase_gardener.log'));
    // Revealing in the OS file manager only makes sense when the files are on this machine.
    if (vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName) {
      await vscode.commands.executeCommand('revealFileInOS', main);
    } else {
      await vscode.window.showTextDocument(main, { preview: true });
    }
  };
}

export function logCommands(ctx: Ctx): Record<string, Cmd> {
  return {
    'codebaseGardener.searchLogs': searchLogs(ctx),
    'codebaseGardener.showPerformanceSummary': showPerformanceSummary(ctx),
    'codebaseGardener.exportLogs': exportLogs(ctx),
    'codebaseGardener.showLogStatistics': showLogStatistics(ctx),
    'codebaseGardener.showDiagnostics': showDiagnostics(ctx),
    'codebaseGardener.openLogsFolder': openLogsFolder(ctx),
  };
}
