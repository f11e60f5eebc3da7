import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { readRepoFile } from '../repo/readRepoFile';
import { writeFileAtomic } from '../repo/atomicWrite';
import { runGit } from '../scm/git';
import type { Repo } from '../repo/repo';
import { isPlotImage, parsePlotFile, plotFileType } from './dataFile';
import { expandPaths, PlotDeclaration } from './declarations';
import { isDict, Dict } from './flatten';
import { builtInTemplate, fillTemplate } from './plotTemplates';
import { encodeError, EncodedError } from './results';
import { WORKSPACE_REV } from './revisions';
import type { RevisionSource } from './revisionSource';
import { declarationsFor, MetricsOptions, withOutputs, withReader } from './show';

/** One datapoint: the file's row plus `rev` (and `filename`/`field` when a plot has several sources). */
export type Datapoint = Record<string, unknown>;

/** A plot as `plots diff --json` gives it: `vega`, the revisions with data, and dvc's template filled with the datapoints. */
export interface VegaRender {
  type: 'vega';
  revisions: string[];
  content: Record<string, unknown> & { data: { values: Datapoint[] } };
  /** What drew it, for viewers that draw the data themselves (the metrics panel); not in dvc's JSON (see `plotsJson`). */
  drawn: DrawnPlot;
}

/** The template a vega plot was drawn with (its name as dvc.yaml gives it) and the fields and labels filled in. */
export interface DrawnPlot {
  template: string;
  title: string;
  x: string;
  y: string;
  xLabel: string;
  yLabel: string;
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
  xLabel: unknown;
  yLabel: unknown;
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
  // A label given is used as it is, whatever its type (dvc passes it on unless it is null).
  const label = (given: unknown, fields: Set<string>, many: string) => (given !== undefined && given !== null ? given : fields.size === 1 ? [...fields][0] : many);
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
  // As dvc: each field named must be in its file's first row (x sources first); other rows are not checked.
  for (const [file, field] of [...xs, ...ys]) {
    const first = files.get(file)?.[0];
    if (first && !(field in first)) throw Object.assign(new Error(`Could not find provided field ('${field}') in data fields ('${Object.keys(first).join(', ')}').`), { type: 'FieldNotFoundError' });
  }
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
    if (axes.yField === INFERRED_Y) rows.forEach((r) => {
      if (yField in r) r[INFERRED_Y] = r[yField];
    });
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
 * sources tagged by `filename`/`field`) in dvc's template for the plot, filled as dvc fills it. Image plots are
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
    const perPlot = new Map<string, { id: string; config: string; props: Dict; byRev: Map<string, Map<string, Datapoint[]>>; images: Map<string, Buffer> }>();
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
        const entry = perPlot.get(plot.name) ?? { id: plot.id, config: plot.config, props: plot.props, byRev: new Map(), images: new Map() };
        perPlot.set(plot.name, entry);
        // As dvc: one set of properties for all revisions, each key as the first revision declaring it gives it.
        entry.props = { ...plot.props, ...entry.props };
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
    const templates = templateReader(repo);
    for (const [name, { id, config, props, byRev, images }] of perPlot) {
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
      const template = typeof props.template === 'string' ? props.template : 'linear';
      const title = 'title' in props ? props.title : name;
      const fill = { name: template, title, x: axes.xField, y: axes.yField, xLabel: axes.xLabel, yLabel: axes.yLabel, revisions: withData, ySources: axes.ySources, points };
      const content = fillTemplate(await templates.read(template, name, config), fill) as VegaRender['content'];
      const drawn = { template, title: typeof title === 'string' ? title : name, x: axes.xField, y: axes.yField, xLabel: String(axes.xLabel), yLabel: String(axes.yLabel) };
      data[name] = [{ type: 'vega', revisions: withData, content, drawn }];
    }
    return { ...(errors.length ? { errors } : {}), ...(Object.keys(data).length ? { data } : {}) };
  });
}

/** Templates are small; a bigger file is no template. */
const TEMPLATE_MAX_BYTES = 4 * 2 ** 20;

/**
 * A plot's template as dvc finds it: a file in `.dvc/plots/` named as given, or with `.json` for
 * its extension, then a file at that path, then a built-in template by name. dvc reads the last
 * relative to its working folder; Cairn relative to the repository. Files are read from the
 * workspace (whatever the revision) and only inside the repository; each read once per call.
 */
function templateReader(repo: Repo): { read(template: string, plot: string, config: string): Promise<Record<string, unknown>> } {
  const read = new Map<string, Record<string, unknown>>();
  const dir = path.join(repo.root, '.dvc', 'plots');
  const candidates = (template: string) => {
    const inDir = path.resolve(dir, template);
    const ext = path.extname(inDir);
    return [inDir, inDir.slice(0, inDir.length - ext.length) + '.json', path.resolve(repo.root, template)];
  };
  return {
    async read(template, plot, config) {
      const where = `plot '${plot}'${config ? ` of ${config}` : ''}`;
      const found = template === '' ? undefined : candidates(template).find((file) => fs.existsSync(file));
      if (found === undefined) {
        const builtIn = builtInTemplate(template);
        if (builtIn) return builtIn;
        throw new CairnError('BAD_FILE', `${where}: template '${template}' not found.`, { hint: `Name a built-in template (\`dvc plots templates\` lists them) or a JSON file in .dvc/plots/.` });
      }
      const cached = read.get(found);
      if (cached) return cached;
      const shown = repo.rel(found);
      const real = fs.realpathSync(found);
      const root = fs.realpathSync(repo.root);
      if (path.relative(root, real).startsWith('..') || path.isAbsolute(path.relative(root, real))) {
        throw new CairnError('UNSAFE_PATH', `${where}: template '${template}' leads outside the repository; not read.`, { hint: 'Keep plot templates inside the repository (.dvc/plots/).' });
      }
      let content: unknown;
      try {
        content = JSON.parse((await readRepoFile(real, shown, TEMPLATE_MAX_BYTES)).toString('utf8'));
      } catch (err) {
        if (err instanceof CairnError) throw err;
        throw new CairnError('BAD_FILE', `${shown}: the template of ${where} is not valid JSON: ${(err as Error).message}.`, { file: shown, hint: 'Fix the JSON, or remove the file to use the built-in template.' });
      }
      if (!isDict(content)) throw new CairnError('BAD_FILE', `${shown}: the template of ${where} is not a JSON object.`, { file: shown, hint: 'A template is a vega-lite spec: a JSON object.' });
      read.set(found, content);
      return content;
    },
  };
}

/** The result as `plots show/diff --json` prints it: dvc's keys only. */
export function plotsJson(result: PlotsDiffResult): unknown {
  if (!result.data) return result;
  const data = Object.fromEntries(Object.entries(result.data).map(([name, renders]) => [name, renders.map((r) => (r.type === 'vega' ? { type: r.type, revisions: r.revisions, content: r.content } : r))]));
  return { ...result, data };
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
