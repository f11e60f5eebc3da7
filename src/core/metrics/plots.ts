import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { writeFileAtomic } from '../repo/atomicWrite';
import { runGit } from '../scm/git';
import type { Repo } from '../repo/repo';
import { isPlotImage, parsePlotFile, plotFileType } from './dataFile';
import { expandPaths, PlotDeclaration } from './declarations';
import { isDict, Dict } from './flatten';
import { encodeError, EncodedError } from './results';
import { WORKSPACE_REV } from './revisions';
import type { RevisionSource } from './revisionSource';
import { declarationsFor, MetricsOptions, withOutputs, withReader } from './show';

/** One datapoint: the file's row plus `rev` (and `filename`/`field` when a plot has several sources). */
export type Datapoint = Record<string, unknown>;

/** A plot as `plots diff --json` gives it: `vega`, the revisions with data, and a vega-lite spec holding the datapoints. */
export interface VegaRender {
  type: 'vega';
  revisions: string[];
  content: Record<string, unknown> & { data: { values: Datapoint[] } };
}

/** An image plot of one revision: a file written to `imagesDir`, else a `data:` URL. */
export interface ImageRender {
  type: 'image';
  revisions: [string];
  url: string;
}

export type PlotRender = VegaRender | ImageRender;

export interface PlotError extends EncodedError {
  /** The plot, the revision, and the file that failed (when one did). */
  name?: string;
  rev: string;
  source?: string;
}

/** `plots diff --json`: plot id → renders, and the errors met; each left out when empty, as DVC's shape. */
export interface PlotsDiffResult {
  errors?: PlotError[];
  data?: Record<string, PlotRender[]>;
}

export interface PlotsOptions extends MetricsOptions {
  /**
   * Where image plots are written as `<rev>_<path>` (`/` → `_`), as `dvc plots diff --json` writes
   * them to `dvc_plots/`; their `url` is the file's absolute path. Without it, a `data:` URL.
   */
  imagesDir?: string;
}

/** The x and y sources of a plot: (file, field) pairs, with the names the datapoints use. */
interface Axes {
  xs: [string, string][];
  ys: [string, string][];
  xField: string;
  yField: string;
  xLabel: string;
  yLabel: string;
  /** Each y source as the datapoints name it (the y files' common folder left out), DVC's `anchors_y_definitions`. */
  ySources: { filename: string; field: string }[];
}

const INDEX = 'step';
const INFERRED_X = 'dvc_inferred_x_value';
const INFERRED_Y = 'dvc_inferred_y_value';

/** The lists of datapoints inside a parsed plot file (itself, or lists among a dict's values, recursively). */
function listsOf(blob: unknown): unknown[][] {
  if (Array.isArray(blob)) return [blob];
  if (!isDict(blob)) return [];
  const out: unknown[][] = [];
  for (const v of Object.values(blob)) {
    if (isDict(v)) out.push(...listsOf(v));
    else if (Array.isArray(v)) out.push(v);
  }
  return out;
}

/** Datapoints of a file: rows of every list of same-keyed dicts, merged by index. */
export function datapointsOf(content: unknown): Datapoint[] {
  const result: Datapoint[] = [];
  for (const list of listsOf(content)) {
    if (!list.length || !list.every(isDict)) continue;
    const keys = new Set(Object.keys(list[0] as Dict));
    const all = new Set(list.flatMap((d) => Object.keys(d as Dict)));
    if (all.size !== keys.size) continue;
    list.forEach((d, i) => {
      result[i] = { ...(result[i] ?? {}), ...(d as Dict) };
    });
  }
  return result;
}

function fileFields(spec: unknown): [string, string][] {
  const out: [string, string][] = [];
  if (!isDict(spec)) return out;
  for (const [file, v] of Object.entries(spec)) {
    if (typeof v === 'string') out.push([file, v]);
    else if (Array.isArray(v)) for (const f of v) out.push([file, String(f)]);
  }
  return out;
}

