import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvcOk, git } from '../support/fixtures';
import { countingBaseline, trainedBaseline, useRunsLog } from '../support/expFixtures';
import { SEED, streamFor } from '../support/faultSeed';
import { parsePythonJson } from '../../src/core/metrics/dataFile';

/**
 * Cairn's experiment queue (issue 16, first part): `exp run --queue`, detached workers from
 * `queue start -j N`, `queue status` and `queue logs`; what they record, dvc lists.
 */
describe('queue (interop with dvc)', function () {
  this.timeout(300_000);
  const runsLogPath = useRunsLog();

  const status = (root: string) => JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as { id: string; name: string; status: string; error: string | null }[];

  /** The processes working in `root` (workers, runs and runs started ahead), zombies left out. */
  const processesIn = (root: string) =>
    fs.readdirSync('/proc').filter((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        const cwd = fs.readlinkSync(`/proc/${p}/cwd`);
        return (cwd === root || cwd.startsWith(root + path.sep)) && !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
      } catch {
        return false;
      }
    });

  /** Once the queue is done, every worker and the run each started ahead end by themselves, leaving only the entries' logs. */
  async function assertAllEnded(root: string, where = ''): Promise<void> {
    for (let i = 0; i < 100 && processesIn(root).length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(processesIn(root), [], `${where} processes still running in the repository`);
    const logs = fs.readdirSync(path.join(root, '.dvc', 'tmp', 'cairn', 'queue', 'logs')).sort();
    assert.deepEqual(logs, status(root).map((s) => `${s.id}.log`).sort(), `${where} one log per entry, no other file`);
  }

  async function waitForQueue(root: string): Promise<void> {
    for (let i = 0; i < 600; i++) {
      if (status(root).every((s) => s.status === 'success' || s.status === 'failed')) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the queue did not finish: ${JSON.stringify(status(root))}`);
  }

  it('four queued runs and two workers: each runs once, its experiment dvc lists with its params and metrics; a failing one keeps its log', async () => {
    const root = countingBaseline();
    const before = fs.existsSync(runsLogPath()) ? fs.readFileSync(runsLogPath(), 'utf8') : '';
    for (const [name, lr] of [['q2', '0.2'], ['q3', '0.3'], ['q4', '0.4'], ['too-big', '1.5']]) {
      assert.match(cairnOk(root, 'exp', 'run', '--queue', '-S', `train.lr=${lr}`, '-n', name), new RegExp(`Queued experiment '${name}' for future execution\\.`));
    }
    // Queuing changes nothing in the workspace and records nothing yet.
    assert.equal(git(root, 'status', '--porcelain'), '');
    assert.equal(git(root, 'for-each-ref', 'refs/exps'), '');
    assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['q2', 'queued'], ['q3', 'queued'], ['q4', 'queued'], ['too-big', 'queued']]);
    assert.match(cairnOk(root, 'queue', 'start', '-j', '2'), /Started 2 workers for 4 queued experiments\./);
    await waitForQueue(root);

    const ran = (fs.existsSync(runsLogPath()) ? fs.readFileSync(runsLogPath(), 'utf8') : '').slice(before.length).split('\n').filter(Boolean).sort();
    assert.deepEqual(ran, ['q2', 'q3', 'q4'], 'each queued run ran exactly once (the failing one never reached its echo)');
    assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['q2', 'success'], ['q3', 'success'], ['q4', 'success'], ['too-big', 'failed']]);
    const shown = parsePythonJson(dvcOk(root, 'exp', 'show', '--json')) as any[];
    const byName = Object.fromEntries(shown[1].experiments.map((e: any) => [e.name, e.revs[0].data]));
    for (const [name, lr] of [['q2', 0.2], ['q3', 0.3], ['q4', 0.4]] as const) {
      assert.equal(byName[name].params['params.yaml'].data.train.lr, lr, name);
      assert.equal(byName[name].metrics['metrics.json'].data.acc, lr * 2, name);
    }
    assert.ok(!('too-big' in byName));
    assert.match(cairnOk(root, 'queue', 'logs', 'too-big'), /lr too big/);
    assert.equal(git(root, 'for-each-ref', 'refs/cairn'), '', 'the starting commits of finished runs are let go');
    await assertAllEnded(root);
  });

  it('a bad -S is refused when queued, in one line; nothing queued', () => {
    const root = trainedBaseline();
    const r = cairn(root, 'exp', 'run', '--queue', '-S', 'train.nokey=1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ERROR: params\.yaml: Could not override 'train\.nokey'\. To append to your config use \+train\.nokey=1/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.deepEqual(status(root), []);
  });

  it('a worker SIGKILLed mid-run at a seeded moment: that run is failed with its log, the others run after the next queue start', async () => {
    const root = countingBaseline();
    const yaml = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('cmd: python3 train.py', 'cmd: sleep 1 && python3 train.py');
    fs.writeFileSync(path.join(root, 'dvc.yaml'), yaml);
    git(root, 'commit', '-qam', 'slow');
    for (const [name, lr] of [['k1', '0.1'], ['k2', '0.2'], ['k3', '0.3']]) cairnOk(root, 'exp', 'run', '--queue', '-S', `train.lr=${lr}`, '-n', name);
    cairnOk(root, 'queue', 'start', '-j', '1');
    let running: any;
    for (let i = 0; i < 300 && !running; i++) {
      running = (JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as any[]).find((s) => s.status === 'running' && s.pid);
      if (!running) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(running, 'no run started');
    const ms = Math.floor(streamFor('queue worker SIGKILL')() * 1200);
    await new Promise((r) => setTimeout(r, ms));
    // The worker's whole process group: the worker, its run and the stage command.
    const worker = JSON.parse(fs.readFileSync(path.join(root, '.dvc', 'tmp', 'cairn', 'queue', 'running', `${running.id}.json`), 'utf8')).worker.pid;
    process.kill(-worker, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const where = `killed ${ms} ms into '${running.name}' (CAIRN_FAULT_SEED=${SEED})`;
    const after = status(root);
    const killed = after.find((s) => s.name === running.name)!;
    // Killed before it recorded its end (the likely case) it is failed; had it just finished, it stands as success.
    assert.ok(killed.status === 'failed' || killed.status === 'success', `${where}: ${JSON.stringify(killed)}`);
    if (killed.status === 'failed') assert.match(killed.error!, /is gone/, where);
    assert.match(cairnOk(root, 'queue', 'logs', running.name), new RegExp(`Reproducing experiment '${running.name}'`), where);
    cairnOk(root, 'queue', 'start', '-j', '1');
    await waitForQueue(root);
    const final = status(root);
    for (const s of final.filter((x) => x.name !== running.name)) assert.equal(s.status, 'success', `${where}: ${JSON.stringify(final)}`);
    // No experiment ref without its outputs; the killed run left none unless it finished.
    const refs = git(root, 'for-each-ref', '--format=%(refname:short)', 'refs/exps').split('\n').filter(Boolean).map((r) => r.split('/').pop());
    assert.deepEqual(refs.sort(), final.filter((s) => s.status === 'success').map((s) => s.name).sort(), where);
    assert.match(dvcOk(root, 'exp', 'show', '--no-pager'), /k\d/);
    // The killed worker's run started ahead had no entry: its log file is removed by the next worker.
    await assertAllEnded(root, where);
  });
});
