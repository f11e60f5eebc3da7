import type { ParamField } from './runForm';

/** The typed messages between the metrics panel (src/extension/metricsPanel.ts) and its webview. */

export type Direction = 'higher' | 'lower';
export type Value = number | string | boolean | null;

export interface RunInfo {
  /** The revision as git or Cairn names it: `workspace`, a commit sha, `refs/exps/...`. */
  id: string;
  /** What a user reads: `workspace`, a short sha, an experiment name. */
  label: string;
  /** A commit subject, an experiment's baseline. */
  detail?: string;
  kind: 'workspace' | 'commit' | 'branch' | 'experiment';
  /** Why its values could not be read, if they could not. */
  error?: string;
  /** An experiment's baseline commit (full sha): the Runs view nests it there. */
  baseline?: string;
}

export interface MetricsPayload {
  runs: RunInfo[];
  /** run id → `file:key` → value, for metrics and for params. */
  metrics: Record<string, Record<string, Value>>;
  params: Record<string, Record<string, Value>>;
  metricKeys: string[];
  paramKeys: string[];
  /** Run ids along the current branch, oldest first: the x axis of the history charts. */
  history: string[];
  /** Run ids compared in the table and the bar charts; the first is the baseline. */
  selected: string[];
  /** Whether a bigger value of a metric is better, as the user chose; metrics not listed: `defaultDirection` (metricsTable.ts). */
  directions: Record<string, Direction>;
  /** DVC plots (dvc.yaml `plots:`) of the compared runs, and what could not be read. */
  plots: PlotData[];
  /** Image plots (`.png`, `.svg`, ...): one per plot and revision that has the file. */
  plotImages: PlotImage[];
  plotErrors: string[];
}

/** An image plot of one revision, as a `data:` URL (the page loads nothing else). */
export interface PlotImage {
  id: string;
  /** A revision id, as in `runs`. */
  revision: string;
  url: string;
}

export type PlotTemplate = 'linear' | 'simple' | 'smooth' | 'scatter' | 'confusion' | 'confusion_normalized' | 'bar_horizontal' | 'bar_horizontal_sorted';

/** One DVC plot: its datapoints across revisions (each tagged `rev`), drawn by its template. */
export interface PlotData {
  id: string;
  title: string;
  template: PlotTemplate;
  x: string;
  y: string;
  xLabel: string;
  yLabel: string;
  /** Revision ids with data, as in `runs`. */
  revisions: string[];
  points: Record<string, unknown>[];
  /** The datapoint field telling sources apart when a plot has several (`filename`, `field`, `filename::field`). */
  sourceField?: string;
}

/** The revision id of a run training in a temporary tree (`.dvc/tmp/exps/<tree>`): `running:<tree>`. */
export const LIVE_RUN_PREFIX = 'running:';

/** Plots of runs going on, as the core reads them at a step (src/extension/plotsSnapshot.ts). */
export interface LivePlots {
  /** `experiment`: the name of the experiment the workspace or a temporary tree runs, when known; `metrics`: its metrics files as on disk now, by experiments-table column id. */
  runs: { id: string; label: string; experiment?: string; metrics?: Record<string, Value> }[];
  plots: PlotData[];
}

export type ToWebview =
  | { type: 'show'; payload: MetricsPayload }
  /**
   * Points a run going on added since the last message, per plot (each `PlotData` holds only
   * the new points, tagged `rev` as in `show`): the page appends them to its charts. `runs`: runs
   * the page has not been told of yet (a run that just started), for their series' labels.
   */
  | { type: 'appendPoints'; plots: PlotData[]; runs: RunInfo[] };

export type FromWebview =
  | { type: 'ready' }
  /**
   * Time from receiving a payload to every chart drawn (for the report and the e2e test), and the
   * longest a step plot took to draw (its points shaped and decimated, then chart.js's first render).
   */
  | { type: 'rendered'; ms: number; charts: number; points: number; slowestPlotMs: number }
  | { type: 'setDirection'; key: string; direction: Direction }
  /** `data`: a PNG data URL for charts, the text for csv and markdown. */
  | { type: 'export'; format: 'png' | 'csv' | 'markdown'; suggestedName: string; data: string }
  /** An `appendPoints` drawn: for each series it grew, its plot, revision and point count now (sent after the frame). */
  | { type: 'appended'; plotId: string; revision: string; points: number };

