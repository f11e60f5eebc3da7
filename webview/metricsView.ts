import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { Direction, FromWebview, MetricsPayload, PlotData, PlotTemplate, RunInfo, ToWebview, Value } from './messages';
import { compareRows, keyLabels, toCsv, toMarkdown } from './metricsTable';
import { runColors, THEME_SERIES } from './runColors';
import { StepChart, type StepView } from './stepCharts';
import { renderSweep } from './sweepViews';

/** The metrics panel's page: a compare table, history line charts, run bar charts, step plots (live), sweep views (chart.js). */

Chart.register(LineController, LineElement, PointElement, ScatterController, BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Tooltip, Legend);

interface State {
  payload: MetricsPayload;
  view?: StepView;
}
declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): State | undefined; setState(s: State): void };
const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);

let charts: Chart[] = [];
let current: MetricsPayload | undefined;
/** The step plots drawn, by plot id: what `appendPoints` grows. */
let stepCharts = new Map<string, StepChart>();
let view: StepView = vscode.getState()?.view ?? { smoothing: 0, logScale: false };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Colours from the VS Code theme, read when drawing (the page restyles itself on theme change). */
function theme() {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    foreground: v('--vscode-foreground', '#333'),
    grid: v('--vscode-editorWidget-border', 'rgba(128,128,128,0.3)'),
    series: THEME_SERIES.map(([name, fallback]) => v(name, fallback)),
  };
}

/**
 * Each run's colour: the compared runs in their order, then the others (runs going on, which
 * `appendPoints` adds to `p.runs` later, hence asked each time), as runColors gives them.
 */
function colorsOf(p: MetricsPayload, t: ReturnType<typeof theme>): (rev: string) => string {
  let known = -1;
  let colors = new Map<string, string>();
  return (rev) => {
    if (known !== p.runs.length) (colors = runColors([...p.selected, ...p.runs.map((r) => r.id)], t.series)), (known = p.runs.length);
    return colors.get(rev) ?? t.series[0];
  };
}

const numeric = (v: Value | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** Plot files (CSV, TSV) hold numbers as text. */
const finite = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : null);
const runLabel = (p: MetricsPayload, id: string) => p.runs.find((r) => r.id === id)?.label ?? id;

function exportButton(label: string, onClick: () => void): HTMLButtonElement {
  return el('button', { className: 'secondary', textContent: label, onclick: onClick });
}

function renderTable(p: MetricsPayload): HTMLElement {
  const rows = compareRows(p);
  const table = el('table', { className: 'compare' });
  const head = el('tr', {}, el('th', { textContent: '' }));
  p.selected.forEach((id, i) => {
    const run = p.runs.find((r) => r.id === id);
    head.append(el('th', { textContent: runLabel(p, id), title: [run?.detail, i === 0 ? 'baseline' : ''].filter(Boolean).join(' — ') }));
  });
  table.append(el('thead', {}, head));
  const body = el('tbody');
  let section = '';
  for (const row of rows) {
    if (row.kind !== section) {
      section = row.kind;
      body.append(el('tr', { className: 'section' }, el('td', { colSpan: p.selected.length + 1, textContent: row.kind === 'metric' ? 'Metrics' : 'Params' })));
    }
    const name = el('td', { className: 'key', title: row.key }, row.label);
    if (row.direction) {
      const next: Direction = row.direction === 'higher' ? 'lower' : 'higher';
      name.append(
        el('button', {
          className: 'direction',
          textContent: row.direction === 'higher' ? '↑' : '↓',
          title: `${row.direction === 'higher' ? 'Higher' : 'Lower'} is better — click for ${next}`,
          onclick: () => post({ type: 'setDirection', key: row.key, direction: next }),
        }),
      );
    }
    const tr = el('tr', {}, name);
    for (const c of row.cells) {
      const td = el('td', { className: 'value' }, c.text);
      if (c.deltaText) td.append(el('span', { className: `delta ${c.better === undefined ? '' : c.better ? 'better' : 'worse'}`, textContent: ` ${c.deltaText}` }));
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  return el(
    'section',
    {},
    el('div', { className: 'heading' }, el('h2', { textContent: 'Compare' }), el('span', { className: 'hint', textContent: `baseline: ${runLabel(p, p.selected[0])}` }),
      exportButton('Copy as Markdown', () => post({ type: 'export', format: 'markdown', suggestedName: 'metrics.md', data: toMarkdown(p) })),
      exportButton('Export CSV', () => post({ type: 'export', format: 'csv', suggestedName: 'metrics.csv', data: toCsv(p) }))),
    el('div', { className: 'table-scroll' }, table),
  );
}

function chartCard(title: string, fileName: string, draw: (canvas: HTMLCanvasElement) => Chart, controls: HTMLElement[] = []): HTMLElement {
  const canvas = el('canvas');
  const card = el('div', { className: 'card' });
  card.append(el('div', { className: 'card-title' }, el('span', { textContent: title, title })), el('div', { className: 'canvas-box' }, canvas));
  const chart = draw(canvas);
  charts.push(chart);
  card.firstElementChild!.append(...controls, exportButton('PNG', () => post({ type: 'export', format: 'png', suggestedName: fileName, data: chart.toBase64Image('image/png', 1) })));
  return card;
}

function baseOptions(t: ReturnType<typeof theme>) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: false } },
    scales: {
      x: { ticks: { color: t.foreground, maxRotation: 0, autoSkip: true, maxTicksLimit: 8 }, grid: { color: t.grid } },
      y: { ticks: { color: t.foreground }, grid: { color: t.grid } },
    },
  };
}

