import { CairnError } from '../errors';
import { count, limitExceeded } from '../pipeline/limits';
import { isPlainObject, ParamValue, PyFloat, sameValue } from '../pipeline/values';
import { OverrideElement, parseOverride, printElement, QuotedString } from './overrideGrammar';
import type { Distribution, SweepParameter, WandbSweep } from './wandbSweep';

/**
 * The runs a W&B sweep file stands for, as W&B's `grid_search.py` and `random_search.py` choose
 * them: a grid is the cartesian product of each parameter's values, parameters in the file's
 * sorted order, the first varying slowest (int_uniform and q_uniform listed as W&B lists them,
 * repeated combinations once); a random sweep draws `run_cap` runs, each parameter from its
 * distribution by W&B's formulas, from a PRNG seeded with `seed` (same seed, same runs).
 */

/** One run: the swept values and the `-S` arguments that set them. */
export interface SweepRunPlan {
  values: { key: string; value: ParamValue }[];
  setParams: string[];
}

/** Runs of one sweep: far beyond a sweep a machine finishes; a grid past it is refused before it is listed. */
export const MAX_SWEEP_RUNS = 10_000;

export function wandbSweepRuns(sweep: WandbSweep, options: { seed: number }): SweepRunPlan[] {
  return sweep.method === 'grid' ? gridRuns(sweep) : randomRuns(sweep, options.seed);
}

function gridRuns(sweep: WandbSweep): SweepRunPlan[] {
  const lists = sweep.parameters.map((p) => gridValues(p, sweep.file));
  const total = lists.reduce((n, list) => n * list.length, 1);
  const runs = Math.min(total, sweep.runCap ?? Infinity);
  if (runs > MAX_SWEEP_RUNS) throw tooManyRuns(sweep, runs);
  const plans: SweepRunPlan[] = [];
  for (let i = 0; i < runs; i++) {
    // The i-th combination, the last parameter varying fastest (itertools.product).
    const picks: ParamValue[] = new Array(lists.length);
    let rest = i;
    for (let j = lists.length - 1; j >= 0; j--) {
      picks[j] = lists[j][rest % lists[j].length];
      rest = Math.floor(rest / lists[j].length);
    }
    plans.push(plan(sweep, picks));
  }
  return plans;
}

/** A parameter's values in a grid, as W&B lists them; a distribution with no list of values is refused as W&B refuses it. */
export function gridValues(parameter: SweepParameter, file: string): ParamValue[] {
  const d = parameter.distribution;
  const tooMany = (n: number) => {
    if (n > MAX_SWEEP_RUNS) throw limitExceeded(`parameter '${parameter.key}' has ${count(n)} values`, `${count(MAX_SWEEP_RUNS)} runs per sweep`, { file, line: parameter.line }, 'Narrow min and max, or raise q.');
  };
  switch (d.kind) {
    case 'constant':
      return [d.value];
    case 'categorical':
      if (d.probabilities) {
        throw new CairnError('BAD_FILE', `parameter '${parameter.key}': a grid takes every value; probabilities are for method: random`, { file, line: parameter.line, hint: 'Drop the probabilities, or use `method: random`.' });
      }
      return distinctValues(d.values);
    case 'int_uniform': {
      tooMany(d.max - d.min + 1);
      return Array.from({ length: d.max - d.min + 1 }, (_, i) => d.min + i);
    }
    case 'q_uniform': {
      // numpy's arange(min, max, q): from min in steps of q, max left out.
      const n = Math.max(0, Math.ceil((d.max - d.min) / Number(d.q)));
      tooMany(n);
      const ints = Number.isInteger(d.min) && Number.isInteger(d.max) && isInt(d.q);
      return Array.from({ length: n }, (_, i) => (ints ? d.min + i * Number(d.q) : asFloat(d.min + i * Number(d.q))));
    }
    default:
      throw new CairnError('BAD_FILE', `parameter '${parameter.key}' is drawn from a ${d.kind} distribution: a grid needs values, int_uniform or q_uniform (as W&B's grid)`, {
        file,
        line: parameter.line,
        hint: 'List the values to try, or use `method: random`.',
      });
  }
}

function randomRuns(sweep: WandbSweep, seed: number): SweepRunPlan[] {
  const runs = sweep.runCap!;
  if (runs > MAX_SWEEP_RUNS) throw tooManyRuns(sweep, runs);
  const random = seededRandom(seed);
  return Array.from({ length: runs }, () => plan(sweep, sweep.parameters.map((p) => drawValue(p.distribution, random))));
}

function tooManyRuns(sweep: WandbSweep, runs: number): CairnError {
  return limitExceeded(`the sweep makes ${count(runs)} runs`, `${count(MAX_SWEEP_RUNS)} runs per sweep`, { file: sweep.file }, 'Set a smaller run_cap, or sweep fewer values.');
}

function plan(sweep: WandbSweep, picks: ParamValue[]): SweepRunPlan {
  const values = sweep.parameters.map((p, i) => ({ key: p.key, value: picks[i] }));
  return { values, setParams: values.map(({ key, value }) => overrideArgument(key, value, sweep.file)) };
}

