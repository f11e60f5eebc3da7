import { Chart, type ChartDataset } from 'chart.js';
import type { PlotData } from './messages';
import { dragRange, lttb, positiveOnly, smooth, visiblePoints, zoomRange, type XY } from './plotShaping';

/** How the step curves are drawn, as the panel's controls set it (kept in the page's state). */
export interface StepView {
  /** 0 (raw) to 0.99: the weight of the moving average (plotShaping.smooth). */
  smoothing: number;
  logScale: boolean;
}

export interface StepStyle {
  foreground: string;
  grid: string;
  colorOf(rev: string): string;
  labelOf(rev: string, source: string): string;
}

interface Series {
  key: string;
  rev: string;
  source: string;
  raw: XY[];
}

/**
 * A series is drawn as at most this many points (LTTB, plotShaping.lttb: about two per pixel of a
 * wide chart), taken from the points in the zoomed range, so a 100k-point series costs chart.js
 * what 1,000 do. (chart.js's own decimation plugin parses and scans every point first.)
 */
const DRAWN_POINTS = 1000;

const finite = (v: unknown): number => (v === null || v === undefined || v === '' ? NaN : Number(v));

/**
 * The chart of one step plot (DVC's linear/simple/smooth templates): each series' raw points are
 * kept and drawn through the view (smoothing, log scale), zoomed on x (wheel over the chart, or a
 * drag across it; a double click shows all), decimated by chart.js when long, and grown in place
 * by a run going on (`append`).
 */
