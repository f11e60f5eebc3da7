import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import YAML from 'yaml';
import { CLI, cairn, cairnOk, dvcOk, git, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { ensureDvclive } from '../support/peers';
import { SEED, streamFor } from '../support/faultSeed';
import { countingBaseline, trainedBaseline, useRunsLog } from '../support/expFixtures';
import { parsePythonJson } from '../../src/core/metrics/dataFile';

/**
 * `cairn exp run` and `cairn exp save` against the real dvc: what Cairn records, dvc lists and
 * applies (files and data); runs in the workspace keep the results there, runs in a temporary tree
 * leave the workspace as it was; hooks never run, nothing signs; bad input changes nothing.
 */

/** `exp show --json` of either tool; Cairn's environment records (`meta.environment`, beyond dvc) set aside to compare. */
const show = (root: string, tool: 'cairn' | 'dvc') => withoutEnvironment(parsePythonJson(tool === 'cairn' ? cairnOk(root, 'exp', 'show', '--json') : dvcOk(root, 'exp', 'show', '--json'))) as any[];

function withoutEnvironment(v: any): any {
  if (Array.isArray(v)) return v.map(withoutEnvironment);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'meta' ? {} : withoutEnvironment(x)]));
  }
  return v;
}

/** The experiments of HEAD by name: their params and metrics as `exp show --json` gives them. */
function experimentsByName(states: any[]): Record<string, { params: unknown; metrics: unknown }> {
  const out: Record<string, { params: unknown; metrics: unknown }> = {};
  for (const e of states[1].experiments ?? []) out[e.name] = { params: e.revs[0].data.params, metrics: e.revs[0].data.metrics };
  return out;
}

const expRef = (root: string, name: string) => git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').find((r) => r.endsWith(`/${name}`));

/** Everything a user could lose: the work tree (not .dvc/tmp; the cache may gain objects), HEAD, index and refs. */
function snapshot(root: string): unknown {
  const files = Object.fromEntries(Object.entries(treeHashes(root)).filter(([p]) => !p.startsWith('.git/') && !p.startsWith('.dvc/tmp/') && !p.startsWith('.dvc/cache/')));
  return { files, head: git(root, 'rev-parse', 'HEAD'), branch: git(root, 'symbolic-ref', '-q', 'HEAD'), index: git(root, 'ls-files', '-s'), refs: git(root, 'for-each-ref') };
}