function renderHistory(p: MetricsPayload, keys: string[], labels: Map<string, string>): { section: HTMLElement; points: number } {
  const t = theme();
  const grid = el('div', { className: 'grid' });
  let points = 0;
  const xLabels = p.history.map((id) => runLabel(p, id));
  for (const key of keys) {
    const data = p.history.map((id) => numeric(p.metrics[id]?.[key]));
    points += data.length;
    grid.append(
      chartCard(labels.get(key)!, `${labels.get(key)}-history.png`, (canvas) =>
        new Chart(canvas, {
          type: 'line',
          data: { labels: xLabels, datasets: [{ data, borderColor: t.series[0], backgroundColor: t.series[0], pointRadius: data.length > 60 ? 0 : 2, borderWidth: 1.5, spanGaps: true }] },
          options: {
            ...baseOptions(t),
            plugins: { legend: { display: false }, tooltip: { callbacks: { title: (items) => p.runs.find((r) => r.id === p.history[items[0].dataIndex])?.detail ?? xLabels[items[0].dataIndex] } } },
          },
        }),
      ),
    );
  }
  return { section: el('section', {}, el('div', { className: 'heading' }, el('h2', { textContent: `History (${p.history.length} revisions)` })), grid), points };
}

function renderBars(p: MetricsPayload, keys: string[], labels: Map<string, string>): HTMLElement {
  const t = theme();
  const grid = el('div', { className: 'grid' });
  const runLabels = p.selected.map((id) => runLabel(p, id));
  for (const key of keys) {
    const data = p.selected.map((id) => numeric(p.metrics[id]?.[key]));
    grid.append(
      chartCard(labels.get(key)!, `${labels.get(key)}-runs.png`, (canvas) =>
        new Chart(canvas, {
          type: 'bar',
          data: { labels: runLabels, datasets: [{ data, backgroundColor: p.selected.map((_, i) => t.series[i % t.series.length]) }] },
          options: baseOptions(t),
        }),
      ),
    );
  }
  return el('section', {}, el('div', { className: 'heading' }, el('h2', { textContent: 'Selected runs' })), grid);
}

/** A plot's series: one per revision (and per source when a plot has several). */
function seriesOf(plot: PlotData, p: MetricsPayload): { rev: string; label: string; points: Record<string, unknown>[] }[] {
  const series = new Map<string, { rev: string; label: string; points: Record<string, unknown>[] }>();
  for (const point of plot.points) {
    const rev = String(point.rev);
    const source = plot.sourceField ? String(point[plot.sourceField]) : '';
    const key = `${rev}\u0000${source}`;
    if (!series.has(key)) series.set(key, { rev, label: [runLabel(p, rev), source].filter(Boolean).join(' · '), points: [] });
    series.get(key)!.points.push(point);
  }
  return [...series.values()];
}

