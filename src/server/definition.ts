import * as fs from 'node:fs';
import * as path from 'node:path';
import { Location, Position, Range } from 'vscode-languageserver';
import { pathToFileURL } from 'node:url';
import type { ParamsFiles } from './paramsFile';
import type { Loaded } from './semanticDiagnostics';
import { toRange } from './semanticDiagnostics';
import { interpolationAt, stageAt } from './hover';
import { lookupPath } from './interpolation';
import { DEFAULT_PARAMS_FILE, PipelineVariables } from './variables';
import type { YamlText } from './yamlText';

export interface DefinitionInput {
  yaml: YamlText;
  file: string;
  position: Position;
  params: ParamsFiles;
  loaded?: Loaded;
}

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Go to definition in a dvc.yaml: a `${}` to its variable, a params key to its line in the
 * params file, a dep to the output of the stage writing it (or to the file itself).
 */
export function definition(input: DefinitionInput): Location[] {
  const { yaml, position } = input;
  const interpolation = interpolationAt(yaml, position);
  if (interpolation) {
    const r = new PipelineVariables(yaml, input.file, input.params).scope(stageAt(yaml, position)).resolve(interpolation.expr);
    return r.where ? [loc(r.where.file, r.where.range)] : [];
  }
  const at = yaml.scalarAt(yaml.offset(position));
  if (!at || at.path[0] !== 'stages' || typeof at.path[1] !== 'string') return [];
  const stage = at.path[1];
  const rest = at.path.slice(at.path[2] === 'do' ? 3 : 2);
  if (rest[0] === 'params') {
    // `- key` (params.yaml), `- file.yaml:` (the file), `- file.yaml: [key]`.
    if (at.isKey && rest.length === 3) return [loc(path.resolve(stageDir(yaml, input.file, stage), String(rest[2])), START)];
    const file = rest.length === 4 ? path.resolve(stageDir(yaml, input.file, stage), String(rest[2])) : stageParamsFile(yaml, input.file, stage);
    const key = input.params.get(file)?.keys.get(String(at.scalar.value));
    return key ? [loc(file, key.range)] : [];
  }
  if (rest[0] === 'deps' && typeof at.scalar.value === 'string') {
    const dep = at.scalar.value;
    const abs = path.resolve(stageDir(yaml, input.file, stage), dep);
    const producer = stageProducing(yaml, dep, stageDir(yaml, input.file, stage), input.file);
    if (producer) return [loc(input.file, producer.range)];
    // An output of a stage in another dvc.yaml of the repository.
    if (input.loaded) {
      const repoPath = path.relative(input.loaded.root, abs).split(path.sep).join('/');
      for (const s of input.loaded.pipelines.stages) {
        const out = s.outs.find((o) => o.repoPath === repoPath || repoPath.startsWith(o.repoPath + '/'));
        if (out?.range && s.file !== input.loaded.relFile) return [loc(path.join(input.loaded.root, s.file), toRange(yaml, out.range))];
      }
    }
    if (fs.existsSync(abs)) return [loc(abs, START)];
  }
  return [];
}

function loc(file: string, range: Range): Location {
  return { uri: pathToFileURL(file).href, range };
}

/** The folder a stage's paths are relative to: the dvc.yaml's, or its `wdir`. */
export function stageDir(yaml: YamlText, file: string, stage: string): string {
  const def = lookupPath(yaml.value, ['stages', stage]).value as Record<string, unknown> | undefined;
  const body = (def?.do ?? def) as Record<string, unknown> | undefined;
  const base = path.dirname(file);
  return typeof body?.wdir === 'string' && !body.wdir.includes('${') ? path.resolve(base, body.wdir) : base;
}

/** The params file a stage's plain keys come from. */
export function stageParamsFile(yaml: YamlText, file: string, stage: string): string {
  return path.join(stageDir(yaml, file, stage), DEFAULT_PARAMS_FILE);
}

/**
 * The stage of this document whose output is `dep` (or a folder holding it), and the range of
 * that output. `depDir` is the folder `dep` is relative to; `file` the dvc.yaml.
 */
export function stageProducing(yaml: YamlText, dep: string, depDir?: string, file?: string): { stage: string; range: Range } | undefined {
  const stages = lookupPath(yaml.value, ['stages']).value;
  if (!stages || typeof stages !== 'object') return undefined;
  const base = file ? path.dirname(file) : '/';
  const target = path.resolve(depDir ?? base, dep);
  for (const [name, def] of Object.entries(stages as Record<string, Record<string, unknown>>)) {
    const isDo = !!def && typeof def === 'object' && typeof def.do === 'object';
    const body = (isDo ? def.do : def) as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') continue;
    const dir = typeof body.wdir === 'string' ? path.resolve(base, body.wdir) : base;
    for (const field of ['outs', 'metrics', 'plots']) {
      const list = body[field];
      if (!Array.isArray(list)) continue;
      for (let i = 0; i < list.length; i++) {
        const o = list[i];
        const p = typeof o === 'string' ? o : o && typeof o === 'object' ? Object.keys(o)[0] : undefined;
        if (!p || p.includes('${')) continue;
        const out = path.resolve(dir, p);
        if (target === out || target.startsWith(out + path.sep)) {
          const nodePath = ['stages', name, ...(isDo ? ['do'] : []), field, i];
          const at = yaml.locate(typeof o === 'string' ? nodePath : [...nodePath, p]);
          const range = typeof o === 'string' ? yaml.nodeRange(at.node) : at.pair ? yaml.nodeRange(at.pair.key as never) : undefined;
          return { stage: name, range: range ?? yaml.keyOrNodeRange(['stages', name]) };
        }
      }
    }
  }
  return undefined;
}
