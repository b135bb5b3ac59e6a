// npm run bench:peers — our backups against what a user would pick instead: restic (repository
// v2, its default compression) and borg (repokey, its default lz4), encryption on for all three,
// plus GNU tar (`tar -czf` / `tar -xzf`). On two trees: the bench's generated tree (bench:backup's,
// ~210 MB in 5,000 files, half random bytes) and a workspace-shaped tree of 100,000 small and
// medium sources with a real .git (bench/workspaceTree.ts, no node_modules). For each: a full
// backup, an incremental after 1% of the files changed (100 files on the workspace tree), and a restore into an empty folder,
// each timed as a whole process (start-up and module loading included, as a user running each
// tool would see), tools taking turns within each round, medians of the rounds. Our incremental
// is given the changed paths, as the extension's file watcher notes them (an incremental that
// walks every file is timed beside it). Prints each
// figure, the archive sizes and the ratios; its last line is JSON. A benchmark, not a test.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/core/clock';
import { BackupManager } from '../src/core/backup';
import { DEFAULT_WORKSPACE_EXCLUDES, workspaceSources } from '../src/core/backup/workspaceSources';
import { generateTree } from './backup';
import { filesUnder, generateWorkspace, sourceFiles } from './workspaceTree';

const KEY = Buffer.alloc(32, 5);
const PASSWORD = 'bench-password';
type Tool = 'ours' | 'restic' | 'borg' | 'tar';
type Mode = 'gen' | 'ws';

interface Timed {
  ms: number;
  peakRssMB: number;
}

function manager(mode: Mode, data: string, backups: string, dataDir: string): BackupManager {
  const keys = { getKey: async () => KEY };
  if (mode === 'gen') return new BackupManager(systemClock, data, backups, keys, { encrypt: true });
  const roots = workspaceSources([data], { exclude: DEFAULT_WORKSPACE_EXCLUDES, useGitignore: true, maxFileBytes: 100 * 1048576, ours: [] });
  return new BackupManager(systemClock, dataDir, backups, keys, { encrypt: true, roots: { FULL: roots } });
}

