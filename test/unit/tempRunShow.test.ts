import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { Repo } from '../../src/core/repo/repo';
import { experimentsSnapshot } from '../../src/extension/experimentsSnapshot';
import type { ExpState } from '../../src/core/experiments/contract';

/**
 * A `cairn exp run --temp` going on is listed by `exp show` (and so in the experiments table,
 * whose live metrics follow it by name) as dvc lists its own `--temp` runs: running, under its
 * baseline, with the params it started from (its `-S` overrides); gone once it ends.
 */
describe('a --temp run going on in exp show and the experiments table (core/experiments/show, liveRuns)', function () {
  this.timeout(120_000);

  it('lists it running with its overrides, by the commit of its starting files; not after it is interrupted', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: sleep 60 && echo done > out.txt\n    params: [lr]\n    outs: [out.txt]\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'slow stage');
    const baseline = git(root, 'rev-parse', 'HEAD').trim();
    const run = spawn(process.execPath, [CLI, 'exp', 'run', '--temp', '-S', 'lr=0.5', '-n', 'tempy'], { cwd: root, detached: true, stdio: 'ignore' });
    const ended = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
    try {
      const records = path.join(root, '.dvc', 'tmp', 'cairn', 'temp-runs');
      const started = () => fs.existsSync(records) && fs.readdirSync(records).some((f) => 'start' in JSON.parse(fs.readFileSync(path.join(records, f), 'utf8')));
      for (let i = 0; i < 300 && !started(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(started(), 'the run recorded its start');

      const shown = JSON.parse(cairnOk(root, 'exp', 'show', '--json')) as ExpState[];
      const base = shown.find((s) => s.rev === baseline)!;
      const tempy = base.experiments?.find((e) => e.name === 'tempy');
      assert.ok(tempy, `tempy listed under its baseline: ${JSON.stringify(base.experiments)}`);
      assert.equal(tempy.executor?.state, 'running');
      assert.equal(tempy.executor?.name, 'tempdir');
      const params = tempy.revs[0].data?.params['params.yaml']?.data as { lr?: number } | undefined;
      assert.equal(params?.lr, 0.5, 'the params it started from');
      assert.equal(git(root, 'rev-parse', `${tempy.revs[0].rev}^`).trim(), baseline, 'a commit on the baseline');

      await Repo.using(root, {}, async (repo) => {
        const row = (await experimentsSnapshot(repo, { commits: 10 })).rows.find((r) => r.label === 'tempy');
        assert.equal(row?.state, 'running');
        assert.equal(row?.parent, baseline);
      });
    } finally {
      try {
        process.kill(-run.pid!, 'SIGINT');
      } catch {
        // it ended
      }
    }
    assert.notEqual(await ended, 0, 'the interrupted run failed');
    const after = JSON.parse(cairnOk(root, 'exp', 'show', '--json')) as ExpState[];
    assert.equal(after.find((s) => s.rev === baseline)?.experiments?.some((e) => e.name === 'tempy') ?? false, false, 'not listed once it ended');

    // Planted records (a tree and a record naming pid 1, or a live process that is no `exp run --temp`): no row.
    for (const [tree, pid] of [['tmpplant01', 1], ['tmpplant02', process.pid]] as const) {
      fs.mkdirSync(path.join(root, '.dvc', 'tmp', 'exps', tree, '.dvc'), { recursive: true });
      fs.mkdirSync(path.join(root, '.dvc', 'tmp', 'cairn', 'temp-runs'), { recursive: true });
      fs.writeFileSync(path.join(root, '.dvc', 'tmp', 'cairn', 'temp-runs', `${tree}.json`), JSON.stringify({ name: `planted-${pid}`, pid, baseline, start: baseline }));
    }
    const planted = JSON.parse(cairnOk(root, 'exp', 'show', '--json')) as ExpState[];
    assert.deepEqual(planted.flatMap((s) => s.experiments ?? []).filter((e) => e.executor?.state === 'running'), [], 'a planted record makes no running row');
  });
});
