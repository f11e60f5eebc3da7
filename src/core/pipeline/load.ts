import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, Node as YamlNode, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { CairnError } from '../errors';
import { outputPathProblem } from '../repo/outputPath';
import { ContextError, InterpolationContext } from './context';
import { findExpressions, ParsingConfig, resolveString, valueToString } from './interpolate';
import { DEFAULT_PARAMS_FILE, parseParamsText } from './paramsFile';
import type {
  Artifact, Interpolation, OutKind, PipelineFile, Pipelines, SourceRange, Stage, StageDep, StageOut, StageParamDep, TopPath,
} from './stage';
import { isPlainObject, ParamValue, pyStr, yamlNodeValue } from './values';
import { parseYamlDocument } from './yamlDocument';
import { count, limitExceeded, PIPELINE_LIMITS } from './limits';
import { nearestName } from '../nearestName';

export * from './stage';

/** Where pipeline files are read from: the workspace, or a git revision. Paths are repo-relative, '/'-separated. */
export interface PipelineSource {
  /** A file's text, or undefined when there is no such file. */
  read(relPath: string): Promise<string | undefined>;
  /** The entries of a folder ('' is the root); ignored entries already left out. */
  list(dirRelPath: string): Promise<{ name: string; isDir: boolean }[]>;
}

export interface LoadOptions {
  /** Throw the first error (default). With false, errors are collected per file and loading goes on. */
  strict?: boolean;
  /** DVC's `parsing` config (how dicts interpolate into cmd). */
  parsing?: ParsingConfig;
  /** Load only these dvc.yaml files (repo-relative) instead of finding them all. */
  files?: string[];
}

export const PIPELINE_FILE = 'dvc.yaml';

/** Every `dvc.yaml` reachable from the root, in path order (`.git` and `.dvc` skipped). */
export async function findPipelineFiles(source: PipelineSource): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string) => {
    const entries = await source.list(dir);
    for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDir) {
        if (e.name === '.git' || e.name === '.dvc' || e.name === 'node_modules') continue;
        await visit(rel);
      } else if (e.name === PIPELINE_FILE) found.push(rel);
    }
  };
  await visit('');
  return inPipelineOrder(found);
}

const depthKey = (p: string) => `${p.split('/').length.toString().padStart(4, '0')}${p}`;

/** dvc.yaml paths in the order DVC loads them (shallower first, then by path): it orders stages. */
export function inPipelineOrder(files: string[]): string[] {
  return [...files].sort((a, b) => depthKey(a).localeCompare(depthKey(b)));
}

/** Load and resolve every dvc.yaml of a source: stages (foreach/matrix expanded), top-level params/metrics/plots/artifacts. */
export async function loadPipelines(source: PipelineSource, options: LoadOptions = {}): Promise<Pipelines> {
  const files = options.files ?? (await findPipelineFiles(source));
  const result: Pipelines = { files: [], stages: [], errors: [] };
  for (const f of files) {
    const loaded = await loadPipelineFile(source, f, options);
    result.files.push(loaded);
    result.stages.push(...loaded.stages);
    result.errors.push(...loaded.errors);
  }
  return result;
}

const TOP_KEYS = ['stages', 'vars', 'params', 'metrics', 'plots', 'artifacts', 'datasets'];
const STAGE_KEYS = ['cmd', 'wdir', 'deps', 'params', 'outs', 'metrics', 'plots', 'frozen', 'always_changed', 'desc', 'meta', 'vars'];
const OUT_OPTIONS = ['cache', 'persist', 'remote', 'push', 'desc', 'type', 'labels', 'meta', 'checkpoint'];
const PLOT_OPTIONS = ['template', 'x', 'y', 'x_label', 'y_label', 'title', 'header'];
const ARTIFACT_KEYS = ['path', 'type', 'desc', 'labels', 'meta'];

const isUrl = (p: string) => /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p);

/** A stand-in root for the lexical check of repo-relative paths (`outputPathProblem`). */
const FS_ROOT = path.resolve('/');

/** Join a path written in a file to its folder, repo-relative; undefined when it leaves the repository or is a URL. */
export function repoPathOf(dir: string, p: string): string | undefined {
  if (isUrl(p) || path.posix.isAbsolute(p) || /^[a-zA-Z]:[\\/]/.test(p)) return undefined;
  const joined = path.posix.normalize(path.posix.join(dir || '.', p.replace(/\\/g, '/'))).replace(/\/$/, '');
  if (joined === '..' || joined.startsWith('../')) return undefined;
  return joined === '.' ? '' : joined;
}

