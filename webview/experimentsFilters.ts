import type { ExperimentColumn, ExperimentRow, FilterOp, TableFilter, Value } from './messages';
import { CREATED_COLUMN, columnValue } from './experimentsTable';

/**
 * The experiments table's filters as plain data (no DOM; unit-tested). All filters must hold for
 * an experiment to show; the workspace and the commits always show (they frame the tree).
 * A row without the column's value matches only `missing`.
 */

export const FILTER_OPS: readonly FilterOp[] = ['=', '≠', '<', '≤', '>', '≥', 'contains', 'missing', 'starred'];
const NEEDS_NO_VALUE: ReadonlySet<FilterOp> = new Set(['missing', 'starred']);
/** A date or date and time as Created holds it, as far as it is given: `2026-01`, `2026-01-31`, `2026-01-31 12:30`. */
const DATE = /^\d{4}(-\d{2}(-\d{2}([ T]\d{2}(:\d{2}(:\d{2})?)?)?)?)?$/;

/** A filter as the user typed it, or why it cannot be one (a line to show beside the form). */
export function parseFilter(column: string, op: FilterOp, text: string): TableFilter | string {
  if (op === 'starred') return { column: '', op, value: '' };
  if (NEEDS_NO_VALUE.has(op)) return { column, op, value: '' };
  const value = text.trim();
  if (!value) return `Type a value to compare with (${op}).`;
  if (column === CREATED_COLUMN && op !== 'contains') {
    if (!DATE.test(value)) return `Created compares with a date: YYYY-MM-DD, optionally with HH:MM (not "${value}").`;
    return { column, op, value: value.replace(' ', 'T') };
  }
  return { column, op, value };
}

/** The experiments the filters keep (with the workspace and every commit), and how many they left out. */
export function filterRows(rows: ExperimentRow[], columns: ExperimentColumn[], filters: TableFilter[], starred: ReadonlySet<string>): { rows: ExperimentRow[]; filteredOut: number } {
  if (filters.length === 0) return { rows, filteredOut: 0 };
  const index = new Map(columns.map((c, i) => [c.id, i]));
  const kept = rows.filter((row) => row.kind !== 'experiment' || filters.every((f) => matches(row, f, index, starred)));
  return { rows: kept, filteredOut: rows.length - kept.length };
}

/** Whether `row` passes `filter` (`index`: column id → position in the row's values). */
export function matches(row: ExperimentRow, filter: TableFilter, index: ReadonlyMap<string, number>, starred: ReadonlySet<string>): boolean {
  if (filter.op === 'starred') return starred.has(row.id);
  const value = columnValue(row, filter.column, index);
  if (value === undefined || value === null) return filter.op === 'missing';
  if (filter.op === 'missing') return false;
  if (filter.op === 'contains') return String(value).toLowerCase().includes(filter.value.toLowerCase());
  const order = compare(value, filter.value, filter.column === CREATED_COLUMN);
  if (order === undefined) return filter.op === '≠';
  switch (filter.op) {
    case '=': return order === 0;
    case '≠': return order !== 0;
    case '<': return order < 0;
    case '≤': return order <= 0;
    case '>': return order > 0;
    case '≥': return order >= 0;
  }
}

/**
 * `value` against the filter's text: numbers as numbers (when the text is one), Created by the
 * part of its time the text gives (`≤ 2026-01-31` takes that whole day), other values as text.
 * Undefined when they cannot be ordered (a number against a word).
 */
function compare(value: Exclude<Value, null>, text: string, isCreated: boolean): number | undefined {
  if (typeof value === 'number') {
    const other = Number(text);
    if (text.trim() === '' || Number.isNaN(other)) return undefined;
    return value < other ? -1 : value > other ? 1 : 0;
  }
  const own = isCreated ? String(value).slice(0, text.length) : String(value);
  return own < text ? -1 : own > text ? 1 : 0;
}

/** A filter as a chip shows it: `acc > 0.5`, `lr missing`, `starred`. */
export function describeFilter(filter: TableFilter, columnLabel: string): string {
  if (filter.op === 'starred') return 'starred';
  if (filter.op === 'missing') return `${columnLabel} missing`;
  return `${columnLabel} ${filter.op} ${filter.column === CREATED_COLUMN ? filter.value.replace('T', ' ') : filter.value}`;
}
