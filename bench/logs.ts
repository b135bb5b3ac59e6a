// npm run bench:logs — builds ≥ 100 MB of realistic JSON-lines logs over rotated files with our
// writer, then times our search for a phrase against `grep -c` for the same phrase on the same
// files, in the same run. The search runs in a child process so its peak RSS is its own.
// Last line: JSON with the figures.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../src/core/clock';
import { CHANNEL_FILES, LogManager } from '../src/core/logs';

const PHRASE = 'connection refused';

export function generate(dir: string, targetMB: number): { files: string[]; bytes: number; lines: number } {
  const clock = new ManualClock(Date.now() - 7 * 86_400_000);
  const logs = new LogManager(clock, dir, { maxBytes: 10 * 1024 * 1024, maxFiles: Math.ceil(targetMB / 10) + 2 });
  const components = ['health', 'alerts', 'backup', 'maintenance', 'dashboard', 'probes'];
  const messages = [
    'Health: Healthy — CPU 12.5%, memory 41.2%, disk 63%, 5/5 checks pass.',
    'Sample taken',
    'Alert resolved: CPU usage 69% (warning at 75%)',
    'Backup chain verified',
    'Dashboard posted health to the webview',
    'Rotated log file',
  ];
  let lines = 0;
  let bytes = 0;
  const target = targetMB * 1024 * 1024;
  while (bytes < target) {
    clock.advance(250);
    const i = lines++;
    // About one line in a thousand holds the phrase, as a failing probe would write it.
    const rare = i % 997 === 0;
    const message = rare ? `Model server is failing: ${PHRASE}` : messages[i % messages.length];
    const fields = { sample: i, cpu: (i * 7) % 100, memory: 40 + (i % 13), probe: rare ? 'Model server' : undefined, durationMs: (i % 500) / 10 };
    logs.log(i % 50 === 0 ? 'WARNING' : 'INFO', components[i % components.length], message, fields);
    bytes += 200; // An estimate to stop on; the real size is measured below.
  }
  logs.dispose();
  const main = path.join(dir, CHANNEL_FILES.main);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(main))).map((f) => path.join(dir, f));
  return { files, bytes: files.reduce((t, f) => t + fs.statSync(f).size, 0), lines };
}

/** A fresh process, as the first search of a session is: its time includes JIT warm-up. A second search shows the warm time. */
async function searchChild(dir: string): Promise<void> {
  const logs = new LogManager(new ManualClock(), dir, { maxFiles: 100 });
  const q = { text: PHRASE, channels: ['main' as const], maxResults: 1_000_000 };
  let t = performance.now();
  const r = await logs.search(q);
  const ms = performance.now() - t;
  t = performance.now();
  await logs.search(q);
  const warmMs = performance.now() - t;
  logs.dispose();
  process.stdout.write(JSON.stringify({ ms, warmMs, matches: r.entries.length, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

export function run(targetMB: number, rounds: number): Record<string, number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gardener-bench-logs-'));
  try {
    const g0 = performance.now();
    const { files, bytes, lines } = generate(dir, targetMB);
    const genMs = performance.now() - g0;
    const ours: { ms: number; warmMs: number; matches: number; peakRssMB: number }[] = [];
    const greps: number[] = [];
    let grepCount = 0;
    for (let r = 0; r < rounds; r++) {
      const child = spawnSync(process.execPath, [__filename, '--search', dir], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(child.stderr);
      ours.push(JSON.parse(child.stdout));
      const t = performance.now();
      // grep -c exits 1 when a file has no match; count either way.
      const out = spawnSync('grep', ['-c', '-i', PHRASE, ...files], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }).stdout;
      greps.push(performance.now() - t);
      grepCount = out.split('\n').filter(Boolean).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(':') + 1)), 0);
    }
    const oursMs = median(ours.map((o) => o.ms));
    const warmMs = median(ours.map((o) => o.warmMs));
    const grepMs = median(greps);
    return {
      sizeMB: Math.round(bytes / 1048576),
      files: files.length,
      lines,
      generateMs: Math.round(genMs),
      searchMs: Math.round(oursMs),
      grepMs: Math.round(grepMs),
      matches: ours[0].matches,
      grepMatches: grepCount,
      searchVsGrep: Math.round((oursMs / grepMs) * 100) / 100,
      warmSearchMs: Math.round(warmMs),
      warmVsGrep: Math.round((warmMs / grepMs) * 100) / 100,
      peakRssMB: Math.round(Math.max(...ours.map((o) => o.peakRssMB)) * 10) / 10,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv[2] === '--search') {
    void searchChild(process.argv[3]);
  } else {
    const mb = Number(process.argv[2] ?? 110);
    const r = run(mb, 3);
    console.log(`generated:        ${r.sizeMB} MB in ${r.files} files (${r.lines} lines) in ${r.generateMs} ms with our writer`);
    console.log(`our search:       ${r.searchMs} ms for "${PHRASE}" → ${r.matches} entries (fresh process, median of 3)`);
    console.log(`  … warm:         ${r.warmSearchMs} ms (a second search in the same process) → ${r.warmVsGrep}× grep`);
    console.log(`grep -c -i:       ${r.grepMs} ms → ${r.grepMatches} lines`);
    console.log(`ours / grep:      ${r.searchVsGrep}×   (goal ≤ 2×)`);
    console.log(`search peak RSS:  ${r.peakRssMB} MB   (goal < 64 MB)`);
    console.log(JSON.stringify({ searchVsGrep: r.searchVsGrep, peakRssMB: r.peakRssMB, warmVsGrep: r.warmVsGrep, searchMs: r.searchMs, grepMs: r.grepMs, sizeMB: r.sizeMB, matches: r.matches }));
  }
}