/** Load one dvc.yaml (repo-relative path). */
export async function loadPipelineFile(source: PipelineSource, relPath: string, options: LoadOptions = {}): Promise<PipelineFile> {
  const loader = new FileLoader(source, relPath, options);
  return loader.load();
}

class FileLoader {
  private readonly dir: string;
  private text = '';
  private lineCounter = new LineCounter();
  private readonly file: PipelineFile;
  private readonly paramsCache = new Map<string, Record<string, ParamValue> | undefined>();
  /** A vars file (or params.yaml) could not be read: a name not found may well be in it, so that is not reported. */
  private varsIncomplete = false;

  constructor(private readonly source: PipelineSource, private readonly relPath: string, private readonly options: LoadOptions) {
    const d = path.posix.dirname(relPath);
    this.dir = d === '.' ? '' : d;
    this.file = { path: relPath, dir: this.dir, stages: [], params: [], metrics: [], plots: [], artifacts: [], varsFiles: [], definitions: {}, errors: [], unresolvedOutputs: [] };
  }

  private get strict(): boolean {
    return this.options.strict !== false;
  }

  range(node: unknown): SourceRange | undefined {
    const r = (node as { range?: [number, number, number] } | undefined)?.range;
    if (!r) return undefined;
    const s = this.lineCounter.linePos(r[0]);
    const e = this.lineCounter.linePos(r[1]);
    return { file: this.relPath, start: { line: s.line, col: s.col }, end: { line: e.line, col: e.col } };
  }

  private lineOf(node: unknown): number | undefined {
    return this.range(node)?.start.line;
  }

  fail(message: string, node: unknown, hint = 'Fix the pipeline file.', suggestion?: { from: string; to: string }): never {
    throw new CairnError('BAD_FILE', message, { file: this.relPath, line: this.lineOf(node), hint, suggestion });
  }

  /** A key not in `allowed`, with "did you mean" when it is a near miss of one. */
  private unknownKey(message: string, key: string, node: unknown, allowed: string[], allowedText: string): never {
    const near = nearestName(key, allowed);
    this.fail(message, node, near ? `Did you mean '${near}'?` : `${allowedText}: ${allowed.join(', ')}.`, near ? { from: key, to: near } : undefined);
  }

