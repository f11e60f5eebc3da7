import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../../src/core/errors';
import { parseWandbSweep, readWandbSweep, WandbSweep } from '../../src/core/experiments/wandbSweep';
import { drawValue, overrideArgument, seededRandom, wandbSweepRuns } from '../../src/core/experiments/wandbSweepRuns';
import { bestRun, metricValue } from '../../src/core/experiments/sweepResults';
import { PyFloat } from '../../src/core/pipeline/values';
import { tempDir } from '../support/fixtures';

const sweep = (text: string) => parseWandbSweep(text, 'sweep.yaml');
/** Each run's `-S` arguments. */
const runs = (text: string, seed = 1) => wandbSweepRuns(sweep(text), { seed }).map((r) => r.setParams);

/** The one line a bad sweep file gives. */
function refused(text: string): string {
  try {
    wandbSweepRuns(sweep(text), { seed: 1 });
  } catch (err) {
    assert.ok(err instanceof CairnError, String(err));
    return err.oneLine();
  }
  assert.fail('the sweep file was accepted');
}

/** `n` draws of one parameter of a random sweep. */
function draws(parameter: string, n = 4000, seed = 3): unknown[] {
  return wandbSweepRuns(sweep(`method: random\nrun_cap: ${n}\nparameters:\n  x: ${parameter}\n`), { seed }).map((r) => r.values[0].value);
}

