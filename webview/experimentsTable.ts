import type { ColumnKind, ExperimentColumn, ExperimentRow, Value } from './messages';

/**
 * The experiments table as plain data (no DOM; unit-tested): which rows show in which order
 * (the tree of baselines and their experiments, collapsed ones left out, experiments sorted
 * under their baseline), the nested header cells over a range of columns, widths and cell text.
 */

/** A sort key: a data column's id, or one of the fixed columns. */
export interface SortKey {
  column: string;
  descending: boolean;
}
export const EXPERIMENT_COLUMN = 'experiment';
export const CREATED_COLUMN = 'created';

export interface ShownRow {
  row: ExperimentRow;
  /** 0 for the workspace and commits, 1 for experiments. */
  depth: number;
  /** How many experiments a commit has (0 for others). */
  children: number;
  collapsed: boolean;
}

/**
 * The rows to draw: the workspace and each commit in their order (newest commit first), each
 * commit followed by its experiments — sorted by `sort` (ties keep their order), left out when
 * the commit is collapsed.
 */
export function shownRows(rows: ExperimentRow[], columns: ExperimentColumn[], sort: SortKey[], collapsed: ReadonlySet<string>): ShownRow[] {
  const experiments = new Map<string, ExperimentRow[]>();
  const tops: ExperimentRow[] = [];
  for (const row of rows) {
    if (row.kind === 'experiment' && row.parent !== undefined) {
      const list = experiments.get(row.parent);
      if (list) list.push(row);
      else experiments.set(row.parent, [row]);
    } else tops.push(row);
  }
  const compare = comparator(columns, sort);
  const shown: ShownRow[] = [];
  for (const top of tops) {
    const children = experiments.get(top.id) ?? [];
    const isCollapsed = collapsed.has(top.id);
    shown.push({ row: top, depth: 0, children: children.length, collapsed: isCollapsed });
    if (isCollapsed) continue;
    const ordered = compare ? [...children].sort(compare) : children;
    for (const row of ordered) shown.push({ row, depth: 1, children: 0, collapsed: false });
  }
  return shown;
}

/** The value a sort key or a filter reads from a row (`index`: column id → position in its values). */
export function columnValue(row: ExperimentRow, column: string, index: ReadonlyMap<string, number>): Value | undefined {
  if (column === EXPERIMENT_COLUMN) return row.label;
  if (column === CREATED_COLUMN) return row.created;
  const at = index.get(column);
  return at === undefined ? undefined : row.values[at];
}

/** Numbers before text before booleans; a missing value last whichever the direction. */
function comparator(columns: ExperimentColumn[], sort: SortKey[]): ((a: ExperimentRow, b: ExperimentRow) => number) | undefined {
  if (sort.length === 0) return undefined;
  const index = new Map(columns.map((c, i) => [c.id, i]));
  // Each key's reader found once, not per comparison (2,000 rows make ~20,000 comparisons).
  const keys = sort.map((key) => {
    const at = index.get(key.column);
    const read = key.column === EXPERIMENT_COLUMN ? (r: ExperimentRow) => r.label : key.column === CREATED_COLUMN ? (r: ExperimentRow) => r.created : (r: ExperimentRow) => (at === undefined ? undefined : r.values[at]);
    return { read, descending: key.descending };
  });
  const rank = (v: Value) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  return (a, b) => {
    for (const key of keys) {
      const va = key.read(a);
      const vb = key.read(b);
      const missingA = va === undefined || va === null;
      const missingB = vb === undefined || vb === null;
      if (missingA || missingB) {
        if (missingA !== missingB) return missingA ? 1 : -1;
        continue;
      }
      let order = rank(va) - rank(vb);
      if (order === 0) order = va < vb ? -1 : va > vb ? 1 : 0;
      if (order !== 0) return key.descending ? -order : order;
    }
    return 0;
  };
}

