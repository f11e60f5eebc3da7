import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { Repo } from '../../src/core/repo/repo';
import { pipelineOutputStatuses } from '../../src/core/pipeline/pipelineOutputs';

describe('pipeline outputs against dvc.lock (what the Data & Models view shows)', function () {
  this.timeout(60_000);

  it('gives each cached stage output its status; a broken dvc.yaml hides only its own stages', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init');
    writeFiles(root, {
      'dvc.yaml': 'stages:\n  make:\n    cmd: echo made > made.txt\n    outs:\n    - made.txt\n  never:\n    cmd: echo x > later.txt\n    outs:\n    - later.txt\nartifacts:\n  m:\n    path: made.txt\n    type: model\n',
    });
    git(root, 'add', '-A');
    cairnOk(root, 'repro', 'make');
    writeFiles(root, { 'broken/dvc.yaml': 'stages:\n  bad:\n    cmd: [unclosed\n' });
    git(root, 'add', '-A');
    const statuses = await Repo.using(root, {}, (repo) => pipelineOutputStatuses(repo));
    assert.deepEqual(
      statuses.map((s) => [s.stage.addr, s.out.repoPath, s.status ?? 'in sync', s.artifact?.type]),
      [
        ['make', 'made.txt', 'in sync', 'model'],
        ['never', 'later.txt', 'deleted', undefined],
      ],
    );
    fs.writeFileSync(path.join(root, 'made.txt'), 'changed\n');
    const [made] = await Repo.using(root, {}, (repo) => pipelineOutputStatuses(repo));
    assert.equal(made.status, 'modified');
    assert.match(made.recorded?.md5 ?? '', /^[0-9a-f]{32}$/);
  });
});