/** The pipeline DAG panel (src/extension/dagPanel.ts ↔ webview/dagView.ts). */
export type StageState = 'up to date' | 'changed' | 'frozen' | 'not run';

export interface DagPayload {
  title: string;
  nodes: { id: string; label: string; state: StageState; detail: string }[];
  /** Dependency edges: `from` produces something `to` uses. */
  edges: { from: string; to: string }[];
}

export type ToDag = { type: 'show'; payload: DagPayload };
export type FromDag = { type: 'ready' } | { type: 'openStage'; id: string } | { type: 'rendered'; ms: number; nodes: number };

/**
 * What each message a page may send looks like, field by field: the extension checks every
 * message against its panel's spec before acting on it (a page is untrusted input). The types
 * make a spec name every field of every message of its union.
 */
export type FieldSpec = 'number' | 'string' | 'boolean' | 'strings' | readonly string[];
/** The most entries a `strings` field may hold (a page cannot make the extension loop over millions). */
export const MAX_LIST = 10_000;
export type MessageSpec<M extends { type: string }> = {
  [T in M['type']]: { [K in Exclude<keyof Extract<M, { type: T }>, 'type'>]-?: FieldSpec };
};

export const FROM_METRICS: MessageSpec<FromWebview> = {
  ready: {},
  rendered: { ms: 'number', charts: 'number', points: 'number', slowestPlotMs: 'number' },
  setDirection: { key: 'string', direction: ['higher', 'lower'] },
  export: { format: ['png', 'csv', 'markdown'], suggestedName: 'string', data: 'string' },
  appended: { plotId: 'string', revision: 'string', points: 'number' },
};

export const FROM_DAG: MessageSpec<FromDag> = {
  ready: {},
  openStage: { id: 'string' },
  rendered: { ms: 'number', nodes: 'number' },
};

/** The experiments table panel (src/extension/experimentsPanel.ts ↔ webview/experimentsView.ts). */
export type ExperimentState = 'queued' | 'running' | 'failed' | 'success';
/** `meta`: Cairn's tags and notes of an experiment (`exp tag`/`exp note`), a column each when any row has some. */
export type ColumnKind = 'params' | 'metrics' | 'deps' | 'meta';

/** A column of values: a param, metric or dep of one file, at a key path inside it. */
export interface ExperimentColumn {
  /** Kind, file and key path, joined by U+001F: stable across refreshes (what sorting names). */
  id: string;
  kind: ColumnKind;
  file: string;
  /** Keys from the file's top down (`['train', 'lr']`); for a dep, `[]`. */
  path: string[];
}

export interface ExperimentRow {
  /** `workspace`, a baseline's sha, or an experiment's ref (`refs/exps/...`) or queue id. */
  id: string;
  kind: 'workspace' | 'commit' | 'experiment';
  /** What the Experiment column shows: `workspace`, a branch or tag name or short sha, an experiment's name. */
  label: string;
  /** A commit's short sha beside its label. */
  rev?: string;
  /** For an experiment, its baseline row's id. */
  parent?: string;
  /** For an experiment, how its run stands; a baseline or the workspace has none. */
  state?: ExperimentState;
  /** Committed time as ISO text (local time, no zone), null for the workspace and queued runs. */
  created: string | null;
  /** Why the revision (or a file of it) could not be read. */
  error?: string;
  /** One value per column, in `columns` order (null: the revision has none). */
  values: Value[];
  /** A finished experiment's git ref (`refs/exps/<baseline>/<name>`): what row actions name it by. */
  ref?: string;
  /** A run of Cairn's queue (queued, running or failed): its queue task id, for Show Logs and Stop. */
  queueId?: string;
  /** An experiment only on the git remote (`exp list <remote>`): no values here until pulled; shown dimmed. */
  remoteOnly?: boolean;
}

