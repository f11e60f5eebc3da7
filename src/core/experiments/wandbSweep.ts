import { isMap, isScalar, isSeq, LineCounter, Node as YamlNode, YAMLMap } from 'yaml';
import { CairnError } from '../errors';
import { nearestName } from '../nearestName';
import { readRepoFile } from '../repo/readRepoFile';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { ParamValue, PyFloat, yamlNodeValue } from '../pipeline/values';
import { parseSetParams } from './setParams';

/**
 * A W&B sweep file (`wandb/sweeps`: config/schema.json, params.py), read as W&B reads it and
 * checked as its schema checks it, each problem one line naming the file and line. Cairn runs the
 * grid and random methods; what W&B's service does beyond them (bayes, early termination, agents
 * running `program`) is refused or said in one line.
 */

/** A parameter's distribution, with W&B's defaults filled in (q 1.0, mu 0, sigma 1). */
export type Distribution =
  | { kind: 'constant'; value: ParamValue }
  | { kind: 'categorical'; values: ParamValue[]; probabilities?: number[] }
  | { kind: 'int_uniform'; min: number; max: number }
  | { kind: 'uniform' | 'log_uniform' | 'log_uniform_values' | 'inv_log_uniform' | 'inv_log_uniform_values'; min: number; max: number }
  | { kind: 'q_uniform' | 'q_log_uniform' | 'q_log_uniform_values'; min: number; max: number; q: number | PyFloat }
  | { kind: 'normal' | 'log_normal'; mu: number; sigma: number }
  | { kind: 'q_normal' | 'q_log_normal'; mu: number; sigma: number; q: number | PyFloat };

export type DistributionKind = Distribution['kind'];

/** One swept key: `train.lr`, `conf/train.yaml:train.lr`, `+train.new` (nested `parameters:` joined with dots). */
export interface SweepParameter {
  key: string;
  distribution: Distribution;
  /** Where it is in the file (1-based). */
  line?: number;
}

export interface WandbSweep {
  /** The file as the user named it, for messages. */
  file: string;
  method: 'grid' | 'random';
  /** In W&B's order: keys sorted at each level of nesting (Python's `sorted`), the first varying slowest in a grid. */
  parameters: SweepParameter[];
  name?: string;
  runCap?: number;
  metric?: { name: string; goal: 'minimize' | 'maximize' };
  /** What the file asks that Cairn does not do, one line each, said before the runs are queued. */
  notes: string[];
}

/** Bytes of a sweep file: far beyond real ones (a few KiB); a bigger one is not read. */
const MAX_SWEEP_FILE_BYTES = 1024 * 1024;

const TOP_KEYS = ['apiVersion', 'kind', 'controller', 'description', 'program', 'job', 'image_uri', 'entity', 'project', 'method', 'command', 'name', 'run_cap', 'metric', 'metrics', 'scheduler', 'early_terminate', 'parameters'];
/** Keys that tell W&B's service how to start and where to log runs; Cairn runs the pipeline instead. */
const WANDB_ONLY_KEYS = ['program', 'command', 'project', 'entity', 'job', 'image_uri', 'controller'];

/** Which keys each distribution takes (W&B's schema: no others). */
const DISTRIBUTION_KEYS: Record<string, string[]> = {
  constant: ['value'],
  categorical: ['values', 'probabilities'],
  categorical_w_probabilities: ['values', 'probabilities'],
  int_uniform: ['min', 'max'],
  uniform: ['min', 'max'],
  q_uniform: ['min', 'max', 'q'],
  log_uniform: ['min', 'max'],
  log_uniform_values: ['min', 'max'],
  q_log_uniform: ['min', 'max', 'q'],
  q_log_uniform_values: ['min', 'max', 'q'],
  inv_log_uniform: ['min', 'max'],
  inv_log_uniform_values: ['min', 'max'],
  normal: ['mu', 'sigma'],
  q_normal: ['mu', 'sigma', 'q'],
  log_normal: ['mu', 'sigma'],
  q_log_normal: ['mu', 'sigma', 'q'],
};

