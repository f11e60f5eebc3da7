import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dvcOk, git, tempDir } from '../support/fixtures';
import { trainedBaseline } from '../support/expFixtures';
import { Repo } from '../../src/core/repo/repo';
import { expList } from '../../src/core/experiments/list';
import { experimentRefName, experimentsSnapshot } from '../../src/extension/experimentsSnapshot';
import { withRemoteOnly } from '../../src/extension/experimentRows';

/**
 * The experiments table's dimmed rows (experiments only on the git remote) against the real dvc:
 * they are what `dvc exp list <remote>` lists and `dvc exp list` (local) does not, and each finished
 * row is named by the ref dvc wrote. Experiments made by `dvc exp run` in two clones, shared
 * through a bare git remote with `dvc exp push`.
 */
describe('experiments table: remote-only rows and row refs vs dvc exp list', function () {
  this.timeout(240_000);

  it("dims exactly the experiments dvc lists on the remote and not here, under their baseline; finished rows carry dvc's refs", async () => {
    const root = trainedBaseline();
    const remote = path.join(tempDir(), 'origin.git');
    git(path.dirname(remote), 'init', '-q', '--bare', '-b', 'main', remote);
    git(root, 'remote', 'add', 'origin', remote);
    git(root, 'push', '-q', 'origin', 'main');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'exp-shared');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.3', '-n', 'exp-mine');
    dvcOk(root, 'exp', 'push', '--no-cache', 'origin', 'exp-shared');

    const teammate = path.join(tempDir(), 'clone');
    git(path.dirname(teammate), 'clone', '-q', '-b', 'main', remote, teammate);
    git(teammate, 'config', 'user.email', 'teammate@cairn.dev');
    git(teammate, 'config', 'user.name', 'Teammate');
    fs.cpSync(path.join(root, '.dvc', 'cache'), path.join(teammate, '.dvc', 'cache'), { recursive: true });
    dvcOk(teammate, 'checkout', '-q');
    dvcOk(teammate, 'exp', 'run', '-q', '-S', 'train.lr=0.6', '-n', 'exp-theirs-a');
    dvcOk(teammate, 'exp', 'run', '-q', '-S', 'train.lr=0.7', '-n', 'exp-theirs-b');
    dvcOk(teammate, 'exp', 'push', '--no-cache', 'origin', 'exp-theirs-a', 'exp-theirs-b');

    const names = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l && !l.endsWith(':')).sort();
    const onRemote = names(dvcOk(root, 'exp', 'list', '--all-commits', '--name-only', 'origin'));
    const local = names(dvcOk(root, 'exp', 'list', '--all-commits', '--name-only'));
    assert.deepEqual(onRemote, ['exp-shared', 'exp-theirs-a', 'exp-theirs-b']);

    await Repo.using(root, {}, async (repo) => {
      const payload = await experimentsSnapshot(repo, { commits: 10 });
      const listed = (await expList(repo, { gitRemote: 'origin', allCommits: true })).flatMap((b) => b.experiments.map((e) => ({ ref: experimentRefName(b.baseline, e.name), baseline: b.baseline, name: e.name })));
      const rows = withRemoteOnly(payload, listed).rows;
      assert.deepEqual(rows.filter((r) => r.remoteOnly).map((r) => r.label).sort(), onRemote.filter((n) => !local.includes(n)));
      const head = git(root, 'rev-parse', 'HEAD').trim();
      assert.ok(rows.filter((r) => r.remoteOnly).every((r) => r.parent === head), 'under their baseline');
      const refs = git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps/').split('\n').filter((r) => r.split('/').length === 5).sort(); // not dvc's exec refs (refs/exps/exec/EXEC_HEAD)
      assert.deepEqual(rows.filter((r) => r.ref && !r.remoteOnly).map((r) => r.ref).sort(), refs, "finished rows named by dvc's refs");
    });
  });
});
