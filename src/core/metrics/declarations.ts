import { CairnError } from '../errors';
import type { RevisionSource } from './revisionSource';

/** Plot properties as written in dvc.yaml (x, y, template, title, x_label, y_label, header...). */
export type PlotProps = Record<string, unknown>;

/** A plot to render: its id, its properties, and the files it reads. */
export interface PlotDeclaration {
  /** A data file's repo-relative path, or the id a top-level `plots:` entry with a `y: {file: field}` gives. */
  id: string;
  /** The dvc.yaml of a top-level entry; '' for a stage output. Ids found in several are shown as `<config>::<id>`. */
  config: string;
  props: PlotProps;
  /** Repo-relative files (or folders) the plot reads. */
  files: string[];
}

/** Which files of one revision are metrics, params and plots (from its dvc.yaml files). */
export interface Declarations {
  /** Repo-relative metrics files or folders, stage outputs first, then top-level entries, without repeats. */
  metrics: string[];
  /** Repo-relative params file → the keys read from it (`[]`: the whole file). */
  params: Map<string, string[]>;
  plots: PlotDeclaration[];
  /**
   * Outputs stored in the DVC cache, from the revision's dvc.lock files: repo-relative path →
   * hash. A git revision does not hold these files; DVC (and Cairn) read them from the cache,
   * the files of a folder through its `.dir` manifest (`OutputsSource`).
   */
  cachedOuts: Map<string, CachedOut>;
}

export interface CachedOut {
  /** An object id (checked): 32 hex digits, `.dir` for a folder. */
  md5: string;
  /** `md5` for DVC 3 entries (`hash: md5`), `md5-dos2unix` for DVC 2 ones. */
  hashName: 'md5' | 'md5-dos2unix';
}

/**
 * What Declarations needs of the pipeline loader's result (`loadPipelines` in core/pipeline):
 * the resolved dvc.yaml files of one revision.
 */
export interface PipelinesView {
  files: {
    path: string;
    dir: string;
    params: { repoPath: string }[];
    metrics: { repoPath: string }[];
    plots: { id: string; props: Record<string, unknown> | null; repoPaths: string[] }[];
  }[];
  stages: {
    params: { repoPath: string; keys: string[] | null }[];
    outs: { repoPath: string; kind: string; plot?: Record<string, unknown> }[];
  }[];
}

/** The params file DVC always shows in full when it exists. */
export const DEFAULT_PARAMS_FILE = 'params.yaml';

/**
 * Metrics, params and plots of a revision as DVC collects them: stage outputs under `metrics:`
 * and `plots:`, stage `params:` (keys merged per file; a file listed without keys, a top-level
 * `params:` entry or the root `params.yaml` means the whole file), top-level `metrics:`/`plots:`.
 */
export async function declarationsOf(pipelines: PipelinesView, source: RevisionSource): Promise<Declarations> {
  const metrics: string[] = [];
  const addMetric = (p: string) => {
    if (!metrics.includes(p)) metrics.push(p);
  };
  for (const stage of pipelines.stages) for (const out of stage.outs) if (out.kind === 'metrics') addMetric(out.repoPath);
  for (const file of pipelines.files) for (const m of file.metrics) addMetric(m.repoPath);

  const entries: [string, string[] | null][] = [];
  for (const stage of pipelines.stages) for (const p of stage.params) entries.push([p.repoPath, p.keys && p.keys.length ? p.keys : null]);
  for (const file of pipelines.files) for (const p of file.params) entries.push([p.repoPath, null]);
  if ((await source.read(DEFAULT_PARAMS_FILE)) !== undefined) entries.push([DEFAULT_PARAMS_FILE, null]);
  const whole = new Set(entries.filter(([, keys]) => keys === null).map(([f]) => f));
  const params = new Map<string, string[]>();
  for (const [file, keys] of entries) {
    const list = params.get(file) ?? [];
    if (!whole.has(file)) for (const k of keys ?? []) if (!list.includes(k)) list.push(k);
    params.set(file, list);
  }

  const plots: PlotDeclaration[] = [];
  for (const stage of pipelines.stages) {
    for (const out of stage.outs) if (out.kind === 'plots') plots.push({ id: out.repoPath, config: '', props: { ...(out.plot ?? {}) }, files: [out.repoPath] });
  }
  for (const file of pipelines.files) {
    for (const p of file.plots) {
      const props = { ...(p.props ?? {}) };
      // With `y: {file: field}` the id is a name and the files come from y; otherwise the id is the data path.
      const isName = typeof props.y === 'object' && props.y !== null && !Array.isArray(props.y);
      const id = isName ? p.id : (p.repoPaths[0] ?? p.id);
      plots.push({ id, config: file.path, props, files: isName ? p.repoPaths : [id] });
    }
  }
  return { metrics, params, plots, cachedOuts: new Map() };
}

/**
 * Every file under each path that is a folder at this revision; other paths as they are (also a
 * folder that cannot be listed, as DVC: reading it then says why).
 */
export async function expandPaths(source: RevisionSource, paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  const walk = async (dir: string): Promise<string[]> => {
    const files: string[] = [];
    for (const e of await source.list(dir)) {
      const child = `${dir}/${e.name}`;
      if (e.isDir) files.push(...(await walk(child)));
      else files.push(child);
    }
    return files;
  };
  for (const p of paths) {
    let files: string[] = [];
    try {
      if ((await source.list(p)).length) files = (await walk(p)).sort();
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
    }
    if (files.length === 0) add(p);
    else for (const f of files) add(f);
  }
  return out;
}