describe('exp run (interop with dvc)', function () {
  this.timeout(240_000);

  it('a workspace run: dvc lists it as Cairn does, the workspace keeps the results, dvc exp apply restores files and data', () => {
    const root = trainedBaseline();
    const baseline = git(root, 'rev-parse', 'HEAD').trim();
    const printed = cairnOk(root, 'exp', 'run', '-S', 'train.lr=0.2', '-n', 'lr-02');
    assert.match(printed, /Reproducing experiment 'lr-02'[\s\S]*Ran experiment\(s\): lr-02\nExperiment results have been applied to your workspace\./);
    const ref = expRef(root, 'lr-02');
    assert.equal(ref, `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/lr-02`);
    // One parent, the baseline; dvc's message; HEAD and the branch where they were.
    assert.equal(git(root, 'log', '-1', '--format=%P', ref!).trim(), baseline);
    assert.match(git(root, 'log', '-1', '--format=%s', ref!).trim(), /^dvc: commit experiment [0-9a-f]{64}$/);
    assert.equal(git(root, 'rev-parse', 'HEAD').trim(), baseline);
    assert.equal(git(root, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main');
    // The workspace keeps the results, as dvc's.
    assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /lr: 0\.2/);
    assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), '0.2');
    // The data is in the cache, not in git.
    assert.ok(!git(root, 'ls-tree', '-r', '--name-only', ref!).split('\n').includes('model.bin'));

    // What ran is recorded beside it: a note on the experiment commit, in exp show's meta.
    const note = JSON.parse(git(root, 'notes', '--ref=cairn', 'show', ref!));
    assert.deepEqual(note.stages.map((s: any) => [s.name, s.cmd, s.exit_code]), [['train', ['python3 train.py'], 0]]);
    const full = parsePythonJson(cairnOk(root, 'exp', 'show', '--json')) as any[];
    assert.deepEqual(full[1].experiments[0].revs[0].data.meta.environment, note);
    const ours = show(root, 'cairn');
    assert.deepEqual(show(root, 'dvc'), ours);
    assert.deepEqual(experimentsByName(ours)['lr-02'], {
      params: { 'params.yaml': { data: { train: { lr: 0.2, epochs: 3 } } } },
      metrics: { 'metrics.json': { data: { acc: 0.4, loss: 0.8 } }, 'eval/metrics.json': { data: { auc: 0.066667, nested: { f1: 0.2 } } } },
    });

    // Back to the baseline, then dvc applies Cairn's experiment: files and data.
    git(root, 'checkout', '-q', '--', '.');
    dvcOk(root, 'checkout', '-q', '--force');
    assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), '0.1');
    dvcOk(root, 'exp', 'apply', 'lr-02');
    assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /lr: 0\.2/);
    assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), '0.2');
    assert.equal(fs.readFileSync(path.join(root, 'eval', 'metrics.json'), 'utf8'), '{"auc": 0.066667, "nested": {"f1": 0.2}}');
    assert.match(dvcOk(root, 'status'), /up to date/);
  });

  it('a --temp run leaves the workspace, index, HEAD and refs (but its own and its note) as they were; dvc applies it', () => {
    const root = trainedBaseline();
    writeFiles(root, { 'notes.txt': 'untracked, kept\n' });
    fs.appendFileSync(path.join(root, 'train.py'), '# an uncommitted edit the experiment includes\n');
    const before = snapshot(root) as any;
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.3', '-n', 'tmp3');
    const after = snapshot(root) as any;
    const ref = expRef(root, 'tmp3')!;
    assert.ok(ref);
    assert.deepEqual({ ...after, refs: '' }, { ...before, refs: '' });
    // Beyond its own ref, only the notes of environment records.
    assert.equal(after.refs.replace(/^.*refs\/(exps|notes\/cairn)\b.*\n/gm, ''), before.refs);
    assert.deepEqual(fs.readdirSync(path.join(root, '.dvc', 'tmp', 'exps')).filter((n) => n.startsWith('tmp')), [], 'the temporary tree is removed');
    // The uncommitted edit went into the experiment; the untracked file did not.
    assert.match(git(root, 'show', `${ref}:train.py`), /an uncommitted edit/);
    assert.ok(!git(root, 'ls-tree', '-r', '--name-only', ref).includes('notes.txt'));
    assert.deepEqual(show(root, 'dvc'), show(root, 'cairn'));
    git(root, 'stash', '-q');
    dvcOk(root, 'exp', 'apply', 'tmp3');
    assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), '0.3');
  });

  it('experiments dvc made and Cairn made sit side by side: exp show is the same from both', () => {
    const root = trainedBaseline();
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.4', '-n', 'by-dvc');
    git(root, 'checkout', '-q', '--', '.');
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.5', '-n', 'by-cairn');
    const ours = show(root, 'cairn');
    assert.deepEqual(show(root, 'dvc'), ours);
    assert.deepEqual(Object.keys(experimentsByName(ours)).sort(), ['by-cairn', 'by-dvc']);
  });

  it('a random name is adjective-noun; running again with a taken name fails without -f, replaces with -f', () => {
    const root = trainedBaseline();
    const printed = cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.2');
    const name = /Ran experiment\(s\): (\S+)/.exec(printed)![1];
    assert.match(name, /^[a-z]+-[a-z]+$/);
    const before = snapshot(root);
    const again = cairn(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.3', '-n', name);
    assert.equal(again.status, 1);
    assert.match(again.stderr, new RegExp(`Experiment conflicts with existing experiment '${name}'`));
    assert.deepEqual(snapshot(root), before);
    const old = git(root, 'rev-parse', expRef(root, name)!).trim();
    cairnOk(root, 'exp', 'run', '--temp', '-f', '-S', 'train.lr=0.3', '-n', name);
    assert.notEqual(git(root, 'rev-parse', expRef(root, name)!).trim(), old);
    assert.equal((experimentsByName(show(root, 'dvc'))[name].params as any)['params.yaml'].data.train.lr, 0.3);
  });

  it('a failing pre-commit hook, a reference-transaction hook and commit.gpgsign do not touch experiments', () => {
    const root = trainedBaseline();
    const marker = path.join(root, '..', `${path.basename(root)}-hook-ran`);
    const hooks = path.join(root, '.git', 'hooks');
    fs.mkdirSync(hooks, { recursive: true });
    for (const hook of ['pre-commit', 'commit-msg', 'post-commit', 'reference-transaction']) {
      fs.writeFileSync(path.join(hooks, hook), `#!/bin/sh\necho ${hook} >> '${marker}'\nexit 1\n`, { mode: 0o755 });
    }
    const gpg = path.join(root, '..', `${path.basename(root)}-gpg`);
    fs.writeFileSync(gpg, `#!/bin/sh\necho gpg >> '${marker}'\nexit 1\n`, { mode: 0o755 });
    git(root, 'config', 'commit.gpgsign', 'true');
    git(root, 'config', 'gpg.program', gpg);
    cairnOk(root, 'exp', 'run', '-S', 'train.lr=0.2', '-n', 'hooked');
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.3', '-n', 'hooked-temp');
    cairnOk(root, 'exp', 'save', '-n', 'hooked-save');
    assert.ok(!fs.existsSync(marker), `a hook or gpg ran: ${fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : ''}`);
    for (const name of ['hooked', 'hooked-temp', 'hooked-save']) {
      const ref = expRef(root, name)!;
      assert.ok(ref, name);
      assert.ok(!git(root, 'cat-file', 'commit', ref).includes('gpgsig'), `${name} is signed`);
    }
  });

  it('exp save records the workspace as it is (DVCLive save_dvc_exp path): dvc lists and applies it', () => {
    const root = trainedBaseline();
    // Edited by hand, not run: save commits the changed outputs to the cache and dvc.lock.
    writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.7\n  epochs: 3\n', 'model.bin': 'hand-made', 'extra.txt': 'untracked\n' });
    fs.rmSync(path.join(root, 'model.bin'));
    writeFiles(root, { 'model.bin': 'hand-made' });
    const printed = cairnOk(root, 'exp', 'save', '-n', 'saved', '-I', 'extra.txt');
    assert.match(printed, /Experiment has been saved as: saved/);
    const ref = expRef(root, 'saved')!;
    assert.ok(git(root, 'ls-tree', '-r', '--name-only', ref).split('\n').includes('extra.txt'));
    assert.deepEqual(show(root, 'dvc'), show(root, 'cairn'));
    git(root, 'checkout', '-q', '--', '.');
    fs.rmSync(path.join(root, 'extra.txt'));
    dvcOk(root, 'checkout', '-q', '--force');
    dvcOk(root, 'exp', 'apply', 'saved');
    assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), 'hand-made');
  });

  describe('bad input: one clear line, nothing changed', () => {
    let root: string;
    before(() => {
      root = trainedBaseline();
    });
    const cases: [string, string[], RegExp][] = [
      ['a malformed -S', ['-S', 'train.lr=[0.1'], /train\.lr=\[0\.1/],
      ['a missing key', ['-S', 'train.newkey=1'], /Could not override 'train\.newkey'\. To append to your config use \+train\.newkey=1/],
      ['a file that is not a params file', ['-S', 'train.py:x=1'], /train\.py/],
      ['a name with ..', ['-n', 'a..b'], /invalid experiment name 'a\.\.b'/],
      ['a name with /', ['-n', 'a/b'], /invalid experiment name 'a\/b'/],
      ['a name read as an option', ['--name=-rf'], /invalid experiment name '-rf'/],
      ['a sweep without --queue', ['-S', 'train.lr=0.1,0.2'], /can't be used without --queue/],
      ['a good -S before a bad one in another file', ['-S', 'train.lr=0.5', '-S', 'other.yaml:x=1'], /other\.yaml/],
    ];
    for (const [what, args, message] of cases) {
      it(what, () => {
        const before = snapshot(root);
        const r = cairn(root, 'exp', 'run', ...args);
        assert.notEqual(r.status, 0, `${what}: exit 0`);
        const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('ERROR'));
        assert.equal(lines.length, 1, r.stderr);
        assert.match(r.stderr, message);
        assert.deepEqual(snapshot(root), before);
      });
    }
  });
});

