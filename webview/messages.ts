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

export type ToWebview = { type: 'show'; payload: MetricsPayload };

export type FromWebview =
  | { type: 'ready' }
  /** Time from receiving a payload to every chart drawn (for the report and the e2e test). */
  | { type: 'rendered'; ms: number; charts: number; points: number }
  | { type: 'setDirection'; key: string; direction: Direction }
  /** `data`: a PNG data URL for charts, the text for csv and markdown. */
  | { type: 'export'; format: 'png' | 'csv' | 'markdown'; suggestedName: string; data: string };

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
