import { csvLine } from './csv';
import type { Direction, MetricsPayload, Value } from './messages';

/** The compare table of the metrics panel as plain data: no DOM here, so it is unit-tested. */

export interface Cell {
  value: Value | undefined;
  text: string;
  /** Against the baseline (first selected run), for numbers that differ from it. */
  delta?: number;
  deltaText?: string;
  /** Whether the change is for the better, by the metric's direction; undefined for params and no change. */
  better?: boolean;
}

export interface Row {
  kind: 'metric' | 'param';
  key: string;
  label: string;
  direction?: Direction;
  cells: Cell[];
}

/** Numbers as a user reads them: at most 5 significant decimals, no float noise. */
export function formatValue(v: Value | undefined): string {
  if (v === undefined) return '—';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

function formatDelta(d: number): string {
  const text = formatValue(d);
  return d > 0 ? `+${text}` : text;
}

/** `file:key` keys shown as `key`, unless another file has a key of that name too. */
export function keyLabels(keys: string[]): Map<string, string> {
  const name = (k: string) => k.slice(k.indexOf(':') + 1);
  const count = new Map<string, number>();
  for (const k of keys) count.set(name(k), (count.get(name(k)) ?? 0) + 1);
  return new Map(keys.map((k) => [k, count.get(name(k))! > 1 ? k : name(k)]));
}

/** Name tokens of metrics where less is better: losses, errors, distances, costs of time. */
const LOWER_IS_BETTER = new Set(['loss', 'error', 'err', 'mae', 'mse', 'rmse', 'logloss', 'perplexity', 'wer', 'cer', 'latency', 'time']);

/** DVCLive's step counter: a metric file's `step` is the step it was written at, not a result. */
const COUNTERS = new Set(['step']);

/**
 * The direction a metric (`file:key`) has until the user picks one: lower is better when a
 * token of its key (split at `_ . / -` and camelCase) names a loss or an error (`test.loss`,
 * `val_rmse`, `trainLoss`; not `answer`, not `cancer`), else higher. None for a counter.
 */
export function defaultDirection(key: string): Direction | undefined {
  const name = key.slice(key.indexOf(':') + 1);
  const segments = name.split('.');
  if (COUNTERS.has(segments[segments.length - 1])) return undefined;
  const tokens = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[\s_./-]+/);
  return tokens.some((t) => LOWER_IS_BETTER.has(t)) ? 'lower' : 'higher';
}

/** A metric's direction: the user's choice (kept in workspace state) wins; a counter has none to choose. */
export function metricDirection(key: string, directions: Record<string, Direction>): Direction | undefined {
  const fallback = defaultDirection(key);
  return fallback && (directions[key] ?? fallback);
}

export function compareRows(payload: MetricsPayload): Row[] {
  const runs = payload.selected;
  const rows: Row[] = [];
  const build = (kind: 'metric' | 'param', keys: string[], values: MetricsPayload['metrics']) => {
    const labels = keyLabels(keys);
    for (const key of keys) {
      const direction = kind === 'metric' ? metricDirection(key, payload.directions) : undefined;
      const base = values[runs[0]]?.[key];
      const cells = runs.map((run, i): Cell => {
        const value = values[run]?.[key];
        const cell: Cell = { value, text: formatValue(value) };
        if (i > 0 && typeof value === 'number' && typeof base === 'number' && value !== base) {
          cell.delta = value - base;
          cell.deltaText = formatDelta(cell.delta);
          if (direction) cell.better = direction === 'higher' ? cell.delta > 0 : cell.delta < 0;
        }
        return cell;
      });
      rows.push({ kind, key, label: labels.get(key)!, direction, cells });
    }
  };
  build('metric', payload.metricKeys, payload.metrics);
  build('param', payload.paramKeys, payload.params);
  return rows;
}

function runLabels(payload: MetricsPayload): string[] {
  return payload.selected.map((id) => payload.runs.find((r) => r.id === id)?.label ?? id);
}

function cellText(c: Cell): string {
  return c.deltaText ? `${c.text} (${c.deltaText})` : c.text;
}

/** The table as CSV (RFC 4180 quoting): one row per metric or param, one column per run. */
export function toCsv(payload: MetricsPayload): string {
  const lines = [csvLine(['type', 'name', ...runLabels(payload)])];
  for (const r of compareRows(payload)) lines.push(csvLine([r.kind, r.key, ...r.cells.map((c) => (c.value === undefined ? '' : formatValue(c.value)))]));
  return lines.join('\n') + '\n';
}

/** The table as GitHub markdown, deltas in brackets, for a pull-request comment. */
export function toMarkdown(payload: MetricsPayload): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const header = ['', ...runLabels(payload)];
  const lines = [`| ${header.map(escape).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of compareRows(payload)) lines.push(`| ${[r.label, ...r.cells.map(cellText)].map(escape).join(' | ')} |`);
  return lines.join('\n') + '\n';
}
