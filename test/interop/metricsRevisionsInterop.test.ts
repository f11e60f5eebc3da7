import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { commitAll, same } from '../support/metricsJson';

/**
 * Which revisions `metrics show -a/-T/-A` lists and how a revision that cannot be loaded is
 * reported, against the real dvc: commits from before a DVC project in a sub-folder existed,
 * experiment commits, an old `.dvc` file DVC 3 refuses (`metric: false`), and an invalid
 * dvc.yaml in the workspace and at a branch.
 */

const ONE_METRIC = 'metrics:\n- metrics.json\n';

describe('interop: metrics show -a/-T/-A revisions against dvc', function () {
  this.timeout(300_000);

  it('leaves out commits from before a DVC project in a sub-folder was made', () => {
    const root = tempGitRepo();
    writeFiles(root, { 'README.md': 'no DVC here yet\n' });
    commitAll(root, 'before');
    git(root, 'tag', 'old');
    const project = path.join(root, 'proj');
    fs.mkdirSync(project);
    dvcOk(project, 'init', '--subdir', '-q');
    writeFiles(project, { 'dvc.yaml': ONE_METRIC, 'metrics.json': '{"acc": 0.5}' });
    commitAll(root, 'project');
    git(root, 'tag', 'new');
    const all = same(project, 'metrics', 'show', '-A') as Record<string, unknown>;
    assert.equal(Object.keys(all).length, 2, 'the workspace and the commit with proj/');
    const tags = same(project, 'metrics', 'show', '-T') as Record<string, unknown>;
    assert.deepEqual(Object.keys(tags).sort(), ['new', 'workspace']);
  });

  it('-A lists no experiment commits', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'dvc.yaml': 'stages:\n  train:\n    cmd: python3 train.py\n    deps:\n    - train.py\n    params:\n    - lr\n    metrics:\n    - metrics.json:\n        cache: false\n',
      'train.py': "import json\njson.dump({'acc': float(open('params.yaml').read().split()[1])}, open('metrics.json', 'w'))\n",
      'params.yaml': 'lr: 0.1\n',
    });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'one');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'lr=0.3', '--name', 'exp-a');
    git(root, 'checkout', '-q', '--', '.');
    assert.ok(git(root, 'for-each-ref', 'refs/exps/').includes('/exp-a'), 'dvc wrote the experiment');
    const all = same(root, 'metrics', 'show', '-A') as Record<string, unknown>;
    assert.deepEqual(Object.keys(all).length, 2, 'the workspace and the one commit');
  });

  it('a revision with an old `.dvc` file (`metric: false`) is dvc\'s YAMLValidationError; the others are read', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'dvc.yaml': ONE_METRIC,
      'metrics.json': '{"acc": 0.5}',
      'data.xml.dvc': 'md5: c2268dfb517c429756bc5ca85965a46b\nwdir: .\nouts:\n- md5: a304afb96060aad90176268345e10355\n  path: data.xml\n  cache: true\n  metric: false\n  persist: false\n',
    });
    commitAll(root, 'old format');
    writeFiles(root, { 'data.xml.dvc': 'outs:\n- md5: a304afb96060aad90176268345e10355\n  size: 3\n  hash: md5\n  path: data.xml\n', 'metrics.json': '{"acc": 0.7}' });
    commitAll(root, 'dvc 3 format');
    const all = same(root, 'metrics', 'show', '-A') as Record<string, { error?: { type: string; msg: string } }>;
    const old = git(root, 'rev-parse', 'HEAD~1').trim();
    assert.equal(all[old].error?.type, 'YAMLValidationError');
    assert.match(all[old].error!.msg, /^data\.xml\.dvc:7: unknown key 'metric'/);
    same(root, 'metrics', 'diff', 'HEAD~1', 'HEAD');
  });

  it('an invalid dvc.yaml keeps the `workspace` key with dvc\'s error type (validation, syntax, ${})', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': 'stages:\n  train:\n    cmd: echo\n    outz: [x]\n', 'metrics.json': '{"acc": 0.5}' });
    commitAll(root, 'invalid on main too');
    const shown = same(root, 'metrics', 'show', '-a') as Record<string, { error?: { type: string } }>;
    assert.deepEqual(Object.keys(shown).sort(), ['main', 'workspace']);
    assert.equal(shown.workspace.error?.type, 'YAMLValidationError');
    writeFiles(root, { 'dvc.yaml': 'stages:\n  train:\n    cmd: [echo\n' });
    assert.equal((same(root, 'metrics', 'show') as Record<string, { error?: { type: string } }>)[''].error?.type, 'YAMLSyntaxError');
    writeFiles(root, { 'dvc.yaml': 'stages:\n  train:\n    cmd: echo ${missing}\n' });
    assert.equal((same(root, 'metrics', 'show', '-a') as Record<string, { error?: { type: string } }>).workspace.error?.type, 'ResolveError');
  });
});
