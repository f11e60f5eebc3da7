import { strict as assert } from 'node:assert';
import { Repo } from '../../src/core/repo/repo';
import { claimNext, enqueue, finishEntry, queueStates, setWorker } from '../../src/core/experiments/runQueue';
import { cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * `queueStates` read while workers move entries (queued → claimed → running → failed): every
 * read meets every entry. `exp run --run-all` follows entries until each has ended, and an entry
 * missing from one read looked ended to it (it once exited 0 after a failed run).
 */
describe('queue states read while entries move (src/core/experiments/runQueue)', function () {
  this.timeout(120_000);

  it('meets every entry at every read while a worker claims, records and finishes them', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: echo trained\n    params: [lr]\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'pipeline');
    await Repo.using(root, {}, async (repo) => {
      const ids = (await enqueue(repo, { cwd: root, setParams: ['lr=0.11,0.12,0.13,0.14,0.15,0.16,0.17,0.18,0.19,0.2,0.21,0.22'], name: 'moving' })).map((e) => e.id).sort();
      let moving = true;
      const worker = async () => {
        for (let entry = await claimNext(repo); entry; entry = await claimNext(repo)) {
          await setWorker(repo, entry, { pid: process.pid, started: new Date().toISOString() });
          await finishEntry(repo, entry, { error: 'a test entry' });
        }
        moving = false;
      };
      let reads = 0;
      const reader = async () => {
        while (moving) {
          const met = (await queueStates(repo)).map((s) => s.entry.id).sort();
          assert.deepEqual(met, ids, `read ${reads + 1} missed an entry`);
          reads++;
        }
      };
      await Promise.all([worker(), reader(), reader()]);
      assert.ok(reads >= 10, `only ${reads} reads while the entries moved`);
      assert.deepEqual((await queueStates(repo)).map((s) => s.status), ids.map(() => 'failed'));
    });
  });
});
