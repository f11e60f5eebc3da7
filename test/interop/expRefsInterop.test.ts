import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cairn, cairnOk, dvc, dvcOk, git, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { commitAll, errorTypesOnly } from '../support/metricsJson';
import { parsePythonJson } from '../../src/core/metrics/dataFile';

/**
 * `cairn exp apply|branch|rename|remove|clean|diff` against the real dvc on experiments `dvc exp
 * run` made: each operation is done by dvc in one copy of a repository and by Cairn in another,
 * and the copies compared (work tree, data, refs and reflogs, what `dvc exp show`/`list` says).
 */

const TRAIN = `import json, os
lr = float([l.split(':')[1] for l in open('params.yaml') if 'lr:' in l][0])
json.dump({'acc': lr * 2, 'loss': 1 - lr, 'name': 'run'}, open('metrics.json', 'w'))
os.makedirs('eval', exist_ok=True)
json.dump({'auc': round(lr / 3, 6)}, open('eval/scores.json', 'w'))
open('model.bin', 'w').write(str(lr))
`;

const PIPELINE = `stages:
  train:
    cmd: python3 train.py
    deps: [train.py, data.txt]
    params: [train.lr]
    outs: [model.bin, eval]
    metrics: [{metrics.json: {cache: false}}]
`;

/**
 * A repository with two baselines: the first with experiments `exp-a` (lr 0.2) and `exp-b` (lr
 * 0.3), the second (HEAD, on main) with another `exp-a` (lr 0.4) — a name two baselines share.
 */
function experimentsRepo(): { root: string; first: string; second: string } {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 3\nother: x\n', 'train.py': TRAIN, 'dvc.yaml': PIPELINE, 'notes.txt': 'notes\n' });
  commitAll(root, 'pipeline');
  writeFiles(root, { 'data.txt': 'data\n' });
  dvcOk(root, 'add', '-q', 'data.txt');
  dvcOk(root, 'repro', '-q');
  commitAll(root, 'first baseline');
  const first = git(root, 'rev-parse', 'HEAD').trim();
  dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'exp-a');
  dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.3', '-n', 'exp-b');
  resetWorkspace(root);
  writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.1\n  epochs: 4\nother: x\n' });
  commitAll(root, 'second baseline');
  const second = git(root, 'rev-parse', 'HEAD').trim();
  dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.4', '-n', 'exp-a');
  resetWorkspace(root);
  return { root, first, second };
}

function resetWorkspace(root: string): void {
  git(root, 'reset', '-q', '--hard');
  git(root, 'clean', '-qfd');
  dvcOk(root, 'checkout', '-q', '--force');
}

/** A full copy of a repository (git, cache, work tree) in a fresh folder. */
function copyOf(root: string): string {
  const copy = path.join(tempDir(), 'repo');
  fs.cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

/** The work tree's files (not .git, not .dvc) → md5. */
function workTree(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeHashes(root)).filter(([p]) => !p.startsWith('.git/') && !p.startsWith('.dvc/')));
}

/** Every file of a repository but caches of the tools' own (`.dvc/tmp`: locks, Cairn's stat index; git's index, whose stat data `git status` refreshes) → md5. */
function snapshot(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(treeHashes(root)).filter(([p]) => !p.startsWith('.dvc/tmp/') && p !== '.git/index'));
}

/** Every ref under `prefix` with what it points at. */
const refs = (root: string, prefix = 'refs/') => git(root, 'for-each-ref', '--format=%(objectname) %(refname)', prefix);
const status = (root: string) => git(root, 'status', '--porcelain=v1', '--untracked-files=all');
const json = (text: string) => parsePythonJson(text);

/** `exp show --json` as dvc prints it, without timestamps (the copies were made at other times). */
function dvcShow(root: string): unknown {
  return JSON.parse(JSON.stringify(json(dvcOk(root, 'exp', 'show', '--json', '-A'))), (k, v) => (k === 'timestamp' ? null : v));
}