/** x/y sources as DVC infers them: y from the last column of the plot's own file when not given, x the row index. */
function axesOf(id: string, props: Dict, files: Map<string, Datapoint[]>): Axes {
  const x = props.x;
  const y = props.y;
  let ySpec: unknown = y;
  if (y === undefined || y === null) {
    const first = files.get(id)?.[0];
    ySpec = first ? { [id]: Object.keys(first).pop() } : undefined;
  } else if (!isDict(y)) ySpec = { [id]: y };
  let xSpec: unknown = x;
  if (typeof x === 'string') {
    xSpec = isDict(y) ? Object.fromEntries(Object.entries(y).map(([f, fields]) => [f, Array.isArray(fields) ? fields.map(() => x) : x])) : { [id]: x };
  }
  const xs = fileFields(xSpec);
  const ys = fileFields(ySpec);
  const multipleX = xs.length > 1 && new Set(xs.map(([, f]) => f)).size > 1;
  const yFields = new Set(ys.map(([, f]) => f));
  const xField = xs.length === 0 ? INDEX : multipleX ? INFERRED_X : xs[0][1];
  const yField = yFields.size > 1 ? INFERRED_Y : [...yFields][0];
  const label = (given: unknown, fields: Set<string>, many: string) => (typeof given === 'string' ? given : fields.size === 1 ? [...fields][0] : many);
  return {
    xs,
    ys,
    xField,
    yField,
    xLabel: label(props.x_label, new Set(xs.map(([, f]) => f)), xs.length ? 'x' : INDEX),
    yLabel: label(props.y_label, yFields, 'y'),
    ySources: [],
  };
}

/** The datapoints one revision gives a plot (DVC's VegaConverter rules), or an error. */
function revisionDatapoints(id: string, props: Dict, files: Map<string, Datapoint[]>, rev: string): { points: Datapoint[]; axes: Axes } {
  const axes = axesOf(id, props, files);
  const { xs, ys } = axes;
  if (xs.length > 1 && xs.length !== ys.length) {
    throw new Error(`Cannot have different number of x and y data sources. Found ${xs.length} x and ${ys.length} y data sources.`);
  }
  const yFiles = [...new Set(ys.map(([f]) => f))];
  const prefixLen = yFiles.length > 1 ? commonPath(yFiles).length : 0;
  const short = (f: string) => f.slice(prefixLen).replace(/^[/\\]+|[/\\]+$/g, '');
  axes.ySources = ys.map(([f, field]) => ({ filename: short(f), field }));
  const points: Datapoint[] = [];
  ys.forEach(([yFile, yField], i) => {
    const [xFile, xFieldName] = xs.length > 1 ? xs[i] : xs[0] ?? [undefined, INDEX];
    const rows = (files.get(yFile) ?? []).map((d) => ({ ...d }));
    for (const row of rows) if (!(yField in row)) throw new Error(`Could not find provided field ('${yField}') in data fields ('${Object.keys(row).join(', ')}').`);
    if (axes.yField === INFERRED_Y) rows.forEach((r) => (r[INFERRED_Y] = r[yField]));
    if (xFile === undefined) rows.forEach((r, n) => (r[INDEX] = n));
    else {
      const source = files.get(xFile) ?? [];
      if (source.length !== rows.length) throw new Error(`Cannot join '${xFieldName}' from '${xFile}' and '${yField}' from '${yFile}'. They have to have same length.`);
      rows.forEach((r, n) => {
        if (xFieldName in source[n]) r[axes.xField] = source[n][xFieldName];
      });
    }
    for (const r of rows) Object.assign(r, { rev, filename: short(yFile), field: yField });
    points.push(...rows);
  });
  return { points, axes };
}

function commonPath(paths: string[]): string {
  const split = paths.map((p) => p.split('/'));
  const out: string[] = [];
  for (let i = 0; i < split[0].length; i++) {
    const part = split[0][i];
    if (split.every((s) => s[i] === part)) out.push(part);
    else break;
  }
  return out.join('/');
}

/**
 * `filename`/`field` stay only where they tell the plot's y sources apart (both varying: joined as
 * `filename::field`), as DVC's templates do. Decided by the sources the plot declares, not by those
 * that had data: of two y files only one of which exists, the points still say which file.
 */
function tidySources(points: Datapoint[], sources: Axes['ySources']): void {
  const keys = ['filename', 'field'] as const;
  const varied = sources.length <= 1 ? [] : keys.filter((k) => new Set(sources.map((s) => s[k])).size > 1);
  for (const p of points) {
    if (varied.length === 2) p['filename::field'] = `${p.filename}::${p.field}`;
    for (const k of keys) if (varied.length === 2 || !varied.includes(k)) delete p[k];
  }
}

/** DVC's built-in templates, by the mark they draw; unknown names draw as `linear`. */
export const PLOT_TEMPLATES = ['linear', 'simple', 'smooth', 'scatter', 'confusion', 'confusion_normalized', 'bar_horizontal', 'bar_horizontal_sorted'] as const;
export type PlotTemplate = (typeof PLOT_TEMPLATES)[number];

export function plotTemplateOf(props: Dict): PlotTemplate {
  return PLOT_TEMPLATES.find((t) => t === props.template) ?? 'linear';
}

