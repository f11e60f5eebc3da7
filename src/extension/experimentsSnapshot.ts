import * as path from 'node:path';
import type { Repo } from '../core/repo/repo';
import { expShow } from '../core/experiments/show';
import type { ExpRange, ExpState } from '../core/experiments/contract';
import { isDict, pyStr } from '../core/metrics/flatten';
import { CAIRN_QUEUE } from '../core/experiments/runQueue';
import type { ColumnKind, ExperimentColumn, ExperimentRow, ExperimentsPayload, Value } from '../../webview/messages';

/** Commits of the current branch the table shows by default, newest first (vscode-dvc shows 3). */
export const EXPERIMENT_COMMITS = 10;

/**
 * The experiments table of a repository: `expShow` (the workspace, the last `commits` commits of
 * the current branch and of each other branch chosen, their experiments with their executor states) shaped into rows and
 * columns. Runs in the core worker, so the extension host never walks thousands of values.
 * No vscode import: plain data.
 */
export async function experimentsSnapshot(repo: Repo, options: { commits: number; branches?: string[]; newest?: number; signal?: AbortSignal }): Promise<ExperimentsPayload> {
  let omitted = 0;
  // Other branches the user chose (a branch since deleted is left out), after the current one, `commits` of each, as `exp show --rev HEAD --rev <branch> -n <commits>`.
  const existing = options.branches?.length && repo.scm ? await repo.scm.branches() : [];
  const branches = (options.branches ?? []).filter((b) => existing.includes(b));
  const revs = branches.length ? ['HEAD', ...branches] : undefined;
  const states = await expShow(repo, { revs, num: options.commits, newest: options.newest, onOmitted: (count) => (omitted += count), signal: options.signal });
  return { ...experimentsPayload(states, path.basename(repo.root)), pending: omitted };
}

/** Rows and columns of `states` (what `expShow` returns): params, then metrics, then deps, each by file, keys in first-seen order. */
export function experimentsPayload(states: ExpState[], repository: string): ExperimentsPayload {
  const columns = new Columns();
  const rows: ExperimentRow[] = [];
  // Each row's values by the column's index in the order met, placed in the final order at the end.
  const found: Found[] = [];
  const add = (row: ExperimentRow, state: ExpState) => {
    rows.push(row);
    found.push(columns.read(state));
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
          // A run going on in the workspace has no commit yet (not the rev 'workspa').
          rev: tip.rev === 'workspace' ? undefined : tip.rev.slice(0, 7),
          parent: baseline.rev,
          state: stateOf(range),
          created: tip.data?.timestamp ?? null,
          error: errorOf(tip),
          values: [],
          ...handlesOf(baseline.rev, range),
        },
        tip,
      );
    }
  }
  const { list, position } = columns.ordered();
  rows.forEach((row, r) => {
    const values: Value[] = new Array(list.length).fill(null);
    const { at, value } = found[r];
    for (let i = 0; i < at.length; i++) values[position[at[i]]] = value[i];
    row.values = values;
  });
  return { repository, columns: list, rows, pending: 0 };
}

/** What row actions name an experiment by: a finished one's ref, a run of Cairn's queue's task id. */
function handlesOf(baseline: string, range: ExpRange): Pick<ExperimentRow, 'ref' | 'queueId'> {
  const executor = range.executor;
  if (executor?.name === CAIRN_QUEUE && executor.local?.task_id) return { queueId: executor.local.task_id };
  const finished = !executor || executor.state === 'success';
  return finished && range.name ? { ref: experimentRefName(baseline, range.name) } : {};
}