/** A confusion matrix per revision, as a table shaded by count (normalised by actual class when asked). */
function confusionTables(plot: PlotData, p: MetricsPayload): HTMLElement {
  const t = theme();
  const box = el('div', { className: 'confusion' });
  for (const { label, points } of seriesOf(plot, p)) {
    const actual = [...new Set(points.map((d) => String(d[plot.x])))].sort();
    const predicted = [...new Set(points.map((d) => String(d[plot.y])))].sort();
    const counts = new Map<string, number>();
    for (const d of points) counts.set(`${d[plot.x]}\u0000${d[plot.y]}`, (counts.get(`${d[plot.x]}\u0000${d[plot.y]}`) ?? 0) + 1);
    const rowTotal = (a: string) => predicted.reduce((n, q) => n + (counts.get(`${a}\u0000${q}`) ?? 0), 0);
    const value = (a: string, q: string) => {
      const c = counts.get(`${a}\u0000${q}`) ?? 0;
      return plot.template === 'confusion_normalized' ? (rowTotal(a) ? c / rowTotal(a) : 0) : c;
    };
    const max = Math.max(1e-9, ...actual.flatMap((a) => predicted.map((q) => value(a, q))));
    const table = el('table', { className: 'matrix', title: `rows: ${plot.xLabel} · columns: ${plot.yLabel}` });
    table.append(el('tr', {}, el('th', { textContent: `${plot.xLabel} \\ ${plot.yLabel}` }), ...predicted.map((q) => el('th', { textContent: q }))));
    for (const a of actual) {
      const tr = el('tr', {}, el('th', { textContent: a }));
      for (const q of predicted) {
        const v = value(a, q);
        const td = el('td', { textContent: plot.template === 'confusion_normalized' ? v.toFixed(2) : String(v) });
        td.style.backgroundColor = `color-mix(in srgb, ${t.series[0]} ${Math.round((v / max) * 80)}%, transparent)`;
        tr.append(td);
      }
      table.append(tr);
    }
    box.append(el('div', {}, el('div', { className: 'hint', textContent: label }), table));
  }
  return box;
}

/** DVC's templates drawn as step curves (StepChart: smoothing, zoom, log scale, live appends). */
const STEP_TEMPLATES = new Set<PlotTemplate>(['linear', 'simple', 'smooth']);

