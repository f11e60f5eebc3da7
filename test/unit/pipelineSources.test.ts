import { strict as assert } from 'node:assert';
import { Git } from '../../src/core/scm/git';
import { DvcIgnore } from '../../src/core/repo/dvcignore';
import { loadPipelines } from '../../src/core/pipeline/load';
import { gitRevisionSource } from '../../src/core/pipeline/gitSource';
import { workspaceSource } from '../../src/core/pipeline/workspaceSource';
import { metricsFiles, paramsFiles } from '../../src/core/pipeline/trackedFiles';
import { git, tempGitRepo, writeFiles } from '../support/fixtures';

describe('pipeline sources (workspace, git revision)', () => {
  it('loads a committed revision without checking it out, and the workspace with .dvcignore', async () => {
    const root = tempGitRepo();
    writeFiles(root, {
      'params.yaml': 'lr: 0.1\n',
      'dvc.yaml': 'stages:\n  train:\n    cmd: train ${lr}\n    params: [lr]\n    metrics: [m.json]\n',
      'exp/dvc.yaml': 'stages:\n  e:\n    cmd: run\n    params:\n    - p.toml:\n',
      'exp/p.toml': 'a = 1\n',
      'ignored/dvc.yaml': 'stages:\n  bad:\n    cmd: ${nope}\n',
      '.dvcignore': 'ignored/\n',
    });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'v1');
    writeFiles(root, { 'params.yaml': 'lr: 0.2\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: train ${lr} --new\n    params: [lr]\n' });

    const g = new Git(root);
    const head = await g.revParse('HEAD');
    const ignore = new DvcIgnore(root);
    const atHead = await loadPipelines(await gitRevisionSource(g, head, '', ignore));
    assert.deepEqual(atHead.stages.map((s) => [s.addr, s.cmd]), [['train', 'train 0.1'], ['exp/dvc.yaml:e', 'run']]);
    assert.deepEqual(metricsFiles(atHead), ['m.json']);
    assert.deepEqual(paramsFiles(atHead), [{ repoPath: 'params.yaml', keys: ['lr'] }, { repoPath: 'exp/p.toml', keys: null }]);

    const now = await loadPipelines(workspaceSource(root, ignore));
    assert.deepEqual(now.stages.map((s) => [s.addr, s.cmd]), [['train', 'train 0.2 --new'], ['exp/dvc.yaml:e', 'run']]);
    assert.deepEqual(metricsFiles(now), []);
  });
});
