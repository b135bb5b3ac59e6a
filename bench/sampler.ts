// npm run bench:sampler — what one health sample costs in CPU time, and what share of a core
// sampling uses at the default interval, against a naive systeminformation sample measured in
// the same run. Last line: JSON with the figures.
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '../src/core/clock';
import { SystemSampler } from '../src/core/health';
import { settingProperties, type ConfigurationContribution } from '../src/core/settings';

// The default interval as package.json declares it (run from out/bench/, two folders down).
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: ConfigurationContribution } };
const DEFAULT_INTERVAL_SECONDS = settingProperties(manifest.contributes.configuration).get('codebaseGardener.monitoring.intervalSeconds')?.default as number;

function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  return fn().then(() => {
    const d = process.cpuUsage(before);
    return (d.user + d.system) / 1000;
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (n: number, d = 3): number => Math.round(n * 10 ** d) / 10 ** d;

export interface SamplerBench {
  samples: number;
  sampleCpuMs: number;
  slowReadingCpuMs: number;
  baselineCpuMs: number;
  vsBaseline: number;
  corePercent: number;
}

export async function measureSampler(samples = 60): Promise<SamplerBench> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gardener-bench-'));
  const sampler = new SystemSampler({ clock: systemClock, dataDir: dir });
  // The first sample includes the expensive readings; the rest are the fast path.
  const slowReadingCpuMs = await cpuMs(() => sampler.sample());
  const fast: number[] = [];
  for (let i = 0; i < samples; i++) fast.push(await cpuMs(() => sampler.sample()));

  const si = await import('systeminformation');
  await si.currentLoad();
  const naive: number[] = [];
  const baselineRuns = Math.max(5, Math.min(samples, 20));
  for (let i = 0; i < baselineRuns; i++) {
    naive.push(await cpuMs(() => Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.processes()])));
  }
  fs.rmSync(dir, { recursive: true, force: true });

  const sampleCpuMs = median(fast);
  const intervalMs = DEFAULT_INTERVAL_SECONDS * 1000;
  const slowEveryMs = 5 * 60_000;
  const corePercent = ((sampleCpuMs / intervalMs) + (slowReadingCpuMs / slowEveryMs)) * 100;
  const baselineCpuMs = median(naive);
  return {
    samples,
    sampleCpuMs: round(sampleCpuMs),
    slowReadingCpuMs: round(slowReadingCpuMs),
    baselineCpuMs: round(baselineCpuMs),
    vsBaseline: round(sampleCpuMs / baselineCpuMs),
    corePercent: round(corePercent, 4),
  };
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? 200);
  void measureSampler(n).then((r) => {
    console.log(`samples measured:               ${r.samples} (fast path), plus 1 with the expensive readings`);
    console.log(`fast-path sample CPU (median):   ${r.sampleCpuMs} ms   (goal < 2 ms)`);
    console.log(`sample with expensive readings: ${r.slowReadingCpuMs} ms (taken once per 5 min)`);
    console.log(`naive systeminformation sample: ${r.baselineCpuMs} ms   (currentLoad+mem+fsSize+processes)`);
    console.log(`ours / naive:                   ${r.vsBaseline}×`);
    console.log(`share of one core at ${DEFAULT_INTERVAL_SECONDS} s:       ${r.corePercent}%   (goal < 0.1%)`);
    console.log(JSON.stringify({ sampleCpuMs: r.sampleCpuMs, corePercent: r.corePercent, baselineCpuMs: r.baselineCpuMs, vsBaseline: r.vsBaseline, samples: r.samples }));
  });
}