/** Read a sweep file (a regular file, at most 1 MiB) and check it. `shown` names it in messages. */
export async function readWandbSweep(absPath: string, shown: string): Promise<WandbSweep> {
  let bytes: Buffer;
  try {
    bytes = await readRepoFile(absPath, shown, MAX_SWEEP_FILE_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CairnError('USAGE', `sweep file '${shown}' does not exist.`, { hint: 'Give the path of a W&B sweep file (sweep.yaml).' });
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw new CairnError('USAGE', `'${shown}' is a folder, not a sweep file.`, { hint: 'Give the path of a W&B sweep file (sweep.yaml).' });
    throw err;
  }
  return parseWandbSweep(bytes.toString('utf8'), shown);
}

/** Check a sweep file's text (YAML, or JSON) and return what it asks; the first problem is a BAD_FILE CairnError with its line. */
export function parseWandbSweep(text: string, file: string): WandbSweep {
  const lineCounter = new LineCounter();
  // Within the pipeline files' limits: size, aliases (copied, bounded), nesting depth.
  const doc = parseYamlDocument(text, file, lineCounter);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new CairnError('BAD_FILE', `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, { file, line: e.linePos?.[0].line, hint: 'Fix the YAML syntax.' });
  }
  return new SweepReader(text, file, lineCounter).sweep(doc.contents as YamlNode | null);
}

class SweepReader {
  private readonly notes: string[] = [];
  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  private lineOf(node: unknown): number | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }

  private fail(node: unknown, message: string, hint: string): CairnError {
    return new CairnError('BAD_FILE', message, { file: this.file, line: this.lineOf(node), hint });
  }

  /** A mapping's entries as [key, key node, value node], keys as text. */
  private entries(map: YAMLMap): [string, YamlNode, YamlNode | null][] {
    return map.items.map((pair) => {
      const key = pair.key as YamlNode;
      if (!isScalar(key) || (typeof key.value !== 'string' && typeof key.value !== 'number')) throw this.fail(key, 'a key here must be a name', 'Write names as keys.');
      return [String(key.value), key, pair.value as YamlNode | null];
    });
  }

  private value(node: YamlNode | null): ParamValue {
    return yamlNodeValue(node, this.text);
  }

  sweep(root: YamlNode | null): WandbSweep {
    if (!isMap(root)) throw this.fail(root, 'a sweep file is a mapping (method, parameters, ...)', 'See https://docs.wandb.ai/guides/sweeps/sweep-config-keys.');
    const top = new Map(this.entries(root).map(([k, keyNode, valueNode]) => [k, { keyNode, valueNode }]));
    for (const [key, { keyNode }] of top) {
      if (!TOP_KEYS.includes(key)) {
        const near = nearestName(key, TOP_KEYS);
        throw this.fail(keyNode, `unknown key '${key}' in a W&B sweep file`, near ? `Did you mean '${near}'?` : `The keys are ${TOP_KEYS.join(', ')}.`);
      }
    }
    const method = top.get('method');
    if (!method) throw this.fail(root, "the sweep has no 'method'", 'Add `method: grid` or `method: random`.');
    const methodValue = this.value(method.valueNode);
    if (methodValue === 'bayes') throw this.fail(method.valueNode, 'Cairn does not run bayes sweeps (they need W&B\'s service to choose each next run)', 'Use `method: grid` or `method: random`.');
    if (methodValue !== 'grid' && methodValue !== 'random') {
      throw this.fail(method.valueNode, `unknown method '${String(methodValue)}'`, 'Cairn runs `method: grid` and `method: random`.');
    }
    const notes = this.notes;
    const ignored = WANDB_ONLY_KEYS.filter((k) => top.has(k));
    if (ignored.length) notes.push(`${this.file}: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} W&B's and ignored: each run is \`cairn exp run\` of the pipeline.`);
    if (top.has('early_terminate')) notes.push(`${this.file}: early_terminate is not applied: every run goes to its end.`);
    if (top.has('metrics') || top.has('scheduler')) {
      const key = top.has('metrics') ? 'metrics' : 'scheduler';
      throw this.fail(top.get(key)!.keyNode, `'${key}' needs W&B's custom method, which Cairn does not run`, 'Name one metric with `metric: {name: ..., goal: minimize|maximize}`.');
    }

    const sweep: WandbSweep = { file: this.file, method: methodValue, parameters: [], notes };
    const name = top.get('name');
    if (name) {
      const v = this.value(name.valueNode);
      if (typeof v !== 'string' || !v) throw this.fail(name.valueNode, "'name' must be a string", 'Name the sweep, e.g. `name: lr-sweep` (it prefixes the runs: lr-sweep-1, ...).');
      sweep.name = v;
    }
    const runCap = top.get('run_cap');
    if (runCap) {
      const v = this.value(runCap.valueNode);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw this.fail(runCap.valueNode, `'run_cap' must be a whole number of at least 1, not ${show(v)}`, 'Say how many runs at most, e.g. `run_cap: 20`.');
      sweep.runCap = v;
    }
    const metric = top.get('metric');
    if (metric) sweep.metric = this.metric(metric.valueNode, notes);
    if (sweep.method === 'random' && sweep.runCap === undefined) {
      throw this.fail(method.valueNode, 'a random sweep needs run_cap: it draws runs until then', 'Add `run_cap: N` (how many runs to draw).');
    }
    const parameters = top.get('parameters');
    if (!parameters) throw this.fail(root, "the sweep has no 'parameters'", 'Add `parameters:` with the params keys to sweep, e.g. `train.lr: {values: [0.01, 0.1]}`.');
    this.parameters(parameters.valueNode, parameters.keyNode, '', sweep.parameters);
    const seen = new Map<string, SweepParameter>();
    for (const p of sweep.parameters) {
      const first = seen.get(p.key);
      if (first) throw this.fail(null, `parameter '${p.key}' is given twice (lines ${[first.line, p.line].sort((a, b) => a! - b!).join(' and ')})`, 'Keep one of them.');
      seen.set(p.key, p);
    }
    return sweep;
  }

  private metric(node: YamlNode | null, notes: string[]): WandbSweep['metric'] {
    if (!isMap(node)) throw this.fail(node, "'metric' must be a mapping with a name and a goal", 'Write `metric: {name: acc, goal: maximize}`.');
    const fields = new Map(this.entries(node).map(([k, keyNode, valueNode]) => [k, { keyNode, valueNode }]));
    const name = fields.get('name');
    const nameValue = name && this.value(name.valueNode);
    if (typeof nameValue !== 'string' || !nameValue) throw this.fail(name?.valueNode ?? node, "'metric' needs a name: a metrics key (`acc`, or `file:key`)", 'Write `metric: {name: acc, goal: maximize}`.');
    const goal = fields.get('goal');
    const goalValue = goal ? this.value(goal.valueNode) : 'minimize';
    if (goalValue !== 'minimize' && goalValue !== 'maximize') {
      const near = nearestName(String(goalValue), ['minimize', 'maximize']);
      throw this.fail(goal?.valueNode, `metric goal must be minimize or maximize, not ${show(goalValue)}`, near ? `Did you mean '${near}'?` : 'Write `goal: minimize` or `goal: maximize`.');
    }
    if (fields.has('target')) notes.push(`${this.file}: metric.target is not applied: the sweep does not stop when a run reaches it.`);
    for (const [key, { keyNode }] of fields) {
      if (!['name', 'goal', 'target', 'impute', 'impute_while_running'].includes(key)) throw this.fail(keyNode, `unknown key '${key}' in metric`, 'A metric has a name and a goal.');
    }
    return { name: nameValue, goal: goalValue };
  }

  /** The parameters of one level, each key's own `parameters:` nested with a dot, in W&B's order (sorted at each level). */
  private parameters(node: YamlNode | null, owner: YamlNode, prefix: string, out: SweepParameter[]): void {
    if (!isMap(node) || node.items.length === 0) throw this.fail(node ?? owner, "'parameters' must map params keys to what to sweep", 'e.g. `parameters: {train.lr: {values: [0.01, 0.1]}}`.');
    const entries = this.entries(node).sort(([a], [b]) => codePointCompare(a, b));
    for (const [name, keyNode, config] of entries) {
      const key = `${prefix}${name}`;
      if (!isMap(config)) throw this.fail(config ?? keyNode, `parameter '${key}' must be a mapping (value, values, min/max or distribution)`, `e.g. \`${name}: {values: [1, 2]}\`.`);
      const fields = new Map(this.entries(config).map(([k, kn, vn]) => [k, { keyNode: kn, valueNode: vn }]));
      if (fields.has('parameters')) {
        if (fields.size > 1) throw this.fail(config, `parameter '${key}' has nested parameters and ${[...fields.keys()].filter((k) => k !== 'parameters').join(', ')}`, 'A parameter with `parameters:` holds only those.');
        this.parameters(fields.get('parameters')!.valueNode, keyNode, `${key}.`, out);
        continue;
      }
      this.checkKey(key, keyNode);
      out.push({ key, distribution: this.distribution(key, keyNode, config, fields), line: this.lineOf(keyNode) });
    }
  }

  /** The key must be what `-S` takes: `[file:]key`, `+key` to add; checked with the `-S` parser itself. */
  private checkKey(key: string, keyNode: YamlNode): void {
    const hint = 'Name a params key: `train.lr`, `conf/train.yaml:train.lr`, or `+train.new` to add one.';
    if (key.startsWith('~') || key.includes(':~')) throw this.fail(keyNode, `parameter '${key}' deletes a key; a sweep sets values`, hint);
    try {
      parseSetParams([`${key}=0`]);
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      const why = err.message.replace(/^-S '[^]*?=0'(: | is not a valid override: )/, '');
      throw this.fail(keyNode, `parameter '${key}' is not a params key: ${why}`, hint);
    }
  }

  private distribution(key: string, keyNode: YamlNode, config: YAMLMap, fields: Map<string, { keyNode: YamlNode; valueNode: YamlNode | null }>): Distribution {
    const given = fields.get('distribution');
    let kind: string;
    if (given) {
      const v = this.value(given.valueNode);
      if (v === 'beta' || v === 'q_beta') throw this.fail(given.valueNode, `parameter '${key}': Cairn does not draw from the ${v} distribution`, 'Use uniform, normal or another distribution W&B offers.');
      if (typeof v !== 'string' || !(v in DISTRIBUTION_KEYS)) {
        const near = nearestName(String(v), Object.keys(DISTRIBUTION_KEYS));
        throw this.fail(given.valueNode, `parameter '${key}': unknown distribution ${show(v)}`, near ? `Did you mean '${near}'?` : `The distributions are ${Object.keys(DISTRIBUTION_KEYS).join(', ')}.`);
      }
      kind = v;
      if (['log_uniform', 'q_log_uniform', 'inv_log_uniform'].includes(kind)) {
        this.notes.push(`${this.file}: parameter '${key}': ${kind} takes min and max as exponents of e (W&B deprecates it; ${kind}_values takes the values).`);
      }
    } else kind = this.inferKind(key, keyNode, config, fields);
    const allowed = DISTRIBUTION_KEYS[kind];
    for (const [field, { keyNode: fieldNode }] of fields) {
      if (field !== 'distribution' && !allowed.includes(field)) throw this.fail(fieldNode, `parameter '${key}': '${field}' is not a key of a ${kind} parameter`, `A ${kind} parameter takes ${allowed.join(', ')}.`);
    }
    const field = (name: string) => fields.get(name);
    const number = (name: string, fallback?: number | PyFloat): number | PyFloat => {
      const f = field(name);
      if (!f) {
        if (fallback !== undefined) return fallback;
        throw this.fail(config, `parameter '${key}': a ${kind} parameter needs '${name}'`, `A ${kind} parameter takes ${allowed.join(', ')}.`);
      }
      const v = this.value(f.valueNode);
      if (typeof v !== 'number' && !(v instanceof PyFloat)) throw this.fail(f.valueNode, `parameter '${key}': '${name}' must be a number, not ${show(v)}`, `Write a number, e.g. \`${name}: 1\`.`);
      return v;
    };
    const num = (v: number | PyFloat) => (v instanceof PyFloat ? v.value : v);
    const bounds = (positive: boolean) => {
      const min = num(number('min'));
      const max = num(number('max'));
      if (positive && min <= 0) throw this.fail(field('min')!.valueNode, `parameter '${key}': a ${kind} min must be above 0, not ${min}`, 'Give the smallest value itself (its log is taken).');
      if (min >= max) throw this.fail(field('min')!.valueNode, `parameter '${key}': min ${min} is not less than max ${max}`, 'Swap them, or use `value:` for one value.');
      return { min, max };
    };
    const quantum = () => {
      const q = number('q', new PyFloat(1));
      if (num(q) <= 0) throw this.fail(field('q')!.valueNode, `parameter '${key}': q must be above 0, not ${num(q)}`, 'q is the step values are rounded to, e.g. `q: 0.1`.');
      return q;
    };
    const normal = () => {
      const mu = num(number('mu', 0));
      const sigma = num(number('sigma', 1));
      if (sigma < 0) throw this.fail(field('sigma')!.valueNode, `parameter '${key}': sigma must be 0 or more, not ${sigma}`, 'sigma is the standard deviation.');
      return { mu, sigma };
    };
    switch (kind) {
      case 'constant': {
        if (!field('value')) throw this.fail(config, `parameter '${key}': a constant parameter needs 'value'`, 'Write `value: <the value>`.');
        return { kind, value: this.value(field('value')!.valueNode) };
      }
      case 'categorical':
      case 'categorical_w_probabilities':
        return this.categorical(key, config, field('values'), field('probabilities'));
      case 'int_uniform': {
        for (const name of ['min', 'max']) {
          const v = number(name);
          if (typeof v !== 'number' || !Number.isInteger(v)) throw this.fail(field(name)!.valueNode, `parameter '${key}': an int_uniform ${name} must be a whole number, not ${show(v)}`, 'Use `distribution: uniform` for real numbers.');
        }
        return { kind, ...bounds(false) };
      }
      case 'uniform':
      case 'log_uniform':
      case 'inv_log_uniform':
        return { kind, ...bounds(false) };
      case 'log_uniform_values':
      case 'inv_log_uniform_values':
        return { kind, ...bounds(true) };
      case 'q_uniform':
      case 'q_log_uniform':
        return { kind, ...bounds(false), q: quantum() };
      case 'q_log_uniform_values':
        return { kind, ...bounds(true), q: quantum() };
      case 'normal':
      case 'log_normal':
        return { kind, ...normal() };
      default:
        return { kind: kind as 'q_normal' | 'q_log_normal', ...normal(), q: quantum() };
    }
  }

  /** No `distribution:`: W&B's inference (the first schema that fits): value, values (+ probabilities), min/max ints or not. */
  private inferKind(key: string, keyNode: YamlNode, config: YAMLMap, fields: Map<string, unknown>): string {
    if (fields.has('value')) return 'constant';
    if (fields.has('values')) return fields.has('probabilities') ? 'categorical_w_probabilities' : 'categorical';
    if (fields.has('min') && fields.has('max')) {
      const ints = ['min', 'max'].every((f) => {
        const v = this.value((fields.get(f) as { valueNode: YamlNode | null }).valueNode);
        return typeof v === 'number' && Number.isInteger(v);
      });
      return ints ? 'int_uniform' : 'uniform';
    }
    throw this.fail(config.items.length ? config : keyNode, `parameter '${key}' says nothing to sweep`, 'Give `value`, `values`, `min` and `max`, or a `distribution`.');
  }

  private categorical(key: string, config: YAMLMap, values: { valueNode: YamlNode | null } | undefined, probabilities: { valueNode: YamlNode | null } | undefined): Distribution {
    if (!values) throw this.fail(config, `parameter '${key}': a categorical parameter needs 'values'`, 'Write `values: [a, b]`.');
    if (!isSeq(values.valueNode)) throw this.fail(values.valueNode, `parameter '${key}': 'values' must be a list, not ${show(this.value(values.valueNode))}`, `Write \`values: [${show(this.value(values.valueNode))}]\`, or \`value: ...\` for one value.`);
    const list = this.value(values.valueNode) as ParamValue[];
    if (!list.length) throw this.fail(values.valueNode, `parameter '${key}': 'values' is an empty list`, 'List at least one value.');
    if (!probabilities) return { kind: 'categorical', values: list };
    const p = this.value(probabilities.valueNode);
    if (!Array.isArray(p) || !p.every((x) => (typeof x === 'number' || x instanceof PyFloat) && Number(x) >= 0)) {
      throw this.fail(probabilities.valueNode, `parameter '${key}': 'probabilities' must be a list of numbers of 0 or more`, 'One probability per value, e.g. `probabilities: [0.5, 0.5]`.');
    }
    const probs = p.map(Number);
    if (probs.length !== list.length) throw this.fail(probabilities.valueNode, `parameter '${key}': ${probs.length} probabilities for ${list.length} values`, 'Give one probability per value.');
    const sum = probs.reduce((a, b) => a + b, 0);
    // numpy's isclose(sum, 1.0), as W&B checks it.
    if (!(Math.abs(sum - 1) <= 1e-8 + 1e-5)) throw this.fail(probabilities.valueNode, `parameter '${key}': the probabilities sum to ${sum}, not 1`, 'Make them add up to 1.');
    return { kind: 'categorical', values: list, probabilities: probs };
  }
}

/** Python's `sorted` order of str keys: by code point (JS compares UTF-16 units). */
function codePointCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v instanceof PyFloat) return String(v);
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
