import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';
import type { Direction, FromWebview, MetricsPayload, PlotData, ToWebview, Value } from './messages';
import { compareRows, keyLabels, toCsv, toMarkdown } from './metricsTable';

/** The metrics panel's page: a compare table, history line charts and run bar charts (chart.js). */

Chart.register(LineController, LineElement, PointElement, ScatterController, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

interface State {
  payload: MetricsPayload;
}
declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): State | undefined; setState(s: State): void };
const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);

let charts: Chart[] = [];
let current: MetricsPayload | undefined;

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
    series: ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'].map((n, i) =>
      v(n, ['#1a85ff', '#d18616', '#388a34', '#652d90', '#e51400', '#bf8803'][i]),
    ),
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

function chartCard(title: string, fileName: string, draw: (canvas: HTMLCanvasElement) => Chart): HTMLElement {
  const canvas = el('canvas');
  const card = el('div', { className: 'card' });
  const chart = draw(canvas);
  charts.push(chart);
  card.append(
    el('div', { className: 'card-title' }, el('span', { textContent: title, title }), exportButton('PNG', () => post({ type: 'export', format: 'png', suggestedName: fileName, data: chart.toBase64Image('image/png', 1) }))),
    el('div', { className: 'canvas-box' }, canvas),
  );
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
function seriesOf(plot: PlotData, p: MetricsPayload): { label: string; points: Record<string, unknown>[] }[] {
  const series = new Map<string, { label: string; points: Record<string, unknown>[] }>();
  for (const point of plot.points) {
    const rev = String(point.rev);
    const source = plot.sourceField ? String(point[plot.sourceField]) : '';
    const key = `${rev}\u0000${source}`;
    if (!series.has(key)) series.set(key, { label: [runLabel(p, rev), source].filter(Boolean).join(' · '), points: [] });
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

function renderPlots(p: MetricsPayload): { section: HTMLElement; points: number } {
  const t = theme();
  const grid = el('div', { className: 'grid' });
  let points = 0;
  for (const plot of p.plots) {
    points += plot.points.length;
    if (plot.template.startsWith('confusion')) {
      grid.append(el('div', { className: 'card' }, el('div', { className: 'card-title' }, el('span', { textContent: plot.title, title: plot.id })), confusionTables(plot, p)));
      continue;
    }
    const series = seriesOf(plot, p);
    const color = (i: number) => t.series[i % t.series.length];
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
    const scatter = plot.template === 'scatter';
    grid.append(chartCard(plot.title, `${plot.id.replace(/[^\w.-]+/g, '_')}.png`, (canvas) =>
      new Chart(canvas, {
        type: scatter ? 'scatter' : 'line',
        data: {
          datasets: series.map((s, i) => ({
            label: s.label,
            borderColor: color(i),
            backgroundColor: color(i),
            pointRadius: scatter ? 3 : s.points.length > 60 ? 0 : 2,
            borderWidth: 1.5,
            // DVC's smooth template draws a smoothed curve; a cubic interpolation stands in for it.
            tension: plot.template === 'smooth' ? 0.4 : 0,
            showLine: !scatter,
            data: s.points.map((d) => ({ x: finite(d[plot.x]) ?? NaN, y: finite(d[plot.y]) ?? NaN })),
          })),
        },
        options: { ...options, scales: { x: { ...axis(plot.xLabel), type: 'linear' as const }, y: axis(plot.yLabel) } },
      }),
    ));
  }
  // Image plots: one card per image, its revisions side by side.
  const imageIds = [...new Set(p.plotImages.map((i) => i.id))];
  for (const id of imageIds) {
    const figures = p.plotImages
      .filter((i) => i.id === id)
      .map((i) => el('figure', { className: 'plot-image' }, el('img', { src: i.url, alt: `${id} at ${runLabel(p, i.revision)}` }), el('figcaption', { className: 'hint', textContent: runLabel(p, i.revision) })));
    grid.append(el('div', { className: 'card' }, el('div', { className: 'card-title' }, el('span', { textContent: id, title: id })), el('div', { className: 'plot-images' }, ...figures)));
  }
  const section = el('section', {}, el('div', { className: 'heading' }, el('h2', { textContent: 'Plots' }), el('span', { className: 'hint', textContent: 'from dvc.yaml plots:' })));
  if (p.plotErrors.length) section.append(el('div', { className: 'notice' }, `Could not read: ${p.plotErrors.join('; ')}`));
  section.append(grid);
  return { section, points };
}

function render(p: MetricsPayload): void {
  const started = performance.now();
  current = p;
  charts.forEach((c) => c.destroy());
  charts = [];
  const root = document.getElementById('root')!;
  root.replaceChildren();
  const failed = p.runs.filter((r) => r.error);
  if (failed.length) root.append(el('div', { className: 'notice' }, `Could not read ${failed.map((r) => `${r.label} (${r.error})`).join('; ')}`));
  if (p.metricKeys.length === 0 && p.paramKeys.length === 0 && p.plots.length === 0 && p.plotImages.length === 0) {
    root.append(el('div', { className: 'empty' }, el('h2', { textContent: 'No metrics, params or plots yet' }), el('p', { textContent: 'Declare metrics files in dvc.yaml (a top-level `metrics:` list, or `metrics:` outputs of a stage), params in params.yaml and plots under `plots:`; they will show here for every commit.' })));
    post({ type: 'rendered', ms: performance.now() - started, charts: 0, points: 0 });
    return;
  }
  if (p.metricKeys.length || p.paramKeys.length) root.append(renderTable(p));
  const plotted = p.metricKeys.filter((k) => [...p.history, ...p.selected].some((id) => numeric(p.metrics[id]?.[k]) !== null));
  const labels = keyLabels(p.metricKeys);
  const history = renderHistory(p, plotted, labels);
  if (p.history.length > 1) root.append(history.section);
  if (p.selected.length > 1) root.append(renderBars(p, plotted, labels));
  const plots = renderPlots(p);
  if (p.plots.length || p.plotImages.length || p.plotErrors.length) root.append(plots.section);
  // Reported once the browser has painted the charts.
  requestAnimationFrame(() => post({ type: 'rendered', ms: performance.now() - started, charts: charts.length, points: history.points + plots.points }));
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  if (event.data.type === 'show') {
    vscode.setState({ payload: event.data.payload });
    render(event.data.payload);
  }
});

// Redraw with the new theme colours when the user switches themes.
new MutationObserver(() => current && render(current)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

const saved = vscode.getState();
if (saved) render(saved.payload);
post({ type: 'ready' });