/**
 * A random number generator from a 32-bit seed: sfc32 (Chris Doty-Humphrey's small fast
 * counter), its state spread from the seed by splitmix32. Returns floats in [0, 1) with 53 bits.
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let [a, b, c, d] = [splitmix(), splitmix(), splitmix(), 1];
  const next32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next32();
  return () => ((next32() >>> 5) * 2 ** 26 + (next32() >>> 6)) / 2 ** 53;
}

/** One draw of a distribution, W&B's percent-point formulas applied to uniform draws (params.py `ppf`). */
export function drawValue(d: Distribution, random: () => number): ParamValue {
  const uniform = (min: number, max: number) => min + random() * (max - min);
  const normal = (mu: number, sigma: number) => mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  switch (d.kind) {
    case 'constant':
      return d.value;
    case 'categorical': {
      const x = random();
      if (!d.probabilities) return d.values[Math.floor(x * d.values.length)];
      // The first value whose cumulative probability passes x.
      let cumulative = 0;
      for (const [i, p] of d.probabilities.entries()) {
        cumulative += p;
        if (x < cumulative) return d.values[i];
      }
      return d.values[d.values.length - 1];
    }
    case 'int_uniform':
      return d.min + Math.floor(random() * (d.max - d.min + 1));
    case 'uniform':
      return asFloat(uniform(d.min, d.max));
    case 'log_uniform':
      return asFloat(Math.exp(uniform(d.min, d.max)));
    case 'log_uniform_values':
      return asFloat(Math.exp(uniform(Math.log(d.min), Math.log(d.max))));
    case 'inv_log_uniform':
      return asFloat(Math.exp(-uniform(d.min, d.max)));
    case 'inv_log_uniform_values':
      return asFloat(Math.exp(-uniform(-Math.log(d.max), -Math.log(d.min))));
    case 'q_uniform':
      return quantize(uniform(d.min, d.max), d.q);
    case 'q_log_uniform':
      return quantize(Math.exp(uniform(d.min, d.max)), d.q);
    case 'q_log_uniform_values':
      return quantize(Math.exp(uniform(Math.log(d.min), Math.log(d.max))), d.q);
    case 'normal':
      return asFloat(normal(d.mu, d.sigma));
    case 'q_normal':
      return quantize(normal(d.mu, d.sigma), d.q);
    case 'log_normal':
      return asFloat(Math.exp(normal(d.mu, d.sigma)));
    case 'q_log_normal':
      return quantize(Math.exp(normal(d.mu, d.sigma)), d.q);
  }
}

/** numpy's `round(x / q) * q` (halves to even), an int when q is an int (as W&B); float noise (`0.30000000000000004`) dropped. */
function quantize(x: number, q: number | PyFloat): ParamValue {
  const step = Number(q);
  const ratio = x / step;
  let k = Math.round(ratio);
  if (Math.abs(ratio % 1) === 0.5 && k % 2 !== 0) k -= 1;
  return isInt(q) ? k * step : asFloat(k * step);
}

const isInt = (v: number | PyFloat) => typeof v === 'number' && Number.isInteger(v);

/** A float as Python keeps it (a whole one stays `2.0`), rounded to 15 significant digits so sums like 0.1 * 3 read 0.3. */
function asFloat(x: number): number | PyFloat {
  const clean = Number(x.toPrecision(15));
  return Number.isInteger(clean) ? new PyFloat(clean) : clean;
}

/** W&B's grid takes each value once (`1` and `1.0` are one value); the first place, the last spelling (its dict of hashes). */
function distinctValues(values: ParamValue[]): ParamValue[] {
  const byKey = new Map<string, number>();
  const out: ParamValue[] = [];
  for (const v of values) {
    const key = canonical(v);
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, out.length);
      out.push(v);
    } else out[at] = v;
  }
  return out;
}

function canonical(v: ParamValue): string {
  if (v instanceof PyFloat) return String(v.value);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * `key=<value>` as `-S` takes it (Hydra's override grammar): the value printed as Hydra prints
 * an element, a string quoted where it would otherwise read as another type (`'1e-3'`, `'true'`);
 * checked by parsing it back.
 */
export function overrideArgument(key: string, value: ParamValue, file: string): string {
  const text = `${key}=${printElement(toElement(value))}`;
  const parsed = parseOverride(text.slice(text.lastIndexOf(':', text.indexOf('=')) + 1));
  if (parsed.value?.kind !== 'element' || !sameTyped(fromElement(parsed.value.element), value)) {
    throw new CairnError('BAD_FILE', `parameter '${key}': the value ${JSON.stringify(value)} cannot be written as a -S override`, { file, hint: 'Use numbers, strings, booleans, lists or mappings of them.' });
  }
  return text;
}

function toElement(value: ParamValue): OverrideElement {
  if (Array.isArray(value)) return value.map(toElement);
  if (isPlainObject(value)) return new Map(Object.entries(value).map(([k, v]) => [k, toElement(v)]));
  if (typeof value !== 'string') return value;
  try {
    const parsed = parseOverride(`k=${printElement(value)}`);
    if (parsed.value?.kind === 'element' && parsed.value.element === value) return value;
  } catch {
    // not a bare word: quoted below
  }
  return new QuotedString(value, "'");
}

function fromElement(element: OverrideElement): ParamValue {
  if (element instanceof QuotedString) return element.text;
  if (Array.isArray(element)) return element.map(fromElement);
  if (element instanceof Map) return Object.fromEntries([...element].map(([k, v]) => [k, fromElement(v)]));
  return element;
}

/** Equal values of the same types (an int is not a float, `1` is not `'1'`). */
function sameTyped(a: ParamValue, b: ParamValue): boolean {
  if ((a instanceof PyFloat) !== (b instanceof PyFloat) || typeof a !== typeof b) return false;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameTyped(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameTyped(a[k], b[k]));
  }
  return sameValue(a, b);
}