export interface ExperimentsPayload {
  /** The repository's folder name, for the title. */
  repository: string;
  columns: ExperimentColumn[];
  /** The workspace, then each baseline followed by its experiments. */
  rows: ExperimentRow[];
  /** Experiments still to come in the next `show` (a long table is sent first with the newest experiments of each commit, then whole). */
  pending: number;
  /** Set by the panel, not the core: the repository's root (whose table state this is), its saved table state, and the metrics' directions as the metrics panel keeps them (`file:key` → direction). */
  root?: string;
  state?: TableState;
  directions?: Record<string, Direction>;
  /** Restricted Mode: no rows, as experiments are git commits and Cairn runs no git in a folder not trusted; the page says so with a Trust button. */
  needsTrust?: boolean;
}

/** A filter on a column: all of a table's filters must hold for an experiment to show (webview/experimentsFilters.ts). */
export type FilterOp = '=' | '≠' | '<' | '≤' | '>' | '≥' | 'contains' | 'missing' | 'starred';
export interface TableFilter {
  /** A column id, `experiment`, `created`, or '' for `starred`. */
  column: string;
  op: FilterOp;
  /** The text compared with (empty for `missing` and `starred`). */
  value: string;
}

/**
 * What a user made of the experiments table, kept per repository in the workspace state
 * (sent by the page as JSON text, read back by `parseTableState` in webview/experimentsState.ts).
 */
export interface TableState {
  sort: { column: string; descending: boolean }[];
  filters: TableFilter[];
  /** Starred row ids. */
  starred: string[];
  /** Hidden column ids. */
  hidden: string[];
  /** Column ids in the order the user dragged them to (columns not named keep their place after their neighbour). */
  order: string[];
  /** Column id → width in pixels, for columns the user resized. */
  widths: Record<string, number>;
  /** Numbers show as many significant digits as they need, at most this many. */
  precision: number;
  /** Hide the columns whose value is the same in every row shown. */
  onlyChanged: boolean;
  /** Commits whose experiments are folded. */
  collapsed: string[];
}

export type ToExperiments =
  | { type: 'show'; payload: ExperimentsPayload }
  /** These rows of the table shown changed (same ids, same columns): a run's live metrics. */
  | { type: 'updateRows'; rows: ExperimentRow[] }
  /** Select these rows and scroll the first into view (the Runs view's selection drives the table). */
  | { type: 'reveal'; ids: string[] };

export type FromExperiments =
  | { type: 'ready' }
  /** The table drawn for a payload: ms from its arrival to the first frame after it. */
  | { type: 'rendered'; ms: number; rows: number; columns: number }
  /** A burst of scrolling ended: its frames, the longest gap between two of them, and the longest the page's own drawing took. */
  | { type: 'scrolled'; frames: number; worstFrameMs: number; medianFrameMs: number; worstDrawMs: number }
  /**
   * The rows selected in the table changed (row ids, in table order). Row actions act on the
   * selection when the row they were invoked on is part of it, else on that row alone. Each row
   * element carries `data-vscode-context` `{"webviewSection":"experimentRow","rowId":…,"rowActions":…,"preventDefaultContextMenuItems":true}`
   * for the `webview/context` menus (`rowActions`: the actions that fit the row, experimentRowActions.ts).
   */
  | { type: 'selection'; ids: string[] }
  /** The table's state changed: a `TableState` as JSON text (checked by `parseTableState` before it is kept), for the repository at `root` (the payload's). */
  | { type: 'saveState'; root: string; state: string }
  /** The user set a metric's direction from its header (kept where the metrics panel keeps it). */
  | { type: 'setDirection'; key: string; direction: Direction }
  /** In Restricted Mode: the page's Trust button. */
  | { type: 'trust' };

export const FROM_EXPERIMENTS: MessageSpec<FromExperiments> = {
  ready: {},
  rendered: { ms: 'number', rows: 'number', columns: 'number' },
  scrolled: { frames: 'number', worstFrameMs: 'number', medianFrameMs: 'number', worstDrawMs: 'number' },
  selection: { ids: 'strings' },
  saveState: { root: 'string', state: 'string' },
  setDirection: { key: 'string', direction: ['higher', 'lower'] },
  trust: {},
};