const lines = (text: string) => text.split('\n').filter(Boolean).sort();

describe('interop: exp apply / branch / rename / remove / clean / diff against dvc', function () {
  this.timeout(600_000);
  let repo: { root: string; first: string; second: string };

  before(() => {
    repo = experimentsRepo();
  });

  describe('exp apply', () => {
    it('gives the workspace dvc exp apply gives: files, data, HEAD, refs; untracked files the experiment lacks are kept', () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      for (const r of [ours, theirs]) writeFiles(r, { 'scratch.txt': 'mine\n' });
      dvcOk(theirs, 'exp', 'apply', 'exp-a');
      const out = cairnOk(ours, 'exp', 'apply', 'exp-a');
      assert.match(out, /Changes for experiment 'exp-a' have been applied to your current workspace\./);
      assert.deepEqual(workTree(ours), workTree(theirs));
      assert.equal(fs.readFileSync(path.join(ours, 'model.bin'), 'utf8'), '0.4', 'the data of the experiment on HEAD');
      assert.equal(status(ours), status(theirs));
      assert.equal(git(ours, 'symbolic-ref', 'HEAD'), git(theirs, 'symbolic-ref', 'HEAD'));
      assert.equal(git(ours, 'rev-parse', 'HEAD'), git(theirs, 'rev-parse', 'HEAD'));
      const applyRefs = (r: string) => lines(refs(r, 'refs/exps/')).filter((l) => !l.endsWith('refs/exps/apply/stash'));
      assert.deepEqual(applyRefs(ours), applyRefs(theirs), 'EXEC_APPLY and ORIG_HEAD as dvc sets them');
      // Both saved the workspace (an untracked file) the same way: the same message, HEAD and two more parents, the same files.
      const stash = (r: string) => {
        const [subject, parents] = git(r, 'log', '-1', '--format=%s%n%P', 'refs/exps/apply/stash').split('\n');
        return { subject, firstParent: parents.split(' ')[0], parents: parents.split(' ').length };
      };
      assert.deepEqual(stash(ours), stash(theirs));
      assert.equal(git(ours, 'ls-tree', '-r', '--name-only', 'refs/exps/apply/stash^3'), git(theirs, 'ls-tree', '-r', '--name-only', 'refs/exps/apply/stash^3'));
      const reflog = (r: string) => fs.readFileSync(path.join(r, '.git', 'logs', 'refs', 'exps', 'apply', 'stash'), 'utf8').split('\t')[1];
      assert.equal(reflog(ours), reflog(theirs));
      // dvc reads the result as its own: the workspace row of exp show is the same.
      const workspaceRow = (r: string) => (json(dvcOk(r, 'exp', 'show', '--json')) as any[])[0];
      assert.deepEqual(workspaceRow(ours), workspaceRow(theirs));
    });

    it('an experiment that deleted a tracked file: gone after applying onto a clean workspace, kept over a changed one, as dvc', () => {
      const base = copyOf(repo.root);
      fs.rmSync(path.join(base, 'notes.txt'));
      dvcOk(base, 'exp', 'run', '-q', '-S', 'train.lr=0.5', '-n', 'exp-del');
      resetWorkspace(base);
      for (const dirty of [false, true]) {
        const [ours, theirs] = [copyOf(base), copyOf(base)];
        if (dirty) for (const r of [ours, theirs]) writeFiles(r, { 'scratch.txt': 'mine\n' });
        dvcOk(theirs, 'exp', 'apply', 'exp-del');
        cairnOk(ours, 'exp', 'apply', 'exp-del');
        assert.deepEqual(workTree(ours), workTree(theirs), dirty ? 'changed workspace' : 'clean workspace');
        assert.equal(fs.existsSync(path.join(ours, 'notes.txt')), dirty);
        assert.equal(status(ours), status(theirs));
      }
    });

    it('applies by full ref and by commit prefix, as dvc does, and dvc applies what it resolves the same way', () => {
      const ref = `refs/exps/${repo.first.slice(0, 2)}/${repo.first.slice(2)}/exp-b`;
      const sha = git(repo.root, 'rev-parse', ref).trim();
      for (const name of [ref, sha.slice(0, 9)]) {
        const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
        dvcOk(theirs, 'exp', 'apply', name);
        cairnOk(ours, 'exp', 'apply', name);
        assert.deepEqual(workTree(ours), workTree(theirs), name);
        assert.equal(fs.readFileSync(path.join(ours, 'model.bin'), 'utf8'), '0.3');
      }
    });

    it("with data missing from the cache: the files are applied, the data error said, and EXEC_APPLY not set, as dvc", () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      const lock = git(repo.root, 'show', `refs/exps/${repo.first.slice(0, 2)}/${repo.first.slice(2)}/exp-b:dvc.lock`);
      const model = /path: model\.bin\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})|md5: ([0-9a-f]{32})\n\s+size: \d+\n\s+hash: md5\n\s+path: model\.bin/.exec(lock);
      const md5 = model?.[1] ?? model?.[2];
      assert.ok(md5, lock);
      for (const r of [ours, theirs]) fs.rmSync(path.join(r, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
      assert.notEqual(dvc(theirs, 'exp', 'apply', 'exp-b').status, 0);
      const r = cairn(ours, 'exp', 'apply', 'exp-b');
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^ERROR: checkout failed for: model\.bin \(not in cache\)/);
      assert.doesNotMatch(r.stdout, /have been applied/);
      // One difference, of checkout's: dvc's deletes the stale model.bin its record no longer names; Cairn's leaves it.
      const withoutModel = (root: string) => Object.fromEntries(Object.entries(workTree(root)).filter(([p]) => p !== 'model.bin'));
      assert.deepEqual(withoutModel(ours), withoutModel(theirs));
      assert.equal(status(ours), status(theirs));
      assert.deepEqual(lines(refs(ours, 'refs/exps/')), lines(refs(theirs, 'refs/exps/')));
    });

    it('refuses, naming them, edits the experiment would overwrite; changes nothing', () => {
      const root = copyOf(repo.root);
      writeFiles(root, { 'train.py': `${TRAIN}# my edit\n`, 'model.bin': 'my own model' });
      const before = { tree: snapshot(root), refs: refs(root), status: status(root) };
      const r = cairn(root, 'exp', 'apply', 'exp-a');
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /ERROR: applying 'exp-a' would overwrite uncommitted changes in: train\.py, model\.bin\. .*--force/);
      assert.deepEqual(snapshot(root), before.tree);
      assert.equal(refs(root), before.refs);
      assert.equal(status(root), before.status);
    });

    it('with --force saves the workspace as dvc does; git stash apply refs/exps/apply/stash brings the edits back', () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      for (const r of [ours, theirs]) writeFiles(r, { 'train.py': `${TRAIN}# my edit\n`, 'notes.txt': 'my notes\n', 'scratch.txt': 'mine\n' });
      dvcOk(theirs, 'exp', 'apply', 'exp-a');
      const out = cairnOk(ours, 'exp', 'apply', '--force', 'exp-a');
      assert.match(out, /git stash apply refs\/exps\/apply\/stash/);
      assert.deepEqual(workTree(ours), workTree(theirs));
      assert.equal(status(ours), status(theirs));
      for (const r of [ours, theirs]) {
        git(r, 'reset', '-q', '--hard');
        fs.rmSync(path.join(r, 'scratch.txt')); // kept by the apply (the experiment has none): out of the way of the stash's copy
        git(r, 'stash', 'apply', '-q', 'refs/exps/apply/stash');
      }
      assert.equal(fs.readFileSync(path.join(ours, 'train.py'), 'utf8'), `${TRAIN}# my edit\n`);
      assert.equal(fs.readFileSync(path.join(ours, 'scratch.txt'), 'utf8'), 'mine\n');
      assert.deepEqual(workTree(ours), workTree(theirs));
      assert.equal(git(ours, 'stash', 'list'), '', "the user's own stash is untouched");
    });

    it("applies an entry of dvc's queue by name as dvc does (its packed run arguments left out)", () => {
      const queued = copyOf(repo.root);
      dvcOk(queued, 'exp', 'run', '-q', '--queue', '-S', 'train.lr=0.7', '-n', 'q-wait');
      const [ours, theirs] = [copyOf(queued), copyOf(queued)];
      dvcOk(theirs, 'exp', 'apply', 'q-wait');
      cairnOk(ours, 'exp', 'apply', 'q-wait');
      assert.deepEqual(workTree(ours), workTree(theirs));
      assert.match(fs.readFileSync(path.join(ours, 'params.yaml'), 'utf8'), /lr: 0\.7/);
      assert.ok(!fs.existsSync(path.join(ours, '.dvc', 'tmp', 'repro.dat')));
      assert.equal(git(ours, 'rev-parse', 'refs/exps/exec/EXEC_APPLY'), git(theirs, 'rev-parse', 'refs/exps/exec/EXEC_APPLY'));
    });

        it('an ambiguous name lists the refs; an unknown one gets a did-you-mean; nothing changes', () => {
      const root = copyOf(repo.root);
      git(root, 'checkout', '-q', '-b', 'elsewhere', `${repo.first}~1`);
      const before = { tree: snapshot(root), refs: refs(root) };
      const ambiguous = cairn(root, 'exp', 'apply', 'exp-a');
      assert.equal(ambiguous.status, 1);
      assert.match(ambiguous.stderr, /Ambiguous name 'exp-a' refers to multiple experiments\. Use one of the following full refnames instead: refs\/exps\/\S+\/exp-a, refs\/exps\/\S+\/exp-a\./);
      assert.notEqual(dvc(root, 'exp', 'apply', 'exp-a').status, 0, 'dvc refuses it too');
      const unknown = cairn(root, 'exp', 'apply', 'exp-bb');
      assert.match(unknown.stderr, /ERROR: 'exp-bb' does not appear to be an experiment commit\. Did you mean 'exp-b'\?/);
      assert.match(cairn(root, 'exp', 'apply', '--', '--help').stderr, /'--help' does not appear to be an experiment commit/);
      assert.deepEqual(snapshot(root), before.tree);
      assert.equal(refs(root), before.refs);
    });
  });

  describe('exp branch / rename / remove', () => {
    it('exp branch makes the branch dvc makes, with its reflog message; an existing branch is refused', () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      dvcOk(theirs, 'exp', 'branch', 'exp-b');
      const out = cairnOk(ours, 'exp', 'branch', 'exp-b');
      assert.match(out, /Git branch 'exp-b-branch' has been created from experiment 'exp-b'\.\nTo switch to the new branch run:\n\n\tgit checkout exp-b-branch/);
      assert.equal(refs(ours, 'refs/heads/'), refs(theirs, 'refs/heads/'));
      const reflog = (r: string) => git(r, 'reflog', 'show', '--format=%H %gs', 'refs/heads/exp-b-branch');
      assert.equal(reflog(ours), reflog(theirs));
      cairnOk(ours, 'exp', 'branch', 'exp-a', 'named');
      assert.equal(git(ours, 'rev-parse', 'named'), git(ours, 'rev-parse', `refs/exps/${repo.second.slice(0, 2)}/${repo.second.slice(2)}/exp-a`), "HEAD's exp-a");
      const again = cairn(ours, 'exp', 'branch', 'exp-b');
      assert.equal(again.status, 1);
      assert.match(again.stderr, /Git branch 'exp-b-branch' already exists/);
      assert.match(cairn(ours, 'exp', 'branch', 'exp-b', 'bad..name').stderr, /'bad\.\.name' is not a valid git branch name/);
    });

    it('exp rename: dvc lists the new name and shows the same; taken and invalid names are refused unless -f', () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      dvcOk(theirs, 'exp', 'rename', 'exp-b', 'renamed');
      assert.equal(cairnOk(ours, 'exp', 'rename', 'exp-b', 'renamed').trim(), "Renamed experiments: 'exp-b'");
      assert.equal(refs(ours, 'refs/exps/'), refs(theirs, 'refs/exps/'));
      assert.deepEqual(dvcShow(ours), dvcShow(theirs));
      const show = (text: string) => errorTypesOnly(json(text)); // errors in each tool's own words
      assert.deepEqual(show(cairnOk(ours, 'exp', 'show', '--json', '-A')), show(dvcOk(ours, 'exp', 'show', '--json', '-A')), 'Cairn reads the renamed experiment as dvc does');
      const firstA = `refs/exps/${repo.first.slice(0, 2)}/${repo.first.slice(2)}/exp-a`;
      const taken = cairn(ours, 'exp', 'rename', firstA, 'renamed');
      assert.equal(taken.status, 1);
      assert.match(taken.stderr, /Experiment conflicts with existing experiment 'renamed'/);
      assert.match(cairn(ours, 'exp', 'rename', 'renamed', 'bad..name').stderr, /Invalid exp name bad\.\.name/);
      assert.match(cairn(ours, 'exp', 'rename', 'renamed', 'a/b').stderr, /Invalid exp name a\/b/);
      assert.equal(refs(ours, 'refs/exps/'), refs(theirs, 'refs/exps/'), 'nothing changed by the refusals');
      dvcOk(theirs, 'exp', 'rename', '-f', firstA, 'renamed');
      cairnOk(ours, 'exp', 'rename', '-f', firstA, 'renamed');
      assert.equal(refs(ours, 'refs/exps/'), refs(theirs, 'refs/exps/'));
    });

    for (const [what, args] of [
      ['by name', ['exp-b']],
      ['a name two baselines share, resolved to HEAD’s', ['exp-a']],
      ['by --rev', ['--rev', 'HEAD~1']],
      ['by --rev -n 2', ['--rev', 'HEAD', '-n', '2']],
      ['everything (-A)', ['-A']],
      ['all but one (--keep)', ['--keep', 'exp-b']],
    ] as [string, string[]][]) {
      it(`exp remove ${what}: the refs dvc removes, and dvc exp list agrees`, () => {
        const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
        dvcOk(ours, 'exp', 'apply', 'exp-a'); // EXEC_APPLY names HEAD's exp-a: removing it removes that too
        resetWorkspace(ours);
        dvcOk(theirs, 'exp', 'apply', 'exp-a');
        resetWorkspace(theirs);
        const said = { ours: cairnOk(ours, 'exp', 'remove', ...args), theirs: dvcOk(theirs, 'exp', 'remove', ...args) };
        assert.deepEqual(said.ours.replace(/'/g, '').trim().split(/, | and |: /).sort(), said.theirs.replace(/'/g, '').trim().split(/, | and |: /).sort());
        assert.deepEqual(lines(refs(ours, 'refs/exps/')), lines(refs(theirs, 'refs/exps/')));
        assert.deepEqual(lines(dvcOk(ours, 'exp', 'list', '-A')), lines(dvcOk(theirs, 'exp', 'list', '-A')));
        assert.deepEqual(lines(cairnOk(ours, 'exp', 'list', '-A', '--name-only')), lines(dvcOk(ours, 'exp', 'list', '-A', '--name-only')));
      });
    }

    it("exp remove takes experiments out of dvc's queue as dvc does: by name, by stash commit prefix, all (--queue)", () => {
      const queued = copyOf(repo.root);
      for (const [lr, name] of [['0.6', 'q-one'], ['0.7', 'q-two'], ['0.8', 'q-three']]) dvcOk(queued, 'exp', 'run', '-q', '--queue', '-S', `train.lr=${lr}`, '-n', name);
      const prefix = git(queued, 'rev-parse', 'refs/exps/celery/stash').trim().slice(0, 8);
      for (const args of [['q-one', 'exp-b'], [prefix], ['--queue']]) {
        const [ours, theirs] = [copyOf(queued), copyOf(queued)];
        assert.equal(cairnOk(ours, 'exp', 'remove', ...args), dvcOk(theirs, 'exp', 'remove', ...args), args.join(' '));
        const reflog = (r: string) => (fs.existsSync(path.join(r, '.git', 'refs', 'exps', 'celery', 'stash')) ? git(r, 'reflog', 'show', '--format=%H %gs', 'refs/exps/celery/stash') : '');
        assert.equal(reflog(ours), reflog(theirs), args.join(' '));
        assert.equal(refs(ours), refs(theirs));
        const messages = (r: string) => fs.readdirSync(path.join(r, '.dvc', 'tmp', 'exps', 'celery', 'broker', 'in')).sort();
        assert.deepEqual(messages(ours), messages(theirs));
        assert.equal(dvcOk(ours, 'queue', 'status'), dvcOk(theirs, 'queue', 'status'));
      }
    });

    it('exp remove refuses unknown names (did you mean), and bad argument mixes, removing nothing', () => {
      const root = copyOf(repo.root);
      const before = refs(root);
      const unknown = cairn(root, 'exp', 'remove', 'exp-b', 'exp-c');
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /'exp-c' is not a valid experiment name\. Did you mean 'exp-a'\?|'exp-c' is not a valid experiment name\. Did you mean 'exp-b'\?/);
      for (const args of [[], ['-A', 'exp-b']]) {
        const r = cairn(root, 'exp', 'remove', ...args);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^ERROR: Either provide an `experiment` argument, or use the `--rev` or `--all-commits` or `--queue` flag\.\n$/);
      }
      assert.equal(refs(root), before, 'exp-b stays: nothing is removed when a name is unknown');
    });

    it('exp remove -g deletes the refs on a bare git remote as dvc does (git ls-remote), leaving the local ones', () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      const remotes = { ours: path.join(tempDir(), 'ours.git'), theirs: path.join(tempDir(), 'theirs.git') };
      for (const [r, bare] of [[ours, remotes.ours], [theirs, remotes.theirs]]) {
        git(path.dirname(bare), 'init', '-q', '--bare', bare);
        git(r, 'remote', 'add', 'origin', bare);
        git(r, 'push', '-q', 'origin', 'main');
        dvcOk(r, 'exp', 'push', '-A', '--no-cache', 'origin');
      }
      dvcOk(theirs, 'exp', 'remove', '-g', 'origin', 'exp-b', 'exp-a');
      assert.equal(cairnOk(ours, 'exp', 'remove', '-g', 'origin', 'exp-b', 'exp-a').trim(), "Removed experiments: 'exp-b' and 'exp-a'");
      const remoteRefs = (bare: string) => lines(git(bare, 'ls-remote', bare)).map((l) => l.split('\t')[1]);
      assert.deepEqual(remoteRefs(remotes.ours), remoteRefs(remotes.theirs));
      assert.equal(remoteRefs(remotes.ours).filter((r) => r.startsWith('refs/exps/')).length, 1, "the first baseline's exp-a stays");
      assert.equal(refs(ours, 'refs/exps/'), refs(repo.root, 'refs/exps/'), 'local refs untouched');
      const unknown = cairn(ours, 'exp', 'remove', '-g', 'origin', 'exp-b');
      assert.match(unknown.stderr, /Experiment 'exp-b' does not exist in 'origin'/);
    });
  });

  describe('exp diff', () => {
    for (const args of [[], ['HEAD~1', 'exp-b'], ['exp-b', 'exp-a', '--all'], ['HEAD~1', 'exp-b', '--param-deps'], ['exp-a', '--param-deps', '--all']]) {
      it(`exp diff ${args.join(' ')} --json equals dvc's`, () => {
        const root = copyOf(repo.root);
        writeFiles(root, { 'params.yaml': 'train:\n  lr: 0.5\n  epochs: 4\nother: y\n', 'metrics.json': '{"acc": 1, "loss": 0.5, "name": "edited", "extra": [1, 2]}' });
        assert.deepEqual(json(cairnOk(root, 'exp', 'diff', ...args, '--json')), json(dvcOk(root, 'exp', 'diff', ...args, '--json')));
      });
    }

    for (const args of [['HEAD~1', 'exp-b'], ['exp-b', 'exp-a', '--all', '--md'], ['HEAD~1', 'exp-b', '--precision', '2', '--no-path'], ['HEAD~1', 'HEAD', '--all'], [], ['--md']]) {
      it(`exp diff ${args.join(' ')} prints dvc's tables`, () => {
        const root = copyOf(repo.root);
        if (!args.length) writeFiles(root, { 'metrics.json': '{"acc": 0.123456789, "loss": 0.9, "name": "edited"}' });
        assert.equal(cairnOk(root, 'exp', 'diff', ...args), dvcOk(root, 'exp', 'diff', ...args));
      });
    }

    it('exp diff of an unknown revision is one line with a did-you-mean', () => {
      const r = cairn(repo.root, 'exp', 'diff', 'exp-bb');
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^ERROR: unknown revision 'exp-bb'\. Did you mean 'exp-b'\?/);
    });
  });

  describe('exp clean', () => {
    it("removes the queue broker's leftover messages dvc removes, and keeps what dvc keeps", () => {
      const [ours, theirs] = [copyOf(repo.root), copyOf(repo.root)];
      const now = Date.now() / 1000;
      const message = (routing: string, exchange: string, headers: Record<string, unknown>) =>
        JSON.stringify({ body: 'e30=', 'content-encoding': 'utf-8', 'content-type': 'application/json', headers, properties: { body_encoding: 'base64', delivery_info: { exchange, routing_key: routing }, delivery_mode: 2, delivery_tag: `${routing}-${exchange}-${JSON.stringify(headers).length}-${Math.random()}`, priority: 0 } });
      const files = {
        '.dvc/tmp/exps/celery/broker/in/1_a.celery.msg': message('celery', 'celery', { id: 'task', expires: now - 100 }),
        '.dvc/tmp/exps/celery/broker/in/2_b.reply.msg': message('worker-1', 'reply.celery.pidbox', { ticket: 't1' }),
        '.dvc/tmp/exps/celery/broker/in/3_c.other.msg': message('other', 'other', { expires: now - 100 }),
        '.dvc/tmp/exps/celery/broker/in/4_d.other.msg': message('other', 'other', { expires: now + 10_000 }),
        '.dvc/tmp/exps/celery/broker/processed/5_e.other.msg': message('other', 'other', { ticket: 't2' }),
        '.dvc/tmp/exps/celery/broker/processed/6_f.celery.msg': message('celery', 'celery', { ticket: 't3', expires: now - 100 }),
        '.dvc/tmp/exps/celery/broker/processed/7_g.msg': '',
      };
      for (const r of [ours, theirs]) writeFiles(r, files);
      const out = cairnOk(ours, 'exp', 'clean');
      assert.equal(out, dvcOk(theirs, 'exp', 'clean'));
      const left = (r: string) => Object.keys(treeHashes(path.join(r, '.dvc', 'tmp', 'exps', 'celery', 'broker'))).sort();
      assert.deepEqual(left(ours), left(theirs));
      assert.deepEqual(left(ours), ['in/1_a.celery.msg', 'in/4_d.other.msg', 'processed/6_f.celery.msg', 'processed/7_g.msg']);
    });
  });

  describe('hostile repositories', () => {
    /** A commit on `parent` whose tree is the parent's plus `entries` (path → [mode, content]; `blobId`: every entry names this object, present or not), made with git's plumbing. */
    function commitWith(root: string, parent: string, entries: Record<string, [string, string]>, blobId?: string): string {
      const env = { ...process.env, GIT_INDEX_FILE: path.join(tempDir(), 'index') };
      const run = (args: string[], input?: string) => {
        const r = spawnSync('git', args, { cwd: root, env, input, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
        return r.stdout.trim();
      };
      run(['read-tree', parent]);
      for (const [p, [mode, content]] of Object.entries(entries)) {
        const blob = blobId ?? run(['hash-object', '-w', '--stdin'], content);
        run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${p}`]);
      }
      return run(['commit-tree', run(['write-tree', '--missing-ok']), '-p', parent, '-m', 'evil']);
    }

    it("an experiment whose tree puts a link where the workspace had a folder: the folder's files are not written through it", () => {
      const root = copyOf(repo.root);
      const outside = tempDir('cairn-outside-');
      const evil = commitWith(root, repo.second, { escape: ['120000', outside] });
      git(root, 'update-ref', `refs/exps/${repo.second.slice(0, 2)}/${repo.second.slice(2)}/evil`, evil);
      writeFiles(root, { 'escape/f.txt': 'mine\n' });
      const r = cairn(root, 'exp', 'apply', '--force', 'evil');
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside the repository');
      assert.match(r.stderr, /kept in refs\/exps\/apply\/stash only \(unsafe paths, not written\): escape\/f\.txt/);
      assert.equal(git(root, 'show', 'refs/exps/apply/stash^3:escape/f.txt'), 'mine\n', 'the file is kept in the stash');
    });

    it('an experiment git cannot check out (an object missing): the workspace is put back as it was, edits and untracked files', () => {
      const root = copyOf(repo.root);
      const broken = commitWith(root, repo.second, { 'missing.txt': ['100644', ''] }, '0123456789abcdef0123456789abcdef01234567');
      git(root, 'update-ref', `refs/exps/${repo.second.slice(0, 2)}/${repo.second.slice(2)}/broken`, broken);
      writeFiles(root, { 'train.py': `${TRAIN}# my edit\n`, 'scratch.txt': 'mine\n' });
      const before = { tree: workTree(root), status: status(root) };
      const r = cairn(root, 'exp', 'apply', '--force', 'broken');
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(workTree(root), before.tree);
      assert.equal(status(root), before.status);
    });

    it('experiment names and git remotes that look like options are data, never options', () => {
      const root = copyOf(repo.root);
      const sha = git(root, 'rev-parse', `refs/exps/${repo.second.slice(0, 2)}/${repo.second.slice(2)}/exp-a`).trim();
      git(root, 'update-ref', `refs/exps/${repo.second.slice(0, 2)}/${repo.second.slice(2)}/--mirror`, sha);
      assert.match(cairnOk(root, 'exp', 'list', '--name-only'), /^--mirror$/m);
      cairnOk(root, 'exp', 'branch', '--', '--mirror', 'odd-branch');
      assert.equal(git(root, 'rev-parse', 'odd-branch').trim(), sha);
      const bad = cairn(root, 'exp', 'remove', '--git-remote=--upload-pack=touch pwned', '-A');
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /'--upload-pack=touch pwned' is not a valid Git remote or URL/);
      assert.equal(cairnOk(root, 'exp', 'remove', '--', '--mirror').trim(), "Removed experiments: '--mirror'");
      assert.ok(!fs.existsSync(path.join(root, 'pwned')), 'no program ran');
      assert.equal(refs(root, 'refs/exps/'), refs(repo.root, 'refs/exps/'));
    });
  });
});
