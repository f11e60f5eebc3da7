import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML, { isMap } from 'yaml';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import { dumpLockYaml } from './lockYaml';
import { comparePaths } from './lockFile';
import { DEFAULT_PARAMS_FILE } from './paramsFile';
import type { ParamValue } from './values';

export interface StageAddOptions {
  cwd: string;
  name: string;
  cmd: string;
  deps?: string[];
  /** `a,b` (params.yaml keys) or `file.yaml:a,b`, or `file.yaml:` for the whole file. */
  params?: string[];
  outs?: string[];
  outsNoCache?: string[];
  outsPersist?: string[];
  metrics?: string[];
  metricsNoCache?: string[];
  plots?: string[];
  plotsNoCache?: string[];
  wdir?: string;
  desc?: string;
  alwaysChanged?: boolean;
  /** Replace a stage of the same name. */
  force?: boolean;
}

/** `dvc stage add`: write a stage into the dvc.yaml of the current folder, as DVC lays it out. */
export async function stageAdd(repo: Repo, options: StageAddOptions): Promise<{ file: string }> {
  if (!options.name || /[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/.test(options.name)) {
    throw new CairnError('USAGE', `invalid stage name '${options.name}'`, { hint: "Use letters, digits, '-' and '_'." });
  }
  if (!options.cmd) throw new CairnError('USAGE', 'a command to run is required', { hint: 'e.g. `cairn stage add -n train -d train.py -o model.pkl python train.py`.' });
  const file = path.join(repo.resolveInside('.', options.cwd) === repo.root ? repo.root : options.cwd, 'dvc.yaml');
  const rel = repo.rel(file);
  const def: Record<string, ParamValue> = {};
  if (options.desc) def.desc = options.desc;
  def.cmd = options.cmd;
  if (options.wdir && options.wdir !== '.') def.wdir = options.wdir;
  const sorted = (xs: string[] | undefined) => [...(xs ?? [])].sort(comparePaths);
  if (options.deps?.length) def.deps = sorted(options.deps);
  const params = paramsKeys(options.params ?? []);
  if (params.length) def.params = params;
  const outsOf = (plain?: string[], noCache?: string[], persist?: string[]) => {
    const items: [string, ParamValue][] = [
      ...(plain ?? []).map((p): [string, ParamValue] => [p, p]),
      ...(noCache ?? []).map((p): [string, ParamValue] => [p, { [p]: { cache: false } }]),
      ...(persist ?? []).map((p): [string, ParamValue] => [p, { [p]: { persist: true } }]),
    ];
    return items.sort((a, b) => comparePaths(a[0], b[0])).map((x) => x[1]);
  };
  // Outputs are refused before anything is written: none may leave the repository or lie in .git/ or .dvc/.
  const outputBase = path.resolve(path.dirname(file), options.wdir ?? '.');
  for (const p of [options.outs, options.outsNoCache, options.outsPersist, options.metrics, options.metricsNoCache, options.plots, options.plotsNoCache].flat()) {
    if (p !== undefined) repo.resolveOutput(p, outputBase);
  }
  const outs = outsOf(options.outs, options.outsNoCache, options.outsPersist);
  if (outs.length) def.outs = outs;
  const metrics = outsOf(options.metrics, options.metricsNoCache);
  if (metrics.length) def.metrics = metrics;
  const plots = outsOf(options.plots, options.plotsNoCache);
  if (plots.length) def.plots = plots;
  if (options.alwaysChanged) def.always_changed = true;

  let text: string | undefined;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    text = undefined;
  }
  const block = dumpLockYaml({ [options.name]: def }).replace(/^/gm, '  ').replace(/ +$/gm, '');
  if (text === undefined || text.trim() === '') {
    await writeFileAtomic(file, `stages:\n${block}`);
    return { file: rel };
  }
  const doc = YAML.parseDocument(text);
  const top = doc.contents;
  if (doc.errors.length || !isMap(top)) throw new CairnError('BAD_FILE', 'cannot add a stage: the file is not a valid pipeline', { file: rel, hint: 'Fix it first (`cairn status` shows where).' });
  const stages = top.get('stages', true);
  if (isMap(stages) && stages.has(options.name)) {
    if (!options.force) throw new CairnError('USAGE', `stage '${options.name}' already exists`, { file: rel, hint: 'Use -f|--force to overwrite it.' });
    stages.set(options.name, doc.createNode(def));
    await writeFileAtomic(file, doc.toString({ lineWidth: 0, indentSeq: false }));
    return { file: rel };
  }
  const lastKey = top.items[top.items.length - 1];
  const stagesIsLast = isMap(stages) && lastKey && (lastKey.key as { value?: unknown }).value === 'stages';
  if (stagesIsLast) {
    await writeFileAtomic(file, `${text}${text.endsWith('\n') ? '' : '\n'}${block}`);
  } else if (!stages) {
    await writeFileAtomic(file, `${text}${text.endsWith('\n') ? '' : '\n'}stages:\n${block}`);
  } else {
    (stages as unknown as YAML.YAMLMap).set(options.name, doc.createNode(def));
    await writeFileAtomic(file, doc.toString({ lineWidth: 0, indentSeq: false }));
  }
  return { file: rel };
}

/** `-p` values as DVC writes them: params.yaml keys first (sorted), then `{file: [keys]}` by file name. */
export function paramsKeys(specs: string[]): ParamValue[] {
  const byFile = new Map<string, string[] | null>();
  for (const spec of specs) {
    const colon = spec.lastIndexOf(':');
    const file = colon < 0 ? DEFAULT_PARAMS_FILE : spec.slice(0, colon);
    const keys = (colon < 0 ? spec : spec.slice(colon + 1)).split(',').filter(Boolean);
    const known = byFile.get(file);
    if (keys.length === 0) byFile.set(file, known ?? []);
    else byFile.set(file, [...(known ?? []), ...keys.filter((k) => !(known ?? []).includes(k))]);
  }
  const out: ParamValue[] = [];
  const defaults = byFile.get(DEFAULT_PARAMS_FILE);
  if (defaults?.length) out.push(...[...defaults].sort());
  for (const file of [...byFile.keys()].sort()) {
    const keys = byFile.get(file)!;
    if (file === DEFAULT_PARAMS_FILE && keys.length) continue;
    out.push({ [file]: keys.length ? [...keys].sort() : null });
  }
  return out;
}
