import { FILTER_OPS } from './experimentsFilters';
import { DEFAULT_PRECISION } from './experimentsTable';
import { MAX_LIST, type FilterOp, type TableFilter, type TableState } from './messages';

/**
 * The experiments table's saved state: its default, and `parseTableState`, which the extension
 * uses on the JSON text a page sends (untrusted input) before keeping it in the workspace state.
 */

export const DEFAULT_TABLE_STATE: TableState = { sort: [], filters: [], starred: [], hidden: [], order: [], widths: {}, precision: DEFAULT_PRECISION, onlyChanged: false, collapsed: [] };
/** The most text a state may be (10,000 long column ids and a few lists of them). */
export const MAX_STATE_CHARS = 4_000_000;
export const MIN_PRECISION = 1;
export const MAX_PRECISION = 15;
export const MIN_COLUMN_WIDTH = 40;
export const MAX_COLUMN_WIDTH = 2000;

/** A state as the page sent it, when it is one (every field of its type, lists bounded), else undefined. */
export function parseTableState(text: string): TableState | undefined {
  if (text.length > MAX_STATE_CHARS) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(raw)) return undefined;
  const { sort, filters, starred, hidden, order, widths, precision, onlyChanged, collapsed } = raw;
  if (Object.keys(raw).length !== Object.keys(DEFAULT_TABLE_STATE).length) return undefined;
  if (!isList(sort, (k) => isRecord(k) && Object.keys(k).length === 2 && typeof k.column === 'string' && typeof k.descending === 'boolean')) return undefined;
  if (!isList(filters, isFilter)) return undefined;
  if (![starred, hidden, order, collapsed].every((list) => isList(list, (s) => typeof s === 'string'))) return undefined;
  if (!isRecord(widths) || Object.keys(widths).length > MAX_LIST || !Object.values(widths).every((w) => typeof w === 'number' && w >= MIN_COLUMN_WIDTH && w <= MAX_COLUMN_WIDTH)) return undefined;
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < MIN_PRECISION || precision > MAX_PRECISION) return undefined;
  if (typeof onlyChanged !== 'boolean') return undefined;
  return raw as unknown as TableState;
}

function isFilter(f: unknown): f is TableFilter {
  return isRecord(f) && Object.keys(f).length === 3 && typeof f.column === 'string' && FILTER_OPS.includes(f.op as FilterOp) && typeof f.value === 'string';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isList(v: unknown, each: (item: unknown) => boolean): boolean {
  return Array.isArray(v) && v.length <= MAX_LIST && v.every(each);
}