/** `message` as its spec allows it (a known type, exactly its fields, each of its kind; numbers finite), else undefined. */
export function checkMessage<M extends { type: string }>(spec: MessageSpec<M>, message: unknown): M | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { type, ...fields } = message as Record<string, unknown>;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(spec, type)) return undefined;
  const expected = (spec as Record<string, Record<string, FieldSpec>>)[type];
  if (Object.keys(fields).length !== Object.keys(expected).length) return undefined;
  for (const [name, kind] of Object.entries(expected)) {
    const value = fields[name];
    const ok =
      kind === 'number' ? typeof value === 'number' && Number.isFinite(value)
      : kind === 'strings' ? Array.isArray(value) && value.length <= MAX_LIST && value.every((v) => typeof v === 'string')
      : typeof kind === 'string' ? typeof value === kind
      : typeof value === 'string' && kind.includes(value);
    if (!ok) return undefined;
  }
  return message as M;
}

/** The "Modify Params and Run" form (src/extension/runFormPanel.ts ↔ webview/runFormView.ts); its checks are in webview/runForm.ts. */
export interface RunFormPayload {
  /** The repository's folder name, for the title. */
  repository: string;
  /** What the fields were read from: `workspace`, a commit or an experiment (its label). */
  source: string;
  fields: ParamField[];
  /** Params files left out (not settable with -S, or unreadable), one line each. */
  skipped: string[];
  /** Set when nothing may run (Restricted Mode): why, shown above the form, whose inputs are then read-only. */
  readOnly?: string;
  /** Runs above this many are confirmed before they are queued (SWEEP_ASK_ABOVE). */
  askAbove: number;
}

export type ToRunForm =
  | { type: 'show'; payload: RunFormPayload }
  /** What became of the last submit: done, or refused (`field`: the field's index, -1 for the form as a whole). */
  | { type: 'outcome'; ok: boolean; message: string; field: number };

export type FromRunForm =
  | { type: 'ready' }
  /**
   * Run (in the workspace) or queue what the form holds: one text per field, in the payload's
   * order; `name` the experiment's name (a sweep's prefix), '' to draw one; `jobs` for a sweep run
   * now: the workers started.
   */
  | { type: 'submit'; action: 'run' | 'queue'; name: string; values: string[]; jobs: number }
  /** The form drawn (for the log and the e2e tests). */
  | { type: 'rendered'; fields: number };

export const FROM_RUN_FORM: MessageSpec<FromRunForm> = {
  ready: {},
  submit: { action: ['run', 'queue'], name: 'string', values: 'strings', jobs: 'number' },
  rendered: { fields: 'number' },
};

/** The lineage panel (src/extension/lineagePanel.ts ↔ webview/lineageView.ts): what made a model, back to raw data. */
export interface LineageNode {
  /** `data:<path>`, `stage:<address>`: what the page names in `open`. */
  id: string;
  /** `target`: what was asked for; `source`: data no stage makes (raw data). */
  kind: 'target' | 'data' | 'source' | 'stage';
  label: string;
  /** The recorded md5, short (`1a2b3c4d`, `…​.dir` for a folder); null where nothing records one. */
  hash: string | null;
  /** Its size as the commit records it, as text; null where unknown. */
  size: string | null;
  /** What made it (`output of train`, `tracked by data/raw.csv.dvc`), or a stage's command. */
  detail: string;
}

export interface LineagePayload {
  title: string;
  commit: { short: string; date: string; message: string; refs: string[] };
  nodes: LineageNode[];
  /** From a dependency to its stage, from a stage to its outputs. */
  edges: { from: string; to: string }[];
  /** `file:key` → value, as text. */
  params: { key: string; value: string }[];
  metrics: { key: string; value: string }[];
  /** Why the target is not a pipeline's product, and problems met on the way. */
  notes: string[];
}

export type ToLineage = { type: 'show'; payload: LineagePayload };
export type FromLineage =
  | { type: 'ready' }
  /** A node (`id`) or the commit (`commit`) clicked: the extension opens the file, stage definition or commit it knows by that id. */
  | { type: 'open'; id: string }
  | { type: 'rendered'; ms: number; nodes: number };

export const FROM_LINEAGE: MessageSpec<FromLineage> = {
  ready: {},
  open: { id: 'string' },
  rendered: { ms: 'number', nodes: 'number' },
};
