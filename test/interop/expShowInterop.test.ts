import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { ensureDvc } from '../support/peers';
import { CLI, cairn, cairnOk, dvc, dvcOk, git, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { cairnJson, commitAll } from '../support/metricsJson';
import { parsePythonJson } from '../../src/core/metrics/dataFile';
import { PIPELINE, TRAIN, trainedBaseline } from '../support/expFixtures';

/**
 * `cairn exp show` and `cairn exp list` against `dvc exp show` / `dvc exp list` on experiments the
 * real `dvc exp run` made: two baselines, named and random experiments, a run that failed, dvc's
 * queue (a run that succeeded, one that failed, one left queued), metrics in a cached output folder
 * (DVCLive's layout), a commit whose dvc.yaml is broken, and a bare git remote after `dvc exp push`.
 */

/** Error messages are each tool's own words: compared by type (dvc's queue's own 'Experiment run failed' stays). */
function normalized(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalized);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort().join(',');
    if (keys === 'msg,type' && o.type !== '') return { type: o.type };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalized(x)]));
  }
  return v;
}

const json = (text: string, what: string) => {
  try {
    return parsePythonJson(text);
  } catch {
    throw new Error(`${what} did not print JSON: ${JSON.stringify(text.slice(0, 500))}`);
  }
};

/** `exp show --json <args>` of both, equal after normalising error messages; Cairn's returned. */
function sameShow(root: string, ...args: string[]): any[] {
  const ours = json(cairnOk(root, 'exp', 'show', '--json', ...args), `cairn exp show ${args.join(' ')}`) as any[];
  const theirs = json(dvcOk(root, 'exp', 'show', '--json', ...args), `dvc exp show ${args.join(' ')}`);
  assert.deepEqual(normalized(ours), normalized(theirs), `cairn exp show --json ${args.join(' ')} differs from dvc`);
  return ours;
}