/** dvc's ref of the experiment `name` of `baseline`. */
export function experimentRefName(baseline: string, name: string): string {
  return `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
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

/**
 * The metrics cells of files read as `metrics show` reads them (file → its data), by column id
 * (as `Columns` makes them): the values of a run going on, for its row (live plots).
 */
export function metricCells(files: Record<string, { data?: unknown }>): Record<string, Value> {
  const cells: Record<string, Value> = {};
  const walk = (file: string, data: unknown, keyPath: string[]) => {
    if (isDict(data) && (keyPath.length === 0 || Object.keys(data).length > 0)) {
      for (const key in data) walk(file, data[key], [...keyPath, key]);
      return;
    }
    cells[['metrics', file, ...keyPath].join(SEPARATOR)] = cellValue(data);
  };
  for (const [file, result] of Object.entries(files)) if (result.data !== undefined) walk(file, result.data, []);
  return cells;
}

/**
 * The metrics of runs going on as their files hold them now (column id → value): the workspace's
 * (a workspace run, DVCLive outside a pipeline), and each running experiment's by its name.
 */
export interface LiveMetrics {
  workspace?: Record<string, Value>;
  experiments: Map<string, Record<string, Value>>;
}

/**
 * `payload` with the metrics `live` has laid over the workspace row and the running experiments'
 * rows (a value only where the table has its column): `exp show` has none for a run going on in
 * a temporary tree, and read the workspace's before the last step. A row whose values this does
 * not change stays the same object.
 */
export function withLiveMetrics(payload: ExperimentsPayload, live: LiveMetrics): ExperimentsPayload {
  if (!live.workspace && live.experiments.size === 0) return payload;
  const rows = payload.rows.map((row) => {
    const cells = row.kind === 'workspace' ? live.workspace : row.kind === 'experiment' && row.state === 'running' ? live.experiments.get(row.label) : undefined;
    if (!cells) return row;
    const values = payload.columns.map((c, i) => (c.id in cells ? cells[c.id] : row.values[i]));
    return values.some((v, i) => v !== row.values[i]) ? { ...row, values } : row;
  });
  return { ...payload, rows };
}

/** One revision's values: column indexes (in the order met) and their values. */
interface Found {
  at: number[];
  value: Value[];
}

const META_COLUMNS = ['Tags', 'Notes'] as const;
/** Tags and notes first (beside the experiment's name), then params, metrics and deps. */
const KINDS: ColumnKind[] = ['meta', 'params', 'metrics', 'deps'];
/** Joins kind, file and keys into a column id: a character no YAML key or path holds in practice (unit separator). */
const SEPARATOR = '\u001f';

/** A key path's node: its column once one ends there, the keys below it. */
interface KeyNode {
  column?: number;
  below?: Map<string, KeyNode>;
}

/** Every column met, in the order met (found through a tree of keys: no id is built per value), and the values of each revision read. */
class Columns {
  private readonly met: ExperimentColumn[] = [];
  private readonly roots = new Map<string, KeyNode>();

  read(state: ExpState): Found {
    const found: Found = { at: [], value: [] };
    if (!state.data) return found;
    for (const kind of ['params', 'metrics'] as const) {
      for (const [file, result] of Object.entries(state.data[kind])) {
        if (!result.error) this.walk(kind, file, result.data, this.node(kind, file), [], found);
      }
    }
    for (const [dep, info] of Object.entries(state.data.deps)) {
      found.at.push(this.column(this.node('deps', dep), 'deps', dep, []));
      found.value.push(info.hash);
    }
    // Cairn's tags and notes (`exp tag`/`exp note`): one text column each, filterable like the rest.
    for (const [name, list, separator] of [[META_COLUMNS[0], state.data.meta?.tags, ', '], [META_COLUMNS[1], state.data.meta?.notes, '\n']] as const) {
      if (!list?.length) continue;
      found.at.push(this.column(this.node('meta', name), 'meta', name, []));
      found.value.push(list.join(separator));
    }
    return found;
  }

  private node(kind: ColumnKind, file: string): KeyNode {
    const key = kind + SEPARATOR + file;
    let node = this.roots.get(key);
    if (!node) this.roots.set(key, (node = {}));
    return node;
  }

  /** The leaves of a file's data (data that is not a mapping is one leaf, at the file). */
  private walk(kind: ColumnKind, file: string, data: unknown, node: KeyNode, keyPath: string[], found: Found): void {
    if (isDict(data) && (keyPath.length === 0 || Object.keys(data).length > 0)) {
      const below = (node.below ??= new Map());
      for (const key in data) {
        let child = below.get(key);
        if (!child) below.set(key, (child = {}));
        keyPath.push(key);
        this.walk(kind, file, data[key], child, keyPath, found);
        keyPath.pop();
      }
      return;
    }
    found.at.push(this.column(node, kind, file, keyPath));
    found.value.push(cellValue(data));
  }

  private column(node: KeyNode, kind: ColumnKind, file: string, keyPath: string[]): number {
    if (node.column === undefined) {
      node.column = this.met.length;
      this.met.push({ id: [kind, file, ...keyPath].join(SEPARATOR), kind, file, path: [...keyPath] });
    }
    return node.column;
  }

  /** Tags and notes, params, then metrics (each grouped by file, files and keys in the order met), then deps by path; `position`: index met → index shown. */
  ordered(): { list: ExperimentColumn[]; position: number[] } {
    const list: ExperimentColumn[] = [];
    for (const kind of KINDS) {
      const ofKind = this.met.filter((c) => c.kind === kind);
      if (kind === 'meta') {
        list.push(...META_COLUMNS.flatMap((name) => ofKind.filter((c) => c.file === name)));
        continue;
      }
      if (kind === 'deps') {
        list.push(...ofKind.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)));
        continue;
      }
      const byFile = new Map<string, ExperimentColumn[]>();
      for (const c of ofKind) {
        const same = byFile.get(c.file);
        if (same) same.push(c);
        else byFile.set(c.file, [c]);
      }
      for (const same of byFile.values()) list.push(...same);
    }
    const position: number[] = new Array(this.met.length);
    const met = new Map(this.met.map((c, i) => [c, i]));
    list.forEach((c, shown) => (position[met.get(c)!] = shown));
    return { list, position };
  }
}
