import { csvLine } from '../../webview/csv';
import { cellText, createdText } from '../../webview/experimentsTable';
import type { ExperimentColumn, ExperimentRow, ExperimentsPayload } from '../../webview/messages';

/**
 * The experiments table's rows as row actions see them, as plain data (no vscode import): which
 * rows an action acts on, and the rows copied as CSV or Markdown.
 */

/** A row action acts on the table's selection when the row it was invoked on is part of it, else on that row alone. */
export function rowsActedOn(selection: readonly string[], rowId: string): string[] {
  return selection.includes(rowId) ? [...selection] : [rowId];
}

/** The rows of `payload` with these ids, in the order given (ids not in the table left out). */
export function rowsById(payload: ExperimentsPayload, ids: readonly string[]): ExperimentRow[] {
  const byId = new Map(payload.rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r): r is ExperimentRow => r !== undefined);
}

/** A column's heading in a copy: its file and key path (`params.yaml:train.lr`; a dep: its path). */
function heading(column: ExperimentColumn): string {
  return column.path.length ? `${column.file}:${column.path.join('.')}` : column.file;
}

/** Headings and cell texts of `rows`: Experiment, Created, then every column any of them has a value in, as the table shows them. */
function copied(payload: ExperimentsPayload, rows: ExperimentRow[]): string[][] {
  const used = payload.columns.map((_, i) => i).filter((i) => rows.some((r) => r.values[i] !== null && r.values[i] !== undefined));
  return [
    ['Experiment', 'Created', ...used.map((i) => heading(payload.columns[i]))],
    ...rows.map((r) => [r.label, createdText(r.created), ...used.map((i) => cellText(r.values[i], payload.columns[i].kind))]),
  ];
}

/** The rows as CSV for a spreadsheet (`csvLine`), a heading line first. */
export function rowsToCsv(payload: ExperimentsPayload, rows: ExperimentRow[]): string {
  return copied(payload, rows).map(csvLine).join('\n') + '\n';
}

/** The rows as a GitHub Markdown table. */
export function rowsToMarkdown(payload: ExperimentsPayload, rows: ExperimentRow[]): string {
  const escape = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const [header, ...body] = copied(payload, rows);
  const line = (cells: string[]) => `| ${cells.map(escape).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...body.map(line)].join('\n') + '\n';
}

/** A table row for each experiment a git remote holds that is not here, placed after its baseline's experiments (baselines not in the table left out). */
export function withRemoteOnly(payload: ExperimentsPayload, remote: readonly { ref: string; baseline: string; name: string }[]): ExperimentsPayload {
  const local = new Set(payload.rows.map((r) => r.ref).filter(Boolean));
  const byBaseline = new Map<string, ExperimentRow[]>();
  for (const r of remote) {
    if (local.has(r.ref)) continue;
    const row: ExperimentRow = { id: `remote:${r.ref}`, kind: 'experiment', label: r.name, parent: r.baseline, created: null, values: new Array(payload.columns.length).fill(null), ref: r.ref, remoteOnly: true };
    byBaseline.set(r.baseline, [...(byBaseline.get(r.baseline) ?? []), row]);
  }
  if (!byBaseline.size) return payload;
  const rows: ExperimentRow[] = [];
  payload.rows.forEach((row, i) => {
    rows.push(row);
    const next = payload.rows[i + 1];
    const baseline = row.kind === 'experiment' ? row.parent : row.kind === 'commit' ? row.id : undefined;
    // The last row of a baseline's group: the remote's experiments of that baseline follow it.
    if (baseline && (!next || next.kind !== 'experiment')) rows.push(...(byBaseline.get(baseline) ?? []));
  });
  return { ...payload, rows };
}
