import { CairnError } from '../errors';
import { flatten, isDict, pyStr } from '../metrics/flatten';
import type { FileResult } from '../metrics/results';
import type { ExpRange, ExpState } from './contract';

/**
 * `exp show`'s table as dvc builds it (dvc: repo/experiments/show.py `tabulate`, commands/
 * experiments/show.py): plain text cells, one row per baseline and per experiment, columns
 * Experiment, rev, typ, Created, parent, State, Executor, then metrics, params and deps. The CLI
 * prints it as text, Markdown or CSV; no DOM, no terminal.
 */
export interface ExpTable {
  columns: string[];
  rows: string[][];
  /** Which columns hold metrics, params and deps (the text table right-aligns metrics). */
  metrics: string[];
  params: string[];
  deps: string[];
}

export interface ExpTableOptions {
  /** What an empty cell shows: '-' in tables, '' in CSV. */
  fillValue: string;
  /** Significant digits of floats (dvc: 5 in tables); none: Python's repr. */
  precision?: number;
  /** Created as ISO text (CSV) rather than `09:05 AM` (today) or `Dec 06, 2026`. */
  isoTime: boolean;
  sortBy?: string;
  sortOrder?: 'asc' | 'desc';
  /** The local time now, for "today" (a parameter so tests can pin it). */
  now?: Date;
}

const ERROR_VALUE = '!';

/** Keys per file, in first-seen order. */
type Names = Map<string, string[]>;

function addNames(names: Names, files: Record<string, FileResult>): void {
  for (const [file, result] of Object.entries(files)) {
    if (!isDict(result.data)) continue;
    const list = names.get(file) ?? [];
    for (const key of Object.keys(flatten(result.data))) if (!list.includes(key)) list.push(key);
    names.set(file, list);
  }
}

function collectNames(states: ExpState[], metrics: Names, params: Names, deps: Set<string>): void {
  for (const state of states) {
    if (state.data) {
      addNames(metrics, state.data.metrics);
      addNames(params, state.data.params);
      for (const dep of Object.keys(state.data.deps)) deps.add(dep);
    }
    for (const range of state.experiments ?? []) collectNames(range.revs, metrics, params, deps);
  }
}

/** A key shown alone, or as `file:key` when another file (or a fixed column) has it too. */
function headersOf(names: Names, count: Map<string, number>): string[] {
  return [...names].flatMap(([file, keys]) => keys.map((k) => (count.get(k) === 1 ? k : `${file}:${k}`)));
}

/** Python's `f"{x:.{p}g}"`. */
export function formatG(x: number, precision: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const p = Math.max(precision, 1);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential(p - 1).split('e');
  const exp = Number(expText);
  const strip = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp >= -4 && exp < p) return strip(x.toFixed(Math.max(0, p - 1 - exp)));
  return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** dvc's `_format_field`: floats to `precision` significant digits (as text, also inside lists), then Python's str(). */
function formatCell(value: unknown, precision: number | undefined): string {
  const format = (v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) && precision ? formatG(v, precision) : Array.isArray(v) ? v.map(format) : v);
  const formatted = format(value);
  return typeof formatted === 'string' && formatted !== value ? formatted : pyStr(formatted);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** dvc's `format_time`: ISO, or `%I:%M %p` for today, `%b %d, %Y` otherwise. */
