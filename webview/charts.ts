// Charts of CPU, memory, disk, response time and integration score over a chosen range, with
// warning and critical lines, drawn by uPlot (canvas: thousands of points cost a few ms). Live
// samples are appended to the data in place; the page around them is not rebuilt.
import uPlot from 'uplot';
import type { Thresholds } from '../src/core/health/thresholds';
import type { LivePoint, RangeKey, Series, SeriesKey } from '../src/shared/protocol';
import { RANGES, SERIES } from '../src/shared/protocol';
import { el } from './dom';

interface ChartDef {
  key: SeriesKey;
  title: string;
  unit: string;
  band: keyof Thresholds;
  percent: boolean;
}

const CHARTS: ChartDef[] = [
  { key: 'cpu', title: 'CPU', unit: '%', band: 'cpu', percent: true },
  { key: 'memory', title: 'Memory', unit: '%', band: 'memory', percent: true },
  { key: 'disk', title: 'Disk', unit: '%', band: 'disk', percent: true },
  { key: 'responseMs', title: 'Response time', unit: 'ms', band: 'responseTimeMs', percent: false },
  { key: 'score', title: 'Integration score', unit: '%', band: 'integrationScore', percent: true },
];

/** Ranges short enough to be drawn from every sample, to which a live sample belongs. */
const LIVE: RangeKey[] = ['1h', '6h', '24h'];

function color(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export class Charts {
  readonly root = el('div', 'charts');
  private plots: { def: ChartDef; plot: uPlot; box: HTMLElement }[] = [];
  private data: Series | undefined;
  private thresholds: Thresholds | undefined;
  private readonly resize = new ResizeObserver(() => this.fit());

  constructor() {
    // VS Code swaps the theme by changing the body's class and the variables: the colours follow.
    new MutationObserver(() => this.rebuild()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    this.resize.observe(this.root);
  }

  get range(): RangeKey | undefined {
    return this.data?.range;
  }

  setThresholds(t: Thresholds): void {
    const changed = JSON.stringify(t) !== JSON.stringify(this.thresholds);
    this.thresholds = t;
    if (changed) for (const p of this.plots) p.plot.redraw(false, false);
  }

  /** Shows `s` (a whole range): each chart's data is replaced, its axes keep their place. */
  show(s: Series): void {
    this.data = { ...s, t: [...s.t], values: Object.fromEntries(SERIES.map((k) => [k, [...s.values[k]]])) as Series['values'] };
    if (!this.plots.length) this.build();
    else for (const p of this.plots) p.plot.setData(this.columns(p.def.key));
    this.mark();
  }

  /** Appends a live sample when the range shown is drawn from every sample; drops what left the range. */
  append(p: LivePoint): void {
    const d = this.data;
    if (!d || !LIVE.includes(d.range)) return;
    const t = p.t / 1000;
    if (d.t.length && d.t[d.t.length - 1] >= t) return;
    d.t.push(t);
    for (const k of SERIES) d.values[k].push(p.values[k]);
    const from = t - RANGES[d.range] / 1000;
    let drop = 0;
    while (drop < d.t.length && d.t[drop] < from) drop++;
    if (drop) {
      d.t.splice(0, drop);
      for (const k of SERIES) d.values[k].splice(0, drop);
    }
    for (const x of this.plots) x.plot.setData(this.columns(x.def.key));
    this.mark();
  }

  private columns(key: SeriesKey): uPlot.AlignedData {
    const d = this.data!;
    return [d.t, d.values[key]];
  }

  /** What a test or a screen reader can read without the canvas. */
  private mark(): void {
    const d = this.data!;
    this.root.dataset.range = d.range;
    for (const p of this.plots) {
      const known = d.values[p.def.key].filter((v) => v !== null).length;
      p.box.dataset.points = String(known);
      p.box.setAttribute('aria-label', `${p.def.title}: ${known} points over ${d.range}`);
    }
  }

  private rebuild(): void {
    if (!this.data) return;
    for (const p of this.plots) p.plot.destroy();
    this.plots = [];
    this.root.replaceChildren();
    this.build();
    this.mark();
  }

  /** Each chart as wide as its cell of the grid (the grid decides how many fit in a row). */
  private width(box: HTMLElement): number {
    return Math.max(200, box.clientWidth || 300);
  }

  private fit(): void {
    for (const p of this.plots) {
      const w = this.width(p.box);
      if (Math.abs(p.plot.width - w) > 2) p.plot.setSize({ width: w, height: p.plot.height });
    }
  }

  private build(): void {
    const fg = color('--vscode-descriptionForeground', '#888');
    const grid = color('--vscode-editorWidget-border', 'rgba(128,128,128,.25)');
    const line = color('--vscode-charts-blue', '#3794ff');
    const warn = color('--vscode-charts-yellow', '#cca700');
    const crit = color('--vscode-charts-red', '#f14c4c');
    const font = `11px ${color('--vscode-font-family', 'sans-serif')}`;
    for (const def of CHARTS) {
      const box = el('figure', 'chart');
      box.dataset.chart = def.key;
      box.setAttribute('role', 'img');
      box.appendChild(el('figcaption', undefined, `${def.title} (${def.unit})`));
      this.root.appendChild(box);
      const drawBands = (u: uPlot) => {
        const band = this.thresholds?.[def.band];
        if (!band) return;
        const ctx = u.ctx;
        ctx.save();
        ctx.lineWidth = uPlot.pxRatio;
        ctx.setLineDash([4 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
        for (const [v, c] of [
          [band.warning, warn],
          [band.critical, crit],
        ] as const) {
          const y = Math.round(u.valToPos(v, 'y', true));
          if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
          ctx.strokeStyle = c;
          ctx.beginPath();
          ctx.moveTo(u.bbox.left, y);
          ctx.lineTo(u.bbox.left + u.bbox.width, y);
          ctx.stroke();
        }
        ctx.restore();
      };
      const opts: uPlot.Options = {
        width: this.width(box),
        height: 130,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: def.percent ? { range: [0, 100] } : { range: (_u, _min, max) => [0, Math.max(max ?? 0, (this.thresholds?.[def.band].critical ?? 0) * 1.1, 10)] } },
        axes: [
          { stroke: fg, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
          { stroke: fg, font, size: def.percent ? 44 : 60, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, values: (_u, vals) => vals.map((v) => (def.unit === '%' ? `${v}%` : v >= 1000 ? `${v / 1000} s` : `${v} ms`)) },
        ],
        series: [{}, { label: def.title, stroke: line, width: 1.5, points: { show: false } }],
        hooks: { draw: [drawBands] },
      };
      this.plots.push({ def, box, plot: new uPlot(opts, this.columns(def.key), box) });
    }
  }
}
