import { strict as assert } from 'node:assert';
import { CairnError } from '../../src/core/errors';
import { resolveExperimentNames } from '../../src/core/experiments/selectExperiments';
import { parseExperimentRef } from '../../src/core/experiments/refs';
import { expPush } from '../../src/core/experiments/push';
import { expPull } from '../../src/core/experiments/pull';
import { setFolderTrusted } from '../../src/core/folderTrust';
import { Repo } from '../../src/core/repo/repo';
import { cairnOk, cleanupTempDirs, git, tempDir, tempGitRepo } from '../support/fixtures';

/** exp push/pull where dvc has nothing to compare: names as `resolve_name` picks them across baselines (the interop tests cover one baseline), a folder not trusted. */

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ref = (baseline: string, name: string) => parseExperimentRef(`refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`, 'c'.repeat(40))!;
const refs = [ref(A, 'shared'), ref(B, 'shared'), ref(A, 'only-a'), ref(B, 'lonely')];

function failure(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CairnError);
    return err;
  }
  assert.fail('expected a CairnError');
}

describe('exp push/pull: names, folder trust', () => {
  after(cleanupTempDirs);

  it('a name two baselines share is the one of HEAD, else ambiguous with the full refs to use', () => {
    assert.deepEqual(resolveExperimentNames(refs, ['shared'], B).map((r) => r.ref), [ref(B, 'shared').ref]);
    const err = failure(() => resolveExperimentNames(refs, ['shared'], 'd'.repeat(40)));
    assert.match(err.message, /^Ambiguous name 'shared' refers to multiple experiments\.$/);
    assert.equal(err.hint, `Use one of the following full refnames instead: ${ref(A, 'shared').ref}, ${ref(B, 'shared').ref}.`);
  });

  it('a full refs/exps/... ref names itself; names that match nothing fail together, the first with a "did you mean"', () => {
    assert.deepEqual(resolveExperimentNames(refs, [ref(A, 'shared').ref, 'lonely'], undefined).map((r) => r.name), ['shared', 'lonely']);
    const err = failure(() => resolveExperimentNames(refs, ['only-b', 'nothing-like-it'], A));
    assert.equal(err.message, "'only-b; nothing-like-it' are not valid experiment names.");
    assert.equal(err.hint, "Did you mean 'only-a'?");
    assert.deepEqual(err.suggestion, { from: 'only-b', to: 'only-a' });
    const remote = failure(() => resolveExperimentNames(refs, ['zzz'], A, 'origin'));
    assert.equal(remote.message, "'zzz' is not a valid experiment name.");
    assert.equal(remote.hint, '`cairn exp list origin -A` lists the experiments.');
    assert.equal(failure(() => resolveExperimentNames(refs, [`${ref(A, 'gone').ref}`], A)).message, `'${ref(A, 'gone').ref}' is not a valid experiment name.`);
  });

  it('in a folder not trusted, exp push and pull run no git and say why', async () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init');
    const remote = tempDir();
    git(remote, 'init', '-q', '--bare');
    git(dir, 'remote', 'add', 'origin', remote);
    setFolderTrusted(false);
    const repo = Repo.open(dir, { hashJobs: 1 }); // opened untrusted: no scm
    try {
      for (const run of [expPush, expPull]) {
        await assert.rejects(run(repo, { gitRemote: 'origin', cwd: dir, allCommits: true }), /is not run in a folder you have not trusted/);
      }
    } finally {
      setFolderTrusted(true);
      await repo.close();
    }
  });
});