/**
 * `exp run` killed (SIGKILL to its process group: Cairn and the stage command, as a crash or a
 * closed terminal) at seeded moments from start to end. A temporary run leaves the workspace
 * exactly as it was; a workspace run leaves each file Cairn writes whole (as before or as after:
 * the stage's own outputs are the command's to write); no experiment ref points at a commit
 * whose outputs are missing from the cache; git stays consistent and the next run succeeds.
 */
describe('exp run killed at seeded points', function () {
  this.timeout(600_000);
  const rng = streamFor('exp run killed at seeded points');

  let template: string;
  before(() => {
    template = trainedBaseline();
    const yaml = fs.readFileSync(path.join(template, 'dvc.yaml'), 'utf8').replace('cmd: python3 train.py', 'cmd: sleep 0.3 && python3 train.py && sleep 0.3');
    fs.writeFileSync(path.join(template, 'dvc.yaml'), yaml);
    dvcOk(template, 'repro', '-q');
    git(template, 'add', '-A');
    git(template, 'commit', '-qm', 'slow');
  });

  /** A fresh copy of the baseline whose stage takes 0.6 s. */
  function slowBaseline(): string {
    const root = tempDir();
    fs.cpSync(template, root, { recursive: true, verbatimSymlinks: true });
    return root;
  }

  /** Run `cairn exp run args` in its own process group and SIGKILL the group after `ms` (or let it end). */
  function runKilledAfter(root: string, args: string[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'exp', 'run', ...args], { cwd: root, detached: true, stdio: 'ignore' });
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // it ended first
        }
      }, ms);
      child.on('exit', () => {
        clearTimeout(timer);
        // Let a stage command still in the group die too before anything is checked.
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // none left
        }
        setTimeout(resolve, 100);
      });
    });
  }

  /** Every experiment ref's commit has all its cached outputs (dvc.lock outs not in git, folder contents included) in the cache. */
  function assertRefsComplete(root: string): void {
    const cacheFile = (md5: string) => path.join(root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2));
    for (const ref of git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').filter(Boolean)) {
      const lock = YAML.parse(git(root, 'show', `${ref}:dvc.lock`));
      const inGit = new Set(git(root, 'ls-tree', '-r', '--name-only', ref).split('\n'));
      for (const stage of Object.values<any>(lock.stages)) {
        for (const out of (stage.outs ?? []).filter((o: any) => !inGit.has(o.path))) {
          assert.ok(fs.existsSync(cacheFile(out.md5)), `${ref}: ${out.path} (${out.md5}) is not in the cache`);
          if (out.md5.endsWith('.dir')) {
            for (const entry of JSON.parse(fs.readFileSync(cacheFile(out.md5), 'utf8'))) assert.ok(fs.existsSync(cacheFile(entry.md5)), `${ref}: ${out.path}/${entry.relpath} missing`);
          }
        }
      }
    }
    git(root, 'fsck', '--no-dangling');
  }

  const files = ['params.yaml', 'dvc.lock', '.gitignore', 'dvc.yaml'];

  for (const temp of [false, true]) {
    it(`${temp ? 'a --temp run' : 'a workspace run'}: as before or as after, never half`, async () => {
      // The end state, from a twin that ran to the end.
      const twin = slowBaseline();
      const startedAt = Date.now();
      await runKilledAfter(twin, [...(temp ? ['--temp'] : []), '-S', 'train.lr=0.2', '-n', 'done'], 600_000);
      const duration = Date.now() - startedAt;
      assert.ok(expRef(twin, 'done'), 'the uninterrupted run recorded its experiment');
      const after = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(twin, f), 'utf8')]));

      for (let i = 0; i < 5; i++) {
        const root = slowBaseline();
        const before = snapshot(root) as any;
        const beforeText = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));
        const ms = Math.floor(rng() * duration);
        await runKilledAfter(root, [...(temp ? ['--temp'] : []), '-S', 'train.lr=0.2', '-n', 'killed'], ms);
        const where = `killed after ${ms} ms of ~${duration} (CAIRN_FAULT_SEED=${SEED})`;
        if (temp) assert.deepEqual({ ...(snapshot(root) as any), refs: '' }, { ...before, refs: '' }, where);
        else {
          for (const f of files) {
            const text = fs.readFileSync(path.join(root, f), 'utf8');
            assert.ok(text === beforeText[f] || text === after[f], `${f} is neither as before nor as after, ${where}:\n${text}`);
          }
        }
        assertRefsComplete(root);
        // Nothing left behind stops the next run (a dead process's lock is taken over).
        cairnOk(root, 'exp', 'run', ...(temp ? ['--temp'] : []), '-f', '-S', 'train.lr=0.3', '-n', 'next');
        assertRefsComplete(root);
      }
    });
  }
});