/** dvc's table on a terminal wide enough that rich wraps nothing. */
function dvcWide(root: string, ...args: string[]): string {
  const r = spawnSync(ensureDvc(), args, { cwd: root, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1', COLUMNS: '1000' } });
  if (r.status !== 0) throw new Error(`dvc ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** dvc's queue runs what it holds: its workers are started as `dvc` from PATH, so the peer's folder goes first. */
function runQueue(root: string): void {
  const bin = path.dirname(ensureDvc());
  const env = { ...process.env, DVC_NO_ANALYTICS: '1', PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  const r = spawnSync(ensureDvc(), ['exp', 'run', '--run-all'], { cwd: root, encoding: 'utf8', env, timeout: 180_000 });
  assert.notEqual(r.signal, 'SIGTERM', `dvc exp run --run-all did not end: ${r.stdout}${r.stderr}`);
}

/** `exp list` output as baseline header → its lines, sorted: dvc lists refs in no fixed order. */
function listed(text: string): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  let header = '';
  for (const line of text.split('\n').filter(Boolean)) {
    if (line.startsWith('\t')) (groups[header] ??= []).push(line);
    else if (line.endsWith(':')) groups[(header = line)] ??= [];
    else (groups[''] ??= []).push(line);
  }
  for (const lines of Object.values(groups)) lines.sort();
  return groups;
}

describe('interop: exp show / exp list against dvc', function () {
  this.timeout(600_000);
  let root: string;

  before(() => {
    root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 3\n', 'train.py': TRAIN, 'dvc.yaml': PIPELINE });
    commitAll(root, 'pipeline');
    writeFiles(root, { 'data.txt': 'some data\n' });
    dvcOk(root, 'add', '-q', 'data.txt');
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'first baseline');
    git(root, 'tag', 'v1');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'exp-a');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.3');
    assert.notEqual(dvc(root, 'exp', 'run', '-q', '-S', 'train.lr=5', '-n', 'too-big').status, 0, 'a run that fails');
    git(root, 'checkout', '-q', '--', '.');
    dvcOk(root, 'checkout', '-q', '--force');
    writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 4\n' });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'second baseline');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.4', '-n', 'exp-c');
    // dvc's queue: one run that succeeds, one that fails, then one left queued (no worker started).
    dvcOk(root, 'exp', 'run', '-q', '--queue', '-S', 'train.lr=0.6', '-n', 'q-ok');
    dvcOk(root, 'exp', 'run', '-q', '--queue', '-S', 'train.lr=7', '-n', 'q-bad');
    runQueue(root);
    dvcOk(root, 'exp', 'run', '-q', '--queue', '-S', 'train.lr=0.7', '-n', 'q-wait');
    git(root, 'checkout', '-q', '--', '.');
    dvcOk(root, 'checkout', '-q', '--force');
    git(root, 'checkout', '-q', '-b', 'broken');
    writeFiles(root, { 'dvc.yaml': 'stages:\n  train:\n    cmd: [python3\n' });
    commitAll(root, 'broken dvc.yaml');
    git(root, 'checkout', '-q', 'main');
  });

  it('--json lists what dvc lists: finished, queued and failed entries, deps, outs, metrics from the cache', () => {
    const shown = sameShow(root);
    assert.equal(shown[0].rev, 'workspace');
    const baseline = shown[1];
    assert.equal(baseline.name, 'main');
    const byName = Object.fromEntries(baseline.experiments.map((e: any) => [e.name, e]));
    assert.deepEqual(Object.keys(byName).sort(), ['exp-c', 'q-bad', 'q-ok', 'q-wait']);
    assert.equal(byName['exp-c'].executor, null);
    assert.equal(byName['q-ok'].executor.state, 'success');
    assert.equal(byName['q-wait'].executor.state, 'queued');
    assert.deepEqual(byName['q-wait'].revs[0].data.metrics, {});
    assert.equal(byName['q-bad'].executor.state, 'failed');
    assert.deepEqual(byName['q-bad'].revs[0].error, { msg: 'Experiment run failed', type: '' });
    assert.deepEqual(byName['exp-c'].revs[0].data.metrics['eval/metrics.json'].data, { auc: 0.133333, nested: { f1: 0.4 } }, 'read from the cache');
  });

  it('--json with -a, -T, -A, --rev, -n, --sha and the hide options equals dvc (a broken dvc.yaml is its error entry)', () => {
    const all = sameShow(root, '-a');
    const broken = all.find((s) => s.name === 'broken');
    assert.equal(broken.data, null);
    assert.equal(broken.error.type, 'YAMLSyntaxError');
    sameShow(root, '-A');
    sameShow(root, '-T');
    const v1 = sameShow(root, '--rev', 'v1');
    assert.equal(v1[1].experiments.length, 2, 'exp-a and the one dvc named');
    sameShow(root, '-n', '2');
    sameShow(root, '--rev', 'exp-a');
    sameShow(root, '--sha', '--hide-queued', '--hide-failed', '--hide-workspace');
  });

  it('the text, --md and --csv tables are dvc\'s, with sorting, --only-changed, --keep and --drop', () => {
    const choices = [[], ['-A'], ['--sort-by', 'acc', '--sort-order', 'desc'], ['--rev', 'v1', '--sort-by', 'params.yaml:train.lr'], ['--only-changed'], ['--drop', 'train', '--keep', 'train.lr'], ['--csv', '--precision', '2']];
    for (const args of choices) {
      for (const form of [[], ['--md'], ['--csv']]) {
        const all = [...args, ...form];
        assert.equal(cairnOk(root, 'exp', 'show', ...all), dvcWide(root, 'exp', 'show', ...all), `exp show ${all.join(' ')}`);
      }
    }
    const unknown = cairn(root, 'exp', 'show', '--sort-by', 'nope');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /Unknown sort column 'nope'/);
  });

  it('exp list, local and on a bare git remote after dvc exp push, lists what dvc lists', () => {
    for (const args of [[], ['-A'], ['--rev', 'v1'], ['-n', '2'], ['-A', '--name-only'], ['-A', '--sha-only']]) {
      assert.deepEqual(listed(cairnOk(root, 'exp', 'list', ...args)), listed(dvcOk(root, 'exp', 'list', ...args)), `exp list ${args.join(' ')}`);
    }
    const remote = tempDir();
    git(remote, 'init', '-q', '--bare');
    const store = tempDir();
    git(root, 'remote', 'add', 'origin', remote);
    dvcOk(root, 'remote', 'add', '-d', 'store', store);
    git(root, 'push', '-q', 'origin', 'main', 'v1');
    dvcOk(root, 'exp', 'push', 'origin', 'exp-a', 'exp-c');
    for (const args of [['origin'], ['origin', '-A'], ['origin', '--rev', 'v1'], [remote, '-A', '--name-only']]) {
      assert.deepEqual(listed(cairnOk(root, 'exp', 'list', ...args)), listed(dvcOk(root, 'exp', 'list', ...args)), `exp list ${args.join(' ')}`);
    }
    assert.deepEqual(listed(cairnOk(root, 'exp', 'list', 'origin', '-A', '--name-only'))[''], ['exp-a', 'exp-c']);
  });
});

describe('interop: exp show while dvc exp run runs in the workspace', function () {
  this.timeout(120_000);

  it('lists the running experiment as dvc does (the workspace, executor running), then the finished one', async () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'params.yaml': 'lr: 0.1\n',
      'm.src': '{"acc": 1}\n',
      'dvc.yaml': 'stages:\n  train:\n    cmd: sleep 8 && cp m.src m.json\n    deps: [m.src]\n    params: [lr]\n    metrics: [{m.json: {cache: false}}]\n',
    });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'baseline');
    const run = spawn(ensureDvc(), ['exp', 'run', '-q', '-S', 'lr=0.5', '-n', 'slowpoke'], { cwd: root, stdio: 'ignore', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
    const ended = new Promise((resolve) => run.on('exit', resolve));
    try {
      // Running: dvc has recorded its process and removed the stage's output.
      const record = path.join(root, '.dvc', 'tmp', 'exps', 'run', 'workspace', 'workspace.json');
      // (m.json comes and goes while dvc applies the experiment: the state must hold for a second.)
      const runningNow = () => fs.existsSync(record) && !fs.existsSync(path.join(root, 'm.json')) && fs.readFileSync(path.join(root, 'params.yaml'), 'utf8').includes('0.5');
      for (let held = 0, i = 0; held < 10 && i < 150; i++) {
        held = runningNow() ? held + 1 : 0;
        await new Promise((r) => setTimeout(r, 100));
      }
      const shown = sameShow(root);
      const running = shown[1].experiments[0];
      assert.equal(running.name, 'slowpoke');
      assert.equal(running.executor.state, 'running');
      assert.equal(running.revs[0].rev, 'workspace');
    } finally {
      await ended;
    }
    const done = sameShow(root);
    assert.equal(done[1].experiments[0].executor, null);
  });
});

describe('interop: exp show on odd and many experiment refs', function () {
  this.timeout(300_000);

  it('refs at unrelated commits, with non-ASCII names, too deep, under no sha: as dvc; one at a blob (dvc fails) is left out', () => {
    const root = trainedBaseline();
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'real');
    git(root, 'checkout', '-q', '--', '.');
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const base = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}`;
    const blob = spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: root, input: 'not a commit\n', encoding: 'utf8' }).stdout.trim();
    const emptyTree = git(root, 'hash-object', '-t', 'tree', '-w', '/dev/null').trim();
    const orphan = spawnSync('git', ['commit-tree', emptyTree, '-m', 'orphan'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    const orphanChild = spawnSync('git', ['commit-tree', emptyTree, '-p', orphan, '-m', 'orphan child'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    git(root, 'update-ref', `${base}/orphan`, orphanChild);
    // Its own commit: experiments at one commit have no order (dvc lists refs in no fixed order).
    const sameTree = spawnSync('git', ['commit-tree', `${head}^{tree}`, '-p', head, '-m', 'by hand'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    git(root, 'update-ref', `${base}/näme-ünïcode`, sameTree);
    git(root, 'update-ref', 'refs/exps/zz/not-a-sha/x', head);
    const list = cairnOk(root, 'exp', 'list', '-A');
    assert.deepEqual(listed(list), listed(dvcOk(root, 'exp', 'list', '-A')));
    // dvc's exp list fails on a ref one level too deep ('is not a valid experiment refname'); exp show and Cairn leave it out.
    git(root, 'update-ref', `${base}/too/deep`, head);
    assert.notEqual(dvc(root, 'exp', 'list', '-A').status, 0);
    assert.equal(cairnOk(root, 'exp', 'list', '-A'), list);
    const shown = sameShow(root);
    const names = shown[1].experiments.map((e: any) => e.name).sort();
    assert.deepEqual(names, ['näme-ünïcode', 'orphan', 'real']);
    assert.deepEqual(shown[1].experiments.find((e: any) => e.name === 'orphan').revs.length, 2, 'first parents walked back to its root');
    sameShow(root, '-A');
    // dvc fails on a ref at a blob ('Blob' object has no attribute 'commit_time'); Cairn leaves it out.
    git(root, 'update-ref', `${base}/at-a-blob`, blob);
    assert.notEqual(dvc(root, 'exp', 'show', '--json').status, 0);
    assert.deepEqual(cairnJson(root, 'exp', 'show'), shown);
  });

  it('-A lists baselines newest first and commits of one time by sha, as dvc (an annotated tag\'s commit too)', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n' });
    commitAll(root, 'base');
    const at = (date: string, ...args: string[]) => {
      const r = spawnSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_COMMITTER_DATE: date, GIT_AUTHOR_DATE: date } });
      assert.equal(r.status, 0, r.stderr);
    };
    for (const [branch, lr] of [['a', '0.2'], ['b', '0.3']]) {
      git(root, 'checkout', '-q', '-b', branch, 'main');
      writeFiles(root, { 'params.yaml': `lr: ${lr}\n` });
      git(root, 'add', '-A');
      at('2024-01-01T00:00:00Z', 'commit', '-q', '-m', `same time ${branch}`);
    }
    // A newer child on the sibling with the smaller sha: git's own order would list the other sibling first.
    const [a, b] = ['a', 'b'].map((br) => git(root, 'rev-parse', br).trim());
    git(root, 'checkout', '-q', a < b ? 'a' : 'b');
    writeFiles(root, { 'params.yaml': 'lr: 0.5\n' });
    git(root, 'add', '-A');
    at('2024-02-01T00:00:00Z', 'commit', '-q', '-m', 'newer child');
    git(root, 'checkout', '-q', '-b', 'tagged', 'main');
    writeFiles(root, { 'params.yaml': 'lr: 0.9\n' });
    git(root, 'add', '-A');
    at('2023-01-01T00:00:00Z', 'commit', '-q', '-m', 'old, only an annotated tag keeps it');
    git(root, 'tag', '-a', '-m', 'keep', 'kept');
    git(root, 'checkout', '-q', 'main');
    git(root, 'branch', '-D', 'tagged');
    const shown = sameShow(root, '-A');
    assert.equal(shown.length, 6, 'the workspace, main, a, b, c and the tagged commit');
    sameShow(root, '-a');
  });

  it('10,000 experiment refs at a few commits: exp show -A stays fast', () => {
    const root = tempGitRepo();
    writeFiles(root, { 'params.yaml': 'lr: 0.1\n', 'metrics.json': '{"acc": 0.1}', 'dvc.yaml': 'metrics: [metrics.json]\n' });
    dvcOk(root, 'init', '-q');
    commitAll(root, 'baseline');
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const commits: string[] = [];
    for (let i = 0; i < 3; i++) {
      writeFiles(root, { 'params.yaml': `lr: 0.${i + 2}\n`, 'metrics.json': `{"acc": 0.${i + 2}}` });
      git(root, 'add', '-A');
      const tree = git(root, 'write-tree').trim();
      commits.push(spawnSync('git', ['commit-tree', tree, '-p', head, '-m', `exp ${i}`], { cwd: root, encoding: 'utf8' }).stdout.trim());
    }
    git(root, 'checkout', '-q', '--', '.');
    const input = Array.from({ length: 10_000 }, (_, i) => `create refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp-${i} ${commits[i % 3]}\n`).join('');
    const made = spawnSync('git', ['update-ref', '--stdin'], { cwd: root, input, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const started = Date.now();
    // About 10 MB of JSON: more than spawnSync keeps by default.
    const run = spawnSync(process.execPath, [CLI, 'exp', 'show', '-A', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    const shown = json(run.stdout, 'cairn exp show -A') as any[];
    const seconds = (Date.now() - started) / 1000;
    assert.equal(shown[1].experiments.length, 10_000);
    assert.ok(seconds < 15, `exp show -A took ${seconds} s`);
    process.stdout.write(`      (exp show -A --json over 10,000 refs: ${seconds.toFixed(2)} s)\n`);
  });

  it('200 experiment commits (made with git fast-import): --json equals dvc\'s; the time of each is printed', () => {
    const root = trainedBaseline();
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const start = Math.floor(Date.now() / 1000) - 100_000;
    let stream = '';
    for (let i = 0; i < 200; i++) {
      const lr = (i + 1) / 1000;
      const message = `dvc: commit experiment ${i}`;
      stream += `commit refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp-${i}\ncommitter t <t@t> ${start + i} +0000\ndata ${message.length}\n${message}\nfrom ${head}\n`;
      for (const [name, body] of [['params.yaml', `train:\n  lr: ${lr}\n  epochs: 3\n`], ['metrics.json', JSON.stringify({ acc: lr * 2, loss: 1 - lr })]]) {
        stream += `M 100644 inline ${name}\ndata ${Buffer.byteLength(body)}\n${body}\n`;
      }
      stream += '\n';
    }
    const imported = spawnSync('git', ['fast-import', '--quiet'], { cwd: root, input: stream, encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    const shown = sameShow(root);
    assert.equal(shown[1].experiments.length, 200);
    let started = Date.now();
    cairnOk(root, 'exp', 'show', '--json');
    const ours = (Date.now() - started) / 1000;
    started = Date.now();
    dvcOk(root, 'exp', 'show', '--json');
    const theirs = (Date.now() - started) / 1000;
    process.stdout.write(`      (exp show --json, 200 experiments: cairn ${ours.toFixed(2)} s, dvc ${theirs.toFixed(2)} s with its cache warm)\n`);
    assert.ok(ours < 5, `cairn took ${ours} s`);
  });
});
