import * as path from 'node:path';
import type { Repo } from '../core/repo/repo';
import { expShow } from '../core/experiments/show';
import type { ExpRange, ExpState } from '../core/experiments/contract';
import type { FileResult } from '../core/metrics/results';
import { isDict, pyStr } from '../core/metrics/flatten';
import type { ColumnKind, ExperimentColumn, ExperimentRow, ExperimentsPayload, Value } from '../../webview/messages';

/** Commits of the current branch the table shows by default, newest first (vscode-dvc shows 3). */
export const EXPERIMENT_COMMITS = 10;

/**
 * The experiments table of a repository: `expShow` (the workspace, the last `commits` commits of
 * the current branch, their experiments with their executor states) shaped into rows and
 * columns. Runs in the core worker, so the extension host never walks thousands of values.
 * No vscode import: plain data.
 */
export async function experimentsSnapshot(repo: Repo, options: { commits: number; signal?: AbortSignal }): Promise<ExperimentsPayload> {
  const states = await expShow(repo, { num: options.commits, signal: options.signal });
  return experimentsPayload(states, path.basename(repo.root));
}

/** Rows and columns of `states` (what `expShow` returns): params, then metrics, then deps, each by file, keys in first-seen order. */
export function experimentsPayload(states: ExpState[], repository: string): ExperimentsPayload {
  const columns = new Columns();
  const rows: ExperimentRow[] = [];
  const pending: { row: ExperimentRow; state: ExpState }[] = [];
  const add = (row: ExperimentRow, state: ExpState) => {
    rows.push(row);
    pending.push({ row, state });
    if (state.data) columns.collect(state);
  };
  for (const baseline of states) {
    const isWorkspace = baseline.rev === 'workspace';
    add(
      {
        id: baseline.rev,
        kind: isWorkspace ? 'workspace' : 'commit',
        label: isWorkspace ? 'workspace' : (baseline.name ?? baseline.rev.slice(0, 7)),
        rev: isWorkspace ? undefined : baseline.rev.slice(0, 7),
        created: baseline.data?.timestamp ?? null,
        error: errorOf(baseline),
        values: [],
      },
      baseline,
    );
    for (const range of baseline.experiments ?? []) {
      const tip = range.revs[0];
      if (!tip) continue;
      add(
        {
          id: `${baseline.rev}:${range.name ?? ''}:${tip.rev}`,
          kind: 'experiment',
          label: range.name ?? tip.name ?? tip.rev.slice(0, 7),
          rev: tip.rev.slice(0, 7),
          parent: baseline.rev,
          state: stateOf(range),
          created: tip.data?.timestamp ?? null,
          error: errorOf(tip),
          values: [],
        },
        tip,
      );
    }
  }
  const list = columns.list;
  const index = new Map(list.map((c, i) => [c.id, i]));
  for (const { row, state } of pending) row.values = valuesOf(state, index);
  return { repository, columns: list, rows };
}

/** An experiment finished outside a queue has no executor: it succeeded. */
function stateOf(range: ExpRange): ExperimentRow['state'] {
  return range.executor?.state ?? 'success';
}

/** The revision's error, or its files' errors as `file: message` lines. */
function errorOf(state: ExpState): string | undefined {
  if (state.error) return state.error.msg || state.error.type;
  const files = state.data ? [...Object.entries(state.data.params), ...Object.entries(state.data.metrics)] : [];
  const lines = files.filter(([, r]) => r.error).map(([file, r]) => `${file}: ${r.error!.msg}`);
  return lines.length ? lines.join('\n') : undefined;
}

/** A value as the table holds it: scalars as they are, lists and objects as Python prints them (as `exp show`). */
function cellValue(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return pyStr(value);
}

/** The leaves of a file's data: key path → value; data that is not a mapping is one leaf at `[]`. */
function leaves(data: unknown, prefix: string[] = [], out: [string[], unknown][] = []): [string[], unknown][] {
  if (!isDict(data) || prefix.length > 0 && Object.keys(data).length === 0) {
    out.push([prefix, data]);
    return out;
  }
  for (const [key, value] of Object.entries(data)) leaves(value, [...prefix, key], out);
  return out;
}

const KINDS: ColumnKind[] = ['params', 'metrics', 'deps'];

/** The columns met so far, by kind and file in first-seen order, and each one's index. */
class Columns {
  private readonly byKind = new Map<ColumnKind, Map<string, ExperimentColumn>>(KINDS.map((k) => [k, new Map()]));

  collect(state: ExpState): void {
    const data = state.data!;
    for (const kind of ['params', 'metrics'] as const) {
      for (const [file, result] of Object.entries(data[kind])) this.addFile(kind, file, result);
    }
    for (const dep of Object.keys(data.deps)) this.add({ id: columnId('deps', dep, []), kind: 'deps', file: dep, path: [] });
  }

  private addFile(kind: ColumnKind, file: string, result: FileResult): void {
    if (result.error) return;
    for (const [keyPath] of leaves(result.data)) this.add({ id: columnId(kind, file, keyPath), kind, file, path: keyPath });
  }

  private add(column: ExperimentColumn): void {
    const columns = this.byKind.get(column.kind)!;
    if (!columns.has(column.id)) columns.set(column.id, column);
  }

  /** Params, then metrics (each in first-seen order, grouped by file), then deps by path. */
  get list(): ExperimentColumn[] {
    const grouped = (kind: ColumnKind) => {
      const byFile = new Map<string, ExperimentColumn[]>();
      for (const c of this.byKind.get(kind)!.values()) {
        const list = byFile.get(c.file);
        if (list) list.push(c);
        else byFile.set(c.file, [c]);
      }
      return [...byFile.values()].flat();
    };
    const deps = [...this.byKind.get('deps')!.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    return [...grouped('params'), ...grouped('metrics'), ...deps];
  }
}

/** One value per column (`index`: column id → position), null where `state` has none. */
function valuesOf(state: ExpState, index: Map<string, number>): Value[] {
  const values: Value[] = new Array(index.size).fill(null);
  if (!state.data) return values;
  for (const kind of ['params', 'metrics'] as const) {
    for (const [file, result] of Object.entries(state.data[kind])) {
      if (result.error) continue;
      for (const [keyPath, value] of leaves(result.data)) {
        const at = index.get(columnId(kind, file, keyPath));
        if (at !== undefined) values[at] = cellValue(value);
      }
    }
  }
  for (const [dep, info] of Object.entries(state.data.deps)) {
    const at = index.get(columnId('deps', dep, []));
    if (at !== undefined) values[at] = info.hash;
  }
  return values;
}

/** Kind, file and keys joined by a character no YAML key or path holds in practice (unit separator). */
function columnId(kind: ColumnKind, file: string, keyPath: string[]): string {
  return [kind, file, ...keyPath].join('\u001f');
}
