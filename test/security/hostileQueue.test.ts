import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, cairn, cairnOk, dvcOk, folderSnapshot, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureDvc } from '../support/peers';
import { Repo } from '../../src/core/repo/repo';
import { stopWorkspaceRun } from '../../src/core/experiments/stopWorkspaceRun';
import { processAndGroupDescendants, processArguments } from '../../src/core/experiments/processCheck';
import { trainedBaseline } from '../support/expFixtures';
import { parsePythonJson } from '../../src/core/metrics/dataFile';
import { livePlotsSnapshot } from '../../src/extension/plotsSnapshot';

/**
 * The experiment queue and temporary runs in a repository whose `.dvc/tmp` came from an attacker
 * (git ignores it, so it arrives with an archive or a shared folder): links on the way out of the
 * repository, and planted queue entries. Nothing outside the repository changes, and a planted
 * entry that is not a well-formed one is never run.
 */

const status = (root: string) => JSON.parse(cairnOk(root, 'queue', 'status', '--json')) as { id: string; name: string; status: string; error: string | null }[];

async function waitForQueue(root: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (status(root).every((s) => s.status === 'success' || s.status === 'failed')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the queue did not finish: ${JSON.stringify(status(root))}`);
}

describe('hostile .dvc/tmp: the queue and temporary runs', function () {
  this.timeout(300_000);

  it('links at .dvc/tmp/cairn and .dvc/tmp/exps leading out: queued and --temp runs work, nothing outside changes', async () => {
    const root = trainedBaseline();
    const outside = tempDir();
    writeFiles(outside, { 'queue/queued/keep.txt': 'victim\n', 'exps/keep.txt': 'victim\n' });
    const before = folderSnapshot(outside);
    fs.mkdirSync(path.join(root, '.dvc', 'tmp'), { recursive: true });
    fs.symlinkSync(outside, path.join(root, '.dvc', 'tmp', 'cairn'));
    fs.symlinkSync(path.join(outside, 'exps'), path.join(root, '.dvc', 'tmp', 'exps'));
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2,0.3', '-n', 'q');
    cairnOk(root, 'exp', 'run', '--run-all', '-j', '2');
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.4', '-n', 't');
    assert.deepEqual(folderSnapshot(outside), before);
    assert.ok(!fs.lstatSync(path.join(root, '.dvc', 'tmp', 'cairn')).isSymbolicLink(), 'the link was replaced by a folder');
    const refs = git(root, 'for-each-ref', '--format=%(refname:lstrip=4)', 'refs/exps').trim().split('\n').sort();
    assert.deepEqual(refs, ['q-1', 'q-2', 't']);
  });

  it('planted queue entries that are not well formed are never listed or run; a link entry or a bad name is not followed', async () => {
    const root = trainedBaseline();
    const outside = tempDir();
    writeFiles(outside, { 'entry.json': 'victim\n' });
    const before = folderSnapshot(outside);
    // One real entry shows the shape; the planted ones are variations of it.
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2', '-n', 'real');
    const queued = path.join(root, '.dvc', 'tmp', 'cairn', 'queue', 'queued');
    const [realFile] = fs.readdirSync(queued);
    const real = JSON.parse(fs.readFileSync(path.join(queued, realFile), 'utf8'));
    const plant = (id: string, entry: unknown) => fs.writeFileSync(path.join(queued, `${id}.json`), typeof entry === 'string' ? entry : JSON.stringify(entry));
    plant('0000000001-00000001', { ...real, id: '0000000001-00000001', name: '../../heads/main' });
    plant('0000000002-00000002', { ...real, id: '0000000002-00000002', name: '-rf' });
    plant('0000000003-00000003', { ...real, id: '0000000003-00000003', baseline: '../../etc/passwd' });
    plant('0000000004-00000004', { ...real, id: '0000000004-00000004', setParams: 'train.lr=9' });
    plant('0000000005-00000005', `{"id": "0000000005-00000005", "pad": "${'a'.repeat(2 * 1024 * 1024)}"}`);
    plant('not-an-id', { ...real, id: 'not-an-id', name: 'odd' });
    fs.symlinkSync(path.join(outside, 'entry.json'), path.join(queued, '0000000006-00000006.json'));
    // Only the real entry and the two with a well-formed shape but a bad name are listed.
    assert.deepEqual(status(root).map((s) => s.name).sort(), ['-rf', '../../heads/main', 'real']);
    cairnOk(root, 'queue', 'start', '-j', '1');
    await waitForQueue(root);
    const final = Object.fromEntries(status(root).map((s) => [s.name, s.status]));
    assert.deepEqual(final, { '../../heads/main': 'failed', '-rf': 'failed', real: 'success' });
    assert.match(cairnOk(root, 'queue', 'logs', '0000000001-00000001'), /invalid experiment name '\.\.\/\.\.\/heads\/main'/);
    assert.equal(git(root, 'for-each-ref', '--format=%(refname:lstrip=4)', 'refs/exps').trim(), 'real');
    assert.equal(git(root, 'rev-parse', '--verify', '-q', 'refs/heads/main').trim(), git(root, 'rev-parse', 'HEAD').trim(), 'main is untouched');
    assert.deepEqual(folderSnapshot(outside), before);
    assert.equal(cairn(root, 'queue', 'remove', '--all').status, 0);
    assert.ok(fs.existsSync(path.join(outside, 'entry.json')), 'removing the queue never deletes through a link');
  });
  it('planted worker registrations naming other live processes, or a stop request dated ahead, do not stop the queue from running', async () => {
    const root = trainedBaseline();
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2', '-n', 'real');
    const workers = path.join(root, '.dvc', 'tmp', 'cairn', 'queue', 'workers');
    fs.mkdirSync(workers, { recursive: true });
    for (const pid of [1, process.pid]) fs.writeFileSync(path.join(workers, `${pid}.json`), JSON.stringify({ pid, started: new Date().toISOString() }));
    // A stop request dated far ahead would stop every worker ever started.
    fs.writeFileSync(path.join(root, '.dvc', 'tmp', 'cairn', 'queue', 'stop'), `${Date.now() + 10 * 365 * 86_400_000}\n`);
    assert.match(cairnOk(root, 'queue', 'status'), /Worker status: 0 active, 0 idle\n$/);
    assert.match(cairnOk(root, 'queue', 'start'), /^Started 1 worker for 1 queued experiment\.$/m);
    await waitForQueue(root);
    assert.equal(status(root)[0].status, 'success');
  });

  it('planted running and claimed entries naming pid 1 or another live process are failed at once, never listed running or signalled; queue start runs the rest', async () => {
    const root = trainedBaseline();
    const outside = tempDir();
    writeFiles(outside, { 'keep.txt': 'victim\n' });
    const before = folderSnapshot(outside);
    cairnOk(root, 'exp', 'run', '--queue', '-S', 'train.lr=0.2,0.3,0.4,0.5', '-n', 'p');
    const queue = path.join(root, '.dvc', 'tmp', 'cairn', 'queue');
    const [one, other, claimedByOther, rest] = status(root);
    // A live process that is no queue worker, even running in the repository (its folder alone proves nothing).
    const bystander = spawn('sleep', ['120'], { cwd: root, stdio: 'ignore' });
    const bystanderEnded = new Promise<string | null>((resolve) => bystander.on('exit', (_, signal) => resolve(signal)));
    try {
      const plantRunning = (id: string, worker: unknown) => {
        const entry = JSON.parse(fs.readFileSync(path.join(queue, 'queued', `${id}.json`), 'utf8'));
        fs.mkdirSync(path.join(queue, 'running'), { recursive: true });
        fs.writeFileSync(path.join(queue, 'running', `${id}.json`), JSON.stringify({ ...entry, worker }));
        fs.rmSync(path.join(queue, 'queued', `${id}.json`));
      };
      // execPid is what `queue kill` signals as a process group: -1 would be every process of the user.
      plantRunning(one.id, { pid: 1, execPid: 1, started: new Date().toISOString() });
      plantRunning(other.id, { pid: bystander.pid, execPid: process.pid, started: new Date().toISOString() });
      fs.mkdirSync(path.join(queue, 'claimed'), { recursive: true });
      fs.renameSync(path.join(queue, 'queued', `${claimedByOther.id}.json`), path.join(queue, 'claimed', `${claimedByOther.id}.${bystander.pid}.json`));

      const now = status(root);
      assert.deepEqual(now.map((s) => [s.name, s.status]), [['p-1', 'failed'], ['p-2', 'failed'], ['p-3', 'failed'], ['p-4', 'queued']]);
      assert.match(now[0].error!, /names pid 1, which is not a Cairn queue worker of this repository/);
      assert.match(now[1].error!, new RegExp(`names pid (${bystander.pid}|${process.pid}), which is not a Cairn queue worker`));
      assert.match(now[2].error!, new RegExp(`names pid ${bystander.pid}, which is not a Cairn queue worker`));
      // Not running, so nothing to kill: no signal goes anywhere.
      for (const name of ['p-1', 'p-2', 'p-3']) assert.match(cairn(root, 'queue', 'kill', name).stderr, new RegExp(`'${name}' is failed, not running: nothing to kill`));
      assert.match(cairnOk(root, 'queue', 'status'), /Worker status: 0 active, 0 idle\n$/);

      cairnOk(root, 'queue', 'start');
      await waitForQueue(root);
      assert.deepEqual(status(root).map((s) => [s.name, s.status]), [['p-1', 'failed'], ['p-2', 'failed'], ['p-3', 'failed'], ['p-4', 'success']]);
      assert.deepEqual(fs.readdirSync(path.join(queue, 'running')), [], 'the planted records were moved to failed/');
      assert.deepEqual(fs.readdirSync(path.join(queue, 'claimed')), [], 'the planted claim was failed and its file removed');
      assert.deepEqual(fs.readdirSync(path.join(queue, 'failed')).sort(), [one.id, other.id, claimedByOther.id].map((id) => `${id}.json`).sort());
      assert.equal(git(root, 'for-each-ref', '--format=%(refname:lstrip=4)', 'refs/exps').trim(), 'p-4');
      assert.equal(bystander.exitCode, null, 'the bystander was never signalled');
      assert.equal(bystander.signalCode, null);
      assert.deepEqual(folderSnapshot(outside), before);
    } finally {
      bystander.kill();
    }
    assert.equal(await bystanderEnded, 'SIGTERM', 'it lived until the test ended it');
  });

  it('a planted record of a dvc workspace run naming pid 1, a live unrelated process, a non-dvc `exp run`, or dvc or Cairn running one in another repository: Stop signals none of them', async () => {
    const root = trainedBaseline();
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const plant = (pid: number) => {
      const dir = path.join(root, '.dvc', 'tmp', 'exps', 'run', 'workspace');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'workspace.json'), JSON.stringify({ pid, stdin: null, stdout: null, stderr: null, returncode: null }));
      fs.writeFileSync(path.join(dir, 'workspace.run'), JSON.stringify({ git_url: `file://${root}`, baseline_rev: head, location: 'workspace', root_dir: root, dvc_dir: '.dvc', name: 'planted', wdir: null, result_hash: null, result_ref: null, result_force: false, status: 2 }));
    };
    // dvc really running an experiment, in another repository.
    const other = tempGitRepo();
    dvcOk(other, 'init', '-q');
    writeFiles(other, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: sleep 60\n    params: [lr]\n' });
    git(other, 'add', '-A');
    git(other, 'commit', '-qm', 'slow');
    const elsewhere = spawn(ensureDvc(), ['exp', 'run', '-S', 'lr=0.5'], { cwd: other, detached: true, stdio: 'ignore', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
    // And Cairn's CLI running one in a third.
    const third = tempGitRepo();
    dvcOk(third, 'init', '-q');
    writeFiles(third, { 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': 'stages:\n  train:\n    cmd: sleep 60\n    params: [lr]\n' });
    git(third, 'add', '-A');
    git(third, 'commit', '-qm', 'slow');
    const cairnElsewhere = spawn(process.execPath, [CLI, 'exp', 'run', '-S', 'lr=0.5'], { cwd: third, detached: true, stdio: 'ignore' });
    const bystanders = [
      spawn('sleep', ['120'], { cwd: root, stdio: 'ignore' }),
      // `exp run` in its arguments and running in the repository, but not dvc.
      spawn('python3', ['-c', 'import time; time.sleep(120)', 'exp', 'run'], { cwd: root, stdio: 'ignore' }),
      elsewhere,
      cairnElsewhere,
    ];
    const signalled = bystanders.map((p) => new Promise<string | null>((resolve) => p.on('exit', (_, signal) => resolve(signal))));
    try {
      for (const run of [elsewhere, cairnElsewhere]) {
        for (let i = 0; i < 300 && !processAndGroupDescendants(run.pid!).some((p) => processArguments(p)?.[0] === 'sleep'); i++) await new Promise((r) => setTimeout(r, 100));
      }
      for (const pid of [1, ...bystanders.map((p) => p.pid!)]) {
        plant(pid);
        const result = await Repo.using(root, {}, (repo) => stopWorkspaceRun(repo, { waitMs: 1000 }));
        assert.equal(result.stopped, false, `pid ${pid}`);
        assert.equal(result.reason, `pid ${pid}, which the workspace run's record names, is not \`dvc exp run\` or \`cairn exp run\` in this repository`);
      }
      await new Promise((r) => setTimeout(r, 500));
      for (const p of bystanders) assert.equal(p.exitCode ?? p.signalCode, null, `${processArguments(p.pid!)?.join(' ')} was never signalled`);
    } finally {
      for (const p of bystanders) process.kill(p === elsewhere || p === cairnElsewhere ? -p.pid! : p.pid!, 'SIGKILL'); // dvc or Cairn with its stage's command
    }
    assert.deepEqual(await Promise.all(signalled), bystanders.map(() => 'SIGKILL'), 'each lived until the test ended it');
  });

  it("a planted record of a run of dvc's queue naming pid 1, a live unrelated process, or dvc's task of another record: exp show lists no run going on", async () => {
    const root = trainedBaseline();
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const stashRev = 'a'.repeat(40);
    const record = path.join(root, '.dvc', 'tmp', 'exps', 'run', stashRev);
    const infofile = path.join(record, `${stashRev}.run`);
    const tree = path.join(root, '.dvc', 'tmp', 'exps', 'tmpplanted');
    fs.mkdirSync(tree, { recursive: true });
    fs.mkdirSync(record, { recursive: true });
    fs.writeFileSync(infofile, JSON.stringify({ git_url: `file://${tree}`, baseline_rev: head, location: 'dvc-task', root_dir: tree, dvc_dir: '.dvc', name: 'planted', wdir: null, result_hash: null, result_ref: null, result_force: false, status: 2 }));
    const plant = (pid: number) => fs.writeFileSync(path.join(record, `${stashRev}.json`), JSON.stringify({ pid, stdin: null, stdout: null, stderr: null, returncode: null }));
    const running = () => (parsePythonJson(cairnOk(root, 'exp', 'show', '--json')) as any[]).flatMap((commit) => commit.experiments ?? []).filter((e: any) => e.executor?.state === 'running').map((e: any) => e.name);
    // A process whose arguments read as dvc's queue task (`sh -c` keeps the words after its script; `; :` keeps sh from exec'ing sleep).
    const task = (file: string) => spawn('sh', ['-c', 'sleep 120; :', 'dvc', 'exp', 'exec-run', '--infofile', file], { cwd: root, stdio: 'ignore' });
    const otherRecord = path.join(tempDir(), `${stashRev}.run`);
    fs.writeFileSync(otherRecord, fs.readFileSync(infofile));
    const bystanders = [spawn('sleep', ['120'], { cwd: root, stdio: 'ignore' }), task(otherRecord), task(path.relative(root, infofile))];
    const real = task(infofile);
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (const pid of [1, ...bystanders.map((p) => p.pid!)]) {
        plant(pid);
        assert.deepEqual(running(), [], `pid ${pid}: ${processArguments(pid)?.join(' ')}`);
      }
      // The same record naming the task of this very record is a run going on: the plant is well formed.
      plant(real.pid!);
      assert.deepEqual(running(), ['planted']);
    } finally {
      for (const p of [...bystanders, real]) p.kill('SIGKILL');
    }
  });

  it("planted temporary trees whose .git/config names an fsmonitor program: exp show and the live feed read them and start nothing", async () => {
    const root = trainedBaseline();
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const marker = path.join(tempDir(), 'fsmonitor-ran');
    const exps = path.join(root, '.dvc', 'tmp', 'exps');
    // A tree as dvc makes one: a git repository with the project's files, its metrics as a run writes them.
    const plantTree = (tree: string) => {
      fs.mkdirSync(tree, { recursive: true });
      for (const file of ['params.yaml', 'dvc.yaml', 'train.py']) fs.copyFileSync(path.join(root, file), path.join(tree, file));
      fs.mkdirSync(path.join(tree, '.dvc'));
      fs.writeFileSync(path.join(tree, 'metrics.json'), '{"acc": 0.99}\n');
      git(tree, 'init', '-q');
      git(tree, 'config', 'core.fsmonitor', `touch ${marker}; echo`);
    };
    // dvc's record of a `--temp` run in one (dvc believes such a record with no process of its own).
    const stashRev = 'b'.repeat(40);
    const standalone = path.join(exps, 'standalone', 'tmpplant01');
    plantTree(standalone);
    fs.mkdirSync(path.join(exps, 'run', stashRev), { recursive: true });
    fs.writeFileSync(path.join(exps, 'run', stashRev, `${stashRev}.run`), JSON.stringify({ git_url: `file://${standalone}`, baseline_rev: head, location: 'tempdir', root_dir: standalone, dvc_dir: '.dvc', name: 'planted', wdir: null, result_hash: null, result_ref: null, result_force: false, status: 2 }));
    // And a tree where a queued run's would be, which the live feed reads.
    plantTree(path.join(exps, 'tmpplant02'));
    // git itself starts the program in such a tree: what Cairn must not let it do.
    git(path.join(exps, 'tmpplant02'), 'ls-files');
    assert.ok(fs.existsSync(marker), 'the planted config names a program git runs');
    fs.rmSync(marker);

    const shown = (parsePythonJson(cairnOk(root, 'exp', 'show', '--json')) as any[]).flatMap((commit) => commit.experiments ?? []).find((e: any) => e.name === 'planted');
    assert.equal(shown?.executor?.state, 'running', 'the planted run is listed (as dvc lists it)');
    assert.deepEqual(shown.revs[0].data.metrics['metrics.json'].data, { acc: 0.99 }, "with its tree's metrics: the tree was read");
    const live = await Repo.using(root, {}, (repo) => livePlotsSnapshot(repo));
    assert.ok(live.runs.some((r) => r.id.endsWith('tmpplant02')), 'the live feed read the other tree');
    assert.ok(!fs.existsSync(marker), 'no program of a planted tree ran');

    // The same record, with `.dvc/tmp/exps/standalone` a link to a folder outside holding that tree: not read there.
    const outside = tempDir();
    fs.renameSync(path.join(exps, 'standalone'), path.join(outside, 'standalone'));
    fs.symlinkSync(path.join(outside, 'standalone'), path.join(exps, 'standalone'));
    const before = folderSnapshot(outside);
    const linked = (parsePythonJson(cairnOk(root, 'exp', 'show', '--json')) as any[]).flatMap((commit) => commit.experiments ?? []).find((e: any) => e.name === 'planted');
    assert.ok(!JSON.stringify(linked ?? {}).includes('0.99'), `the tree outside was read: ${JSON.stringify(linked)}`);
    assert.deepEqual(folderSnapshot(outside), before, 'nothing outside changed');
    assert.ok(!fs.existsSync(marker), 'no program of the tree outside ran');
  });
});