/** The real DVCLive in a training script run by `cairn exp run --temp`, as inside `dvc exp run`. */
describe('exp run with the real DVCLive', function () {
  this.timeout(300_000);

  const SCRIPT = `import os, time
from dvclive import Live
lr = float([l.split(':')[1] for l in open('params.yaml') if 'lr:' in l][0])
go = os.environ.get('CAIRN_TEST_GO')
with Live('eval') as live:
    for step in range(2):
        live.log_metric('acc', lr * (step + 1))
        live.next_step()
        if step == 0 and go:
            # Hold on after the first step until the test has seen the step signal.
            for _ in range(600):
                if os.path.exists(go):
                    break
                time.sleep(0.1)
`;

  it('--temp: the step signal lands in the main repository while it runs; metrics in the cached eval/ folder show in exp show; dvc applies it', async () => {
    const python = ensureDvclive();
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'train.py': SCRIPT,
      'params.yaml': 'train:\n  lr: 0.1\n',
      'dvc.yaml': `stages:\n  train:\n    cmd: ${python} train.py\n    deps: [train.py]\n    params: [train.lr]\n    outs: [eval]\nmetrics: [eval/metrics.json]\nplots:\n  - eval/plots/metrics:\n      x: step\n`,
    });
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'pipeline');
    dvcOk(root, 'repro', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'baseline');

    const go = path.join(tempDir(), 'go');
    const signal = path.join(root, '.dvc', 'tmp', 'exps', 'run', 'DVCLIVE_STEP_COMPLETED');
    const child = spawn(process.execPath, [CLI, 'exp', 'run', '--temp', '-S', 'train.lr=0.2', '-n', 'live'], { cwd: root, env: { ...process.env, CAIRN_TEST_GO: go }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let seen: any;
    for (let i = 0; i < 600 && !seen; i++) {
      if (fs.existsSync(signal)) seen = JSON.parse(fs.readFileSync(signal, 'utf8'));
      else await new Promise((r) => setTimeout(r, 100));
    }
    fs.writeFileSync(go, '');
    assert.equal(await exited, 0, output);
    assert.ok(seen, `no step signal in the main repository while the experiment ran:\n${output}`);
    assert.equal(seen.step, 0);
    assert.ok(!fs.existsSync(signal), 'DVCLive removes its signal at the end');

    const ours = show(root, 'cairn');
    assert.deepEqual(show(root, 'dvc'), ours);
    assert.deepEqual(experimentsByName(ours).live.metrics, { 'eval/metrics.json': { data: { acc: 0.4, step: 1 } } });
    dvcOk(root, 'exp', 'apply', 'live');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, 'eval', 'metrics.json'), 'utf8')), { acc: 0.4, step: 1 });
    assert.equal(fs.readFileSync(path.join(root, 'eval', 'plots', 'metrics', 'acc.tsv'), 'utf8'), 'step\tacc\n0\t0.2\n1\t0.4\n');
  });
});