export class StepChart {
  readonly chart: Chart<'line', XY[]>;
  /** How long this chart took to draw first: its points shaped (here) and chart.js's first update and render (which wait until the canvas is in the page). */
  drawMs = 0;
  private readonly series: Series[] = [];
  private zoom: [number, number] | undefined;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly plot: PlotData,
    private view: StepView,
    private readonly style: StepStyle,
  ) {
    const started = performance.now();
    this.add(plot.points);
    for (const s of this.series) s.raw.sort((a, b) => a.x - b.x);
    let updateStarted: number | undefined;
    const firstDraw = {
      id: 'cairnFirstDraw',
      // chart.js updates once detached (no render), then again when the canvas is in the page, and renders.
      beforeUpdate: () => void (updateStarted = performance.now()),
      afterRender: () => {
        if (updateStarted !== undefined && this.drawMs === 0) this.drawMs = shapeMs + performance.now() - updateStarted;
      },
    };
    const axis = (title: string) => ({ title: { display: true, text: title, color: style.foreground }, ticks: { color: style.foreground, maxRotation: 0, autoSkip: true, maxTicksLimit: 8 }, grid: { color: style.grid } });
    const datasets = this.series.map((s, i) => this.dataset(s, i));
    const shapeMs = performance.now() - started;
    this.chart = new Chart<'line', XY[]>(canvas, {
      type: 'line',
      data: { datasets },
      plugins: [firstDraw],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        // Points are {x, y} numbers sorted by x already: no parsing pass, ranges found by their ends.
        parsing: false,
        normalized: true,
        spanGaps: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        plugins: {
          legend: { display: this.series.length > 1, labels: { color: style.foreground, boxWidth: 10 } },
        },
        scales: { x: { ...axis(plot.xLabel), type: 'linear' }, y: { ...axis(plot.yLabel), type: view.logScale ? 'logarithmic' : 'linear' } },
      },
    });
    this.listen(canvas);
  }


  /** Points this plot's series gained: appended to their series (a new series gets a dataset). Returns each grown series' revision and length. */
  append(points: Record<string, unknown>[]): { revision: string; points: number }[] {
    const grown = this.add(points);
    for (const s of grown) {
      const index = this.series.indexOf(s);
      if (index >= this.chart.data.datasets.length) this.chart.data.datasets.push(this.dataset(s, index));
      else this.chart.data.datasets[index].data = this.drawn(s);
    }
    this.chart.options.plugins!.legend!.display = this.series.length > 1;
    this.chart.update('none');
    return grown.map((s) => ({ revision: s.rev, points: s.raw.length }));
  }

  setView(view: StepView): void {
    this.view = view;
    this.chart.options.scales!.y!.type = view.logScale ? 'logarithmic' : 'linear';
    this.series.forEach((s, i) => (this.chart.data.datasets[i].data = this.drawn(s)));
    this.chart.update('none');
  }

  get points(): number {
    return this.series.reduce((n, s) => n + s.raw.length, 0);
  }

  /** Points into their series; returns the series that grew. A file's rows come in runs of one series: its key is looked up only when it changes. */
  private add(points: Record<string, unknown>[]): Series[] {
    const grown = new Set<Series>();
    const { x, y, sourceField } = this.plot;
    let s: Series | undefined;
    let lastRev: unknown;
    let lastSource: unknown;
    for (const point of points) {
      const source = sourceField ? point[sourceField] : '';
      if (!s || point.rev !== lastRev || source !== lastSource) {
        lastRev = point.rev;
        lastSource = source;
        const key = `${String(point.rev)}\u0000${String(source)}`;
        s = this.series.find((c) => c.key === key);
        if (!s) this.series.push((s = { key, rev: String(point.rev), source: String(source), raw: [] }));
        grown.add(s);
      }
      s.raw.push({ x: finite(point[x]), y: finite(point[y]) });
    }
    return [...grown];
  }

  /** What is drawn of a series: smoothed, the zoomed range of it, positive for a log scale, decimated. */
  private drawn(s: Series): XY[] {
    const shown = visiblePoints(smooth(s.raw, this.view.smoothing), this.zoom);
    return lttb(this.view.logScale ? positiveOnly(shown) : shown, DRAWN_POINTS);
  }

  private dataset(s: Series, index: number): ChartDataset<'line', XY[]> {
    const color = this.style.colorOf(s.rev);
    // Sources of one revision share its colour, told apart by dashes.
    const sourceIndex = this.series.filter((x) => x.rev === s.rev).indexOf(s);
    return {
      label: this.style.labelOf(s.rev, s.source),
      data: this.drawn(s),
      borderColor: color,
      backgroundColor: color,
      borderDash: sourceIndex > 0 ? [6, 3 * sourceIndex] : [],
      pointRadius: s.raw.length > 60 ? 0 : 2,
      borderWidth: 1.5,
      // DVC's smooth template draws a smoothed curve; a cubic interpolation stands in for it.
      tension: this.plot.template === 'smooth' ? 0.4 : 0,
      order: index,
    };
  }

  private extent(): [number, number] {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of this.series) for (const p of s.raw) if (Number.isFinite(p.x)) (lo = Math.min(lo, p.x)), (hi = Math.max(hi, p.x));
    return lo <= hi ? [lo, hi] : [0, 1];
  }

  private setZoom(range: [number, number] | undefined): void {
    this.zoom = range;
    // The x range shown, on the element (for the e2e tests: a canvas has no text).
    this.chart.canvas.dataset.xRange = range ? range.join(',') : '';
    this.chart.options.scales!.x!.min = range?.[0];
    this.chart.options.scales!.x!.max = range?.[1];
    // Decimated anew from the points in range: zooming in shows detail.
    this.series.forEach((s, i) => (this.chart.data.datasets[i].data = this.drawn(s)));
    this.chart.update('none');
  }

  private listen(canvas: HTMLCanvasElement): void {
    canvas.title = 'Wheel or drag to zoom on x; double-click to show all';
    canvas.dataset.plot = this.plot.id;
    const xAt = (e: MouseEvent) => this.chart.scales.x.getValueForPixel(e.offsetX) ?? NaN;
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const full = this.extent();
      this.setZoom(zoomRange(this.zoom ?? full, full, xAt(e), e.deltaY));
    }, { passive: false });
    let dragFrom: number | undefined;
    canvas.addEventListener('mousedown', (e) => (dragFrom = xAt(e)));
    canvas.addEventListener('mouseup', (e) => {
      if (dragFrom === undefined) return;
      const range = dragRange(dragFrom, xAt(e), this.extent());
      dragFrom = undefined;
      if (range) this.setZoom(range);
    });
    canvas.addEventListener('dblclick', () => this.setZoom(undefined));
  }
}
