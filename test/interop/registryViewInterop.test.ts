import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureGto } from '../support/peers';
import { Repo } from '../../src/core/repo/repo';
import { registrySnapshot, RegistrySnapshot } from '../../src/extension/registrySnapshot';
import { modelHandlers } from '../../src/extension/registryOps';

/**
 * The Model Registry view's operations (the core worker's registry ops) against the real gto: after
 * register, assign, a second version taking the stage, unassign, deregister and deprecate done by
 * the view, `gto show --json` and `gto show <name> --json` say what the view shows — the latest
 * version, each stage's version, the versions in order — and a deprecated artifact is gone from both.
 */
async function at<T>(seconds: number, fn: () => Promise<T>): Promise<T> {
  process.env.GIT_COMMITTER_DATE = `${seconds} +0000`;
  process.env.GIT_AUTHOR_DATE = `${seconds} +0000`;
  try {
    return await fn();
  } finally {
    delete process.env.GIT_COMMITTER_DATE;
    delete process.env.GIT_AUTHOR_DATE;
  }
}

function gtoJson(cwd: string, ...args: string[]): any {
  const r = spawnSync(ensureGto(), [...args, '--json'], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const snapshotOf = (dir: string): Promise<RegistrySnapshot> => Repo.using(dir, {}, (repo) => registrySnapshot(repo));

describe('Model Registry view operations against the real gto', function () {
  this.timeout(120_000);

  it('shows what gto show shows after register, assign, reassign, unassign, deregister and deprecate', async () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init', '-q');
    writeFiles(dir, { 'model.bin': 'one', 'dvc.yaml': 'artifacts:\n  classifier:\n    path: model.bin\n    type: model\n' });
    const T = 1_700_000_000;
    const commit = (seconds: number, message: string) =>
      at(seconds, async () => {
        git(dir, 'add', '-A');
        git(dir, 'commit', '-q', '-m', message);
      });
    const op = <K extends keyof typeof modelHandlers>(seconds: number, name: K, args: Parameters<(typeof modelHandlers)[K]>[0]) =>
      at(seconds, () => Repo.using(dir, {}, (repo) => (modelHandlers[name] as (a: unknown, c: { repo: Repo }) => Promise<unknown>)(args, { repo })));

    await commit(T, 'first');
    await op(T + 1, 'modelRegister', { name: 'classifier', version: 'v0.1.0' });
    await op(T + 2, 'modelAssign', { name: 'classifier', version: 'v0.1.0', stage: 'prod' });
    await op(T + 3, 'modelAssign', { name: 'classifier', version: 'v0.1.0', stage: 'staging' });
    await op(T + 4, 'modelRegister', { name: 'other', version: 'v1.0.0' });
    await op(T + 5, 'modelRegister', { name: 'old', version: 'v0.0.1' });
    writeFiles(dir, { 'model.bin': 'two' });
    await commit(T + 10, 'second');
    await op(T + 11, 'modelRegister', { name: 'classifier', version: 'v0.2.0' });
    await op(T + 12, 'modelAssign', { name: 'classifier', version: 'v0.2.0', stage: 'prod' });
    await op(T + 13, 'modelUnassign', { name: 'classifier', version: 'v0.1.0', stage: 'staging' });
    await op(T + 14, 'modelRegister', { name: 'other', version: 'v1.1.0' });
    await op(T + 15, 'modelDeregister', { name: 'other', version: 'v1.1.0' });
    await op(T + 16, 'modelDeprecate', { name: 'old' });

    const snapshot = await snapshotOf(dir);
    const show = gtoJson(dir, 'show');
    assert.deepEqual(Object.keys(show).sort(), ['classifier', 'other'], 'gto hides the deprecated artifact');
    assert.deepEqual(snapshot.models.map((m) => m.name), ['classifier', 'other'], 'so does the view');
    for (const model of snapshot.models) {
      const stages = Object.fromEntries(model.versions.flatMap((v) => v.stages.map((s) => [s, v.version])));
      const gtoStages = Object.fromEntries(Object.entries(show[model.name].stage as Record<string, string | null>).filter(([, v]) => v !== null));
      assert.deepEqual({ version: model.versions.find((v) => v.registered)?.version, stages }, { version: show[model.name].version, stages: gtoStages }, model.name);
      assert.deepEqual(model.versions.map((v) => v.version), gtoJson(dir, 'show', model.name).map((v: { version: string }) => v.version), `${model.name}'s versions`);
    }
    assert.deepEqual(snapshot.models[0].versions.map((v) => [v.version, v.stages, v.assignedStages]), [
      ['v0.2.0', ['prod'], ['prod']],
      ['v0.1.0', [], ['prod']],
    ]);
    assert.deepEqual(snapshot.stages, gtoJson(dir, 'stages').sort());
  });

  it('writes no tag and no branch for a bad version, and reads a table row only as an experiment ref or a commit', async () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init', '-q');
    writeFiles(dir, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': "stages:\n  train:\n    cmd: echo ${lr} > model.bin\n    params: [lr]\n    outs: [model.bin]\nartifacts:\n  classifier:\n    path: model.bin\n" });
    cairnOk(dir, 'repro', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'baseline');
    cairnOk(dir, 'exp', 'run', '-q', '-S', 'lr=0.2', '-n', 'exp-a');
    const ref = git(dir, 'for-each-ref', '--format=%(refname)', 'refs/exps').trim();
    const call = <K extends keyof typeof modelHandlers>(name: K, args: Parameters<(typeof modelHandlers)[K]>[0]) =>
      Repo.using(dir, {}, (repo) => (modelHandlers[name] as (a: unknown, c: { repo: Repo }) => Promise<any>)(args, { repo }));

    const row = await call('registrableRow', { rowId: ref });
    assert.deepEqual(row, { label: 'exp-a', commit: git(dir, 'rev-parse', ref).trim(), experiment: ref, branches: [] });
    for (const rowId of ['workspace', '--upload-pack=touch /tmp/x', 'refs/exps/../heads/main', 'HEAD']) {
      await assert.rejects(call('registrableRow', { rowId }), /only a finished experiment or a commit|was not found/, rowId);
    }
    await assert.rejects(call('modelRegister', { name: 'classifier', version: '1.0', rev: row.commit, branch: { experiment: ref, name: 'exp-a-branch' } }), /Version '1\.0' is not valid/);
    await assert.rejects(call('modelRegister', { name: 'bad name!', version: 'v1.0.0', rev: row.commit, branch: { experiment: ref, name: 'exp-a-branch' } }), /Invalid value 'bad name!'/);
    assert.equal(git(dir, 'tag', '--list'), '');
    assert.equal(git(dir, 'branch', '--list', 'exp-a-branch'), '');
    const made = await call('modelRegister', { name: 'classifier', version: 'v1.0.0', rev: row.commit, branch: { experiment: ref, name: 'exp-a-branch' } });
    assert.deepEqual(made, { tag: 'classifier@v1.0.0', version: 'v1.0.0', branch: 'exp-a-branch' });
    assert.deepEqual(gtoJson(dir, 'show').classifier.version, 'v1.0.0');
    assert.deepEqual((await call('registrableRow', { rowId: ref })).branches, ['exp-a-branch']);
  });
});