/** One of our operations, in this (child) process: as `npm run` users would start a CLI. */
async function childMain(op: string, mode: Mode, data: string, backups: string, dataDir: string, target: string): Promise<void> {
  const m = manager(mode, data, backups, dataDir);
  await m.init();
  if (op === 'full') await m.createBackup('FULL');
  else if (op === 'inc') {
    // The paths the parent changed, as the extension's file watcher would have noted them.
    m.resumeChanges(JSON.parse(fs.readFileSync(target, 'utf8')) as string[]);
    await m.createBackup('INCREMENTAL');
  } else if (op === 'inc-walk') await m.createBackup('INCREMENTAL');
  else if (op === 'restore') {
    const newest = m.latestCompleted(['INCREMENTAL', 'FULL']);
    if (!newest) throw new Error('no backup to restore');
    await m.restore(newest.id, { target });
  }
  process.stdout.write(JSON.stringify({ peakRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

function sh(cmd: string, args: string[], o: SpawnSyncOptions = {}): Timed {
  const t = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...o, env: { ...process.env, RESTIC_PASSWORD: PASSWORD, BORG_PASSPHRASE: PASSWORD, ...(o.env ?? {}) } });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${String(r.stderr).slice(0, 2000)}`);
  let peakRssMB = 0;
  if (cmd === process.execPath) peakRssMB = JSON.parse(String(r.stdout).trim().split('\n').pop() as string).peakRssMB;
  return { ms, peakRssMB };
}

function du(dir: string): number {
  let n = 0;
  for (const f of filesUnder(dir)) n += fs.statSync(f).size;
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Appends a line to `count` of the files, spread evenly in path order; gives their paths. */
function change(files: string[], count: number, round: number): string[] {
  const step = Math.max(1, Math.floor(files.length / count));
  const changed: string[] = [];
  for (let i = 0, n = 0; i < files.length && n < count; i += step, n++) {
    fs.appendFileSync(files[i], `changed ${round} ${i}\n`);
    changed.push(files[i]);
  }
  return changed;
}

interface Figures {
  full: Record<Tool, number>;
  inc: Record<Exclude<Tool, 'tar'> | 'oursWalk', number>;
  restore: Record<Tool, number>;
  size: Record<Tool, number>;
  peakRssMB: number;
}

/**
 * `rounds` rounds on `data`: in each, every tool makes a full backup into a fresh repository
 * (in turn), then 1% of the files change and each makes an incremental, then each restores
 * into an empty folder.
 */
function measure(mode: Mode, data: string, files: string[], changed: number, work: string, rounds: number): Figures {
  const times: { full: Record<string, number[]>; inc: Record<string, number[]>; restore: Record<string, number[]> } = { full: {}, inc: {}, restore: {} };
  const push = (k: keyof typeof times, tool: string, ms: number): void => void (times[k][tool] ??= []).push(ms);
  const size: Record<string, number> = {};
  let peak = 0;
  const node = (op: string, backups: string, dataDir: string, target = ''): Timed => sh(process.execPath, [__filename, '--child', op, mode, data, backups, dataDir, target]);
  for (let round = 0; round < rounds; round++) {
    const r = path.join(work, `round${round}`);
    fs.mkdirSync(r, { recursive: true });
    const ours = { backups: path.join(r, 'ours'), dataDir: path.join(r, 'ours-data') };
    const restic = path.join(r, 'restic');
    const borg = path.join(r, 'borg');
    const tarFile = path.join(r, 'full.tar.gz');
    sh('restic', ['init', '--repo', restic, '--repository-version', '2', '--quiet']);
    sh('borg', ['init', '--encryption', 'repokey', borg]);
    spawnSync('sync');
    // Full backups, tools in a rotating order so none always runs on the warmest cache.
    const fulls: [Tool, () => Timed][] = [
      ['ours', () => node('full', ours.backups, ours.dataDir)],
      ['restic', () => sh('restic', ['--repo', restic, 'backup', '.', '--quiet'], { cwd: data })],
      ['borg', () => sh('borg', ['create', `${borg}::full`, '.'], { cwd: data })],
      ['tar', () => sh('tar', ['-czf', tarFile, '-C', data, '--exclude=./.gardener-restore', '.'])],
    ];
    for (let i = 0; i < fulls.length; i++) {
      const [tool, run] = fulls[(i + round) % fulls.length];
      const t = run();
      push('full', tool, t.ms);
      peak = Math.max(peak, t.peakRssMB);
      spawnSync('sync');
    }
    if (round === 0) {
      size.ours = du(ours.backups);
      size.restic = du(restic);
      size.borg = du(borg);
      size.tar = fs.statSync(tarFile).size;
    }
    const list = path.join(r, 'changed.json');
    fs.writeFileSync(list, JSON.stringify(change(files, changed, round)));
    const incs: [Tool | 'oursWalk', () => Timed][] = [
      ['ours', () => node('inc', ours.backups, ours.dataDir, list)],
      ['restic', () => sh('restic', ['--repo', restic, 'backup', '.', '--quiet'], { cwd: data })],
      ['borg', () => sh('borg', ['create', `${borg}::inc`, '.'], { cwd: data })],
    ];
    for (let i = 0; i < incs.length; i++) {
      const [tool, run] = incs[(i + round) % incs.length];
      const t = run();
      push('inc', tool, t.ms);
      peak = Math.max(peak, t.peakRssMB);
    }
    // Beside it, an incremental that walks every file, as when no watcher reports (or once a
    // day): after the one above, so it finds nothing new, but pays the same walk.
    const walked = node('inc-walk', ours.backups, ours.dataDir);
    push('inc', 'oursWalk', walked.ms);
    peak = Math.max(peak, walked.peakRssMB);
    const target = (tool: string): string => {
      const d = path.join(r, `restore-${tool}`);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    const restores: [Tool, () => Timed][] = [
      ['ours', () => node('restore', ours.backups, ours.dataDir, target('ours'))],
      ['restic', () => sh('restic', ['--repo', restic, 'restore', 'latest', '--target', target('restic'), '--quiet'])],
      ['borg', () => sh('borg', ['extract', `${borg}::inc`], { cwd: target('borg') })],
      ['tar', () => sh('tar', ['-xzf', tarFile, '-C', target('tar')])],
    ];
    for (let i = 0; i < restores.length; i++) {
      const [tool, run] = restores[(i + round) % restores.length];
      spawnSync('sync');
      const t = run();
      push('restore', tool, t.ms);
      peak = Math.max(peak, t.peakRssMB);
    }
    fs.rmSync(r, { recursive: true, force: true });
  }
  const med = (k: keyof typeof times): Record<string, number> => Object.fromEntries(Object.entries(times[k]).map(([tool, xs]) => [tool, Math.round(median(xs))]));
  return { full: med('full') as Figures['full'], inc: med('inc') as Figures['inc'], restore: med('restore') as Figures['restore'], size: size as Figures['size'], peakRssMB: Math.round(peak) };
}

function missing(): string[] {
  const probes: [string, string][] = [
    ['restic', 'version'],
    ['borg', '--version'],
    ['tar', '--version'],
  ];
  return probes.filter(([t, arg]) => spawnSync(t, [arg], { stdio: 'ignore' }).status !== 0).map(([t]) => t);
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

function report(name: string, f: Figures): void {
  console.log(`${name}:`);
  console.log(`  full backup   ours ${f.full.ours} ms · restic ${f.full.restic} ms · borg ${f.full.borg} ms · tar -czf ${f.full.tar} ms → ${ratio(f.full.ours, f.full.restic)}× restic, ${ratio(f.full.ours, f.full.borg)}× borg, ${ratio(f.full.ours, f.full.tar)}× tar`);
  console.log(`  incremental   ours ${f.inc.ours} ms (from the watcher's list; walking every file ${f.inc.oursWalk} ms) · restic ${f.inc.restic} ms · borg ${f.inc.borg} ms → ${ratio(f.inc.ours, f.inc.restic)}× restic (walking ${ratio(f.inc.oursWalk, f.inc.restic)}×)`);
  console.log(`  restore       ours ${f.restore.ours} ms · restic ${f.restore.restic} ms · borg ${f.restore.borg} ms · tar -xzf ${f.restore.tar} ms → ${ratio(f.restore.ours, f.restore.restic)}× restic, ${ratio(f.restore.ours, f.restore.tar)}× tar`);
  console.log(`  size          ours ${mb(f.size.ours)} · restic ${mb(f.size.restic)} · borg ${mb(f.size.borg)} · tar ${mb(f.size.tar)} → ${ratio(f.size.ours, f.size.restic)}× restic`);
}

function main(): void {
  const gone = missing();
  if (gone.length) {
    console.error(`bench:peers needs ${gone.join(', ')}: install with \`apt-get install restic borgbackup\` (Debian/Ubuntu).`);
    process.exit(2);
  }
  const mbArg = Number(process.argv[2] ?? 210);
  const filesArg = Number(process.argv[3] ?? 5000);
  const bigFiles = Number(process.argv[4] ?? 100_000);
  const rounds = Number(process.argv[5] ?? 3);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gardener-peers-'));
  try {
    const gen = path.join(base, 'gen');
    generateTree(gen, mbArg, filesArg);
    const genFiles = filesUnder(path.join(gen, 'projects'));
    // 1% of the generated tree's files; 100 of the workspace's (the "100 files changed").
    const g = measure('gen', gen, genFiles, Math.ceil(genFiles.length / 100), path.join(base, 'work-gen'), rounds);
    fs.rmSync(gen, { recursive: true, force: true });
    // Printed now too: the workspace tree takes long, and a failure there must not lose these.
    report(`generated tree (${mbArg} MB, ${filesArg} files)`, g);
    const big = path.join(base, 'ws');
    const ws = generateWorkspace(big, bigFiles, 0);
    // Source files, not the .gitignore: an edit there changes which files the backup holds, and
    // makes our incremental walk every file (it is timed as "walking" beside).
    const w = measure('ws', big, sourceFiles(big).filter((f) => path.basename(f) !== '.gitignore'), 100, path.join(base, 'work-ws'), rounds);
    console.log(`restic ${String(spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout).trim()}; borg ${String(spawnSync('borg', ['--version'], { encoding: 'utf8' }).stdout).trim()}; medians of ${rounds} rounds`);
    report(`workspace tree (${ws.sources.length} sources, ${mb(ws.sourceBytes)}, .git ${ws.gitFiles} files)`, w);
    console.log(`peak RSS of our processes: ${Math.max(g.peakRssMB, w.peakRssMB)} MB`);
    console.log(
      JSON.stringify({
        fullVsRestic: ratio(g.full.ours, g.full.restic),
        fullVsBorg: ratio(g.full.ours, g.full.borg),
        incrementalVsRestic: ratio(g.inc.ours, g.inc.restic),
        restoreVsRestic: ratio(g.restore.ours, g.restore.restic),
        bigTreeFullVsRestic: ratio(w.full.ours, w.full.restic),
        bigTreeFullVsTar: ratio(w.full.ours, w.full.tar),
        bigTreeRestoreVsTar: ratio(w.restore.ours, w.restore.tar),
        bigTreeIncrementalMs: w.inc.ours,
        bigTreeIncrementalVsRestic: ratio(w.inc.ours, w.inc.restic),
        bigTreeWalkedIncrementalMs: w.inc.oursWalk,
        sizeVsRestic: ratio(g.size.ours, g.size.restic),
        peakRssMB: Math.max(g.peakRssMB, w.peakRssMB),
      }),
    );
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv[2] === '--child') {
    const [op, mode, data, backups, dataDir, target] = process.argv.slice(3);
    childMain(op, mode as Mode, data, backups, dataDir, target).catch((err) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exit(1);
    });
  } else main();
}