function renderPlots(p: MetricsPayload): { section: HTMLElement; points: number } {
  const t = theme();
  const revColor = colorsOf(p, t);
  const grid = el('div', { className: 'grid' });
  let points = 0;
  for (const plot of p.plots) {
    points += plot.points.length;
    if (plot.template.startsWith('confusion')) {
      grid.append(el('div', { className: 'card' }, el('div', { className: 'card-title' }, el('span', { textContent: plot.title, title: plot.id })), confusionTables(plot, p)));
      continue;
    }
    if (STEP_TEMPLATES.has(plot.template)) {
      grid.append(chartCard(plot.title, `${plot.id.replace(/[^\w.-]+/g, '_')}.png`, (canvas) => {
        const step = new StepChart(canvas, plot, view, { foreground: t.foreground, grid: t.grid, colorOf: revColor, labelOf: (rev, source) => [runLabel(p, rev), source].filter(Boolean).join(' · ') });
        stepCharts.set(plot.id, step);
        return step.chart as unknown as Chart;
      }));
      continue;
    }
    const series = seriesOf(plot, p);
    const color = (i: number) => revColor(series[i].rev);
    const axis = (title: string) => ({ title: { display: true, text: title, color: t.foreground }, ticks: { color: t.foreground }, grid: { color: t.grid } });
    const options = { ...baseOptions(t), plugins: { legend: { display: series.length > 1, labels: { color: t.foreground, boxWidth: 10 } } }, scales: { x: axis(plot.xLabel), y: axis(plot.yLabel) } };
    if (plot.template.startsWith('bar_horizontal')) {
      let categories = [...new Set(plot.points.map((d) => String(d[plot.y])))];
      if (plot.template === 'bar_horizontal_sorted') {
        const first = series[0]?.points ?? [];
        const valueOf = (c: string) => finite(first.find((d) => String(d[plot.y]) === c)?.[plot.x]) ?? 0;
        categories = categories.sort((a, b) => valueOf(b) - valueOf(a));
      }
      grid.append(chartCard(plot.title, `${plot.id.replace(/[^\w.-]+/g, '_')}.png`, (canvas) =>
        new Chart(canvas, {
          type: 'bar',
          data: { labels: categories, datasets: series.map((s, i) => ({ label: s.label, backgroundColor: color(i), data: categories.map((c) => finite(s.points.find((d) => String(d[plot.y]) === c)?.[plot.x])) })) },
          options: { ...options, indexAxis: 'y' as const, scales: { x: axis(plot.xLabel), y: { ...axis(plot.yLabel), type: 'category' as const } } },
        }),
      ));
      continue;
    }
    if (plot.template === 'scatter') {
      grid.append(chartCard(plot.title, `${plot.id.replace(/[^\w.-]+/g, '_')}.png`, (canvas) =>
        new Chart(canvas, {
          type: 'scatter',
          data: { datasets: series.map((s, i) => ({ label: s.label, borderColor: color(i), backgroundColor: color(i), pointRadius: 3, data: s.points.map((d) => ({ x: finite(d[plot.x]) ?? NaN, y: finite(d[plot.y]) ?? NaN })) })) },
          options: { ...options, scales: { x: { ...axis(plot.xLabel), type: 'linear' as const }, y: axis(plot.yLabel) } },
        }),
      ));
      continue;
    }
  }
  // Image plots: one card per image, its revisions side by side.
  const imageIds = [...new Set(p.plotImages.map((i) => i.id))];
  for (const id of imageIds) {
    const figures = p.plotImages
      .filter((i) => i.id === id)
      .map((i) => el('figure', { className: 'plot-image' }, el('img', { src: i.url, alt: `${id} at ${runLabel(p, i.revision)}` }), el('figcaption', { className: 'hint', textContent: runLabel(p, i.revision) })));
    grid.append(el('div', { className: 'card' }, el('div', { className: 'card-title' }, el('span', { textContent: id, title: id })), el('div', { className: 'plot-images' }, ...figures)));
  }
  const section = el('section', {}, el('div', { className: 'heading' }, el('h2', { textContent: 'Plots' }), el('span', { className: 'hint', textContent: 'from dvc.yaml plots:' }), ...viewControls()));
  if (p.plotErrors.length) section.append(el('div', { className: 'notice' }, `Could not read: ${p.plotErrors.join('; ')}`));
  section.append(grid);
  return { section, points };
}

function render(p: MetricsPayload): void {
  const started = performance.now();
  current = p;
  charts.forEach((c) => c.destroy());
  charts = [];
  stepCharts = new Map();
  const root = document.getElementById('root')!;
  root.replaceChildren();
  const failed = p.runs.filter((r) => r.error);
  if (failed.length) root.append(el('div', { className: 'notice' }, `Could not read ${failed.map((r) => `${r.label} (${r.error})`).join('; ')}`));
  if (p.metricKeys.length === 0 && p.paramKeys.length === 0 && p.plots.length === 0 && p.plotImages.length === 0) {
    root.append(el('div', { className: 'empty' }, el('h2', { textContent: 'No metrics, params or plots yet' }), el('p', { textContent: 'Declare metrics files in dvc.yaml (a top-level `metrics:` list, or `metrics:` outputs of a stage), params in params.yaml and plots under `plots:`; they will show here for every commit.' })));
    post({ type: 'rendered', ms: performance.now() - started, charts: 0, points: 0, slowestPlotMs: 0 });
    return;
  }
  if (p.metricKeys.length || p.paramKeys.length) root.append(renderTable(p));
  const plotted = p.metricKeys.filter((k) => [...p.history, ...p.selected].some((id) => numeric(p.metrics[id]?.[k]) !== null));
  const labels = keyLabels(p.metricKeys);
  const history = renderHistory(p, plotted, labels);
  if (p.history.length > 1) root.append(history.section);
  if (p.selected.length > 1) root.append(renderBars(p, plotted, labels));
  const sweep = renderSweepSection(p);
  if (sweep) root.append(sweep);
  const plots = renderPlots(p);
  if (p.plots.length || p.plotImages.length || p.plotErrors.length) root.append(plots.section);
  // Reported once the browser has painted the charts.
  requestAnimationFrame(() =>
    post({ type: 'rendered', ms: performance.now() - started, charts: charts.length, points: history.points + plots.points, slowestPlotMs: Math.max(0, ...[...stepCharts.values()].map((c) => c.drawMs)) }),
  );
}