  /** Run a piece of loading; in non-strict mode an error is recorded and `fallback` returned. */
  private async guard<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.strict || !(err instanceof CairnError)) throw err;
      this.record(err);
      return fallback;
    }
  }

  /**
   * `guard` for a part of a stage or of the file: in non-strict mode what cannot be loaded is
   * recorded and left out, and the rest is loaded (lint reports the rest's problems too).
   */
  private recover<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      if (this.strict || !(err instanceof CairnError)) throw err;
      this.record(err);
      return fallback;
    }
  }

  /** One error per line (a foreach template fails the same way for each item). */
  private record(err: CairnError): void {
    if (this.varsIncomplete && /: Could not find '/.test(err.message)) return;
    if (err.line !== undefined && this.file.errors.some((e) => e.file === err.file && e.line === err.line)) return;
    this.file.errors.push(err);
  }

  async load(): Promise<PipelineFile> {
    await this.guard(() => this.loadAll(), undefined);
    return this.file;
  }

  private async loadAll(): Promise<void> {
    const text = await this.source.read(this.relPath);
    if (text === undefined) throw new CairnError('MISSING_PATH', `'${this.relPath}' does not exist`, { file: this.relPath, hint: 'Check the path.' });
    this.text = text;
    const doc = parseYamlDocument(text, this.relPath, this.lineCounter);
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      throw new CairnError('BAD_FILE', `'${this.relPath}' is invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, {
        file: this.relPath,
        line: e.linePos?.[0].line,
        hint: 'Fix the YAML syntax.',
      });
    }
    const top = doc.contents;
    if (top === null || (isScalar(top) && top.value === null)) return; // an empty dvc.yaml has no stages
    if (!isMap(top)) this.fail(`'${this.relPath}' must be a mapping of 'stages:' and other top-level keys`, top);
    for (const pair of top.items) {
      const key = keyOf(pair);
      if (!TOP_KEYS.includes(key)) this.recover(() => this.unknownKey(`extra key '${key}' not allowed`, key, pair.key, TOP_KEYS, 'Allowed top-level keys'), undefined);
    }
    const context = new InterpolationContext();
    const varsLoaded = await this.guard(async () => {
      await this.loadDefaultParams(context, this.dir);
      const varsNode = top.get('vars', true);
      if (varsNode !== undefined) await this.loadVars(context, varsNode, this.dir, '', 'vars');
      return true;
    }, false);
    if (!varsLoaded) this.varsIncomplete = true;

    const stagesNode = top.get('stages', true);
    if (stagesNode !== undefined && !(isScalar(stagesNode) && stagesNode.value === null)) {
      if (!isMap(stagesNode)) this.fail(`'stages' must be a mapping of stage names to definitions`, stagesNode);
      const names = new Set<string>();
      for (const pair of stagesNode.items) {
        const name = keyOf(pair);
        const loaded = await this.guard(async () => {
          const generated = await this.loadDefinition(context, name, pair);
          this.file.definitions[name] = { range: this.range(pair.value), nameRange: this.range(pair.key), generated: generated.map((s) => s.name) };
          for (const s of generated) {
            if (names.has(s.name)) this.fail(`duplicate stage name '${s.name}'`, pair.key, 'Stage names must be unique in a dvc.yaml.');
            names.add(s.name);
            this.file.stages.push(s);
          }
          return true;
        }, false);
        if (!loaded) this.file.unresolvedOutputs.push(name);
      }
    }
    await this.guard(() => this.loadTopLevel(context, top), undefined);
  }

  // ---- context ------------------------------------------------------------------------------

  private async readParams(repoPath: string, node: unknown): Promise<Record<string, ParamValue>> {
    if (!this.paramsCache.has(repoPath)) {
      const text = await this.source.read(repoPath);
      let data: Record<string, ParamValue> | undefined;
      if (text !== undefined) {
        try {
          data = parseParamsText(text, repoPath);
        } catch (err) {
          if (err instanceof CairnError) {
            throw new CairnError(err.code, `${err.message} (read for '${this.relPath}')`, { file: err.file, line: err.line, hint: err.hint });
          }
          throw err;
        }
      }
      this.paramsCache.set(repoPath, data);
    }
    const data = this.paramsCache.get(repoPath);
    if (!data) this.fail(`failed to parse 'vars': '${repoPath}' does not exist`, node, 'Create the file, or fix its name under `vars:`.');
    return data;
  }

  private async loadDefaultParams(context: InterpolationContext, wdir: string): Promise<void> {
    const p = repoPathOf(wdir, DEFAULT_PARAMS_FILE)!;
    const text = await this.source.read(p);
    if (text === undefined) return;
    const data = await this.readParams(p, undefined);
    context.mergeFile(p, DEFAULT_PARAMS_FILE, null, () => data);
    if (!this.file.varsFiles.includes(p)) this.file.varsFiles.push(p);
  }

  /** Merge a `vars:` list (top level or a stage's) into the context; files resolve against `wdir`. */
  private async loadVars(context: InterpolationContext, node: unknown, wdir: string, stageName: string, where: string): Promise<void> {
    if (!isSeq(node)) this.fail(`'${where}' must be a list of files and mappings`, node);
    for (const [index, item] of node.items.entries()) {
      const inner = yamlNodeValue(item, this.text);
      if (containsInterpolation(inner)) this.fail(`failed to parse '${where}': interpolating is not allowed`, item, 'Write literal values or file names under `vars:`.');
      try {
        if (typeof inner === 'string') {
          const colon = inner.indexOf(':');
          const fileName = colon < 0 ? inner : inner.slice(0, colon);
          const keys = colon < 0 ? null : inner.slice(colon + 1).split(',').filter(Boolean);
          const repoPath = repoPathOf(wdir, fileName);
          if (repoPath === undefined) this.fail(`failed to parse '${where}': '${fileName}' is outside the repository`, item);
          const data = await this.readParams(repoPath, item);
          context.mergeFile(repoPath, inner, keys && keys.length ? keys : null, () => data);
          if (!this.file.varsFiles.includes(repoPath)) this.file.varsFiles.push(repoPath);
        } else if (isPlainObject(inner)) {
          context.merge(inner, `${stageName}${stageName ? '.' : ''}vars[${index}]`);
        } else {
          this.fail(`'${where}' entries must be file names or mappings`, item);
        }
      } catch (err) {
        if (err instanceof ContextError) this.fail(`failed to parse '${where}': ${err.message}`, item, 'Each name may be defined once across params.yaml and `vars`.');
        throw err;
      }
    }
  }

  // ---- resolution ---------------------------------------------------------------------------

  /** Resolve `${}` in a YAML node (keys too), recording each expression's range. */
  resolveNode(node: unknown, ctx: InterpolationContext, key: string | undefined, where: string, out?: Interpolation[]): ParamValue {
    if (node === null || node === undefined) return null;
    if (isMap(node)) {
      const result: Record<string, ParamValue> = {};
      for (const pair of node.items) {
        const k = isScalar(pair.key) && typeof pair.key.value === 'string' ? this.resolveScalar(pair.key as Scalar<string>, ctx, key, where, out) : keyOf(pair);
        result[typeof k === 'string' ? k : pyStr(k)] = this.resolveNode(pair.value, ctx, key, where, out);
      }
      return result;
    }
    if (isSeq(node)) return node.items.map((n) => this.resolveNode(n, ctx, key, where, out));
    if (isScalar(node) && typeof node.value === 'string') return this.resolveScalar(node as Scalar<string>, ctx, key, where, out);
    return yamlNodeValue(node, this.text);
  }

  private resolveScalar(node: Scalar<string>, ctx: InterpolationContext, key: string | undefined, where: string, out?: Interpolation[]): ParamValue {
    const s = node.value;
    if (!s.includes('${')) return s;
    const raw = node.range ? this.text.slice(node.range[0], node.range[1]) : '';
    let searchFrom = 0;
    try {
      return resolveString(s, ctx, key, this.options.parsing, (e) => {
        if (!out || !node.range) return;
        const needle = s.slice(e.start, e.end);
        const at = raw.indexOf(needle, searchFrom);
        const start = node.range[0] + (at < 0 ? 0 : at);
        const end = at < 0 ? node.range[1] : start + needle.length;
        if (at >= 0) searchFrom = at + needle.length;
        const sp = this.lineCounter.linePos(start);
        const ep = this.lineCounter.linePos(end);
        out.push({ expression: e.inner, key: e.key, value: e.value, definedIn: e.definedIn, range: { file: this.relPath, start: { line: sp.line, col: sp.col }, end: { line: ep.line, col: ep.col } } });
      });
    } catch (err) {
      if (err instanceof ContextError) {
        const suggestion = err.suggestion;
        this.fail(`failed to parse '${where}': ${err.message}`, node, suggestion ? `Did you mean '${suggestion.to}'?` : hintFor(err.message), suggestion);
      }
      throw err;
    }
  }

  // ---- stages -------------------------------------------------------------------------------

  private async loadDefinition(context: InterpolationContext, name: string, pair: Pair): Promise<Stage[]> {
    const def = pair.value;
    if (!isMap(def)) this.fail(`stage '${name}' must be a mapping with a 'cmd:'`, def ?? pair.key);
    if (def.has('matrix')) return this.loadMatrix(context, name, pair, def);
    if (def.has('foreach') || def.has('do')) return this.loadForeach(context, name, pair, def);
    this.checkStageCount(1, name, pair.key);
    return [await this.loadStage(context, name, name, pair, def, undefined)];
  }

  private async loadForeach(context: InterpolationContext, name: string, pair: Pair, def: YAMLMap): Promise<Stage[]> {
    for (const p of def.items) {
      const k = keyOf(p);
      if (k !== 'foreach' && k !== 'do') this.fail(`extra key '${k}' not allowed in foreach stage '${name}'`, p.key, 'A foreach stage has only `foreach:` and `do:`; put the rest under `do:`.');
    }
    const foreachNode = def.get('foreach', true);
    const doNode = def.get('do', true);
    if (foreachNode === undefined) this.fail(`stage '${name}' has 'do' without 'foreach'`, def);
    if (!isMap(doNode)) this.fail(`'stages.${name}.do' must be a stage definition`, doNode ?? def);
    const iterable = this.resolveNode(foreachNode, context, undefined, `stages.${name}.foreach`);
    let entries: [string, ParamValue][];
    if (Array.isArray(iterable)) {
      const composite = iterable.some((v) => Array.isArray(v) || isPlainObject(v));
      entries = iterable.map((v, i) => [composite ? String(i) : pyStr(v), v]);
    } else if (isPlainObject(iterable)) {
      entries = Object.entries(iterable);
    } else {
      this.fail(`failed to resolve 'stages.${name}.foreach': expected list/dictionary, got ${iterable === null ? 'NoneType' : typeof iterable === 'number' ? 'int' : typeof iterable}`, foreachNode);
    }
    this.checkStageCount(entries.length, name, foreachNode);
    const isDict = isPlainObject(iterable);
    const stages: Stage[] = [];
    for (const [key, item] of entries) {
      const temp: Record<string, ParamValue> = isDict ? { item, key } : { item };
      const generated = `${name}@${key}`;
      stages.push(await withTemporaryAsync(context, temp, () => this.loadStage(context, generated, name, pair, doNode, { name, key, kind: 'foreach' })));
    }
    return stages;
  }

  private async loadMatrix(context: InterpolationContext, name: string, pair: Pair, def: YAMLMap): Promise<Stage[]> {
    const matrixNode = def.get('matrix', true);
    const matrix = this.resolveNode(matrixNode, context, undefined, `stages.${name}.matrix`);
    if (!isPlainObject(matrix)) this.fail(`'stages.${name}.matrix' must be a mapping of names to lists`, matrixNode);
    const dims = Object.entries(matrix).map(([k, v]) => {
      if (!Array.isArray(v)) this.fail(`'stages.${name}.matrix.${k}' must be a list`, matrixNode);
      return [k, v] as [string, ParamValue[]];
    });
    // Counted before generating: a 10-value x 9-key matrix is refused at once, not after 10^9 stages.
    this.checkStageCount(dims.length === 0 ? 0 : dims.reduce((n, [, values]) => n * values.length, 1), name, matrixNode);
    const template = new YAMLMap();
    template.range = def.range;
    template.items = def.items.filter((p) => keyOf(p) !== 'matrix');
    const stages: Stage[] = [];
    let combos: { item: Record<string, ParamValue>; fragments: string[] }[] = [{ item: {}, fragments: [] }];
    for (const [k, values] of dims) {
      const next: typeof combos = [];
      for (const c of combos) {
        values.forEach((v, i) => next.push({ item: { ...c.item, [k]: v }, fragments: [...c.fragments, Array.isArray(v) || isPlainObject(v) ? `${k}${i}` : pyStr(v)] }));
      }
      combos = next;
    }
    if (dims.length === 0) combos = [];
    for (const c of combos) {
      const key = c.fragments.join('-');
      stages.push(await withTemporaryAsync(context, { key, item: c.item }, () => this.loadStage(context, `${name}@${key}`, name, pair, template, { name, key, kind: 'matrix' })));
    }
    return stages;
  }

  /** `added` more stages for definition `name` within `stagesPerFile`, else LIMIT_EXCEEDED. */
  private checkStageCount(added: number, name: string, node: unknown): void {
    const limit = PIPELINE_LIMITS.stagesPerFile;
    if (this.file.stages.length + added <= limit) return;
    throw limitExceeded(`stage '${name}' brings the stages of '${this.relPath}' to ${count(this.file.stages.length + added)}`, `${count(limit)} stages per dvc.yaml (foreach/matrix stages counted)`, { file: this.relPath, line: this.lineOf(node) }, 'Generate fewer (a smaller foreach list or matrix), or split the pipeline into several dvc.yaml files.');
  }

  private async loadStage(
    outer: InterpolationContext,
    name: string,
    definitionName: string,
    pair: Pair,
    def: YAMLMap,
    generatedFrom: Stage['generatedFrom'],
  ): Promise<Stage> {
    const where = (k: string) => `stages.${name}.${k}`;
    const keyRanges: Record<string, SourceRange> = {};
    for (const p of def.items) {
      const k = keyOf(p);
      if (!STAGE_KEYS.includes(k)) {
        this.recover(() => this.unknownKey(`extra key '${k}' not allowed in stage '${definitionName}'`, k, p.key, STAGE_KEYS, 'Allowed stage keys'), undefined);
        continue;
      }
      const r = this.range(p.key);
      if (r) keyRanges[k] = r;
    }
    const interpolations: Interpolation[] = [];
    let wdir = this.dir;
    let wdirAsWritten: string | undefined;
    const wdirNode = def.get('wdir', true);
    if (wdirNode !== undefined && !(isScalar(wdirNode) && (wdirNode.value === null || wdirNode.value === ''))) {
      const v = this.resolveNode(wdirNode, outer, undefined, where('wdir'), interpolations);
      if (typeof v !== 'string') this.fail(`'${where('wdir')}' must be a string`, wdirNode);
      wdirAsWritten = valueToString(v);
      const joined = repoPathOf(this.dir, wdirAsWritten);
      if (joined === undefined) this.fail(`'${where('wdir')}' is outside the repository`, wdirNode, 'A stage runs inside the repository.');
      wdir = joined;
    }
    let ctx = outer;
    const varsNode = def.get('vars', true);
    if (varsNode !== undefined) {
      ctx = outer.clone();
      await this.loadVars(ctx, varsNode, wdir, name, where('vars'));
    }
    const resolve = (k: string): { value: ParamValue; node: unknown } | undefined => {
      const node = def.get(k, true);
      if (node === undefined) return undefined;
      return { value: this.resolveNode(node, ctx, k, where(k), interpolations), node };
    };

    const isCommand = (v: ParamValue): v is string | string[] => typeof v === 'string' || (Array.isArray(v) && v.every((c) => typeof c === 'string'));
    // A command that does not resolve is kept as written (lenient mode): the stage's other fields are still checked.
    const written = yamlNodeValue(def.get('cmd', true), this.text);
    const cmd = this.recover(() => {
      const r = resolve('cmd');
      if (!r) this.fail(`stage '${name}' has no 'cmd'`, pair.key, 'Every stage needs a `cmd:` to run.');
      if (!isCommand(r.value)) this.fail(`'${where('cmd')}' must be a string or a list of strings`, r.node);
      return r.value;
    }, isCommand(written) ? written : '');
    const stage: Stage = {
      name,
      addr: this.dir ? `${this.relPath}:${name}` : name,
      file: this.relPath,
      dir: this.dir,
      wdir,
      wdirAsWritten,
      cmd,
      deps: [],
      params: [],
      outs: [],
      frozen: false,
      alwaysChanged: false,
      generatedFrom,
      range: this.range(pair.value),
      nameRange: this.range(pair.key),
      keyRanges,
      interpolations,
    };
    // Each field on its own: in lenient mode one that fails is recorded and left out, the others load.
    this.recover(() => {
      const deps = resolve('deps');
      if (deps && deps.value !== null) stage.deps = this.deps(deps.value, deps.node, wdir, where('deps'));
    }, undefined);
    this.recover(() => {
      const params = resolve('params');
      if (params && params.value !== null) stage.params = this.params(params.value, params.node, wdir, where('params'));
    }, undefined);
    for (const kind of ['outs', 'metrics', 'plots'] as OutKind[]) {
      const resolved = this.recover(() => {
        const r = resolve(kind);
        if (r && r.value !== null) stage.outs.push(...this.outs(r.value, r.node, wdir, kind, where(kind)));
        return true;
      }, false);
      if (!resolved && !this.file.unresolvedOutputs.includes(definitionName)) this.file.unresolvedOutputs.push(definitionName);
    }
    for (const [k, field] of [['frozen', 'frozen'], ['always_changed', 'alwaysChanged']] as const) {
      this.recover(() => {
        const r = resolve(k);
        if (r) {
          if (typeof r.value !== 'boolean') this.fail(`'${where(k)}' must be true or false`, r.node);
          stage[field] = r.value;
        }
      }, undefined);
    }
    this.recover(() => {
      const desc = resolve('desc');
      if (desc) {
        if (typeof desc.value !== 'string') this.fail(`'${where('desc')}' must be a string`, desc.node);
        stage.desc = desc.value;
      }
    }, undefined);
    const meta = this.recover(() => resolve('meta'), undefined);
    if (meta) stage.meta = meta.value;
    return stage;
  }

  private listOf(value: ParamValue, node: unknown, where: string): { value: ParamValue; node: unknown }[] {
    if (!Array.isArray(value)) this.fail(`'${where}' must be a list`, node);
    const items = isSeq(node) ? node.items : [];
    return value.map((v, i) => ({ value: v, node: items[i] ?? node }));
  }

  private deps(value: ParamValue, node: unknown, wdir: string, where: string): StageDep[] {
    return this.listOf(value, node, where).map(({ value: v, node: n }) => {
      if (typeof v !== 'string' || v === '') this.fail(`'${where}' entries must be paths`, n);
      return { path: v, repoPath: repoPathOf(wdir, v), range: this.range(n) };
    });
  }

  private params(value: ParamValue, node: unknown, wdir: string, where: string): StageParamDep[] {
    const byFile = new Map<string, StageParamDep>();
    const fileDep = (file: string, n: unknown) => {
      let dep = byFile.get(file);
      if (!dep) {
        const repoPath = repoPathOf(wdir, file);
        if (repoPath === undefined) this.fail(`params file '${file}' is outside the repository`, n);
        dep = { file, repoPath, keys: [], entries: [] };
        byFile.set(file, dep);
      }
      return dep;
    };
    for (const { value: v, node: n } of this.listOf(value, node, where)) {
      if (typeof v === 'string') {
        const dep = fileDep(DEFAULT_PARAMS_FILE, n);
        if (dep.keys && !dep.keys.includes(v)) dep.keys.push(v);
        dep.entries.push({ key: v, range: this.range(n) });
      } else if (isPlainObject(v)) {
        const entryPairs = isMap(n) ? n.items : [];
        for (const [i, [file, keys]] of Object.entries(v).entries()) {
          const pairNode = entryPairs[i];
          const dep = fileDep(file, pairNode?.key ?? n);
          if (keys === null || (Array.isArray(keys) && keys.length === 0)) {
            dep.keys = null;
            dep.entries.push({ key: null, range: this.range(pairNode?.key ?? n) });
          } else if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) {
            const keyNodes = isSeq(pairNode?.value) ? (pairNode!.value as YAMLSeq).items : [];
            (keys as string[]).forEach((k, j) => {
              if (dep.keys && !dep.keys.includes(k)) dep.keys.push(k);
              dep.entries.push({ key: k, range: this.range(keyNodes[j] ?? pairNode?.key ?? n) });
            });
          } else {
            this.fail(`'${where}': '${file}' must list keys, or be empty for the whole file`, pairNode?.value ?? n);
          }
        }
      } else {
        this.fail(`'${where}' entries must be keys of params.yaml or '{file: [keys]}'`, n);
      }
    }
    return [...byFile.values()];
  }

  private outs(value: ParamValue, node: unknown, wdir: string, kind: OutKind, where: string): StageOut[] {
    const result: StageOut[] = [];
    const allowed = kind === 'plots' ? [...OUT_OPTIONS, ...PLOT_OPTIONS] : OUT_OPTIONS;
    for (const { value: v, node: n } of this.listOf(value, node, where)) {
      const entries: [string, ParamValue, unknown][] = [];
      if (typeof v === 'string') entries.push([v, null, n]);
      else if (isPlainObject(v)) {
        const pairs = isMap(n) ? n.items : [];
        Object.entries(v).forEach(([p, opts], i) => entries.push([p, opts, pairs[i] ?? n]));
      } else this.fail(`'${where}' entries must be paths or '{path: {options}}'`, n);
      for (const [p, rawOpts, pn] of entries) {
        if (p === '') this.fail(`'${where}' has an empty path`, pn);
        const repoPath = repoPathOf(wdir, p);
        if (repoPath === undefined || repoPath === '') {
          throw new CairnError('PATH_OUTSIDE_REPO', `output '${p}' is outside the repository`, { file: this.relPath, line: this.lineOf(pn), hint: 'Outputs must live inside the repository.' });
        }
        const unsafe = outputPathProblem(FS_ROOT, path.resolve(FS_ROOT, repoPath));
        if (unsafe) throw new CairnError('UNSAFE_PATH', `output '${p}' ${unsafe}`, { file: this.relPath, line: this.lineOf(pn), hint: 'Write outputs outside .git/ and .dvc/; if this file came from someone else, do not trust it.' });
        const optsNode = (pn as Pair)?.value;
        let opts: Record<string, ParamValue> = {};
        if (Array.isArray(rawOpts) && kind === 'plots') opts = (rawOpts.find(isPlainObject) as Record<string, ParamValue>) ?? {};
        else if (rawOpts !== null) {
          if (!isPlainObject(rawOpts)) this.fail(`options of '${p}' must be a mapping`, optsNode ?? pn);
          opts = rawOpts;
        }
        const optPairs = isMap(optsNode) ? optsNode.items : [];
        const optNode = (k: string) => optPairs.find((x) => keyOf(x) === k)?.value ?? optsNode ?? pn;
        for (const k of Object.keys(opts)) {
          if (!allowed.includes(k)) this.unknownKey(`extra key '${k}' not allowed in options of '${p}'`, k, optPairs.find((x) => keyOf(x) === k)?.key ?? pn, allowed, 'Allowed');
        }
        const bool = (k: string, dflt: boolean) => {
          if (opts[k] === undefined) return dflt;
          if (typeof opts[k] !== 'boolean') this.fail(`'${k}' of '${p}' must be true or false`, optNode(k));
          return opts[k] as boolean;
        };
        const str = (k: string) => {
          if (opts[k] === undefined) return undefined;
          if (typeof opts[k] !== 'string') this.fail(`'${k}' of '${p}' must be a string`, optNode(k));
          return opts[k] as string;
        };
        let labels: string[] | undefined;
        if (opts.labels !== undefined) {
          if (!Array.isArray(opts.labels) || !opts.labels.every((l) => typeof l === 'string')) this.fail(`'labels' of '${p}' must be a list of strings`, optNode('labels'));
          labels = opts.labels as string[];
        }
        const out: StageOut = {
          path: p,
          repoPath,
          kind,
          cache: bool('cache', true),
          persist: bool('persist', false),
          push: bool('push', true),
          remote: str('remote'),
          desc: str('desc'),
          type: str('type'),
          labels,
          meta: opts.meta,
          options: opts,
          range: this.range(typeof v === 'string' ? n : (pn as Pair)?.key ?? n),
        };
        bool('checkpoint', false);
        if (kind === 'plots') {
          const plot: Record<string, ParamValue> = {};
          for (const [k, x] of Object.entries(opts)) if (PLOT_OPTIONS.includes(k)) plot[k] = x;
          if (Object.keys(plot).length) out.plot = plot;
        }
        result.push(out);
      }
    }
    return result;
  }

  // ---- top level ----------------------------------------------------------------------------

  private async loadTopLevel(context: InterpolationContext, top: YAMLMap): Promise<void> {
    const pathList = (key: 'params' | 'metrics'): TopPath[] => {
      const node = top.get(key, true);
      if (node === undefined || (isScalar(node) && node.value === null)) return [];
      const value = this.resolveNode(node, context, key, key);
      return this.listOf(value, node, key).map(({ value: v, node: n }) => {
        if (typeof v !== 'string') this.fail(`'${key}' entries must be paths`, n);
        const repoPath = repoPathOf(this.dir, v);
        if (repoPath === undefined) this.fail(`'${key}' entry '${v}' is outside the repository`, n);
        return { path: v, repoPath, range: this.range(n) };
      });
    };
    this.file.params = pathList('params');
    this.file.metrics = pathList('metrics');
    const plotsNode = top.get('plots', true);
    if (plotsNode !== undefined && !(isScalar(plotsNode) && plotsNode.value === null)) {
      const value = this.resolveNode(plotsNode, context, 'plots', 'plots');
      for (const { value: v, node: n } of this.listOf(value, plotsNode, 'plots')) {
        if (typeof v === 'string') {
          this.file.plots.push({ id: v, props: null, repoPaths: [repoPathOf(this.dir, v)].filter((x): x is string => x !== undefined), range: this.range(n) });
        } else if (isPlainObject(v)) {
          for (const [id, props] of Object.entries(v)) {
            if (props !== null && !isPlainObject(props)) this.fail(`plot '${id}' must have a mapping of properties`, n);
            const y = props?.y;
            const files = isPlainObject(y) ? Object.keys(y) : [id];
            const xf = isPlainObject(props?.x) ? Object.keys(props!.x as object) : [];
            const repoPaths = [...new Set([...files, ...xf])].map((f) => repoPathOf(this.dir, f)).filter((x): x is string => x !== undefined);
            this.file.plots.push({ id, props: (props as Record<string, ParamValue>) ?? null, repoPaths, range: this.range(n) });
          }
        } else this.fail(`'plots' entries must be paths or '{id: {properties}}'`, n);
      }
    }
    const artifactsNode = top.get('artifacts', true);
    if (artifactsNode !== undefined && !(isScalar(artifactsNode) && artifactsNode.value === null)) {
      if (!isMap(artifactsNode)) this.fail(`'artifacts' must be a mapping of names to {path, type, desc, labels, meta}`, artifactsNode);
      for (const pair of artifactsNode.items) {
        const name = keyOf(pair);
        const v = this.resolveNode(pair.value, context, 'artifacts', `artifacts.${name}`);
        if (!isPlainObject(v)) this.fail(`artifact '${name}' must be a mapping with a 'path:'`, pair.value ?? pair.key);
        for (const k of Object.keys(v)) if (!ARTIFACT_KEYS.includes(k)) this.fail(`extra key '${k}' not allowed in artifact '${name}'`, pair.value, `Allowed: ${ARTIFACT_KEYS.join(', ')}.`);
        if (typeof v.path !== 'string') this.fail(`artifact '${name}' has no 'path'`, pair.value ?? pair.key);
        const artifact: Artifact = { name, path: v.path, repoPath: repoPathOf(this.dir, v.path), range: this.range(pair.key) };
        if (typeof v.type === 'string') artifact.type = v.type;
        if (typeof v.desc === 'string') artifact.desc = v.desc;
        if (Array.isArray(v.labels)) artifact.labels = v.labels.map(String);
        if (v.meta !== undefined) artifact.meta = v.meta;
        this.file.artifacts.push(artifact);
      }
    }
  }
}

async function withTemporaryAsync<T>(ctx: InterpolationContext, values: Record<string, ParamValue>, fn: () => Promise<T>): Promise<T> {
  const restore = ctx.pushTemporary(values);
  try {
    return await fn();
  } finally {
    restore();
  }
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  if (isScalar(k)) return k.value === null ? '' : String(k.value);
  return String(k);
}

function containsInterpolation(v: ParamValue): boolean {
  if (typeof v === 'string') return findExpressions(v).length > 0;
  if (Array.isArray(v)) return v.some(containsInterpolation);
  if (isPlainObject(v)) return Object.entries(v).some(([k, x]) => findExpressions(k).length > 0 || containsInterpolation(x));
  return false;
}

function hintFor(message: string): string {
  if (message.startsWith('Could not find')) return 'Define it in params.yaml or under `vars:`.';
  if (message.startsWith('Cannot interpolate')) return 'Only strings, numbers and booleans interpolate (dicts only into `cmd`).';
  return 'Fix the expression.';
}

export type { YamlNode };