/**
 * A click on a header: sort by that column alone (clicked again: descending, then unsorted);
 * with shift, add it as the next key (or flip it, or drop it, when it is one already).
 */
export function nextSort(sort: SortKey[], column: string, additive: boolean): SortKey[] {
  const existing = sort.find((k) => k.column === column);
  const cycled: SortKey | undefined = !existing ? { column, descending: false } : existing.descending ? undefined : { column, descending: true };
  if (!additive) {
    if (sort.length === 1 && existing) return cycled ? [cycled] : [];
    return [{ column, descending: false }];
  }
  if (!existing) return [...sort, cycled!];
  return cycled ? sort.map((k) => (k.column === column ? cycled : k)) : sort.filter((k) => k.column !== column);
}

const KIND_LABEL: Record<ColumnKind, string> = { params: 'Params', metrics: 'Metrics', deps: 'Deps', meta: '' };

/** A column's header path, top down: kind, file, then its keys (a dep's is kind and path; tags' and notes' is their name alone). */
export function headerPath(column: ExperimentColumn): string[] {
  if (column.kind === 'meta') return [column.file];
  return [KIND_LABEL[column.kind], column.file, ...column.path];
}

/** How many header rows the columns need. */
export function headerDepth(columns: ExperimentColumn[]): number {
  return columns.reduce((depth, c) => Math.max(depth, headerPath(c).length), 1);
}

/** One header cell over columns `first..last` (indexes into the columns). */
export interface HeaderCell {
  label: string;
  first: number;
  last: number;
  /** The column it sorts by: set on leaves only. */
  column?: string;
}

/**
 * The header cells of row `level` (0 at the top, `depth - 1` the leaves) over the columns
 * `visible` (ascending indexes): groups merge consecutive columns under the same path prefix;
 * every leaf is on the last row; a shorter path leaves its middle rows blank.
 */
export function headerRow(columns: ExperimentColumn[], visible: number[], level: number, depth: number): HeaderCell[] {
  const cells: HeaderCell[] = [];
  let groupKey: string | undefined;
  for (const i of visible) {
    const pathOf = headerPath(columns[i]);
    if (level === depth - 1) {
      cells.push({ label: pathOf[pathOf.length - 1], first: i, last: i, column: columns[i].id });
      groupKey = undefined;
      continue;
    }
    const isGroup = level < pathOf.length - 1;
    const key = isGroup ? JSON.stringify(pathOf.slice(0, level + 1)) : undefined;
    const previous = cells[cells.length - 1];
    if (key !== undefined && key === groupKey && previous && previous.last === i - 1) previous.last = i;
    else cells.push({ label: isGroup ? pathOf[level] : '', first: i, last: i });
    groupKey = key;
  }
  return cells;
}

/** A column's width in pixels: its leaf label (with its sort mark and menu button) or its longest text, whichever is wider, within bounds. */
export function columnWidth(column: ExperimentColumn, texts: string[]): number {
  const label = headerPath(column).at(-1) ?? '';
  const longest = texts.reduce((n, t) => Math.max(n, t.length), 0);
  return Math.min(240, Math.max(64, label.length * 7.5 + 56, longest * 7.5 + 16));
}

/** The precision numbers show with until the user sets one: at most 5 significant digits, as `exp show`'s `{:.5g}`. */
export const DEFAULT_PRECISION = 5;

/**
 * A cell's text: a float with as many significant digits as it needs, at most `precision`
 * (trailing zeros dropped: 0.5, not 0.50000), integers whole; long text (a dep's hash) cut.
 */
export function cellText(value: Value | undefined, kind: ColumnKind, precision = DEFAULT_PRECISION): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Number(value.toPrecision(precision)));
  const text = String(value);
  return kind === 'deps' ? text.slice(0, 8) : text;
}

/** Created as `YYYY-MM-DD HH:MM` (the ISO text without seconds), `-` when there is none. */
export function createdText(created: string | null): string {
  return created ? created.slice(0, 16).replace('T', ' ') : '-';
}