function formatTime(iso: string | null, options: ExpTableOptions): string {
  if (!iso) return options.fillValue;
  if (options.isoTime) return iso;
  const [date, time] = iso.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const now = options.now ?? new Date();
  if (y === now.getFullYear() && m === now.getMonth() + 1 && d === now.getDate()) {
    const [hh, mm] = time.split(':').map(Number);
    const h12 = hh % 12 === 0 ? 12 : hh % 12;
    return `${String(h12).padStart(2, '0')}:${String(mm).padStart(2, '0')} ${hh < 12 ? 'AM' : 'PM'}`;
  }
  return `${MONTHS[m - 1]} ${String(d).padStart(2, '0')}, ${y}`;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
const isSha = (s: string) => /^[0-9a-f]{40}$/.test(s);

/** The table of `states` (what `expShow` returns). */
export function expTable(states: ExpState[], options: ExpTableOptions): ExpTable {
  const metricNames: Names = new Map();
  const paramNames: Names = new Map();
  const depNames = new Set<string>();
  collectNames(states, metricNames, paramNames, depNames);
  // Cairn's tags, beyond dvc's columns: only when some row has any.
  const tagged = states.some((s) => s.data?.meta.tags || (s.experiments ?? []).some((e) => e.revs[0]?.data?.meta.tags));
  const fixed = ['Experiment', 'rev', 'typ', 'Created', 'parent', 'State', 'Executor', ...(tagged ? ['Tags'] : [])];
  // As dvc counts them: over the union of metrics and params files (a file in both counts once, as params).
  const union: Names = new Map([...metricNames, ...paramNames]);
  const count = new Map<string, number>();
  for (const key of [...[...union.values()].flat(), ...fixed]) count.set(key, (count.get(key) ?? 0) + 1);
  const metrics = headersOf(metricNames, count);
  const params = headersOf(paramNames, count);
  const deps = [...depNames].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const columns = [...fixed, ...metrics, ...params, ...deps];
  const index = new Map(columns.map((c, i) => [c, i]));

  const dataCells = (row: string[], state: ExpState) => {
    if (!state.data) return;
    if (tagged && state.data.meta.tags) row[index.get('Tags')!] = state.data.meta.tags.join(' ');
    const fill = (files: Record<string, FileResult>, names: Names, headers: string[]) => {
      for (const [file, result] of Object.entries(files)) {
        const item: Record<string, unknown> = isDict(result.data) ? flatten(result.data) : { [file]: result.data };
        for (const name of names.get(file) ?? []) {
          const value = item[name];
          const text = value === undefined || value === null ? (result.error ? ERROR_VALUE : options.fillValue) : formatCell(value, options.precision);
          const column = headers.includes(name) ? name : `${file}:${name}`;
          const at = index.get(column);
          if (at !== undefined) row[at] = text;
        }
      }
    };
    fill(state.data.metrics, metricNames, metrics);
    fill(state.data.params, paramNames, params);
    for (const name of deps) {
      const dep = state.data.deps[name];
      if (dep) row[index.get(name)!] = dep.hash ?? options.fillValue;
    }
  };
  const newRow = () => columns.map(() => options.fillValue);
  const set = (row: string[], column: string, value: string) => (row[index.get(column)!] = value);

  const rows: string[][] = [];
  for (const baseline of states) {
    const row = newRow();
    set(row, 'Experiment', '');
    set(row, 'rev', baseline.name ?? (isSha(baseline.rev) ? baseline.rev.slice(0, 7) : baseline.rev));
    set(row, 'typ', 'baseline');
    set(row, 'parent', '');
    if (baseline.data) {
      set(row, 'Created', formatTime(baseline.data.timestamp, options));
      dataCells(row, baseline);
    }
    rows.push(row);
    const experiments = options.sortBy ? sortRanges(baseline.experiments ?? [], options.sortBy, options.sortOrder ?? 'asc', metricNames, paramNames) : (baseline.experiments ?? []);
    experiments.forEach((range, i) => {
      const exp = range.revs[0];
      if (!exp) return;
      const expRow = newRow();
      set(expRow, 'Experiment', exp.name ?? '');
      set(expRow, 'rev', isSha(exp.rev) ? exp.rev.slice(0, 7) : exp.rev);
      set(expRow, 'typ', i === experiments.length - 1 ? 'branch_base' : 'branch_commit');
      set(expRow, 'parent', '');
      if (range.executor) {
        set(expRow, 'State', capitalize(range.executor.state));
        if (range.executor.name) set(expRow, 'Executor', capitalize(range.executor.name));
      }
      if (exp.data) {
        set(expRow, 'Created', formatTime(exp.data.timestamp, options));
        dataCells(expRow, exp);
      }
      rows.push(expRow);
    });
  }
  return { columns, rows, metrics, params, deps };
}

/** The column `--sort-by` names: `file:key`, or a key only one file has (dvc's `_sort_column`). */
function sortColumn(sortBy: string, metrics: Names, params: Names): { file: string; key: string; kind: 'metrics' | 'params' } {
  const parts = sortBy.split(':');
  const matches = new Map<string, { file: string; key: string; kind: 'metrics' | 'params' }>();
  const add = (file: string, key: string, kind: 'metrics' | 'params') => matches.set(`${file}\0${key}\0${kind}`, { file, key, kind });
  let bare = sortBy;
  for (let split = 0; split < parts.length; split++) {
    const file = parts.slice(0, split).join(':');
    const key = parts.slice(split).join(':');
    if (!file) bare = key;
    if (metrics.get(file)?.includes(key)) add(file, key, 'metrics');
    if (params.get(file)?.includes(key)) add(file, key, 'params');
  }
  if (matches.size === 0) {
    for (const [file, keys] of metrics) if (keys.includes(bare)) add(file, bare, 'metrics');
    for (const [file, keys] of params) if (keys.includes(bare)) add(file, bare, 'params');
  }
  if (matches.size === 1) return [...matches.values()][0];
  if (matches.size > 1) {
    throw new CairnError('USAGE', `Ambiguous sort column '${sortBy}' matched '${[...matches.values()].map((m) => `${m.file}:${m.key}`).join(', ')}'`, { hint: 'Name it as file:key.' });
  }
  throw new CairnError('USAGE', `Unknown sort column '${sortBy}'`, { hint: 'Name a metric or param `exp show` lists, as key or file:key.' });
}

/** Experiments by one metric or param, those without it last (first when descending), ties kept in order. */
function sortRanges(ranges: ExpRange[], sortBy: string, order: 'asc' | 'desc', metrics: Names, params: Names): ExpRange[] {
  const { file, key, kind } = sortColumn(sortBy, metrics, params);
  const valueOf = (range: ExpRange): unknown => {
    const data = range.revs[0]?.data?.[kind]?.[file]?.data;
    return isDict(data) ? flatten(data)[key] : undefined;
  };
  const compare = (a: ExpRange, b: ExpRange): number => {
    const va = valueOf(a);
    const vb = valueOf(b);
    const missingA = va === undefined || va === null;
    const missingB = vb === undefined || vb === null;
    if (missingA || missingB) return Number(missingA) - Number(missingB);
    return (va as number) < (vb as number) ? -1 : (va as number) > (vb as number) ? 1 : 0;
  };
  return [...ranges].sort((a, b) => (order === 'desc' ? compare(b, a) : compare(a, b)));
}
