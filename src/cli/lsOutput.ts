import type { ListEntry, TreeEntry } from '../core/outputs/list';

/** A size as `dvc list --size` prints it: bytes below 1024, else three digits and a 1024-based unit (`4.00k`, `12.3M`). */
export function naturalSize(bytes: number): string {
  if (bytes < 1024) return bytes.toFixed(0);
  let n = bytes;
  for (const unit of ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z']) {
    if (Math.abs(n) < 999.5) {
      if (Math.abs(n) < 99.95) return `${n.toFixed(Math.abs(n) < 9.995 ? 2 : 1)}${unit}`;
      return `${n.toFixed(0)}${unit}`;
    }
    n /= 1024;
  }
  return `${n.toFixed(1)}Y`;
}

export interface LsColumns {
  size?: boolean;
  hash?: boolean;
}

/** The cells of one row: size (blank when unknown or for an empty folder), hash (`-` when none), name. */
function cells(entry: ListEntry, name: string, columns: LsColumns): string[] {
  const row: string[] = [];
  if (columns.size) row.push(entry.size === null || (entry.size <= 0 && entry.isdir) ? '' : naturalSize(entry.size));
  if (columns.hash) row.push(entry.md5 ?? '-');
  row.push(name);
  return row;
}

/** Rows as dvc's plain table: columns two spaces apart, the size right-aligned, no trailing blanks. */
function table(rows: string[][], columns: LsColumns): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  return rows
    .map((row) => row.map((cell, i) => (i === 0 && columns.size ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

/** `dvc list` as text: one path a line, or a table with sizes and/or hashes. */
export function listText(entries: ListEntry[], columns: LsColumns): string {
  if (!columns.size && !columns.hash) return entries.map((e) => e.path).join('\n');
  return table(entries.map((e) => cells(e, e.path, columns)), columns);
}

const EDGE = '├── ';
const LINE = '│   ';
const CORNER = '└── ';
const BLANK = '    ';

/** `dvc list --tree` as text: the root, then each level drawn with box lines. */
export function treeText(root: TreeEntry, columns: LsColumns): string {
  const rows: string[][] = [cells(root, root.path, columns)];
  const draw = (entries: TreeEntry[], prefix: string) => {
    entries.forEach((entry, i) => {
      const last = i === entries.length - 1;
      rows.push(cells(entry, prefix + (last ? CORNER : EDGE) + entry.path, columns));
      if (entry.contents?.length) draw(entry.contents, prefix + (last ? BLANK : LINE));
    });
  };
  if (root.contents?.length) draw(root.contents, '');
  return table(rows, columns);
}
