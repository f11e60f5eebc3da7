import { Chart } from 'chart.js';
import type { MetricsPayload } from './messages';
import { paramScatter, parallelCoordinates, varyingNumericKeys, type RunValues } from './plotShaping';

export interface SweepStyle {
  foreground: string;
  grid: string;
  colorOf(rev: string): string;
  labelOf(rev: string): string;
  keyLabel(key: string): string;
}

const short = (v: number) => String(Number(v.toPrecision(4)));

/**
 * The sweep views of the compared runs: a metric against a param (a point per run) and parallel
 * coordinates (a line per run through its params and metrics, each axis scaled to its range).
 * Undefined when fewer than two runs or nothing varies.
 */
export function renderSweep(p: MetricsPayload, style: SweepStyle, card: (title: string, fileName: string, draw: (canvas: HTMLCanvasElement) => Chart, controls?: HTMLElement[]) => HTMLElement): HTMLElement[] | undefined {
  const runs: RunValues[] = p.selected.map((id) => ({ id, values: { ...p.params[id], ...p.metrics[id] } }));
  const params = varyingNumericKeys(runs, p.paramKeys);
  const metrics = varyingNumericKeys(runs, p.metricKeys).length ? varyingNumericKeys(runs, p.metricKeys) : p.metricKeys.filter((k) => runs.some((r) => typeof r.values[k] === 'number'));
  if (runs.length < 2 || params.length === 0 || metrics.length === 0) return undefined;
  const axis = (title: string) => ({ title: { display: true, text: title, color: style.foreground }, ticks: { color: style.foreground }, grid: { color: style.grid } });

  // Metric versus param: two pickers, one scatter.
  const pick = (keys: string[], title: string) => {
    const select = document.createElement('select');
    select.title = title;
    for (const k of keys) select.append(Object.assign(document.createElement('option'), { value: k, textContent: style.keyLabel(k) }));
    return select;
  };
  const paramPick = pick(params, 'Param (x)');
  const metricPick = pick(metrics, 'Metric (y)');
  let scatter: Chart<'scatter'> | undefined;
  const scatterData = () => {
    const points = paramScatter(runs, paramPick.value, metricPick.value);
    return { datasets: [{ data: points.map(({ x, y }) => ({ x, y })), pointBackgroundColor: points.map((q) => style.colorOf(q.id)), pointBorderColor: points.map((q) => style.colorOf(q.id)), pointRadius: 4, ids: points.map((q) => q.id) }] };
  };
  const scatterCard = card('Metric vs param', 'metric-vs-param.png', (canvas) => {
    scatter = new Chart(canvas, {
      type: 'scatter',
      data: scatterData(),
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => `${style.labelOf((item.dataset as unknown as { ids: string[] }).ids[item.dataIndex])}: ${short(item.parsed.x ?? NaN)}, ${short(item.parsed.y ?? NaN)}` } },
        },
        scales: { x: { ...axis(style.keyLabel(paramPick.value)), type: 'linear' }, y: axis(style.keyLabel(metricPick.value)) },
      },
    });
    return scatter;
  }, [paramPick, metricPick]);
  const redraw = () => {
    if (!scatter) return;
    scatter.data = scatterData();
    scatter.options.scales!.x!.title!.text = style.keyLabel(paramPick.value);
    scatter.options.scales!.y!.title!.text = style.keyLabel(metricPick.value);
    scatter.update('none');
  };
  paramPick.onchange = redraw;
  metricPick.onchange = redraw;

  // Parallel coordinates: params, then metrics, each axis 0..1 over the runs' range (labelled with it).
  const { axes, lines } = parallelCoordinates(runs, [...params, ...metrics]);
  const parallelCard = card('Parallel coordinates', 'parallel-coordinates.png', (canvas) =>
    new Chart(canvas, {
      type: 'line',
      data: {
        labels: axes.map((a) => [style.keyLabel(a.key), `${short(a.min)} – ${short(a.max)}`]),
        datasets: lines.map((line) => ({ label: style.labelOf(line.id), data: line.y, borderColor: style.colorOf(line.id), backgroundColor: style.colorOf(line.id), pointRadius: 3, borderWidth: 1.5 })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: lines.length <= 12, labels: { color: style.foreground, boxWidth: 10 } },
          tooltip: { callbacks: { label: (item) => { const a = axes[item.dataIndex]; return `${item.dataset.label}: ${short(a.min + (item.parsed.y ?? 0) * (a.max - a.min))}`; } } },
        },
        scales: {
          x: { ticks: { color: style.foreground, maxRotation: 0, autoSkip: false }, grid: { color: style.foreground } },
          // A little room above and below, so lines at an axis' ends are not cut.
          y: { min: -0.05, max: 1.05, ticks: { display: false }, grid: { display: false } },
        },
      },
    }),
  );
  parallelCard.classList.add('wide');
  return [scatterCard, parallelCard];
}
