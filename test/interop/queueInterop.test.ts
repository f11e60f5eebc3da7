import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { cairn, cairnOk, CLI, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureDvc } from '../support/peers';
import { Repo } from '../../src/core/repo/repo';
import { livePlotsSnapshot } from '../../src/extension/plotsSnapshot';
import { countingBaseline, trainedBaseline, useRunsLog } from '../support/expFixtures';
import { SEED, streamFor } from '../support/faultSeed';
import { parsePythonJson } from '../../src/core/metrics/dataFile';

/** A counting baseline whose stage sleeps `seconds` first (so runs are seen going on), committed. */
function slowCountingBaseline(seconds: number): string {
  const root = countingBaseline();
  const yaml = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('cmd: python3 train.py', `cmd: sleep ${seconds} && python3 train.py`);
  fs.writeFileSync(path.join(root, 'dvc.yaml'), yaml);
  git(root, 'commit', '-qam', 'slow');
  return root;
}

/**
 * Cairn's experiment queue (issue 16, first part): `exp run --queue`, detached workers from
 * `queue start -j N`, `queue status` and `queue logs`; what they record, dvc lists.
 */
describe('queue (interop with dvc)', function () {
  this.timeout(300_000);
  const runsLogPath = useRunsLog();

  const status = (root: string) => JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as { id: string; name: string; status: string; pid: number | null; error: string | null }[];

  async function waitUntil(done: () => boolean): Promise<void> {
    for (let i = 0; i < 600 && !done(); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(done(), 'timed out');
  }

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
    const failedId = status(root).find((s) => s.name === 'too-big')!.id;
    assert.equal(git(root, 'for-each-ref', '--format=%(refname)', 'refs/cairn').trim(), `refs/cairn/queue/${failedId}`, "only the failed run's starting commit is kept");
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
    const root = slowCountingBaseline(1);
    for (const [name, lr] of [['k1', '0.1'], ['k2', '0.2'], ['k3', '0.3']]) cairnOk(root, 'exp', 'run', '--queue', '-S', `train.lr=${lr}`, '-n', name);
    cairnOk(root, 'queue', 'start', '-j', '1');
    const entryFile = (id: string) => path.join(root, '.dvc', 'tmp', 'cairn', 'queue', 'running', `${id}.json`);
    let running: any;
    for (let i = 0; i < 300 && !running; i++) {
      running = (JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as any[]).find((s) => s.status === 'running' && JSON.parse(fs.readFileSync(entryFile(s.id), 'utf8')).worker?.execPid);
      if (!running) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(running, 'no run started');
    const ms = Math.floor(streamFor('queue worker SIGKILL')() * 1200);
    await new Promise((r) => setTimeout(r, ms));
    // As a machine stop would: the worker's process group and its run's (the run and the stage command).
    const worker = JSON.parse(fs.readFileSync(entryFile(running.id), 'utf8')).worker;
    for (const group of [worker.pid, worker.execPid]) process.kill(-group, 'SIGKILL');
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
  const ranNames = (before: string) => (fs.existsSync(runsLogPath()) ? fs.readFileSync(runsLogPath(), 'utf8') : '').slice(before.length).split('\n').filter(Boolean).sort();
  const runsLogNow = () => (fs.existsSync(runsLogPath()) ? fs.readFileSync(runsLogPath(), 'utf8') : '');

  it("a 3×2 sweep is queued as dvc queues it (the same runs, names and lines) and run with --run-all -j 2: six experiments dvc lists with their params and metrics", async () => {
    const sweep = ['-S', 'train.lr=0.1,0.2,0.3', '-S', 'train.epochs=range(10,30,10)', '-n', 'sweep'];
    const dvcRoot = trainedBaseline();
    const dvcLines = dvcOk(dvcRoot, 'exp', 'run', '--queue', ...sweep).trim().split('\n');
    const root = countingBaseline();
    const before = runsLogNow();
    const lines = cairnOk(root, 'exp', 'run', '--queue', ...sweep).trim().split('\n');
    assert.deepEqual(lines, dvcLines);
    assert.equal(lines.length, 12);
    assert.equal(git(root, 'status', '--porcelain'), '', 'queuing leaves the workspace as it was');
    // Before they run, Cairn's exp show lists them queued (newest first), each with its own params.
    const queued = JSON.parse(cairnOk(root, 'exp', 'show', '--json'))[1].experiments as any[];
    assert.deepEqual(queued.map((e) => [e.name, e.executor.state, e.revs[0].data.params['params.yaml'].data.train.lr, e.revs[0].data.params['params.yaml'].data.train.epochs]), [
      ['sweep-6', 'queued', 0.3, 20], ['sweep-5', 'queued', 0.3, 10], ['sweep-4', 'queued', 0.2, 20], ['sweep-3', 'queued', 0.2, 10], ['sweep-2', 'queued', 0.1, 20], ['sweep-1', 'queued', 0.1, 10],
    ]);

    const out = cairnOk(root, 'exp', 'run', '--run-all', '-j', '2');
    assert.match(out, /^Following logs for all queued experiments\./);
    assert.match(out, /^sweep-4 \| Reproducing experiment 'sweep-4'$/m, 'each log line is prefixed with its experiment');
    assert.match(out, /\nRan experiment\(s\): sweep-1, sweep-2, sweep-3, sweep-4, sweep-5, sweep-6\n$/);
    assert.deepEqual(ranNames(before), ['sweep-1', 'sweep-2', 'sweep-3', 'sweep-4', 'sweep-5', 'sweep-6'], 'each ran once');
    const shown = parsePythonJson(dvcOk(root, 'exp', 'show', '--json')) as any[];
    const byName = Object.fromEntries(shown[1].experiments.map((e: any) => [e.name, e.revs[0].data]));
    assert.deepEqual(Object.keys(byName).sort(), ['sweep-1', 'sweep-2', 'sweep-3', 'sweep-4', 'sweep-5', 'sweep-6']);
    for (const [i, [lr, epochs]] of [[0.1, 10], [0.1, 20], [0.2, 10], [0.2, 20], [0.3, 10], [0.3, 20]].entries()) {
      const data = byName[`sweep-${i + 1}`];
      assert.deepEqual(data.params['params.yaml'].data.train, { lr, epochs });
      assert.equal(data.metrics['metrics.json'].data.acc, lr * 2);
    }
    assert.equal(git(root, 'for-each-ref', 'refs/cairn'), '');
  });

  it('a sweep across two params files is the product dvc queues: the same runs, in the same order, with the same lines', () => {
    const sweep = ['-S', 'train.lr=0.1,0.2', '-S', 'conf.yaml:model.depth=range(2,5)', '-S', 'conf.yaml:+model.width=8', '-n', 'grid'];
    const [dvcRoot, root] = [trainedBaseline(), trainedBaseline()];
    for (const r of [dvcRoot, root]) {
      fs.writeFileSync(path.join(r, 'conf.yaml'), 'model:\n  depth: 1\n');
      git(r, 'add', 'conf.yaml');
      git(r, 'commit', '-qm', 'conf');
    }
    const lines = cairnOk(root, 'exp', 'run', '--queue', ...sweep);
    assert.equal(lines, dvcOk(dvcRoot, 'exp', 'run', '--queue', ...sweep));
    assert.equal(lines.match(/^Queued experiment 'grid-\d' for future execution\.$/gm)?.length, 6);
  });

  it('an entry claimed by a worker that died before recording itself is failed at once, not after a grace time; one claimed by a live worker is running', async () => {
    const root = countingBaseline();
    const before = runsLogNow();
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2,0.3,0.4', '-n', 'claim');
    const queue = path.join(root, '.dvc', 'tmp', 'cairn', 'queue');
    const [dead, alive, rest] = status(root);
    // What a worker's claim leaves: the entry renamed to claimed/<id>.<its pid>.json.
    const gone = await new Promise<number>((resolve) => {
      const p = spawn('true');
      p.on('close', () => resolve(p.pid!));
    });
    // A worker stuck before recording itself: a process with a worker's arguments, in the repository, that does nothing
    // (a pid that is alive but no queue worker counts as abandoned: hostileQueue.test.ts).
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)', 'queue', 'worker'], { cwd: root, stdio: 'ignore' });
    try {
      fs.mkdirSync(path.join(queue, 'claimed'), { recursive: true });
      fs.renameSync(path.join(queue, 'queued', `${dead.id}.json`), path.join(queue, 'claimed', `${dead.id}.${gone}.json`));
      fs.renameSync(path.join(queue, 'queued', `${alive.id}.json`), path.join(queue, 'claimed', `${alive.id}.${sleeper.pid}.json`));
      const now = status(root);
      assert.deepEqual(now.map((s) => [s.name, s.status, s.pid]), [['claim-1', 'failed', gone], ['claim-2', 'running', sleeper.pid], ['claim-3', 'queued', null]]);
      assert.match(now[0].error!, new RegExp(`its worker \\(pid ${gone}\\) is gone`));
      // A worker started now fails the abandoned claim, leaves the live one alone and runs the rest.
      cairnOk(root, 'queue', 'start');
      await waitUntil(() => status(root).find((s) => s.id === rest.id)!.status === 'success');
      assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['claim-1', 'failed'], ['claim-2', 'running'], ['claim-3', 'success']]);
      assert.ok(fs.existsSync(path.join(queue, 'failed', `${dead.id}.json`)));
      assert.deepEqual(fs.readdirSync(path.join(queue, 'claimed')), [`${alive.id}.${sleeper.pid}.json`], 'the dead claim is gone, the live one kept');
      assert.deepEqual(ranNames(before), ['claim-3']);
    } finally {
      sleeper.kill();
    }
    await waitUntil(() => status(root).find((s) => s.id === alive.id)!.status === 'failed');
    await waitUntil(() => processesIn(root).length === 0);
  });

  /** The temporary trees (`.dvc/tmp/exps/tmp*`) whose files are written (their `.dvc` folder is there). */
  const treesWithRepository = (root: string) => {
    const exps = path.join(root, '.dvc', 'tmp', 'exps');
    return fs.existsSync(exps) ? fs.readdirSync(exps).filter((f) => f.startsWith('tmp') && fs.existsSync(path.join(exps, f, '.dvc'))).length : 0;
  };

  /** The labels the plots panel gives the runs going on in temporary trees (the workspace left out), sorted. */
  const liveLabels = (root: string) => Repo.using(root, {}, async (repo) => (await livePlotsSnapshot(repo)).runs.filter((r) => r.id !== 'workspace').map((r) => `${r.label}${r.experiment === undefined ? '' : ` = ${r.experiment}`}`).sort());

  it("names dvc's queued runs going on under -j 2 as `dvc queue status` and `dvc exp show` name them, not by their temporary folders", async () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: sleep 16\n    params: [lr]\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'slow');
    // dvc's queue workers start `dvc` by name.
    const env = { ...process.env, DVC_NO_ANALYTICS: '1', PATH: `${path.dirname(ensureDvc())}${path.delimiter}${process.env.PATH}` };
    const dvcRun = (...args: string[]) => spawnSync(ensureDvc(), args, { cwd: root, env, encoding: 'utf8' }).stdout;
    dvcRun('exp', 'run', '--queue', '-S', 'lr=0.2', '-n', 'dq1');
    dvcRun('exp', 'run', '--queue', '-S', 'lr=0.3', '-n', 'dq2');
    // Its workers outlive it and would hold a pipe open: no output is read.
    spawnSync(ensureDvc(), ['queue', 'start', '-j', '2'], { cwd: root, env, stdio: 'ignore' });
    const runningInDvc = () => dvcRun('queue', 'status').split('\n').filter((l) => /\bRunning\b/.test(l)).map((l) => l.split(/\s+/)[1]).sort();
    await waitUntil(() => runningInDvc().length === 2 && treesWithRepository(root) === 2);
    // Cairn's exp show lists them as dvc does: name, executor, the stash commit each started from.
    const running = (json: string) => (parsePythonJson(json) as any[])[1].experiments.filter((e: any) => e.executor?.state === 'running').sort((a: any, b: any) => (a.name < b.name ? -1 : 1));
    const [byDvc, byCairn] = [running(dvcRun('exp', 'show', '--json')), running(cairnOk(root, 'exp', 'show', '--json'))];
    assert.deepEqual(byDvc.map((e: any) => e.name), ['dq1', 'dq2']);
    assert.deepEqual(byCairn, byDvc);
    assert.deepEqual(runningInDvc(), ['dq1', 'dq2'], 'still running: what was compared is a running state');
    assert.deepEqual(await liveLabels(root), ['dq1 (running) = dq1', 'dq2 (running) = dq2']);
    await waitUntil(() => /dq1 .*Success[\s\S]*dq2 .*Success/.test(dvcRun('queue', 'status')));
  });

  it("names Cairn's queued runs going on under -j 2, and a --temp run, as `queue status` names them, not by their temporary folders", async () => {
    const root = slowCountingBaseline(8);
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2,0.3', '-n', 'j');
    cairnOk(root, 'queue', 'start', '-j', '2');
    const temp = spawn(process.execPath, [CLI, 'exp', 'run', '--temp', '-S', 'train.lr=0.4', '-n', 'tempy'], { cwd: root, stdio: 'ignore' });
    const tempEnded = new Promise((resolve) => temp.on('exit', resolve));
    const records = () => (fs.existsSync(path.join(root, '.dvc', 'tmp', 'cairn', 'temp-runs')) ? fs.readdirSync(path.join(root, '.dvc', 'tmp', 'cairn', 'temp-runs')).length : 0);
    await waitUntil(() => status(root).filter((s) => s.status === 'running' && s.pid).length === 2 && treesWithRepository(root) === 3 && records() === 3);
    assert.deepEqual(status(root).filter((s) => s.status === 'running').map((s) => s.name), ['j-1', 'j-2']);
    assert.deepEqual(await liveLabels(root), ['j-1 (running) = j-1', 'j-2 (running) = j-2', 'tempy (running) = tempy']);
    await tempEnded;
    await waitForQueue(root);
    assert.deepEqual(fs.readdirSync(path.join(root, '.dvc', 'tmp', 'cairn', 'temp-runs')), [], 'each record goes with its run');
    assert.deepEqual(await liveLabels(root), []);
  });

  it("shows a --temp run going on with its tree's files as they stand, its metrics written so far, as `dvc exp show` does: dvc's run, and Cairn's own alike", async () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    // The stage writes its metrics, then trains on: they stand in its tree while it runs.
    const train = "import json, time\njson.dump({'acc': 0.75, 'step': 3}, open('metrics.json', 'w'))\ntime.sleep(25)\n";
    writeFiles(root, {
      'params.yaml': 'lr: 0.1\n',
      'train.py': train,
      'metrics.json': '{"acc": 0.1, "step": 0}\n',
      'dvc.yaml': 'stages:\n  train:\n    cmd: python3 train.py\n    deps: [train.py]\n    params: [lr]\n    metrics:\n    - metrics.json:\n        cache: false\n',
    });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'slow stage writing its metrics first');
    const env = { ...process.env, DVC_NO_ANALYTICS: '1' };
    const running = (json: string) => (parsePythonJson(json) as any[]).flatMap((commit) => commit.experiments ?? []).filter((e: any) => e.executor?.state === 'running');
    const readOr = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    const treeMetricsWritten = (parent: string) => fs.existsSync(parent) && fs.readdirSync(parent).some((t) => /^tmp/.test(t) && /0\.75/.test(readOr(path.join(parent, t, 'metrics.json'))));

    const byDvc = spawn(ensureDvc(), ['exp', 'run', '--temp', '-S', 'lr=0.4', '-n', 'dtemp'], { cwd: root, env, detached: true, stdio: 'ignore' });
    let dvcEntry: any;
    try {
      await waitUntil(() => treeMetricsWritten(path.join(root, '.dvc', 'tmp', 'exps', 'standalone')));
      const [shownByDvc, shownByCairn] = [running(dvcOk(root, 'exp', 'show', '--json')), running(cairnOk(root, 'exp', 'show', '--json'))];
      assert.equal(shownByDvc.length, 1, JSON.stringify(shownByDvc));
      dvcEntry = shownByDvc[0];
      assert.deepEqual(dvcEntry.revs[0].data.metrics['metrics.json'].data, { acc: 0.75, step: 3 }, "dvc shows the metrics the run wrote in its tree");
      assert.deepEqual(shownByCairn, shownByDvc);
    } finally {
      process.kill(-byDvc.pid!, 'SIGKILL');
    }
    await new Promise((resolve) => (byDvc.exitCode === null && byDvc.signalCode === null ? byDvc.on('exit', resolve) : resolve(null)));
    fs.rmSync(path.join(root, '.dvc', 'tmp', 'exps'), { recursive: true, force: true });

    // Cairn's own --temp run, which dvc does not see, is shown as dvc shows its own.
    const byCairn = spawn(process.execPath, [CLI, 'exp', 'run', '--temp', '-S', 'lr=0.4', '-n', 'ctemp'], { cwd: root, detached: true, stdio: 'ignore' });
    try {
      await waitUntil(() => treeMetricsWritten(path.join(root, '.dvc', 'tmp', 'exps')) && running(cairnOk(root, 'exp', 'show', '--json')).length === 1);
      const [entry] = running(cairnOk(root, 'exp', 'show', '--json'));
      assert.equal(entry.name, 'ctemp');
      assert.deepEqual(entry.revs[0].data, dvcEntry.revs[0].data, "the tree's params, deps, outs and metrics as dvc shows its own run's");
    } finally {
      process.kill(-byCairn.pid!, 'SIGINT');
    }
  });

  it('two queue starts at once never run the same entry', async () => {
    const root = countingBaseline();
    const before = runsLogNow();
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2,0.3,0.4,0.5,0.6,0.7', '-n', 'twice');
    const starts = [0, 1].map(() => new Promise<number>((resolve) => spawn(process.execPath, [CLI, 'queue', 'start', '-j', '3'], { cwd: root, stdio: 'ignore' }).on('close', (code) => resolve(code ?? -1))));
    assert.deepEqual(await Promise.all(starts), [0, 0]);
    await waitForQueue(root);
    assert.deepEqual(ranNames(before), ['twice-1', 'twice-2', 'twice-3', 'twice-4', 'twice-5', 'twice-6']);
    assert.ok(status(root).every((s) => s.status === 'success'), JSON.stringify(status(root)));
  });

  it('queue kill ends a running experiment failed with its log; queue stop lets the running one end and leaves the rest queued; queue remove takes entries and logs out', async () => {
    const root = slowCountingBaseline(3);
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2,0.3,0.4', '-n', 'k');
    const runningNow = async (name: string) => {
      for (let i = 0; i < 300; i++) {
        if (status(root).some((s) => s.name === name && s.status === 'running' && s.pid)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${name} never ran: ${JSON.stringify(status(root))}`);
    };
    cairnOk(root, 'queue', 'start');
    await runningNow('k-1');
    assert.match(cairnOk(root, 'queue', 'start'), /^Started 0 workers \(1 already running\) for 2 queued experiments\.$/m, '-j is how many run, as dvc');
    await new Promise((r) => setTimeout(r, 500));
    assert.match(cairnOk(root, 'queue', 'kill', 'k-1'), /^Killed 'k-1'; its log: cairn queue logs k-1$/m);
    const killed = status(root).find((s) => s.name === 'k-1')!;
    assert.equal(killed.status, 'failed');
    assert.match(killed.error!, /stopped by `cairn queue kill`/);
    assert.match(cairnOk(root, 'queue', 'logs', 'k-1'), /Reproducing experiment 'k-1'[\s\S]*ERROR: stopped by `cairn queue kill`/);
    assert.equal(git(root, 'for-each-ref', 'refs/exps'), '', 'a killed run records no experiment');
    // The worker goes on with the next; stop lets it end and takes no more.
    await runningNow('k-2');
    assert.match(cairnOk(root, 'queue', 'status'), /\| k-2 +\| [-\d: ]+ \| running \| \d+ s \(pid \d+\) +\|\n[\s\S]*\n\nWorker status: 1 active, 0 idle\n$/);
    assert.match(cairnOk(root, 'queue', 'stop'), /^The workers stop once 'k-2' ends\.$/m);
    // Following a running one's log ends when it does, with all of it.
    assert.match(cairnOk(root, 'queue', 'logs', '-f', 'k-2'), /^Reproducing experiment 'k-2'[\s\S]*Ran experiment\(s\): k-2\n$/);
    const noWorker = () => /\nWorker status: 0 active, 0 idle\n$/.test(cairnOk(root, 'queue', 'status'));
    await waitUntil(noWorker); // the stopped worker is gone
    assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['k-1', 'failed'], ['k-2', 'success'], ['k-3', 'queued']]);
    const leftovers = fs.readdirSync(path.join(root, '.dvc', 'tmp', 'exps')).filter((f) => f.startsWith('tmp'));
    assert.deepEqual(leftovers, [], 'the killed run removed its temporary tree');
    // A running entry cannot be removed; a wrong name is said with the nearest one.
    const wrong = cairn(root, 'queue', 'remove', 'k-4');
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^ERROR: 'k-4' is not in the queue\. Did you mean 'k-\d'\?/);
    assert.match(cairnOk(root, 'queue', 'remove', 'k-3'), /^Removed 'k-3'\.$/m);
    assert.match(cairnOk(root, 'queue', 'remove', '--failed'), /^Removed 'k-1'\.$/m);
    assert.equal(git(root, 'for-each-ref', 'refs/cairn'), '', 'removed entries let their starting commits go');
    assert.equal(cairn(root, 'queue', 'logs', 'k-1').status, 1, 'its log went with it');
    assert.match(cairnOk(root, 'queue', 'remove', '--success'), /^Removed 'k-2'\.$/m);
    assert.deepEqual(status(root), []);
    assert.match(git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps').trim(), /\/k-2$/, 'the experiment itself stays');

    // stop --kill: the running one is interrupted, the queued one stays, no worker is left.
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.5,0.6', '-n', 'z');
    cairnOk(root, 'queue', 'start');
    await runningNow('z-1');
    assert.match(cairnOk(root, 'queue', 'stop', '--kill'), /^Killed 'z-1'; the workers stop\.$/m);
    await waitUntil(noWorker);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['z-1', 'failed'], ['z-2', 'queued']]);
  });

  it('sweeps: bad ones are refused in one line with nothing queued; more than 20 runs need --yes; exp remove --queue empties the queue', () => {
    const root = trainedBaseline();
    const refused = (args: string[], message: RegExp) => {
      const r = cairn(root, 'exp', 'run', '--queue', ...args);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(status(root), [], args.join(' '));
      assert.equal(git(root, 'for-each-ref', 'refs/cairn'), '');
    };
    refused(['-S', 'train.lr=glob(*)'], /^ERROR: Glob override 'train\.lr=glob\(\*\)' is not supported\./);
    refused(['-S', 'train.epochs=range(5,1)'], /^ERROR: the sweep makes no runs/);
    refused(['-S', 'train.lr=0.1,0.2', '-S', 'train.nokey=1,2'], /^ERROR: params\.yaml: Could not override 'train\.nokey'/);
    refused(['-S', 'train.lr=0.1,0.2', '-n', 'a..b'], /^ERROR: .*a\.\.b/);
    refused(['-S', 'train.lr=range(0,21)'], /^ERROR: the sweep makes 21 runs; queuing more than 20 needs a yes, and this is not a terminal: nothing queued\. Add --yes/);
    const many = cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=range(0,21)', '--yes', '-n', 'many');
    assert.equal(many.match(/^Queued experiment 'many-\d+' for future execution\.$/gm)?.length, 21);
    assert.equal(status(root).length, 21);
    const jobsAlone = cairn(root, 'exp', 'run', '-j', '2');
    assert.match(jobsAlone.stderr, /^ERROR: --jobs is how many queued experiments run at a time: use it with --run-all\./);
    cairnOk(root, 'exp', 'remove', '--queue');
    assert.deepEqual(status(root), []);
    assert.equal(git(root, 'for-each-ref', 'refs/cairn'), '');
  });
  it('-C copies an untracked file into a queued run when it runs; without it the run fails, with why in its log', async () => {
    const root = trainedBaseline();
    const yaml = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('cmd: python3 train.py', 'cmd: cat secret.txt && python3 train.py');
    fs.writeFileSync(path.join(root, 'dvc.yaml'), yaml);
    git(root, 'commit', '-qam', 'needs an untracked file');
    fs.writeFileSync(path.join(root, 'secret.txt'), 'token-123\n');
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2', '-C', 'secret.txt', '-n', 'with-copy');
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.3', '-n', 'without');
    const r = cairn(root, 'exp', 'run', '--run-all');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^ERROR: Failed to reproduce experiment\(s\) 'without'/m);
    assert.match(r.stdout, /^with-copy \| token-123$/m);
    assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['with-copy', 'success'], ['without', 'failed']]);
    assert.match(cairnOk(root, 'queue', 'logs', 'without'), /secret\.txt: No such file or directory/);
    const missing = cairn(root, 'exp', 'run', '--queue', '-C', 'nothere.txt');
    assert.match(missing.stderr, /^ERROR: Unable to copy 'nothere\.txt': it does not exist\./);
    assert.equal(status(root).length, 2, 'nothing more queued');
  });
});
