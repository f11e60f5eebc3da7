import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * A folder with its own `.dvc/` is another DVC project (`dvc init --subdir`): dvc treats it as
 * its own repository and the parent never sees into it. Every reader of the parent — stages,
 * status, params, metrics, plots, diff, ls, lint — must leave it out, at the workspace and at
 * git revisions, while the nested project read from inside is whole.
 */

const json = (stdout: string) => JSON.parse(stdout) as unknown;
/** A `.dvc` file the nested project cannot read: the parent must not even look at it. */
const writeBrokenNestedFile = (root: string) => writeFiles(root, { 'sub/broken.dvc': 'outs: [\n' });
const both = (cwd: string, ...args: string[]) => ({ ours: json(cairnOk(cwd, ...args, '--json')), theirs: json(dvcOk(cwd, ...args, '--json')) });

/** A parent project (a `.dvc` file, a stage, params, metrics) with a nested project in `sub/` that has all of these too, changed in the last commit. */
function parentWithNestedRepo(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, {
    'top.txt': 'top\n',
    'params.yaml': 'lr: 0.1\n',
    'dvc.yaml': 'stages:\n  top:\n    cmd: echo t > t.out && echo {\\"acc\\":1} > m.json\n    params: [lr]\n    outs: [t.out]\n    metrics: [{m.json: {cache: false}}]\n',
  });
  dvcOk(root, 'add', '-q', 'top.txt');
  const sub = path.join(root, 'sub');
  writeFiles(sub, { 's.txt': 's\n' });
  dvcOk(sub, 'init', '-q', '--subdir');
  writeFiles(sub, {
    'params.yaml': 'p: 1\n',
    'dvc.yaml': 'stages:\n  inner:\n    cmd: echo i > i.out && echo {\\"loss\\":2} > inner.json && echo x,y > curve.csv && echo 1,2 >> curve.csv\n    params: [p]\n    outs: [i.out]\n    metrics: [{inner.json: {cache: false}}]\n    plots: [{curve.csv: {cache: false}}]\n',
  });
  dvcOk(sub, 'add', '-q', 's.txt');
  dvcOk(root, 'repro', '-q');
  dvcOk(sub, 'repro', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'v1');
  // Changes in the nested project only.
  writeFiles(sub, { 'params.yaml': 'p: 2\n', 's.txt': 's2\n' });
  dvcOk(sub, 'add', '-q', 's.txt');
  dvcOk(sub, 'repro', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'v2');
  return root;
}

describe('interop: a nested DVC repository is its own project, the parent does not see into it', function () {
  this.timeout(300_000);
  let root: string;
  before(() => {
    root = parentWithNestedRepo();
  });

  it('status, params, metrics and diff of the parent leave the nested project out, at the workspace and between revisions', () => {
    writeBrokenNestedFile(root);
    for (const args of [['status'], ['params', 'diff', '--all'], ['params', 'diff', 'HEAD~1', '--all'], ['metrics', 'show'], ['metrics', 'diff', 'HEAD~1', '--all'], ['diff'], ['diff', 'HEAD~1', 'HEAD']]) {
      const { ours, theirs } = both(root, ...args);
      assert.ok(!JSON.stringify(theirs).includes('sub/'), `dvc leaves sub/ out (fixture check): ${JSON.stringify(theirs)}`);
      assert.deepEqual(ours, theirs, args.join(' '));
    }
    assert.ok(JSON.stringify(both(root, 'params', 'diff', '--all').theirs).includes('lr'), 'the parent has params of its own (fixture check)');
  });

  it('stage list, ls, plots and lint of the parent show nothing from the nested project', () => {
    writeBrokenNestedFile(root);
    const stageNames = (text: string) => text.split('\n').filter(Boolean).map((line) => line.split(/\s+/)[0]);
    assert.deepEqual(stageNames(cairnOk(root, 'stage', 'list')), stageNames(dvcOk(root, 'stage', 'list')));
    const listed = json(cairnOk(root, 'ls', '.', '-R', '--dvc-only', '--json')) as { path: string }[];
    assert.deepEqual(listed.map((e) => e.path), ['t.out', 'top.txt']);
    assert.deepEqual(json(cairnOk(root, 'ls', '.', '-R', '--json')), json(dvcOk(root, 'ls', '.', '-R', '--json')));
    assert.ok(!cairnOk(root, 'plots', 'diff', '--json').includes('curve.csv'));
    const lint = cairn(root, 'lint');
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.doesNotMatch(lint.stdout + lint.stderr, /sub\/|broken/);
  });

  it('the nested project read from inside is whole, as dvc reads it', () => {
    const sub = path.join(root, 'sub');
    writeBrokenNestedFile(root);
    assert.match(cairn(sub, 'lint').stdout, /broken\.dvc/);
    fs.rmSync(path.join(sub, 'broken.dvc'));
    for (const args of [['params', 'diff', 'HEAD~1'], ['metrics', 'show'], ['diff', 'HEAD~1', 'HEAD']]) {
      const { ours, theirs } = both(sub, ...args);
      assert.ok(JSON.stringify(theirs) !== '{}', `dvc sees the nested project's data (fixture check): ${args.join(' ')}`);
      assert.deepEqual(ours, theirs, args.join(' '));
    }
  });
});
