import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { Direction, FromWebview, MetricsPayload, ToWebview, Value } from './messages';
import { compareRows, keyLabels, toCsv, toMarkdown } from './metricsTable';

/** The metrics panel's page: a compare table, history line charts and run bar charts (chart.js). */

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

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

function render(p: MetricsPayload): void {
  const started = performance.now();
  current = p;
  charts.forEach((c) => c.destroy());
  charts = [];
  const root = document.getElementById('root')!;
  root.replaceChildren();
  const failed = p.runs.filter((r) => r.error);
  if (failed.length) root.append(el('div', { className: 'notice' }, `Could not read ${failed.map((r) => `${r.label} (${r.error})`).join('; ')}`));
  if (p.metricKeys.length === 0 && p.paramKeys.length === 0) {
    root.append(el('div', { className: 'empty' }, el('h2', { textContent: 'No metrics or params yet' }), el('p', { textContent: 'Declare metrics files in dvc.yaml (a top-level `metrics:` list, or `metrics:` outputs of a stage) and params in params.yaml; they will show here for every commit.' })));
    post({ type: 'rendered', ms: performance.now() - started, charts: 0, points: 0 });
    return;
  }
  root.append(renderTable(p));
  const plotted = p.metricKeys.filter((k) => [...p.history, ...p.selected].some((id) => numeric(p.metrics[id]?.[k]) !== null));
  const labels = keyLabels(p.metricKeys);
  const history = renderHistory(p, plotted, labels);
  if (p.history.length > 1) root.append(history.section);
  if (p.selected.length > 1) root.append(renderBars(p, plotted, labels));
  // Reported once the browser has painted the charts.
  requestAnimationFrame(() => post({ type: 'rendered', ms: performance.now() - started, charts: charts.length, points: history.points }));
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