const numbers = (values: unknown[]) => values.map((v) => Number(v));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe('W&B sweep files (exp sweep)', () => {
  describe('grid', () => {
    it('is the product of the parameters in sorted key order, the first varying slowest (itertools.product over W&B sorted keys)', () => {
      assert.deepEqual(runs('method: grid\nparameters:\n  train.lr:\n    values: [0.1, 0.01]\n  train.epochs:\n    values: [10, 20, 30]\n'), [
        ['train.epochs=10', 'train.lr=0.1'],
        ['train.epochs=10', 'train.lr=0.01'],
        ['train.epochs=20', 'train.lr=0.1'],
        ['train.epochs=20', 'train.lr=0.01'],
        ['train.epochs=30', 'train.lr=0.1'],
        ['train.epochs=30', 'train.lr=0.01'],
      ]);
    });

    it('joins nested parameters with dots, sorted at each level; constants go into every run', () => {
      const text = `method: grid
parameters:
  z_const: {value: fixed}
  train:
    parameters:
      lr: {values: [1.0, 2.5]}
      batch: {value: 32}
  conf/model.yaml:depth: {values: [2, 4]}
`;
      assert.deepEqual(runs(text), [
        ['conf/model.yaml:depth=2', 'train.batch=32', 'train.lr=1.0', 'z_const=fixed'],
        ['conf/model.yaml:depth=2', 'train.batch=32', 'train.lr=2.5', 'z_const=fixed'],
        ['conf/model.yaml:depth=4', 'train.batch=32', 'train.lr=1.0', 'z_const=fixed'],
        ['conf/model.yaml:depth=4', 'train.batch=32', 'train.lr=2.5', 'z_const=fixed'],
      ]);
    });

    it('lists int_uniform as range(min, max + 1) and q_uniform as numpy arange(min, max, q), max left out', () => {
      assert.deepEqual(runs('method: grid\nparameters:\n  a: {min: 1, max: 3}\n'), [['a=1'], ['a=2'], ['a=3']]);
      assert.deepEqual(runs('method: grid\nparameters:\n  a: {distribution: q_uniform, min: 0, max: 0.5, q: 0.1}\n'), [['a=0.0'], ['a=0.1'], ['a=0.2'], ['a=0.3'], ['a=0.4']]);
      assert.deepEqual(runs('method: grid\nparameters:\n  a: {distribution: q_uniform, min: 0, max: 10, q: 5}\n'), [['a=0'], ['a=5']]);
    });

    it('takes a repeated value once (1 and 1.0 are one value, as W&B hashes them) and stops at run_cap', () => {
      assert.deepEqual(runs('method: grid\nparameters:\n  a: {values: [1, 2, 1.0]}\n  b: {values: [x, x]}\n'), [['a=1.0', 'b=x'], ['a=2', 'b=x']]);
      assert.deepEqual(runs('method: grid\nrun_cap: 3\nparameters:\n  a: {values: [1, 2]}\n  b: {values: [3, 4]}\n'), [['a=1', 'b=3'], ['a=1', 'b=4'], ['a=2', 'b=3']]);
    });

    it('writes each value so -S reads it back as the same type: strings that would read as numbers or booleans quoted, lists and mappings in Hydra syntax', () => {
      assert.deepEqual(runs("method: grid\nparameters:\n  a: {values: ['1e-3', 'true', adam, 'a b', null, true, [1, 'x y'], {k: 2}]}\n").map((r) => r[0]), [
        "a='1e-3'",
        "a='true'",
        'a=adam',
        'a=a\\ b',
        'a=null',
        'a=True',
        'a=[1,x\\ y]',
        'a={k:2}',
      ]);
      assert.equal(overrideArgument('+new.key', new PyFloat(3), 'sweep.yaml'), '+new.key=3.0');
    });

    it('refuses a continuous distribution, and probabilities, as W&B grid does', () => {
      assert.match(refused('method: grid\nparameters:\n  lr:\n    distribution: uniform\n    min: 0.1\n    max: 1\n'), /^sweep\.yaml:3: parameter 'lr' is drawn from a uniform distribution: a grid needs values, int_uniform or q_uniform/);
      assert.match(refused('method: grid\nparameters:\n  lr: {min: 0.1, max: 1}\n'), /^sweep\.yaml:3: parameter 'lr' is drawn from a uniform distribution/);
      assert.match(refused('method: grid\nparameters:\n  opt: {values: [a, b], probabilities: [0.5, 0.5]}\n'), /^sweep\.yaml:3: parameter 'opt': a grid takes every value; probabilities are for method: random/);
    });

    it('refuses a grid past 10,000 runs before listing it', () => {
      assert.match(refused('method: grid\nparameters:\n  a: {min: 0, max: 999}\n  b: {min: 0, max: 999}\n'), /^sweep\.yaml: the sweep makes 1,000,000 runs; the limit is 10,000 runs per sweep/);
      assert.match(refused('method: grid\nparameters:\n  a: {min: 0, max: 100000000}\n'), /^sweep\.yaml:3: parameter 'a' has 100,000,001 values; the limit is 10,000 runs per sweep/);
    });
  });

  describe('random', () => {
    const text = `method: random
run_cap: 5
parameters:
  lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
  epochs: {min: 1, max: 20}
  opt: {values: [adam, sgd, rmsprop]}
`;

    it('draws run_cap runs; the same seed gives the same runs, another seed others', () => {
      assert.equal(runs(text, 42).length, 5);
      assert.deepEqual(runs(text, 42), runs(text, 42));
      assert.notDeepEqual(runs(text, 42), runs(text, 43));
      assert.deepEqual(
        Array.from({ length: 3 }, () => seededRandom(9)()),
        Array.from({ length: 3 }, () => seededRandom(9)()),
      );
    });

    it('needs run_cap', () => {
      assert.match(refused('method: random\nparameters:\n  a: {values: [1]}\n'), /^sweep\.yaml:1: a random sweep needs run_cap: it draws runs until then\. Add `run_cap: N`/);
    });

    it('draws values and int_uniform from their choices, every one of them', () => {
      const ints = draws('{min: 3, max: 7}');
      assert.ok(ints.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 3 && v <= 7));
      assert.deepEqual([...new Set(ints)].sort(), [3, 4, 5, 6, 7]);
      const picks = draws('{values: [a, b, c]}');
      assert.deepEqual([...new Set(picks)].sort(), ['a', 'b', 'c']);
      for (const v of ['a', 'b', 'c']) assert.ok(Math.abs(picks.filter((p) => p === v).length / picks.length - 1 / 3) < 0.03, v);
    });

    it('respects probabilities over many draws', () => {
      const random = seededRandom(5);
      const picks = Array.from({ length: 20000 }, () => drawValue({ kind: 'categorical', values: ['a', 'b', 'c'], probabilities: [0.7, 0.2, 0.1] }, random));
      const share = (v: string) => picks.filter((p) => p === v).length / picks.length;
      assert.ok(Math.abs(share('a') - 0.7) < 0.015, `a: ${share('a')}`);
      assert.ok(Math.abs(share('b') - 0.2) < 0.015, `b: ${share('b')}`);
      assert.ok(Math.abs(share('c') - 0.1) < 0.015, `c: ${share('c')}`);
      assert.deepEqual(new Set(draws('{values: [a, b], probabilities: [1, 0]}', 500)), new Set(['a']));
    });

    it('draws uniform, log_uniform_values and their inverse within min and max, spread as their distribution', () => {
      const u = numbers(draws('{min: 0.5, max: 1.5}'));
      assert.ok(u.every((x) => x >= 0.5 && x <= 1.5));
      assert.ok(Math.abs(mean(u) - 1) < 0.02);
      const logs = numbers(draws('{distribution: log_uniform_values, min: 0.0001, max: 1}'));
      assert.ok(logs.every((x) => x >= 0.0001 && x <= 1));
      // Uniform in log space: half the draws below the geometric middle (0.01).
      assert.ok(Math.abs(logs.filter((x) => x < 0.01).length / logs.length - 0.5) < 0.03);
      const inverse = numbers(draws('{distribution: inv_log_uniform_values, min: 0.0001, max: 1}'));
      assert.ok(inverse.every((x) => x >= 0.0001 && x <= 1));
      const exponents = numbers(draws('{distribution: log_uniform, min: -2, max: 0}'));
      assert.ok(exponents.every((x) => x >= Math.exp(-2) && x <= 1));
      assert.ok(numbers(draws('{distribution: inv_log_uniform, min: 0, max: 2}')).every((x) => x >= Math.exp(-2) && x <= 1));
    });

    it('rounds q_ distributions to multiples of q, ints when q is an int', () => {
      const q = draws('{distribution: q_uniform, min: 0, max: 1, q: 0.25}');
      assert.ok(q.every((v) => [0, 0.25, 0.5, 0.75, 1].includes(Number(v))), String(q.slice(0, 5)));
      assert.ok(q.some((v) => v instanceof PyFloat), 'whole values of a float q stay floats (1.0)');
      const qi = draws('{distribution: q_uniform, min: 0, max: 100, q: 10}');
      assert.ok(qi.every((v) => typeof v === 'number' && Number.isInteger(v) && v % 10 === 0 && v >= 0 && v <= 100));
      assert.ok(draws('{distribution: q_log_uniform_values, min: 1, max: 1000, q: 5}').every((v) => typeof v === 'number' && v % 5 === 0 && v >= 0 && v <= 1000));
      assert.ok(draws('{distribution: q_normal, mu: 50, sigma: 10, q: 2}').every((v) => typeof v === 'number' && v % 2 === 0));
      assert.ok(draws('{distribution: q_log_normal, q: 0.5}').every((v) => Number(v) >= 0 && (Number(v) * 2) % 1 === 0));
      assert.ok(draws('{distribution: q_log_uniform, min: 0, max: 3, q: 1}').every((v) => Number(v) >= 1 && Number(v) <= 20 && Number.isInteger(Number(v))));
    });

    it('draws normal (mu, sigma; 0 and 1 by default) and log_normal', () => {
      const n = numbers(draws('{distribution: normal, mu: 10, sigma: 2}', 10000));
      assert.ok(Math.abs(mean(n) - 10) < 0.1 && Math.abs(std(n) - 2) < 0.1, `${mean(n)} ${std(n)}`);
      const standard = numbers(draws('{distribution: normal}', 10000));
      assert.ok(Math.abs(mean(standard)) < 0.05 && Math.abs(std(standard) - 1) < 0.05);
      const logn = numbers(draws('{distribution: log_normal, mu: 0, sigma: 0.5}', 10000));
      assert.ok(logn.every((x) => x > 0));
      assert.ok(Math.abs(mean(logn.map(Math.log))) < 0.03 && Math.abs(std(logn.map(Math.log)) - 0.5) < 0.03);
    });

    it('keeps a constant, and draws from a seeded generator spread evenly', () => {
      assert.deepEqual(new Set(draws('{value: 7}', 50)), new Set([7]));
      const random = seededRandom(123);
      const buckets = new Array(10).fill(0);
      for (let i = 0; i < 100000; i++) buckets[Math.floor(random() * 10)]++;
      assert.ok(buckets.every((b) => Math.abs(b - 10000) < 400), String(buckets));
      assert.equal(drawValue({ kind: 'int_uniform', min: 5, max: 5 }, () => 0.999), 5);
    });
  });

  describe('the file', () => {
    it('takes metric, run_cap and name, and says in one line what it does not apply', () => {
      const s: WandbSweep = sweep('program: train.py\nproject: p\nname: lr-sweep\nmethod: random\nrun_cap: 2\nmetric: {name: acc, goal: maximize}\nearly_terminate: {type: hyperband, min_iter: 3}\nparameters:\n  lr: {values: [1]}\n');
      assert.deepEqual([s.name, s.runCap, s.metric], ['lr-sweep', 2, { name: 'acc', goal: 'maximize' }]);
      assert.deepEqual(s.notes, ["sweep.yaml: program, project are W&B's and ignored: each run is `cairn exp run` of the pipeline.", 'sweep.yaml: early_terminate is not applied: every run goes to its end.']);
      assert.deepEqual(sweep('method: grid\nmetric: {name: loss}\nparameters:\n  lr: {values: [1]}\n').metric, { name: 'loss', goal: 'minimize' });
    });

    it('refuses bad input in one line naming the file and line', () => {
      const cases: [string, RegExp][] = [
        ['method: grid\nparameters:\n  lr:\n    values: 0.1\n', /^sweep\.yaml:4: parameter 'lr': 'values' must be a list, not 0\.1\. Write `values: \[0\.1\]`/],
        ['method: grid\nparameters:\n  lr:\n    values: []\n', /^sweep\.yaml:4: parameter 'lr': 'values' is an empty list\./],
        ['method: random\nrun_cap: 2\nparameters:\n  lr: {distribution: unifrom, min: 0, max: 1}\n', /^sweep\.yaml:4: parameter 'lr': unknown distribution 'unifrom'\. Did you mean 'uniform'\?/],
        ['method: random\nrun_cap: 2\nparameters:\n  lr: {min: 2, max: 1}\n', /^sweep\.yaml:4: parameter 'lr': min 2 is not less than max 1\./],
        ['method: random\nrun_cap: 2\nparameters:\n  lr: {min: 0.5, max: 0.5}\n', /^sweep\.yaml:4: parameter 'lr': min 0\.5 is not less than max 0\.5\./],
        ['method: random\nrun_cap: 2\nparameters:\n  o:\n    values: [a, b]\n    probabilities: [0.5, 0.6]\n', /^sweep\.yaml:6: parameter 'o': the probabilities sum to 1\.1, not 1\./],
        ['method: random\nrun_cap: 2\nparameters:\n  o:\n    values: [a, b]\n    probabilities: [1]\n', /^sweep\.yaml:6: parameter 'o': 1 probabilities for 2 values\./],
        ['method: hyperband\nparameters:\n  a: {values: [1]}\n', /^sweep\.yaml:1: unknown method 'hyperband'\. Cairn runs `method: grid` and `method: random`\./],
        ['method: bayes\nparameters:\n  a: {values: [1]}\n', /^sweep\.yaml:1: Cairn does not run bayes sweeps .*\. Use `method: grid` or `method: random`\./],
        ['method: grid\n', /^sweep\.yaml:1: the sweep has no 'parameters'\./],
        ['parameters:\n  a: {values: [1]}\n', /^sweep\.yaml:1: the sweep has no 'method'\./],
        ['method: grid\nparamters:\n  a: {values: [1]}\n', /^sweep\.yaml:2: unknown key 'paramters' in a W&B sweep file\. Did you mean 'parameters'\?/],
        ['method: grid\nparameters:\n  a: {values: [1], min: 1}\n', /^sweep\.yaml:3: parameter 'a': 'min' is not a key of a categorical parameter\./],
        ['method: grid\nparameters:\n  a: {values: [1}\n', /^sweep\.yaml:3: invalid YAML: /],
        ['method: grid\nparameters:\n  a: 5\n', /^sweep\.yaml:3: parameter 'a' must be a mapping/],
        ['method: grid\nparameters:\n  a: {mu: 1}\n', /^sweep\.yaml:3: parameter 'a' says nothing to sweep\./],
        ['method: grid\nparameters:\n  a: {distribution: int_uniform, min: 1.5, max: 3}\n', /^sweep\.yaml:3: parameter 'a': an int_uniform min must be a whole number, not 1\.5\./],
        ['method: grid\nparameters:\n  a: {distribution: log_uniform_values, min: 0, max: 3}\n', /^sweep\.yaml:3: parameter 'a': a log_uniform_values min must be above 0, not 0\./],
        ['method: grid\nparameters:\n  a: {distribution: beta}\n', /^sweep\.yaml:3: parameter 'a': Cairn does not draw from the beta distribution\./],
        ['method: grid\nparameters:\n  ~a: {values: [1]}\n', /^sweep\.yaml:3: parameter '~a' deletes a key; a sweep sets values\./],
        ['method: grid\nparameters:\n  a b: {values: [1]}\n', /^sweep\.yaml:3: parameter 'a b' is not a params key: token recognition error at: ' ' \(column 2\)\. Name a params key/],
        ['method: grid\nparameters:\n  x.py:a: {values: [1]}\n', /^sweep\.yaml:3: parameter 'x\.py:a' is not a params key: 'x\.py' is not a params file Cairn can change\. Name a params key/],
        ['method: grid\nparameters:\n  train.lr: {values: [1]}\n  train:\n    parameters:\n      lr: {values: [2]}\n', /^sweep\.yaml: parameter 'train\.lr' is given twice \(lines 3 and 6\)\./],
        ['method: grid\nmetric: {name: acc, goal: maximise}\nparameters:\n  a: {values: [1]}\n', /^sweep\.yaml:2: metric goal must be minimize or maximize, not 'maximise'\. Did you mean 'maximize'\?/],
        ['method: grid\nmetrics: [{name: a}, {name: b}]\nparameters:\n  a: {values: [1]}\n', /^sweep\.yaml:2: 'metrics' needs W&B's custom method, which Cairn does not run\./],
        ['method: random\nrun_cap: 0\nparameters:\n  a: {values: [1]}\n', /^sweep\.yaml:2: 'run_cap' must be a whole number of at least 1, not 0\./],
        ['- method: grid\n', /^sweep\.yaml:1: a sweep file is a mapping/],
      ];
      for (const [text, pattern] of cases) assert.match(refused(text), pattern, text);
    });

    it('reads a hostile file within limits: alias bombs, deep nesting, huge files and FIFOs are one line each', async () => {
      const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)].join('\n');
      assert.match(refused(`${bomb}\nmethod: grid\nparameters:\n  a: {values: *a9}\n`), /^sweep\.yaml(:\d+)?: .*the limit is/);
      assert.match(refused(`method: grid\nparameters:\n  a: {values: [${'['.repeat(5000)}${']'.repeat(5000)}]}\n`), /^sweep\.yaml(:\d+)?: 'sweep\.yaml' nests mappings and lists too deeply/);
      const dir = tempDir();
      const big = path.join(dir, 'big.yaml');
      fs.writeFileSync(big, `method: grid\nparameters:\n  a: {values: [1]}\n#${'x'.repeat(2 * 1024 * 1024)}\n`);
      await assert.rejects(readWandbSweep(big, 'big.yaml'), (err: unknown) => err instanceof CairnError && err.code === 'LIMIT_EXCEEDED' && /^big\.yaml: the file is 2\.0 MiB/.test(err.oneLine()));
      const fifo = path.join(dir, 'fifo.yaml');
      execFileSync('mkfifo', [fifo]);
      await assert.rejects(readWandbSweep(fifo, 'fifo.yaml'), (err: unknown) => err instanceof CairnError && /'fifo\.yaml' is not a regular file/.test(err.oneLine()));
      await assert.rejects(readWandbSweep(path.join(dir, 'none.yaml'), 'none.yaml'), /sweep file 'none\.yaml' does not exist/);
    });
  });

  describe('results', () => {
    const metrics = {
      'metrics.json': { data: { acc: 0.8, loss: 0.2 } },
      'eval/metrics.json': { data: { acc: 0.5, nested: { f1: 0.3 }, 'train/loss': 1 } },
      'broken.json': { error: { type: 'JSONFileCorruptedError', msg: 'bad' } },
    };

    it('finds the metric by its flattened key in the first file that has it, or in the file named before a colon', () => {
      assert.deepEqual(metricValue(metrics, 'acc'), { file: 'metrics.json', key: 'acc', value: 0.8 });
      assert.deepEqual(metricValue(metrics, 'eval/metrics.json:acc'), { file: 'eval/metrics.json', key: 'acc', value: 0.5 });
      assert.deepEqual(metricValue(metrics, 'nested.f1'), { file: 'eval/metrics.json', key: 'nested.f1', value: 0.3 });
      assert.deepEqual(metricValue(metrics, 'train/loss'), { file: 'eval/metrics.json', key: 'train/loss', value: 1 });
      assert.equal(metricValue(metrics, 'metrics.json:nested.f1'), undefined);
      assert.equal(metricValue(metrics, 'nope'), undefined);
    });

    it('picks the best run by the goal, the first of equals, skipping runs without a value', () => {
      const runsWith = [{ name: 'a', metric: { file: 'm', key: 'k', value: 2 } }, { name: 'b' }, { name: 'c', metric: { file: 'm', key: 'k', value: 1 } }, { name: 'd', metric: { file: 'm', key: 'k', value: 2 } }];
      assert.equal(bestRun({ metric: { name: 'k', goal: 'minimize' } }, runsWith)?.name, 'c');
      assert.equal(bestRun({ metric: { name: 'k', goal: 'maximize' } }, runsWith)?.name, 'a');
      assert.equal(bestRun({}, runsWith), undefined);
    });
  });
});