/** Issue 15 test 3: experiments restore a run from the run cache instead of running it, across the two tools. */
describe('exp run and the run cache', function () {
  this.timeout(300_000);
  const runsLog = useRunsLog();
  const runs = () => (fs.existsSync(runsLog()) ? fs.readFileSync(runsLog(), 'utf8').split('\n').filter(Boolean).length : 0);

  it('a second experiment with the same params is restored, not run; dvc uses Cairn\'s entry and Cairn dvc\'s', () => {
    const root = countingBaseline();
    const n0 = runs();
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.2', '-n', 'first');
    assert.equal(runs(), n0 + 1);
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.2', '-n', 'again');
    assert.equal(runs(), n0 + 1, 'Cairn ran the command again instead of using its run cache');
    dvcOk(root, 'exp', 'run', '-q', '--temp', '-S', 'train.lr=0.2', '-n', 'dvc-again');
    assert.equal(runs(), n0 + 1, "dvc ran the command instead of using Cairn's run-cache entry");
    dvcOk(root, 'exp', 'run', '-q', '--temp', '-S', 'train.lr=0.3', '-n', 'dvc-first');
    assert.equal(runs(), n0 + 2);
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.3', '-n', 'cairn-after-dvc');
    assert.equal(runs(), n0 + 2, "Cairn ran the command instead of using dvc's run-cache entry");
    cairnOk(root, 'exp', 'run', '--temp', '--no-run-cache', '-S', 'train.lr=0.3', '-n', 'no-run-cache');
    assert.equal(runs(), n0 + 3, '--no-run-cache runs the command');
    // Restored experiments hold the same results as run ones.
    const exps = experimentsByName(show(root, 'dvc'));
    assert.deepEqual(exps.again, exps.first);
    assert.deepEqual(exps['dvc-again'], exps.first);
    assert.deepEqual(exps['cairn-after-dvc'], exps['dvc-first']);
    assert.deepEqual(show(root, 'cairn'), show(root, 'dvc'));
  });
});

