import { strict as assert } from 'node:assert';
import { dvcOk, git, writeFiles } from '../support/fixtures';
import { trainedBaseline } from '../support/expFixtures';
import { Repo } from '../../src/core/repo/repo';
import { experimentsSnapshot } from '../../src/extension/experimentsSnapshot';

/**
 * The experiments table with other branches chosen (the Runs view's "Show Other Branches"): the
 * commits and experiments of each, as `dvc exp show --rev HEAD --rev <branch> -n <commits>` lists
 * them. Experiments made by the real `dvc exp run` on both branches.
 */
describe('experiments table: other branches chosen, against dvc exp show --rev', function () {
  this.timeout(240_000);

  it('shows the commits and experiments of the current branch and of each chosen branch as dvc does; a branch since deleted is left out', async () => {
    const root = trainedBaseline();
    git(root, 'checkout', '-q', '-b', 'tuning');
    writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.05\n  epochs: 3\n' });
    dvcOk(root, 'repro', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'tuning');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.07', '-n', 'exp-tuned');
    git(root, 'reset', '-q', '--hard'); // the run's results left in the workspace
    git(root, 'checkout', '-q', 'main');
    dvcOk(root, 'checkout', '-q');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'exp-main');

    // Per baseline (dvc's order): its sha and its experiments' names.
    type Shown = { rev: string; experiments: string[] };
    const dvcShown: Shown[] = (JSON.parse(dvcOk(root, 'exp', 'show', '--json', '--rev', 'HEAD', '--rev', 'tuning', '-n', '10')) as { rev: string; experiments: { name: string }[] | null }[])
      .filter((b) => b.rev !== 'workspace')
      .map((b) => ({ rev: b.rev, experiments: (b.experiments ?? []).map((e) => e.name).sort() }));
    assert.deepEqual(dvcShown.map((b) => b.experiments.join(',')).filter(Boolean).sort(), ['exp-main', 'exp-tuned'], 'the fixture: one experiment on each branch');

    await Repo.using(root, {}, async (repo) => {
      const payload = await experimentsSnapshot(repo, { commits: 10, branches: ['tuning', 'deleted-meanwhile'] });
      const shown: Shown[] = payload.rows
        .filter((r) => r.kind === 'commit')
        .map((c) => ({ rev: c.id, experiments: payload.rows.filter((r) => r.kind === 'experiment' && r.parent === c.id).map((r) => r.label).sort() }));
      assert.deepEqual(shown, dvcShown);
      assert.equal(payload.rows.find((r) => r.kind === 'commit' && r.label === 'tuning')?.id, git(root, 'rev-parse', 'tuning').trim(), "the branch's tip is named by the branch");

      // Without branches chosen: the current branch only, as plain `dvc exp show -n 10`.
      const plain = await experimentsSnapshot(repo, { commits: 10 });
      const dvcPlain = (JSON.parse(dvcOk(root, 'exp', 'show', '--json', '-n', '10')) as { rev: string }[]).map((b) => b.rev);
      assert.deepEqual(plain.rows.filter((r) => r.kind !== 'experiment').map((r) => r.id), dvcPlain);
    });
  });
});