/** The sweep views of the compared runs (metric versus param, parallel coordinates), when something varies. */
function renderSweepSection(p: MetricsPayload): HTMLElement | undefined {
  const t = theme();
  const colorOf = colorsOf(p, t);
  const labels = keyLabels([...p.paramKeys, ...p.metricKeys]);
  const cards = renderSweep(p, { foreground: t.foreground, grid: t.grid, colorOf, labelOf: (id) => runLabel(p, id), keyLabel: (k) => labels.get(k) ?? k }, chartCard);
  if (!cards) return undefined;
  return el('section', { className: 'sweep' }, el('div', { className: 'heading' }, el('h2', { textContent: 'Sweep' }), el('span', { className: 'hint', textContent: `${p.selected.length} runs` })), el('div', { className: 'grid' }, ...cards));
}

/** Smoothing and log scale of the step plots, kept in the page's state. */
function viewControls(): HTMLElement[] {
  const smoothing = el('input', { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(view.smoothing), title: 'Smoothing (moving average weight)', className: 'smoothing' });
  const value = el('span', { className: 'hint-value', textContent: view.smoothing.toFixed(2) });
  const log = el('input', { type: 'checkbox', checked: view.logScale, className: 'log-scale' });
  const apply = (next: StepView) => {
    view = next;
    value.textContent = view.smoothing.toFixed(2);
    if (current) vscode.setState({ payload: current, view });
    stepCharts.forEach((c) => c.setView(view));
  };
  smoothing.oninput = () => apply({ ...view, smoothing: Number(smoothing.value) });
  log.onchange = () => apply({ ...view, logScale: log.checked });
  return [el('label', { className: 'control' }, 'Smoothing ', smoothing, value), el('label', { className: 'control' }, log, ' Log scale')];
}

/** Points of runs going on: each step plot grows in place; anything else is drawn anew. */
function appendPoints(plots: PlotData[], runs: RunInfo[]): void {
  if (!current) return;
  current.runs.push(...runs.filter((r) => !current!.runs.some((known) => known.id === r.id)));
  const grown: { plotId: string; revision: string; points: number }[] = [];
  let redraw = false;
  for (const plot of plots) {
    const known = current.plots.find((x) => x.id === plot.id);
    if (known) known.points.push(...plot.points);
    else current.plots.push(plot), (redraw = true);
    const chart = stepCharts.get(plot.id);
    if (chart) grown.push(...chart.append(plot.points).map((g) => ({ plotId: plot.id, ...g })));
    else redraw = true;
  }
  if (redraw) render(current);
  // Reported once the frame with the new points is painted.
  requestAnimationFrame(() => grown.forEach((g) => post({ type: 'appended', ...g })));
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  if (event.data.type === 'show') {
    vscode.setState({ payload: event.data.payload, view });
    render(event.data.payload);
  } else if (event.data.type === 'appendPoints') appendPoints(event.data.plots, event.data.runs);
});

// Redraw with the new theme colours when the user switches themes.
new MutationObserver(() => current && render(current)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

const saved = vscode.getState();
if (saved) render(saved.payload);
post({ type: 'ready' });