function vegaSpec(id: string, props: Dict, axes: Axes, points: Datapoint[], revisions: string[]): VegaRender['content'] {
  const template = plotTemplateOf(props);
  const x = { field: axes.xField, title: axes.xLabel };
  const y = { field: axes.yField, title: axes.yLabel };
  const color = { field: 'rev', type: 'nominal', scale: { domain: revisions } };
  const encoding =
    template === 'confusion' || template === 'confusion_normalized'
      ? { x: { ...x, type: 'nominal' }, y: { ...y, type: 'nominal' }, color: { aggregate: 'count', type: 'quantitative' }, facet: { field: 'rev', type: 'nominal' } }
      : template.startsWith('bar_horizontal')
        ? { x: { ...x, type: 'quantitative' }, y: { ...y, type: 'nominal', ...(template === 'bar_horizontal_sorted' ? { sort: '-x' } : {}) }, color }
        : { x: { ...x, type: 'quantitative' }, y: { ...y, type: 'quantitative', scale: { zero: false } }, color };
  const mark = template === 'scatter' ? 'point' : template.startsWith('confusion') ? 'rect' : template.startsWith('bar') ? 'bar' : 'line';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: points },
    title: { text: typeof props.title === 'string' ? props.title : id, anchor: 'middle' },
    width: 300,
    height: 300,
    mark: mark === 'line' ? { type: 'line', point: true, tooltip: true } : { type: mark, tooltip: true },
    encoding,
    // Which DVC template drew it, for viewers that draw the data themselves (the metrics panel).
    usermeta: { template },
  };
}

/** The revisions `plots diff` compares: as given (one → it and the workspace; none → HEAD if the work tree is dirty, and the workspace), the workspace first. */
async function plotRevisions(repo: Repo, revs: string[]): Promise<string[]> {
  const list = [...revs];
  if (list.length <= 1) {
    if (list.length === 0 && repo.scm && (await isDirty(repo.scm.root))) list.push('HEAD');
    list.push(WORKSPACE_REV);
  }
  return list.includes(WORKSPACE_REV) ? [WORKSPACE_REV, ...list.filter((r) => r !== WORKSPACE_REV)] : list;
}

async function isDirty(gitRoot: string): Promise<boolean> {
  return (await runGit(gitRoot, ['status', '--porcelain', '--untracked-files=no'])).trim() !== '';
}

/** A plot declaration's data files at one revision (a folder: one plot per file, its path the id). */
async function expandPlots(source: RevisionSource, plots: PlotDeclaration[]): Promise<PlotDeclaration[]> {
  const out: PlotDeclaration[] = [];
  for (const p of plots) {
    if (p.files.length === 1 && p.files[0] === p.id) {
      // Listed first on its own: a folder that cannot be listed (not in the cache) fails the revision's plots, as in DVC.
      const files = (await source.list(p.id)).length ? await expandPaths(source, [p.id]) : [p.id];
      if (files.length !== 1 || files[0] !== p.id) {
        for (const f of files) out.push({ id: f, config: p.config, props: p.props, files: [f] });
        continue;
      }
    }
    out.push(p);
  }
  return out;
}

/** Plots whose id several dvc.yaml files (or stage outputs, config '') declare are told apart as `<config>::<id>`. */
function uniqueIds(plots: PlotDeclaration[]): (PlotDeclaration & { name: string })[] {
  const configs = new Map<string, Set<string>>();
  for (const p of plots) configs.set(p.id, (configs.get(p.id) ?? new Set()).add(p.config));
  return plots.map((p) => ({ ...p, name: (configs.get(p.id)?.size ?? 0) > 1 && p.config ? `${p.config}::${p.id}` : p.id }));
}

/**
 * `plots diff --json`: for each plot of the chosen revisions, the datapoints of every revision
 * (DVC's x/y inference: y the last column when not given, x the row index `step`; several y
 * sources tagged by `filename`/`field`) inside a vega-lite spec of Cairn's own. Image plots are
 * not rendered yet. Empty when the repository has no commit, as in DVC.
 */
export function plotsDiff(repo: Repo, revs: string[] = [], options: PlotsOptions = {}): Promise<PlotsDiffResult> {
  return plotsOf(repo, revs, options);
}

/** `plots show --json`: the workspace's plots, as `plotsDiff` gives them; in a repository with no commit too, as in DVC. */
export function plotsShow(repo: Repo, options: PlotsOptions = {}): Promise<PlotsDiffResult> {
  return plotsOf(repo, undefined, options);
}

