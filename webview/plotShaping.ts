import type { Value } from './messages';

/** Pure shaping of the plots panel's series (no DOM): smoothing, zoom ranges, sweep views. Unit-tested. */

export interface XY {
  x: number;
  y: number;
}

/**
 * Exponential moving average as TensorBoard's slider smooths (debiased, so the curve starts at the
 * first value): `weight` 0 leaves the series as it is, near 1 flattens it. Non-finite y are kept as
 * they are and do not enter the average.
 */
export function smooth(points: readonly XY[], weight: number): readonly XY[] {
  if (weight <= 0) return points;
  let last = 0;
  let count = 0;
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p;
    last = last * weight + (1 - weight) * p.y;
    count++;
    return { x: p.x, y: last / (1 - weight ** count) };
  });
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson, 2013): `samples` points that keep a series' shape —
 * the first and last, and from each bucket between them the point making the largest triangle
 * with the one kept before it and the mean of the next bucket. A series no longer than `samples`
 * is returned as it is. Points without a finite y are left out.
 */
export function lttb(points: readonly XY[], samples: number): XY[] {
  const data = points.every((p) => Number.isFinite(p.y)) ? points : points.filter((p) => Number.isFinite(p.y));
  if (data.length <= samples || samples < 3) return data.slice();
  const kept: XY[] = [data[0]];
  const every = (data.length - 2) / (samples - 2);
  let a = 0;
  for (let i = 0; i < samples - 2; i++) {
    // The mean of the next bucket (the last point for the last bucket).
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, data.length);
    let meanX = 0;
    let meanY = 0;
    for (let j = nextStart; j < nextEnd; j++) (meanX += data[j].x), (meanY += data[j].y);
    const n = nextEnd - nextStart || 1;
    meanX /= n;
    meanY /= n;
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((data[a].x - meanX) * (data[j].y - data[a].y) - (data[a].x - data[j].x) * (meanY - data[a].y));
      if (area > bestArea) (bestArea = area), (best = j);
    }
    kept.push(data[best]);
    a = best;
  }
  kept.push(data[data.length - 1]);
  return kept;
}

/** The points of a series sorted by x that a chart over `range` shows, with one more on each side so the line reaches the edges. */
export function visiblePoints(points: readonly XY[], range: readonly [number, number] | undefined): readonly XY[] {
  if (!range) return points;
  const firstAtOrAfter = (x: number) => {
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (points[mid].x < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return points.slice(Math.max(0, firstAtOrAfter(range[0]) - 1), Math.min(points.length, firstAtOrAfter(range[1]) + 1 + 1));
}

/**
 * The x range after a wheel step over `at` (the x under the cursor): `deltaY` < 0 zooms in, > 0 out,
 * keeping `at` where it is on screen; never wider than `full`.
 */
export function zoomRange(range: readonly [number, number], full: readonly [number, number], at: number, deltaY: number): [number, number] {
  const factor = deltaY < 0 ? 0.8 : 1.25;
  const [lo, hi] = range;
  let next: [number, number] = [at - (at - lo) * factor, at + (hi - at) * factor];
  if (next[1] - next[0] >= full[1] - full[0]) return [full[0], full[1]];
  if (next[0] < full[0]) next = [full[0], full[0] + (next[1] - next[0])];
  if (next[1] > full[1]) next = [full[1] - (next[1] - next[0]), full[1]];
  return next;
}

/** The x range between two x values a drag went through (either order); undefined when too narrow to mean a zoom. */
export function dragRange(from: number, to: number, full: readonly [number, number]): [number, number] | undefined {
  const lo = Math.max(full[0], Math.min(from, to));
  const hi = Math.min(full[1], Math.max(from, to));
  return hi - lo > (full[1] - full[0]) / 1000 ? [lo, hi] : undefined;
}

/** Points a log scale can draw (y > 0). */
export function positiveOnly(points: readonly XY[]): XY[] {
  return points.filter((p) => p.y > 0);
}

const asNumber = (v: Value | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export interface RunValues {
  id: string;
  /** `file:key` → value, params and metrics together. */
  values: Record<string, Value>;
}

/** One point per run that has both a numeric `param` and a numeric `metric`: the metric-versus-param scatter. */
export function paramScatter(runs: readonly RunValues[], param: string, metric: string): { id: string; x: number; y: number }[] {
  const points: { id: string; x: number; y: number }[] = [];
  for (const run of runs) {
    const x = asNumber(run.values[param]);
    const y = asNumber(run.values[metric]);
    if (x !== undefined && y !== undefined) points.push({ id: run.id, x, y });
  }
  return points;
}

/** The keys worth an axis: numeric in at least one run and not the same in all of them. */
export function varyingNumericKeys(runs: readonly RunValues[], keys: readonly string[]): string[] {
  return keys.filter((key) => {
    const values = runs.map((r) => asNumber(r.values[key])).filter((v): v is number => v !== undefined);
    return values.length > 0 && values.some((v) => v !== values[0]);
  });
}

export interface ParallelAxis {
  key: string;
  min: number;
  max: number;
}

/**
 * Parallel coordinates: each axis is a key scaled to 0..1 over the runs' values (a key the same
 * everywhere sits at 0.5), each run a line through its values; a run without a value on an axis
 * has null there (the line breaks).
 */
export function parallelCoordinates(runs: readonly RunValues[], keys: readonly string[]): { axes: ParallelAxis[]; lines: { id: string; y: (number | null)[] }[] } {
  const axes = keys.map((key) => {
    const values = runs.map((r) => asNumber(r.values[key])).filter((v): v is number => v !== undefined);
    return { key, min: Math.min(...values), max: Math.max(...values) };
  });
  const lines = runs.map((run) => ({
    id: run.id,
    y: axes.map(({ key, min, max }) => {
      const v = asNumber(run.values[key]);
      if (v === undefined) return null;
      return max === min ? 0.5 : (v - min) / (max - min);
    }),
  }));
  return { axes, lines };
}
