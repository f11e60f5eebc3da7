import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { cairn, cairnOk, dvc, dvcOk, git, md5, storeObjects, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { commitAll } from '../support/metricsJson';

/**
 * `cairn exp push` / `cairn exp pull` against `dvc exp push` / `dvc exp pull` on experiments the real
 * `dvc exp run` made (two baselines: exp-a and exp-b on the first, exp-c on HEAD), each tool to its
 * own bare git remote and folder DVC remote, then compared: what each prints, the refs that
 * arrived, the objects that arrived. Fresh clones take it from there with the other tool.
 */

const TRAIN = `import json, os
lr = float([l.split(':')[1] for l in open('params.yaml') if 'lr:' in l][0])
json.dump({'acc': lr * 2}, open('metrics.json', 'w'))
os.makedirs('eval', exist_ok=True)
json.dump({'auc': lr / 3}, open('eval/scores.json', 'w'))
open('eval/notes.txt', 'w').write('lr %s' % lr)
open('model.bin', 'w').write('model %s' % lr)
`;

const PIPELINE = `stages:
  train:
    cmd: python3 train.py
    deps: [train.py, data.txt]
    params: [train.lr]
    outs: [model.bin, eval]
    metrics: [{metrics.json: {cache: false}}]
`;

/** An empty bare git remote on branch main. */
function bareRemote(): string {
  const dir = path.join(tempDir(), 'remote.git');
  fs.mkdirSync(dir);
  git(dir, 'init', '-q', '--bare', '-b', 'main');
  return dir;
}

/** The repository's experiment refs (or a remote's, through ls-remote) as 'sha ref' lines, sorted. */
function localRefs(root: string): string[] {
  return git(root, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/exps/').split('\n').filter(Boolean).sort();
}
function remoteRefs(remote: string): string[] {
  return git(remote, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/exps/').split('\n').filter(Boolean).sort();
}

/** A fresh clone of `remote` with `store` as its default DVC remote (in config.local) and a git identity. */
function freshClone(remote: string, store: string): string {
  const clone = path.join(tempDir(), 'clone');
  git(path.dirname(clone), 'clone', '-q', '-b', 'main', remote, clone);
  git(clone, 'config', 'user.email', 'test@cairn.dev');
  git(clone, 'config', 'user.name', 'Cairn Test');
  fs.writeFileSync(path.join(clone, '.dvc', 'config.local'), `[core]\n    remote = store\n['remote "store"']\n    url = ${store}\n`);
  return clone;
}

/**
 * The lines each tool prints with experiment names in a fixed order: dvc lists them in a set's
 * order (`a and b`, `'['a', 'b']'`).
 */
function sortedNames(text: string): string {
  return text
    .replace(/^((?:Pushed experiment|Experiment|Local experiment) )(.+?)( (?:to Git|is up|are up|has diverged))/gm, (_m, a: string, names: string, b: string) => a + names.split(/, | and /).sort().join(', ') + b)
    .replace(/'\[(.*?)\]'/g, (_m, names: string) => `'[${names.split(', ').sort().join(', ')}]'`);
}

/** What one run left: its output, and the refs and objects that arrived where it sent or took them. */
interface Outcome {
  status: number | null;
  stdout: string;
  refs: string[];
  objects: string[];
}

/** The files an experiment recorded — params, metrics and each cached output's bytes by their md5 in its dvc.lock. */
function experimentFiles(origin: string, name: string): Record<string, string> {
  const [ref] = localRefs(origin).filter((l) => l.endsWith(`/${name}`)).map((l) => l.split(' ')[0]);
  const files: Record<string, string> = {
    'params.yaml': md5(git(origin, 'show', `${ref}:params.yaml`)),
    'metrics.json': md5(git(origin, 'show', `${ref}:metrics.json`)),
  };
  const lock = parseYaml(git(origin, 'show', `${ref}:dvc.lock`));
  for (const out of lock.stages.train.outs as { path: string; md5: string }[]) {
    const object = path.join(origin, '.dvc', 'cache', 'files', 'md5', out.md5.slice(0, 2), out.md5.slice(2));
    if (!out.md5.endsWith('.dir')) files[out.path] = out.md5;
    else for (const e of JSON.parse(fs.readFileSync(object, 'utf8')) as { relpath: string; md5: string }[]) files[`${out.path}/${e.relpath}`] = e.md5;
  }
  return files;
}

/** The md5 of each of `files` in the work tree of `root`. */
function workspaceFiles(root: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(files).map((f) => [f, fs.existsSync(path.join(root, f)) ? md5(fs.readFileSync(path.join(root, f))) : 'missing']));
}

describe('interop: exp push / exp pull against dvc', function () {
  this.timeout(900_000);
  let origin: string;
  let firstBaseline: string;
  /** A bare remote and a store holding every experiment, pushed by dvc. */
  let full: { remote: string; store: string };

  before(() => {
    origin = tempGitRepo();
    dvcOk(origin, 'init', '-q');
    writeFiles(origin, { 'params.yaml': 'train:\n  lr: 0.1\n', 'train.py': TRAIN, 'dvc.yaml': PIPELINE, 'data.txt': 'some data\n' });
    dvcOk(origin, 'add', '-q', 'data.txt');
    dvcOk(origin, 'repro', '-q');
    commitAll(origin, 'first baseline');
    firstBaseline = git(origin, 'rev-parse', 'HEAD').trim();
    dvcOk(origin, 'exp', 'run', '-q', '-S', 'train.lr=0.2', '-n', 'exp-a');
    dvcOk(origin, 'exp', 'run', '-q', '-S', 'train.lr=0.3', '-n', 'exp-b');
    git(origin, 'checkout', '-q', '--', '.');
    dvcOk(origin, 'checkout', '-q', '--force');
    writeFiles(origin, { 'data.txt': 'more data\n' });
    dvcOk(origin, 'add', '-q', 'data.txt');
    dvcOk(origin, 'repro', '-q');
    commitAll(origin, 'second baseline');
    dvcOk(origin, 'exp', 'run', '-q', '-S', 'train.lr=0.4', '-n', 'exp-c');
    git(origin, 'remote', 'add', 'share', bareRemote());
    dvcOk(origin, 'remote', 'add', '--local', 'store', tempDir());
    dvcOk(origin, 'remote', 'default', '--local', 'store');
    full = { remote: bareRemote(), store: tempDir() };
    pointRemotes(full.remote, full.store);
    dvcOk(origin, 'exp', 'push', 'share', '-A');
    assert.equal(remoteRefs(full.remote).length, 3);
  });

  /** Make the git remote 'share' and the DVC remote 'store' of the origin these folders; the baselines go there too. */
  function pointRemotes(remote: string, store: string): void {
    git(origin, 'remote', 'set-url', 'share', remote);
    dvcOk(origin, 'remote', 'modify', '--local', 'store', 'url', store);
    git(origin, 'push', '-q', 'share', 'main', `${firstBaseline}:refs/heads/first`);
  }

  /** `exp push <args>` by one tool to a fresh remote and store; `args` name the git remote 'share' (options first: dvc's argparse takes no name after an option that follows the remote). */
  function pushBy(tool: typeof cairn, args: string[]): Outcome {
    const remote = bareRemote();
    const store = tempDir();
    pointRemotes(remote, store);
    const r = tool(origin, 'exp', 'push', ...args);
    return { status: r.status, stdout: sortedNames(r.stdout), refs: remoteRefs(remote), objects: storeObjects(store) };
  }

  /** `exp pull <args>` (naming the git remote 'origin') by one tool in a fresh clone of the remote dvc pushed everything to. */
  function pullBy(tool: typeof cairn, args: string[]): Outcome & { clone: string } {
    const clone = freshClone(full.remote, full.store);
    const r = tool(clone, 'exp', 'pull', ...args);
    return { status: r.status, stdout: sortedNames(r.stdout), refs: localRefs(clone), objects: storeObjects(path.join(clone, '.dvc', 'cache')), clone };
  }

  it('pushes what dvc pushes, refs and DVC objects, and prints what dvc prints: names, full refs, -A, --rev, -n, HEAD, --no-cache', () => {
    const expB = localRefs(origin).find((l) => l.endsWith('/exp-b'))!.split(' ')[1];
    const cases = [['share', 'exp-a'], ['share', 'exp-a', 'exp-c'], ['share', expB], ['-A', 'share'], ['--rev', firstBaseline, 'share'], ['-n', '2', 'share'], ['share'], ['--no-cache', '-A', 'share'], ['-A', 'share', 'exp-a']];
    for (const args of cases) {
      const ours = pushBy(cairn, args);
      const theirs = pushBy(dvc, args);
      assert.equal(ours.status, 0, `cairn exp push ${args.join(' ')}: ${ours.stdout}`);
      assert.deepEqual(ours, theirs, `exp push ${args.join(' ')}`);
    }
    const noCache = pushBy(cairn, ['--no-cache', '-A', 'share']);
    assert.equal(noCache.refs.length, 3);
    assert.deepEqual(noCache.objects, [], '--no-cache pushed data');
  });

  it('-r sends the outputs to the DVC remote named, not the default, as dvc does', () => {
    dvcOk(origin, 'remote', 'add', '--local', 'other', tempDir());
    const [ours, theirs] = [cairn, dvc].map((tool) => {
      const other = tempDir();
      dvcOk(origin, 'remote', 'modify', '--local', 'other', 'url', other);
      const outcome = pushBy(tool, ['-r', 'other', 'share', 'exp-a']);
      return { ...outcome, other: storeObjects(other) };
    });
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.objects, []);
    assert.notDeepEqual(ours.other, []);
    dvcOk(origin, 'remote', 'remove', '--local', 'other');
  });

  it("cairn exp push, then in a fresh clone dvc exp pull and dvc exp apply give the experiment's params, metrics and data", () => {
    const remote = bareRemote();
    const store = tempDir();
    pointRemotes(remote, store);
    cairnOk(origin, 'exp', 'push', 'share', 'exp-a', 'exp-c');
    const clone = freshClone(remote, store);
    assert.match(dvcOk(clone, 'exp', 'pull', 'origin', 'exp-a'), /Pulled experiment '\['exp-a'\]'/);
    dvcOk(clone, 'exp', 'apply', 'exp-a');
    const expected = experimentFiles(origin, 'exp-a');
    assert.deepEqual(workspaceFiles(clone, expected), expected);
    assert.match(fs.readFileSync(path.join(clone, 'params.yaml'), 'utf8'), /lr: 0.2/);
  });

  it('pulls what dvc pulls, refs and cache objects, and prints what dvc prints: names, -A, --rev, -n, HEAD, --no-cache', () => {
    const cases = [['origin', 'exp-a'], ['origin', 'exp-a', 'exp-c'], ['-A', 'origin'], ['--rev', firstBaseline, 'origin'], ['-n', '2', 'origin'], ['origin'], ['--no-cache', '-A', 'origin']];
    for (const args of cases) {
      const { clone: _ours, ...ours } = pullBy(cairn, args);
      const { clone: _theirs, ...theirs } = pullBy(dvc, args);
      assert.equal(ours.status, 0, `cairn exp pull ${args.join(' ')}: ${ours.stdout}`);
      assert.deepEqual(ours, theirs, `exp pull ${args.join(' ')}`);
    }
    assert.deepEqual(pullBy(cairn, ['--no-cache', '-A', 'origin']).objects, [], '--no-cache fetched data');
  });

  it("dvc exp push, then in a fresh clone cairn exp pull and dvc exp apply give the experiment's params, metrics and data", () => {
    const { clone } = pullBy(cairn, ['origin', 'exp-b']);
    assert.deepEqual(localRefs(clone), remoteRefs(full.remote).filter((l) => l.endsWith('/exp-b')));
    dvcOk(clone, 'exp', 'apply', 'exp-b');
    const expected = experimentFiles(origin, 'exp-b');
    assert.deepEqual(workspaceFiles(clone, expected), expected);
  });

  it('a second push or pull is up to date, as dvc says', () => {
    for (const tool of [cairn, dvc]) {
      const { clone } = pullBy(cairn, ['-A', 'origin']);
      const again = tool(clone, 'exp', 'pull', 'origin', 'exp-a');
      assert.equal(again.stdout, 'No experiments to pull.\n');
    }
    const remote = bareRemote();
    pointRemotes(remote, tempDir());
    cairnOk(origin, 'exp', 'push', 'share', 'exp-a', 'exp-b');
    assert.equal(sortedNames(cairnOk(origin, 'exp', 'push', 'share', 'exp-a', 'exp-b')), sortedNames(dvcOk(origin, 'exp', 'push', 'share', 'exp-b', 'exp-a')));
    const json = JSON.parse(cairnOk(origin, 'exp', 'push', '--json', 'share', 'exp-a', 'exp-b'));
    assert.deepEqual(json, { success: [], up_to_date: ['exp-a', 'exp-b'], diverged: [], uploaded: 0, notes: false, failures: [] });
  });

  it('leaves a diverged experiment as it is on either side, with dvc\'s warning, and replaces it with -f', () => {
    // A clone whose exp-a is another commit on the same baseline.
    const divergeIn = (root: string) => {
      const ref = remoteRefs(full.remote).find((l) => l.endsWith('/exp-a'))!.split(' ')[1];
      const other = git(root, 'commit-tree', '-p', firstBaseline, '-m', 'another exp-a', `${firstBaseline}^{tree}`).trim();
      git(root, 'update-ref', ref, other);
      return { ref, other };
    };
    const outcomes = [cairn, dvc].map((tool) => {
      const clone = freshClone(full.remote, full.store);
      cairnOk(clone, 'exp', 'pull', '--no-cache', 'origin', 'exp-b');
      const { ref, other } = divergeIn(clone);
      const before = localRefs(clone);
      const r = tool(clone, 'exp', 'pull', 'origin', 'exp-a', 'exp-b');
      assert.deepEqual(localRefs(clone), before, 'a diverged experiment was replaced');
      return { clone, ref, other, stdout: r.stdout, diverged: r.stderr.split('\n').filter((l) => l.includes('diverged')) };
    });
    const [ours, theirs] = outcomes.map(({ stdout, diverged }) => ({ stdout, diverged }));
    assert.deepEqual(ours, theirs);
    assert.equal(outcomes[0].diverged.length, 1);

    // Pushing the diverged one back: refused with dvc's words, the remote unchanged.
    const { clone, ref } = outcomes[0];
    const remoteBefore = remoteRefs(full.remote);
    const pushed = [cairn, dvc].map((tool) => tool(clone, 'exp', 'push', '--no-cache', 'origin', 'exp-a'));
    assert.deepEqual(remoteRefs(full.remote), remoteBefore);
    assert.equal(pushed[0].stdout, pushed[1].stdout);
    assert.deepEqual(pushed[0].stderr.split('\n').filter((l) => /diverged|--force/.test(l)), pushed[1].stderr.split('\n').filter((l) => /diverged|--force/.test(l)));

    // -f takes the remote's.
    cairnOk(clone, 'exp', 'pull', '-f', 'origin', 'exp-a');
    assert.deepEqual(localRefs(clone).filter((l) => l.endsWith(ref)), remoteRefs(full.remote).filter((l) => l.endsWith(ref)));
  });

  it('an unknown experiment name fails in one line with a "did you mean", nothing pushed or pulled', () => {
    const remote = bareRemote();
    pointRemotes(remote, tempDir());
    const push = cairn(origin, 'exp', 'push', 'share', 'exp-aa');
    assert.equal(push.status, 1);
    assert.equal(push.stderr.trim().split('\n').length, 1, push.stderr);
    assert.match(push.stderr, /'exp-aa' is not a valid experiment name.*Did you mean 'exp-a'\?/);
    assert.deepEqual(remoteRefs(remote), []);
    assert.match(dvc(origin, 'exp', 'push', 'share', 'exp-aa').stderr, /'exp-aa' is not a valid experiment name/);

    const clone = freshClone(full.remote, full.store);
    const pull = cairn(clone, 'exp', 'pull', 'origin', 'exp-cc');
    assert.equal(pull.status, 1);
    assert.match(pull.stderr, /^ERROR: 'exp-cc' is not a valid experiment name.*Did you mean 'exp-c'\?\n$/);
    assert.deepEqual(localRefs(clone), []);
    assert.deepEqual(storeObjects(path.join(clone, '.dvc', 'cache')), []);
  });

  it('a git remote argument that is an option, a program-running transport or nothing known fails in one line; nothing runs, nothing changes', () => {
    const marker = path.join(tempDir(), 'ran');
    const refsBefore = localRefs(origin);
    const configBefore = fs.readFileSync(path.join(origin, '.git', 'config'), 'utf8');
    const hostile = [`--upload-pack=touch ${marker}`, `--receive-pack=touch ${marker}`, '-x', `ext::sh -c touch% ${marker}`, 'no-such-remote', path.join(tempDir(), 'missing')];
    for (const command of ['push', 'pull']) {
      for (const remote of hostile) {
        const r = cairn(origin, 'exp', command, '--', remote, 'exp-a');
        assert.equal(r.status, 1, `exp ${command} ${remote}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^ERROR: '.*' is not a valid Git remote or URL\. [^\n]*\n$/, `exp ${command} ${remote}`);
      }
    }
    assert.equal(fs.existsSync(marker), false, 'a program named by the remote argument ran');
    // A URL is tried; what fails is said without its password.
    const secret = cairn(origin, 'exp', 'push', 'https://someone:s3cret@127.0.0.1:1/x.git', 'exp-a');
    assert.equal(secret.status, 1);
    assert.match(secret.stderr, /^ERROR: git ls-remote failed: [^\n]*\n$/);
    assert.doesNotMatch(secret.stderr + secret.stdout, /s3cret/);
    assert.deepEqual(localRefs(origin), refsBefore);
    assert.equal(fs.readFileSync(path.join(origin, '.git', 'config'), 'utf8'), configBefore);
  });

  it("a remote's refs outside dvc's layout are left out; one pointing at no commit fails in one line and nothing is pulled", () => {
    const remote = path.join(tempDir(), 'hostile.git');
    git(path.dirname(remote), 'clone', '-q', '--mirror', full.remote, remote);
    const expA = remoteRefs(full.remote).find((l) => l.endsWith('/exp-a'))!.split(' ')[0];
    const blobFile = path.join(tempDir(), 'blob');
    fs.writeFileSync(blobFile, 'not a commit\n');
    const blob = git(remote, 'hash-object', '-w', blobFile).trim();
    const base = `refs/exps/${firstBaseline.slice(0, 2)}/${firstBaseline.slice(2)}`;
    git(remote, 'update-ref', `${base}/evil-blob`, blob);
    git(remote, 'update-ref', 'refs/exps/zz/not-a-baseline/odd', expA);
    git(remote, 'update-ref', `${base}/sub/deeper`, expA);
    // A name git serves but no command line may take: one starting with '-' (written into packed-refs, as git would not make it).
    git(remote, 'pack-refs', '--all');
    const packed = path.join(remote, 'packed-refs');
    fs.writeFileSync(packed, fs.readFileSync(packed, 'utf8').replace(' sorted', '') + `${expA} ${base}/-n\n`);
    assert.match(git(remote, 'for-each-ref', 'refs/exps/'), /\/-n\n/);
    const clone = freshClone(remote, full.store);
    const all = cairn(clone, 'exp', 'pull', '-A', 'origin');
    assert.equal(all.status, 1);
    assert.match(all.stderr, /^ERROR: the git remote's refs\/exps\/.*\/evil-blob is not a commit; no experiment was pulled\.[^\n]*\n$/);
    assert.deepEqual(localRefs(clone), []);
    cairnOk(clone, 'exp', 'pull', '--no-cache', 'origin', 'exp-a');
    assert.deepEqual(localRefs(clone), [`${expA} ${base}/exp-a`]);
    const listed = cairnOk(clone, 'exp', 'list', '-A', '--name-only', 'origin').split('\n').filter(Boolean).sort();
    assert.deepEqual(listed, ['evil-blob', 'exp-a', 'exp-b', 'exp-c']);
    const dashed = cairn(clone, 'exp', 'pull', '--no-cache', 'origin', '--', '-n');
    assert.match(dashed.stderr, /^ERROR: '-n' is not a valid experiment name\.[^\n]*\n$/);
    assert.deepEqual(localRefs(clone), [`${expA} ${base}/exp-a`]);
  });

  it("Cairn's notes go with the experiments: pushed with them, merged into a clone's own notes on pull, none lost either way", () => {
    const notes = (root: string, rev: string) => git(root, 'notes', '--ref=cairn', 'show', rev).split('\n').filter(Boolean);
    const remote = bareRemote();
    pointRemotes(remote, tempDir());
    const expA = localRefs(origin).find((l) => l.endsWith('/exp-a'))!.split(' ')[0];
    const head = git(origin, 'rev-parse', 'HEAD').trim();
    git(origin, 'notes', '--ref=cairn', 'add', '-f', '-m', 'python: 3.11', expA);
    cairnOk(origin, 'exp', 'push', '--no-cache', 'share', 'exp-a');
    assert.deepEqual(notes(remote, expA), ['python: 3.11']);

    const clone = freshClone(remote, tempDir());
    git(clone, 'notes', '--ref=cairn', 'add', '-m', 'local: kept', head);
    cairnOk(clone, 'exp', 'pull', '--no-cache', 'origin', 'exp-a');
    assert.deepEqual(notes(clone, expA), ['python: 3.11']);
    assert.deepEqual(notes(clone, head), ['local: kept']);

    // Both sides add to one note: the pull keeps every line of both.
    git(clone, 'notes', '--ref=cairn', 'append', '-m', 'gpu: none', expA);
    git(origin, 'notes', '--ref=cairn', 'append', '-m', 'os: linux', expA);
    assert.match(cairnOk(origin, 'exp', 'push', '--no-cache', 'share', 'exp-a'), /is up to date/);
    cairnOk(clone, 'exp', 'pull', '--no-cache', 'origin', 'exp-a');
    assert.deepEqual(notes(clone, expA), ['gpu: none', 'os: linux', 'python: 3.11']);
    assert.deepEqual(notes(clone, head), ['local: kept']);

    // The clone pushes the merged notes; the origin's next push takes them in before pushing its own.
    cairnOk(clone, 'exp', 'push', '--no-cache', 'origin', 'exp-a');
    assert.deepEqual(notes(remote, head), ['local: kept']);
    git(origin, 'notes', '--ref=cairn', 'add', '-m', 'cpu: 2', localRefs(origin).find((l) => l.endsWith('/exp-c'))!.split(' ')[0]);
    cairnOk(origin, 'exp', 'push', '--no-cache', 'share', 'exp-a', 'exp-c');
    assert.deepEqual(notes(origin, head), ['local: kept']);
    assert.deepEqual(notes(remote, expA), ['gpu: none', 'os: linux', 'python: 3.11']);
    assert.deepEqual(git(remote, 'notes', '--ref=cairn', 'list').split('\n').filter(Boolean).length, 3);
    for (const root of [origin, clone]) assert.deepEqual(git(root, 'for-each-ref', '--format=%(refname)', 'refs/notes/').split('\n').filter(Boolean), ['refs/notes/cairn']);
  });
});