/** The plots of `revs` as `plots diff` chooses them, or of the workspace alone (`undefined`: `plots show`). */
async function plotsOf(repo: Repo, revs: string[] | undefined, options: PlotsOptions): Promise<PlotsDiffResult> {
  return withReader(repo, options, async (reader) => {
    if (revs && !(await reader.hasCommits())) return {};
    const revisions = revs ? await plotRevisions(repo, revs) : [WORKSPACE_REV];
    const errors: PlotError[] = [];
    // By the name shown; `id` is the plot's own id (a data path), which x/y inference uses.
    const perPlot = new Map<string, { id: string; props: Dict; byRev: Map<string, Map<string, Datapoint[]>>; images: Map<string, Buffer> }>();
    for (const rev of revisions) {
      let source: RevisionSource;
      let plots: (PlotDeclaration & { name: string })[];
      try {
        const revision = await reader.open(rev);
        const declarations = await declarationsFor(revision, options.declarations);
        source = withOutputs(revision, declarations, reader.cache);
        plots = uniqueIds(await expandPlots(source, declarations.plots));
      } catch (err) {
        errors.push({ rev, ...encodeError(err) });
        continue;
      }
      for (const plot of plots) {
        const entry = perPlot.get(plot.name) ?? { id: plot.id, props: plot.props, byRev: new Map(), images: new Map() };
        perPlot.set(plot.name, entry);
        const files = new Map<string, Datapoint[]>();
        for (const file of plot.files) {
          try {
            // As DVC: a file of no plot format fails before it is looked for.
            if (!isPlotImage(file)) plotFileType(file);
            const bytes = await source.readBytes(file);
            if (bytes === undefined) {
              errors.push({ name: plot.name, rev, source: file, type: 'FileNotFoundError', msg: `${file}: no such file in ${rev === WORKSPACE_REV ? 'the workspace' : `revision '${rev}'`}` });
            } else if (isPlotImage(file)) {
              if (isPlotImage(plot.id)) entry.images.set(rev, bytes);
            } else {
              const header = plot.props.header;
              files.set(file, datapointsOf(parsePlotFile(bytes.toString('utf8'), file, { header: header === undefined ? true : !!header })));
            }
          } catch (err) {
            errors.push({ name: plot.name, rev, source: file, ...encodeError(err) });
          }
        }
        if (files.size) entry.byRev.set(rev, files);
      }
    }
    const data: Record<string, PlotRender[]> = {};
    for (const [name, { id, props, byRev, images }] of perPlot) {
      if (isPlotImage(id)) {
        data[name] = [];
        for (const rev of revisions) {
          const bytes = images.get(rev);
          if (bytes) data[name].push({ type: 'image', revisions: [rev], url: await imageUrl(repo, id, rev, bytes, options.imagesDir) });
        }
        continue;
      }
      const points: Datapoint[] = [];
      let axes: Axes | undefined;
      const withData: string[] = [];
      for (const rev of revisions) {
        const files = byRev.get(rev);
        if (!files) continue;
        try {
          const r = revisionDatapoints(id, props, files, rev);
          if (r.points.length) {
            points.push(...r.points);
            axes ??= r.axes;
            withData.push(rev);
          }
        } catch (err) {
          errors.push({ name, rev, ...encodeError(err) });
        }
      }
      if (!axes || !points.length) {
        data[name] = [];
        continue;
      }
      tidySources(points, axes.ySources);
      data[name] = [{ type: 'vega', revisions: withData, content: vegaSpec(name, props, axes, points, withData) }];
    }
    return { ...(errors.length ? { errors } : {}), ...(Object.keys(data).length ? { data } : {}) };
  });
}

const IMAGE_TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif' };

/** Where an image plot of `rev` is shown from: a file in `imagesDir` (written atomically, never through a link), else a `data:` URL. */
async function imageUrl(repo: Repo, file: string, rev: string, bytes: Buffer, imagesDir: string | undefined): Promise<string> {
  if (imagesDir === undefined) return `data:${IMAGE_TYPES[path.extname(file).toLowerCase()] ?? 'image'};base64,${bytes.toString('base64')}`;
  const target = path.join(path.resolve(imagesDir), `${rev}_${file}`.replace(/[/\\]/g, '_'));
  await writePlotsFile(repo, target, bytes, 'the image plot');
  return target;
}

/** A file of the plots output folder, written atomically and never through a link in the repository. */
export async function writePlotsFile(repo: Repo, target: string, bytes: Buffer | string, what: string): Promise<void> {
  const inRepo = !path.relative(repo.root, target).startsWith('..');
  const unsafe = inRepo ? repo.guard.problem(target) : undefined;
  if (unsafe) throw new CairnError('UNSAFE_PATH', `'${path.relative(process.cwd(), target)}' ${unsafe}; ${what} was not written.`, { hint: 'Choose another folder with -o.' });
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  await writeFileAtomic(target, bytes);
}
