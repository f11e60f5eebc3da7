import type { Direction, ExperimentColumn, ExperimentRow } from './messages';
import { metricDirection } from './metricsTable';

/**
 * Which columns the experiments table shows, in which order, and the best value of each metric:
 * plain data (no DOM; unit-tested), computed once per change of data or state, never per frame.
 */

/**
 * The columns' indexes in the order shown: the ids of `order` first as the user placed them;
 * a column `order` does not name (new since) follows the column before it in the data's order.
 */
export function orderedColumns(columns: ExperimentColumn[], order: readonly string[]): number[] {
  const index = new Map(columns.map((c, i) => [c.id, i]));
  const result = order.filter((id, i) => index.has(id) && order.indexOf(id) === i).map((id) => index.get(id)!);
  if (result.length === columns.length) return result;
  const placed = new Set(result);
  for (let i = 0; i < columns.length; i++) {
    if (placed.has(i)) continue;
    const after = i === 0 ? -1 : result.indexOf(i - 1);
    result.splice(after + 1, 0, i);
    placed.add(i);
  }
  return result;
}

/** The shown order with `moved` put just before `target` (column ids). */
export function moveColumn(shownOrder: readonly string[], moved: string, target: string): string[] {
  if (moved === target) return [...shownOrder];
  const rest = shownOrder.filter((id) => id !== moved);
  const at = rest.indexOf(target);
  if (at < 0) return [...shownOrder];
  rest.splice(at, 0, moved);
  return rest;
}

/** The columns (indexes, in `ordered`'s order) whose value differs between two of `rows`: a column every row has the same value in (or none) is left out. */
export function changedColumns(ordered: readonly number[], rows: readonly ExperimentRow[]): number[] {
  if (rows.length < 2) return [...ordered];
  return ordered.filter((i) => {
    const first = rows[0].values[i] ?? null;
    for (let r = 1; r < rows.length; r++) if ((rows[r].values[i] ?? null) !== first) return true;
    return false;
  });
}

/** The direction-keyed name of a metric column, as the metrics panel names metrics: `file:key.path`. */
export function metricKey(column: ExperimentColumn): string {
  return `${column.file}:${column.path.join('.')}`;
}

/**
 * The best number of each metric column among `rows` (column index → value), by the metric's
 * direction as the metrics panel decides it; a counter (DVCLive's `step`) has none.
 */
export function bestValues(columns: ExperimentColumn[], indexes: readonly number[], rows: readonly ExperimentRow[], directions: Record<string, Direction>): Map<number, number> {
  const metrics: number[] = [];
  const higher: boolean[] = [];
  for (const i of indexes) {
    const direction = columns[i].kind === 'metrics' ? metricDirection(metricKey(columns[i]), directions) : undefined;
    if (!direction) continue;
    metrics.push(i);
    higher.push(direction === 'higher');
  }
  // Row by row (each row's values read in order): a column at a time would stride across 2,000 arrays.
  const found: (number | undefined)[] = new Array(metrics.length);
  for (const row of rows) {
    for (let m = 0; m < metrics.length; m++) {
      const v = row.values[metrics[m]];
      if (typeof v !== 'number' || Number.isNaN(v)) continue;
      const best = found[m];
      if (best === undefined || (higher[m] ? v > best : v < best)) found[m] = v;
    }
  }
  const best = new Map<number, number>();
  metrics.forEach((i, m) => found[m] !== undefined && best.set(i, found[m]!));
  return best;
}

/** The columns whose header path holds every word of `query` (case-insensitive), for the column picker. */
export function searchColumns(columns: ExperimentColumn[], query: string, pathOf: (c: ExperimentColumn) => string[]): number[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const found: number[] = [];
  columns.forEach((c, i) => {
    const text = pathOf(c).join(' ').toLowerCase();
    if (words.every((w) => text.includes(w))) found.push(i);
  });
  return found;
}

/**
 * DVCLive's step of a row, when its metrics have one (a `step` key at a metrics file's top):
 * for the live counter beside a running experiment.
 */
export function stepOf(columns: ExperimentColumn[], row: ExperimentRow): number | undefined {
  const at = columns.findIndex((c) => c.kind === 'metrics' && c.path.length === 1 && c.path[0] === 'step');
  const value = at < 0 ? undefined : row.values[at];
  return typeof value === 'number' ? value : undefined;
}
