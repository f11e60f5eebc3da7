import { strict as assert } from 'node:assert';
import { checkForm, valueText, kindOf, type ParamField } from '../../webview/runForm';
import { checkMessage, FROM_RUN_FORM } from '../../webview/messages';
import { parseSetParams, sweepRuns } from '../../src/core/experiments/setParams';
import { parseOverride } from '../../src/core/experiments/overrideGrammar';
import { runFormFields } from '../../src/extension/runFormSnapshot';
import { enqueue, queueStates } from '../../src/core/experiments/runQueue';
import { Repo } from '../../src/core/repo/repo';
import { cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { PIPELINE, TRAIN } from '../support/expFixtures';

const field = (path: string, kind: ParamField['kind'], value: string, workspace: string | null = value, file = 'params.yaml'): ParamField => ({ file, path: path.split('.'), kind, value, workspace });
const FIELDS = [field('train.lr', 'number', '0.1'), field('train.epochs', 'number', '3'), field('train.shuffle', 'boolean', 'true'), field('model.name', 'string', 'cnn'), field('layers', 'list', '[64,32]')];
const texts = (...changed: [number, string][]) => {
  const t = FIELDS.map((f) => f.value);
  for (const [i, text] of changed) t[i] = text;
  return t;
};

describe('Modify Params and Run form (webview/runForm)', () => {
  it('refuses text in a number field, an empty sweep and a malformed range next to the field, and counts no runs then', () => {
    for (const [text, words] of [
      ['abc', /abc is not a number/],
      ['', /Enter a number/],
      ['range(5,1)', /makes no runs/],
      ['range(1,', /Not a value -S can set/],
      ['0.1,abc', /abc is not a number \(each value of a sweep must be\)/],
      ['glob(*)', /glob\(\) cannot be swept/],
    ] as const) {
      const check = checkForm(FIELDS, texts([0, text]));
      assert.match(check.problems[0] ?? '', words, text);
      assert.deepEqual(check.problems.slice(1), [undefined, undefined, undefined, undefined], text);
      assert.equal(check.runs, 0, text);
    }
    assert.match(checkForm(FIELDS, texts([4, '7'])).problems[4] ?? '', /7 is not a list/);
    assert.match(checkForm(FIELDS, texts([2, 'maybe'])).problems[2] ?? '', /is not true or false/);
  });

  it('counts the runs of its sweeps as the queue makes them (the product of value lists), and sets only what differs from the workspace', () => {
    const check = checkForm(FIELDS, texts([0, '0.1,0.2'], [1, 'range(1,4)'], [3, 'rnn']));
    assert.deepEqual(check.problems, [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(check.runs, 6);
    assert.equal(check.sweep, true);
    assert.deepEqual(check.setParams, ['params.yaml:train.lr=0.1,0.2', 'params.yaml:train.epochs=range(1,4)', 'params.yaml:model.name=rnn']);
    // The same count as the queue's own expansion of those -S arguments.
    assert.equal(sweepRuns(parseSetParams(check.setParams)).length, 6);
    assert.deepEqual(checkForm(FIELDS, texts([0, 'choice(0.3)'])), { problems: [undefined, undefined, undefined, undefined, undefined], runs: 1, sweep: true, setParams: ['params.yaml:train.lr=choice(0.3)'] });
    const unchanged = checkForm(FIELDS, texts());
    assert.deepEqual([unchanged.runs, unchanged.sweep, unchanged.setParams], [1, false, []]);
    // A row's value the workspace lacks (or has otherwise) is set.
    assert.deepEqual(checkForm([field('seed', 'number', '7', null), field('train.lr', 'number', '0.4', '0.1')], ['7', '0.4']).setParams, ['params.yaml:seed=7', 'params.yaml:train.lr=0.4']);
  });

  it('writes each loaded value as -S text that reads back as the same value and type', () => {
    for (const value of [0.1, 3, 1e-5, true, false, 'cnn', '5', 'true', 'a,b', 'x y', "it's", '', null, [64, 32], ['a', 1], [{ k: 1 }]]) {
      const text = valueText(value);
      const override = parseOverride(`k=${text}`);
      assert.equal(override.value?.kind, 'element', `${JSON.stringify(value)} → ${text}`);
      const element = (override.value as { element: unknown }).element;
      const plain = JSON.parse(JSON.stringify(element, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : typeof v === 'object' && v && 'text' in v && 'quote' in v ? v.text : v)));
      assert.deepEqual(plain, value, `${JSON.stringify(value)} → ${text}`);
    }
    assert.deepEqual([0.1, true, 'a', [1], null].map(kindOf), ['number', 'boolean', 'string', 'list', 'other']);
  });

  it('accepts only well-formed messages from the page', () => {
    assert.ok(checkMessage(FROM_RUN_FORM, { type: 'submit', action: 'queue', name: '', values: ['0.1'], jobs: 2 }));
    for (const bad of [
      { type: 'submit', action: 'exec', name: '', values: ['0.1'], jobs: 1 },
      { type: 'submit', action: 'run', name: '', values: [1], jobs: 1 },
      { type: 'submit', action: 'run', name: '', values: ['1'] },
      { type: 'submit', action: 'run', name: '', values: ['1'], jobs: Infinity },
      { type: 'run', cmd: 'rm -rf /' },
    ]) assert.equal(checkMessage(FROM_RUN_FORM, bad), undefined, JSON.stringify(bad));
  });
});

describe('Modify Params and Run form: fields of a row (src/extension/runFormSnapshot)', function () {
  this.timeout(60_000);
  let root = '';
  let baseline = '';
  let experiment = '';

  before(() => {
    root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 3\n  shuffle: true\nlayers: [64, 32]\nname: cnn\n', 'train.py': TRAIN, 'dvc.yaml': PIPELINE.replace('params: [train.lr, train.epochs]', 'params: [train.lr, train.epochs, train.shuffle, layers, name, {extra.json: [seed]}]'), 'extra.json': '{"seed": 1}', 'data.txt': 'd\n' });
    cairnOk(root, 'add', '-q', 'data.txt');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'baseline');
    baseline = git(root, 'rev-parse', 'HEAD').trim();
    cairnOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.4', '-n', 'form-exp');
    experiment = git(root, 'rev-parse', 'refs/exps/' + baseline.slice(0, 2) + '/' + baseline.slice(2) + '/form-exp').trim();
    writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.2\n  epochs: 3\n  shuffle: true\nlayers: [64, 32]\nname: cnn\n' });
  });

  const summary = (fields: ParamField[]) => fields.map((f) => `${f.file}:${f.path.join('.')} ${f.kind} ${f.value} (workspace ${f.workspace})`);

  it("reads the workspace's, a commit's and an experiment's params, each value with the workspace's beside it, grouped by file", async () => {
    const read = (row: string) => Repo.using(root, {}, (repo) => runFormFields(repo, row));
    const workspace = await read('workspace');
    assert.equal(workspace.rev, 'workspace');
    assert.deepEqual(summary(workspace.fields), [
      'params.yaml:train.lr number 0.2 (workspace 0.2)',
      'params.yaml:train.epochs number 3 (workspace 3)',
      'params.yaml:train.shuffle boolean true (workspace true)',
      'params.yaml:layers list [64,32] (workspace [64,32])',
      'params.yaml:name string cnn (workspace cnn)',
      'extra.json:seed number 1 (workspace 1)',
    ]);
    assert.deepEqual(workspace.skipped, []);
    const commit = await read(baseline);
    assert.equal(summary(commit.fields)[0], 'params.yaml:train.lr number 0.1 (workspace 0.2)');
    // The table's id of an experiment row, and its ref, both read the experiment's commit.
    const byRow = await read(`${baseline}:form-exp:${experiment}`);
    assert.equal(byRow.rev, experiment);
    assert.equal(summary(byRow.fields)[0], 'params.yaml:train.lr number 0.4 (workspace 0.2)');
    assert.equal((await read(`refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/form-exp`)).rev, experiment);
  });

  it('refuses a row that is not the workspace, a sha or an experiment ref, so no page text reaches git as a revision', async () => {
    for (const row of ['HEAD~1', '--output=/tmp/x', 'main', 'refs/heads/main', `${baseline}:x:--all`]) {
      await assert.rejects(Repo.using(root, {}, (repo) => runFormFields(repo, row)), /is not a row of the experiments table/, row);
    }
  });

  it("queues exactly the form's count of runs from its -S arguments", async () => {
    const fields = (await Repo.using(root, {}, (repo) => runFormFields(repo, 'workspace'))).fields;
    const check = checkForm(fields, fields.map((f) => (f.path.join('.') === 'train.lr' ? '0.3,0.5' : f.path.join('.') === 'train.epochs' ? 'range(1,4)' : f.value)));
    assert.equal(check.runs, 6);
    const entries = await Repo.using(root, {}, (repo) => enqueue(repo, { cwd: root, setParams: check.setParams, name: 'grid' }));
    assert.deepEqual(entries.map((e) => [e.name, e.setParams.join(' ')]), [
      ['grid-1', 'params.yaml:train.lr=0.3 params.yaml:train.epochs=1'],
      ['grid-2', 'params.yaml:train.lr=0.3 params.yaml:train.epochs=2'],
      ['grid-3', 'params.yaml:train.lr=0.3 params.yaml:train.epochs=3'],
      ['grid-4', 'params.yaml:train.lr=0.5 params.yaml:train.epochs=1'],
      ['grid-5', 'params.yaml:train.lr=0.5 params.yaml:train.epochs=2'],
      ['grid-6', 'params.yaml:train.lr=0.5 params.yaml:train.epochs=3'],
    ]);
    assert.equal((await Repo.using(root, {}, (repo) => queueStates(repo))).filter((s) => s.status === 'queued').length, 6);
  });
});