describe('exp diff of two recorded environments', function () {
  this.timeout(240_000);

  it('shows what changed in what ran (a lockfile added, a stage command changed) beside dvc\'s params and metrics diff', () => {
    const root = trainedBaseline();
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.2', '-n', 'before');
    writeFiles(root, { 'requirements.txt': 'numpy==2.0.1\n' });
    cairnOk(root, 'exp', 'run', '--temp', '-S', 'train.lr=0.3', '-n', 'after');
    const ours = parsePythonJson(cairnOk(root, 'exp', 'diff', 'before', 'after', '--json')) as any;
    const { environment, ...rest } = ours;
    assert.deepEqual(rest, parsePythonJson(dvcOk(root, 'exp', 'diff', 'before', 'after', '--json')));
    assert.deepEqual(
      environment.filter((c: any) => c.kind === 'lockfile'),
      [{ kind: 'lockfile', name: 'requirements.txt', change: 'added', old: null, new: crypto.createHash('sha256').update('numpy==2.0.1\n').digest('hex') }],
    );
    const table = cairnOk(root, 'exp', 'diff', 'before', 'after');
    assert.match(table, /Environment \(before -> after\):\nlockfile requirements\.txt: added sha256 [0-9a-f]{12}/);
    // Revisions without records (dvc's, the workspace) have no environment section: dvc's output as it is.
    assert.ok(!('environment' in (parsePythonJson(cairnOk(root, 'exp', 'diff', '--json')) as any)));
  });
});
