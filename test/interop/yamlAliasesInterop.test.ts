import { strict as assert } from 'node:assert';
import { cairnOk, dvc, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * dvc.yaml with anchors, aliases and merge keys (`<<: *base`), a common way to share deps and
 * settings between stages: Cairn reads them as the real dvc does.
 */
describe('YAML anchors, aliases and merge keys in dvc.yaml, against dvc', function () {
  this.timeout(120_000);

  it('status --json and dag --dot equal dvc\'s', () => {
    const repo = tempGitRepo();
    cairnOk(repo, 'init');
    writeFiles(repo, {
      'params.yaml': 'lr: 0.1\n',
      'dvc.yaml': [
        'stages:',
        '  a:',
        '    cmd: echo a > a.txt',
        '    deps: &deps',
        '    - params.yaml',
        '    outs:',
        '    - a.txt',
        '  b: &base',
        '    cmd: echo b > b.txt',
        '    deps:',
        '    - a.txt',
        '    outs:',
        '    - b.txt',
        '  c:',
        '    cmd: echo c',
        '    deps: *deps',
        '  d:',
        '    <<: *base',
        '    cmd: echo d > d.txt',
        '    outs:',
        '    - d.txt',
        '',
      ].join('\n'),
    });
    const theirs = dvc(repo, 'status', '--json');
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.deepEqual(JSON.parse(cairnOk(repo, 'status', '--json')), JSON.parse(theirs.stdout));
    const dvcDag = dvc(repo, 'dag', '--dot');
    assert.equal(dvcDag.status, 0, dvcDag.stderr);
    const lines = (out: string) => out.split('\n').filter((l) => l.trim() !== '');
    assert.deepEqual(lines(cairnOk(repo, 'dag', '--dot')), lines(dvcDag.stdout), 'the same graph (dvc prints one blank line more)');
  });
});
