import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { cairn, cairnOk, CLI, dvcOk, git, tempDir, writeFiles } from '../support/fixtures';
import { trainedBaseline } from '../support/expFixtures';
import { parsePythonJson } from '../../src/core/metrics/dataFile';

/**
 * `cairn exp sweep` (issue 16): a W&B sweep file's runs queued, run by workers and followed;
 * what they record, dvc lists with their params and metrics; the best run is the one dvc's
 * numbers say.
 */
describe('exp sweep: W&B sweep files (interop with dvc)', function () {
  this.timeout(300_000);

  interface SweepJson {
    seed: number | null;
    runs: { name: string; params: string[]; status: string; rev: string | null; metric: { file: string; key: string; value: number } | null; error: string | null }[];
    best: { name: string; metric: { value: number }; params: string[] } | null;
  }

  /** dvc's view of the HEAD baseline's experiments: name → {params of params.yaml, metrics of metrics.json, rev}. */
  function dvcExperiments(root: string): Map<string, { rev: string; params: any; metrics: any }> {
    const shown = parsePythonJson(dvcOk(root, 'exp', 'show', '--json')) as any[];
    return new Map(
      (shown[1].experiments ?? []).map((e: any) => [e.name, { rev: e.revs[0].rev, params: e.revs[0].data.params['params.yaml'].data, metrics: e.revs[0].data.metrics['metrics.json'].data }]),
    );
  }

  const queueStatus = (root: string) => JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as { name: string; status: string }[];

  it('a 2×2 grid run with -j 2: four experiments in W&B order, dvc lists each with its params and metrics, the best by the metric reported', () => {
    const root = trainedBaseline();
    writeFiles(root, {
      'grid.yaml': 'program: train.py\nmethod: grid\nmetric:\n  name: acc\n  goal: maximize\nparameters:\n  train.lr:\n    values: [0.2, 0.4]\n  train.epochs:\n    values: [5, 7]\n',
    });
    const summary = JSON.parse(cairnOk(root, 'exp', 'sweep', 'grid.yaml', '-j', '2', '--json')) as SweepJson;
    assert.deepEqual(
      summary.runs.map((r) => [r.name, r.params, r.status]),
      [
        ['grid-1', ['train.epochs=5', 'train.lr=0.2'], 'success'],
        ['grid-2', ['train.epochs=5', 'train.lr=0.4'], 'success'],
        ['grid-3', ['train.epochs=7', 'train.lr=0.2'], 'success'],
        ['grid-4', ['train.epochs=7', 'train.lr=0.4'], 'success'],
      ],
    );
    const byName = dvcExperiments(root);
    assert.deepEqual([...byName.keys()].sort(), ['grid-1', 'grid-2', 'grid-3', 'grid-4']);
    for (const run of summary.runs) {
      const exp = byName.get(run.name)!;
      const epochs = Number(run.params[0].split('=')[1]);
      const lr = Number(run.params[1].split('=')[1]);
      assert.deepEqual(exp.params.train, { lr, epochs }, run.name);
      assert.equal(exp.metrics.acc, lr * 2, run.name);
      assert.equal(exp.rev, run.rev, run.name);
      assert.deepEqual(run.metric, { file: 'metrics.json', key: 'acc', value: exp.metrics.acc }, run.name);
    }
    // Highest acc (maximize); grid-2 and grid-4 tie at 0.8: the first.
    assert.equal(summary.best?.name, 'grid-2');
    assert.deepEqual(summary.best?.params, ['train.epochs=5', 'train.lr=0.4']);
    assert.equal(git(root, 'status', '--porcelain', '--untracked-files=no'), '', 'the workspace is as it was');

    // The text form on the same experiments: one line per run, then the best.
    writeFiles(root, { 'grid.yaml': 'method: grid\nmetric: {name: loss}\nparameters:\n  train.lr: {values: [0.3, 0.1]}\n' });
    const text = cairn(root, 'exp', 'sweep', 'grid.yaml', '-n', 'small');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^small-1 {2}train\.lr=0\.3 {2}loss=0\.7 {2}success$/m);
    assert.match(text.stdout, /^small-2 {2}train\.lr=0\.1 {2}loss=0\.9 {2}success$/m);
    assert.match(text.stdout, /^Best run by loss \(minimize\): small-1, loss=0\.7, train\.lr=0\.3$/m);
  });

  it('a random sweep with --seed: the same seed queues the same runs; run with -j 2, dvc lists each with the drawn params and their metrics', () => {
    const root = trainedBaseline();
    writeFiles(root, {
      'random.yaml': `name: rnd
method: random
run_cap: 4
metric: {name: loss, goal: minimize}
parameters:
  train:
    parameters:
      lr: {distribution: uniform, min: 0.01, max: 0.9}
      epochs: {min: 1, max: 9}
  +train.opt: {values: [adam, sgd], probabilities: [0.5, 0.5]}
`,
    });
    const queuedOnly = JSON.parse(cairnOk(root, 'exp', 'sweep', 'random.yaml', '--seed', '11', '-n', 'first', '--queue', '--json')) as SweepJson;
    assert.equal(queuedOnly.seed, 11);
    assert.deepEqual(queuedOnly.runs.map((r) => r.status), ['queued', 'queued', 'queued', 'queued']);
    assert.equal(git(root, 'for-each-ref', 'refs/exps'), '', '--queue runs nothing');
    cairnOk(root, 'queue', 'remove', '--queued');

    const summary = JSON.parse(cairnOk(root, 'exp', 'sweep', 'random.yaml', '--seed', '11', '-j', '2', '--json')) as SweepJson;
    assert.deepEqual(summary.runs.map((r) => r.params), queuedOnly.runs.map((r) => r.params), 'the same seed, the same runs');
    assert.deepEqual(summary.runs.map((r) => [r.name, r.status]), [['rnd-1', 'success'], ['rnd-2', 'success'], ['rnd-3', 'success'], ['rnd-4', 'success']]);
    const byName = dvcExperiments(root);
    for (const run of summary.runs) {
      const drawn = Object.fromEntries(run.params.map((p) => p.replace(/^\+/, '').split('=')));
      const exp = byName.get(run.name)!;
      assert.ok(['adam', 'sgd'].includes(drawn['train.opt']), run.params.join(' '));
      assert.equal(exp.params.train.opt, drawn['train.opt'], `${run.name}: +train.opt added`);
      assert.equal(exp.params.train.lr, Number(drawn['train.lr']), run.name);
      assert.equal(exp.params.train.epochs, Number(drawn['train.epochs']), run.name);
      assert.ok(exp.params.train.lr >= 0.01 && exp.params.train.lr <= 0.9 && Number.isInteger(exp.params.train.epochs) && exp.params.train.epochs >= 1 && exp.params.train.epochs <= 9);
      assert.equal(exp.metrics.loss, run.metric?.value, run.name);
    }
    const lowest = [...summary.runs].sort((a, b) => byName.get(a.name)!.metrics.loss - byName.get(b.name)!.metrics.loss)[0];
    assert.equal(summary.best?.name, lowest.name, 'the lowest loss dvc shows');
    assert.equal(summary.best?.metric.value, byName.get(lowest.name)!.metrics.loss);
  });

  it('a failing run is named with its error and the exit is 1; the best is among the others', () => {
    const root = trainedBaseline();
    writeFiles(root, { 'sweep.yaml': 'method: grid\nmetric: {name: acc, goal: maximize}\nparameters:\n  train.lr: {values: [0.3, 1.5]}\n' });
    const r = cairn(root, 'exp', 'sweep', 'sweep.yaml', '-n', 'f');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^f-1 {2}train\.lr=0\.3 {2}acc=0\.6 {2}success$/m);
    assert.match(r.stdout, /^f-2 {2}train\.lr=1\.5 {2}acc=- {2}failed: /m);
    assert.match(r.stdout, /^Best run by acc \(maximize\): f-1, acc=0\.6, train\.lr=0\.3$/m);
    assert.match(r.stderr, /^ERROR: 1 of 2 runs failed \('f-2'\): `cairn queue logs <name>` shows why\.$/m);
    assert.match(cairnOk(root, 'queue', 'logs', 'f-2'), /lr too big/);
  });

  it('Ctrl-C stops following; the runs go on to the end', async () => {
    const root = trainedBaseline();
    const yaml = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('cmd: python3 train.py', 'cmd: sleep 2 && python3 train.py');
    writeFiles(root, { 'dvc.yaml': yaml, 'sweep.yaml': 'method: grid\nparameters:\n  train.lr: {values: [0.2, 0.3]}\n' });
    git(root, 'commit', '-qam', 'slow');
    const child = spawn(process.execPath, [CLI, 'exp', 'sweep', 'sweep.yaml', '-j', '2'], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    while (!stdout.includes('Ctrl-C stops following')) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /The sweep's runs go on in the background/);
    for (let i = 0; i < 300 && !queueStatus(root).every((s) => s.status === 'success'); i++) await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(queueStatus(root).map((s) => [s.name, s.status]), [['sweep-1', 'success'], ['sweep-2', 'success']]);
    assert.deepEqual([...dvcExperiments(root).keys()].sort(), ['sweep-1', 'sweep-2']);
  });

  it('a bad sweep file, or a key missing from params.yaml, is one line and queues nothing', () => {
    const root = trainedBaseline();
    const refused = (file: string, text: string, ...args: string[]) => {
      writeFiles(root, { [file]: text });
      const r = cairn(root, 'exp', 'sweep', file, ...args);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(queueStatus(root), [], `${file}: nothing queued`);
      return r.stderr.trim();
    };
    assert.equal(refused('bad.yaml', 'method: grid\nparameters:\n  train.lr:\n    values: 0.1\n'), "ERROR: bad.yaml:4: parameter 'train.lr': 'values' must be a list, not 0.1. Write `values: [0.1]`, or `value: ...` for one value.");
    assert.match(refused('bayes.yaml', 'method: bayes\nparameters:\n  train.lr: {values: [0.1]}\n'), /^ERROR: bayes\.yaml:1: Cairn does not run bayes sweeps/);
    assert.match(refused('nocap.yaml', 'method: random\nparameters:\n  train.lr: {min: 0.1, max: 0.2}\n'), /^ERROR: nocap\.yaml:1: a random sweep needs run_cap/);
    // The second run's key is missing: refused as `exp run -S` refuses it, and the first is not queued either.
    assert.match(refused('missing.yaml', 'method: grid\nparameters:\n  train.lr: {values: [0.1, 0.2]}\n  train.nokey: {values: [1]}\n'), /^ERROR: params\.yaml: Could not override 'train\.nokey'\. To append to your config use \+train\.nokey=1/);
    assert.match(refused('ok.yaml', 'name: my sweep\nmethod: grid\nparameters:\n  train.lr: {values: [0.1]}\n'), /^ERROR: 'my sweep' \(the name: in ok\.yaml\) cannot prefix experiment names/);
    assert.match(refused('ok.yaml', 'method: grid\nparameters:\n  train.lr: {values: [0.1]}\n', '-n', '../x'), /^ERROR: '\.\.\/x' \(-n\) cannot prefix experiment names/);
    assert.match(refused('ok.yaml', 'method: grid\nparameters:\n  train.lr: {values: [0.1]}\n', '--seed', '3'), /^ERROR: --seed is for random sweeps; 'ok\.yaml' is a grid/);
    assert.match(refused('big.yaml', 'method: grid\nparameters:\n  train.epochs: {min: 1, max: 21}\n'), /^ERROR: the sweep makes 21 runs; queuing more than 20 needs a yes, and this is not a terminal: nothing queued\. Add --yes/);
    // A key naming a params file outside the repository is data, never a path written to.
    const outside = path.join(tempDir(), 'params.yaml');
    fs.writeFileSync(outside, 'a: 1\n');
    assert.match(refused('outside.yaml', `method: grid\nparameters:\n  ${path.relative(root, outside)}:a: {values: [2]}\n`), /^ERROR: '.*params\.yaml' is outside the repository/);
    assert.equal(fs.readFileSync(outside, 'utf8'), 'a: 1\n');
    assert.equal(git(root, 'for-each-ref', 'refs/exps', 'refs/cairn'), '');

    // With --yes the big grid is queued; a metric HEAD lacks is said before, with the name meant.
    writeFiles(root, { 'big.yaml': 'method: grid\nmetric: {name: los}\nparameters:\n  train.epochs: {min: 1, max: 21}\n' });
    const r = cairn(root, 'exp', 'sweep', 'big.yaml', '--yes', '--queue');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "WARNING: big.yaml: metric 'los' is not among HEAD's metrics (did you mean 'loss'?); runs that write it are compared.\n");
    assert.deepEqual(queueStatus(root).map((s) => s.name), Array.from({ length: 21 }, (_, i) => `big-${i + 1}`));
  });
});
