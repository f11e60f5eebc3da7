import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { cairn, cairnOk, CLI, cloneOf, dvcOk, git, md5, RunResult, folderSnapshot, storeObjects, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * The attack suite: a repository and a remote made by an attacker, the victim's ordinary
 * commands (clone, pull, checkout, status, commit, push), and proof that nothing outside the
 * repository changed (a sentinel folder, byte for byte, links and modes included), that no
 * secret was stored or sent, and that the harmless outputs of the same pull were restored.
 */

const SECRET = 'ssh-ed25519 AAAA-the-victims-private-key\n';

interface Scene {
  /** The victim's home: what must never change or leak. */
  sentinel: string;
  attacker: string;
  remote: string;
}

/** An attacker's repository with one harmless output (`good.txt`) pushed to a folder remote, and the victim's home beside it. */
function scene(): Scene {
  const base = tempDir('cairn-attack-');
  const sentinel = path.join(base, 'victim_home');
  writeFiles(sentinel, {
    '.ssh/id_ed25519': SECRET,
    '.profile': 'export PATH=$PATH\n',
    'ws/precious.txt': 'years of work\n',
    'dir/o.txt': 'the victim\'s own o.txt\n',
  });
  const remote = path.join(base, 'remote');
  fs.mkdirSync(remote);
  const attacker = tempGitRepo();
  cairnOk(attacker, 'init');
  cairnOk(attacker, 'remote', 'add', '-d', 'shared', remote);
  writeFiles(attacker, { 'good.txt': 'harmless data\n' });
  cairnOk(attacker, 'add', 'good.txt');
  cairnOk(attacker, 'push');
  git(attacker, 'add', '-A');
  git(attacker, 'commit', '-qm', 'harmless');
  return { sentinel, attacker, remote };
}

/** A `.dvc` file the attacker writes by hand. */
function dvcFile(out: Record<string, string | number | boolean>): string {
  const keys = Object.entries(out).map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  return `outs:\n- ${keys.join('\n  ')}\n`;
}

/** Push bytes to the shared remote as the attacker (any object name they like). */
function plantObject(remote: string, name: string, bytes: string | Buffer): void {
  const file = path.join(remote, 'files', 'md5', name.slice(0, 2), name.slice(2));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

function commitAll(repo: string, message: string): void {
  git(repo, 'add', '-A', '-f');
  git(repo, 'commit', '-qm', message);
}

function assertRefused(r: RunResult, ...names: string[]): void {
  assert.notEqual(r.status, 0, `expected a failure:\n${r.stdout}${r.stderr}`);
  assert.notEqual(r.status, 255, `an unexpected error:\n${r.stderr}`);
  for (const name of names) assert.match(r.stderr, new RegExp(name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

function assertNoSecret(...results: RunResult[]): void {
  for (const r of results) assert.ok(!(r.stdout + r.stderr).includes(SECRET.trim()), 'the secret was printed');
}

describe('attack suite: a cloned repository cannot reach outside itself', function () {
  this.timeout(120_000);

  it('a symlinked parent committed in git: pull writes nothing through it, restores the rest, and names the path', () => {
    const s = scene();
    const evil = 'export EVIL=1\n';
    writeFiles(s.attacker, { 'evil.txt': evil });
    cairnOk(s.attacker, 'add', 'evil.txt');
    cairnOk(s.attacker, 'push');
    fs.symlinkSync(s.sentinel, path.join(s.attacker, 'sub'));
    fs.writeFileSync(path.join(s.attacker, 'sub.dvc'), dvcFile({ md5: md5(evil), size: evil.length, hash: 'md5', path: 'sub/.profile_evil' }));
    fs.rmSync(path.join(s.attacker, 'evil.txt.dvc'));
    commitAll(s.attacker, 'attack');
    const before = folderSnapshot(s.sentinel);

    const victim = cloneOf(s.attacker);
    const pull = cairn(victim, 'pull');
    assertRefused(pull, 'sub/.profile_evil', "'sub'");
    assert.equal(fs.readFileSync(path.join(victim, 'good.txt'), 'utf8'), 'harmless data\n', 'the harmless output was restored');
    assertRefused(cairn(victim, 'checkout', '--force'), 'sub/.profile_evil');
    assertRefused(cairn(victim, 'status'), 'sub/.profile_evil');
    assertRefused(cairn(victim, 'data', 'status'), 'sub/.profile_evil');
    assertRefused(cairn(victim, 'commit', '-f'), 'sub/.profile_evil');
    assert.deepEqual(folderSnapshot(s.sentinel), before);
  });

  it('a workspace folder replaced by a link to a folder outside: checkout leaves it and says so; --force replaces the link, never its target', () => {
    const s = scene();
    writeFiles(s.attacker, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' });
    cairnOk(s.attacker, 'add', 'data');
    cairnOk(s.attacker, 'push');
    commitAll(s.attacker, 'data');
    const victim = cloneOf(s.attacker);
    cairnOk(victim, 'pull');
    fs.rmSync(path.join(victim, 'data'), { recursive: true });
    fs.rmSync(path.join(victim, 'good.txt'));
    fs.symlinkSync(path.join(s.sentinel, 'ws'), path.join(victim, 'data'));
    const before = folderSnapshot(s.sentinel);

    assertRefused(cairn(victim, 'checkout'), "'data' -> ");
    assert.ok(fs.existsSync(path.join(victim, 'good.txt')), 'the other output was restored');
    assert.ok(fs.lstatSync(path.join(victim, 'data')).isSymbolicLink(), 'without --force the link stays');
    assert.deepEqual(folderSnapshot(s.sentinel), before);

    cairnOk(victim, 'checkout', '--force');
    assert.ok(fs.lstatSync(path.join(victim, 'data')).isDirectory(), 'the link was replaced by the folder');
    assert.equal(fs.readFileSync(path.join(victim, 'data/sub/b.txt'), 'utf8'), 'b\n');
    assert.deepEqual(folderSnapshot(s.sentinel), before);
    assert.equal(cairnOk(victim, 'status'), 'Data and pipelines are up to date.\n');
  });

  it('a link committed inside a tracked folder (data/dlink -> outside): pull does not write through it; --force replaces it', () => {
    const s = scene();
    writeFiles(s.attacker, { 'data/a.txt': 'a\n', 'data/dlink/o.txt': 'attacker o.txt\n' });
    cairnOk(s.attacker, 'add', 'data');
    cairnOk(s.attacker, 'push');
    fs.rmSync(path.join(s.attacker, 'data', 'dlink'), { recursive: true });
    fs.symlinkSync(path.join(s.sentinel, 'dir'), path.join(s.attacker, 'data', 'dlink'));
    git(s.attacker, 'add', '-f', 'data/dlink');
    commitAll(s.attacker, 'attack');
    const before = folderSnapshot(s.sentinel);

    const victim = cloneOf(s.attacker);
    assert.ok(fs.lstatSync(path.join(victim, 'data/dlink')).isSymbolicLink(), 'git made the link');
    assertRefused(cairn(victim, 'pull'), 'data/dlink');
    assert.ok(fs.existsSync(path.join(victim, 'good.txt')));
    assert.deepEqual(folderSnapshot(s.sentinel), before);

    cairnOk(victim, 'checkout', '--force');
    assert.ok(fs.lstatSync(path.join(victim, 'data/dlink')).isDirectory());
    assert.equal(fs.readFileSync(path.join(victim, 'data/dlink/o.txt'), 'utf8'), 'attacker o.txt\n');
    assert.deepEqual(folderSnapshot(s.sentinel), before);
  });

  it('links to folders inside a tracked folder (self -> ., up -> .., out -> outside) are skipped as dvc skips them; no loop, no misleading error', () => {
    const repo = tempGitRepo();
    const s = scene();
    const before = folderSnapshot(s.sentinel);
    cairnOk(repo, 'init');
    writeFiles(repo, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' });
    fs.symlinkSync('.', path.join(repo, 'data/self'));
    fs.symlinkSync('..', path.join(repo, 'data/sub/up'));
    fs.symlinkSync(path.join(s.sentinel, 'dir'), path.join(repo, 'data/out'));
    cairnOk(repo, 'add', 'data');
    const theirs = tempGitRepo();
    dvcOk(theirs, 'init', '-q');
    writeFiles(theirs, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' });
    fs.symlinkSync('.', path.join(theirs, 'data/self'));
    fs.symlinkSync('..', path.join(theirs, 'data/sub/up'));
    fs.symlinkSync(path.join(s.sentinel, 'dir'), path.join(theirs, 'data/out'));
    dvcOk(theirs, 'add', 'data');
    const hashOf = (r: string) => /md5: (\S+)/.exec(fs.readFileSync(path.join(r, 'data.dvc'), 'utf8'))![1];
    assert.equal(hashOf(repo), hashOf(theirs), 'the same .dir as dvc');
    assert.equal(cairnOk(repo, 'status'), 'Data and pipelines are up to date.\n');
    assert.deepEqual(folderSnapshot(s.sentinel), before);
  });

  it('a file link to a secret outside the repository is never stored or pushed (add, commit)', () => {
    const s = scene();
    const victim = cloneOf(s.attacker);
    cairnOk(victim, 'pull');
    writeFiles(victim, { 'data/a.txt': 'a\n' });
    cairnOk(victim, 'add', 'data');
    fs.symlinkSync(path.join(s.sentinel, '.ssh/id_ed25519'), path.join(victim, 'data/key'));
    fs.symlinkSync(path.join(s.sentinel, '.ssh/id_ed25519'), path.join(victim, 'key.pub'));
    const results = [cairn(victim, 'status'), cairn(victim, 'commit', '-f'), cairn(victim, 'add', 'key.pub'), cairn(victim, 'add', 'data'), cairn(victim, 'push')];
    assertRefused(results[1], 'data/key');
    assertRefused(results[2], 'key.pub');
    assertRefused(results[3], 'data/key');
    assertNoSecret(...results);
    const secretObject = md5(SECRET);
    const everywhere = [...storeObjects(path.join(victim, '.dvc/cache')), ...storeObjects(s.remote)];
    assert.ok(!everywhere.some((o) => o.replace(/\//g, '').endsWith(secretObject)), 'the secret is in no cache or remote');
  });

  it('hashes that are paths: a .dir entry or a dvc.lock md5 naming a file outside is refused; the rest is restored', () => {
    const s = scene();
    const secretPath = path.join(s.sentinel, '.ssh/id_ed25519');
    const traversal = path.relative(path.join(s.attacker, '.dvc/cache/files/md5/xx'), secretPath);
    const manifest = JSON.stringify([{ md5: traversal, relpath: 'stolen.txt' }]);
    const dirName = md5(manifest) + '.dir';
    plantObject(s.remote, dirName, manifest);
    fs.writeFileSync(path.join(s.attacker, 'data.dvc'), dvcFile({ md5: dirName, size: 10, nfiles: 1, hash: 'md5', path: 'data' }));
    writeFiles(s.attacker, {
      'dvc.yaml': 'stages:\n  train:\n    cmd: echo train\n    outs:\n    - model.bin\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  train:\n    cmd: echo train\n    outs:\n    - path: model.bin\n      hash: md5\n      md5: ${traversal}\n      size: 10\n`,
    });
    commitAll(s.attacker, 'attack');
    const before = folderSnapshot(s.sentinel);

    const victim = cloneOf(s.attacker);
    const pull = cairn(victim, 'pull');
    assertRefused(pull, 'data', 'model.bin');
    assertNoSecret(pull);
    assert.ok(fs.existsSync(path.join(victim, 'good.txt')), 'the harmless output was restored');
    assert.ok(!fs.existsSync(path.join(victim, 'data/stolen.txt')), 'the secret was not copied in');
    assert.ok(!fs.existsSync(path.join(victim, 'model.bin')));
    const push = cairn(victim, 'push');
    assertNoSecret(push);
    assert.deepEqual(folderSnapshot(s.sentinel), before);
    const remoteFiles = folderSnapshot(s.remote);
    assert.ok(Object.keys(remoteFiles).every((k) => /^(files(\/md5(\/[0-9a-f]{2}(\/[0-9a-f]{30}(\.dir)?)?)?)?)$/.test(k)), `only objects on the remote: ${Object.keys(remoteFiles)}`);
  });

  it('.dir manifests with odd names (NUL, ".", "a/.", ".git/…") are one clear line each and leave nothing behind', () => {
    for (const relpath of ['a\u0000b', '.', 'a/.', '.git/hooks/post-checkout', 'x/../../y']) {
      const s = scene();
      const body = 'x\n';
      plantObject(s.remote, md5(body), body);
      const manifest = JSON.stringify([{ md5: md5(body), relpath }]);
      const dirName = md5(manifest) + '.dir';
      plantObject(s.remote, dirName, manifest);
      fs.writeFileSync(path.join(s.attacker, 'data.dvc'), dvcFile({ md5: dirName, size: 2, nfiles: 1, hash: 'md5', path: 'data' }));
      commitAll(s.attacker, 'odd');
      const victim = cloneOf(s.attacker);
      const pull = cairn(victim, 'pull');
      assertRefused(pull, 'data');
      assert.equal(pull.stderr.trim().split('\n').length, 1, `one line: ${pull.stderr}`);
      assert.ok(fs.existsSync(path.join(victim, 'good.txt')));
      assert.ok(!fs.existsSync(path.join(victim, 'data')), `no folder left for ${JSON.stringify(relpath)}`);
      assert.ok(!fs.existsSync(path.join(victim, '.git/hooks/post-checkout')));
    }
  });

  it('a committed .dvc/tmp link: Cairn keeps its own state in the repository, never through the link', () => {
    const s = scene();
    const before = folderSnapshot(s.sentinel);
    fs.rmSync(path.join(s.attacker, '.dvc', 'tmp'), { recursive: true, force: true });
    fs.symlinkSync(s.sentinel, path.join(s.attacker, '.dvc', 'tmp'));
    git(s.attacker, 'add', '-f', '.dvc/tmp');
    commitAll(s.attacker, 'attack');
    const victim = cloneOf(s.attacker);
    assert.ok(fs.lstatSync(path.join(victim, '.dvc/tmp')).isSymbolicLink());
    cairnOk(victim, 'pull');
    cairnOk(victim, 'status');
    assert.ok(fs.lstatSync(path.join(victim, '.dvc/tmp')).isDirectory());
    assert.deepEqual(folderSnapshot(s.sentinel), before);
  });

  it('features stay: a shared cache outside the repository with cache.type symlink (and hardlink) adds, checks out, pulls and stays clean', () => {
    for (const type of ['symlink', 'hardlink']) {
      const shared = tempDir('cairn-shared-cache-');
      const repo = tempGitRepo();
      cairnOk(repo, 'init');
      cairnOk(repo, 'config', 'cache.dir', shared);
      cairnOk(repo, 'config', 'cache.type', type);
      writeFiles(repo, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n', 'model.bin': 'weights\n' });
      cairnOk(repo, 'add', 'data', 'model.bin');
      if (type === 'symlink') assert.ok(fs.lstatSync(path.join(repo, 'data/a.txt')).isSymbolicLink(), 'linked into the shared cache');
      assert.equal(cairnOk(repo, 'status'), 'Data and pipelines are up to date.\n', type);
      fs.rmSync(path.join(repo, 'data'), { recursive: true });
      fs.rmSync(path.join(repo, 'model.bin'));
      cairnOk(repo, 'checkout');
      assert.equal(fs.readFileSync(path.join(repo, 'data/sub/b.txt'), 'utf8'), 'b\n');
      assert.equal(fs.readFileSync(path.join(repo, 'model.bin'), 'utf8'), 'weights\n');
      assert.equal(cairnOk(repo, 'status'), 'Data and pipelines are up to date.\n', type);
      cairnOk(repo, 'commit', '-f');
      assert.equal(cairnOk(repo, 'status'), 'Data and pipelines are up to date.\n', type);
    }
  });

  it('a committed link from a metrics or params file to a secret outside: metrics, params and plots print none of it', () => {
    const s = scene();
    const token = 'ghp_the-victims-registry-token';
    writeFiles(s.sentinel, { '.docker/config.json': JSON.stringify({ auths: { registry: { auth: token } } }) });
    const before = folderSnapshot(s.sentinel);
    writeFiles(s.attacker, { 'dvc.yaml': 'metrics:\n- metrics.json\nplots:\n- plot.json\nstages:\n  train:\n    cmd: echo\n    params:\n    - other.json:\n' });
    for (const name of ['metrics.json', 'plot.json', 'other.json']) fs.symlinkSync(path.join(s.sentinel, '.docker/config.json'), path.join(s.attacker, name));
    commitAll(s.attacker, 'attack');
    const victim = cloneOf(s.attacker);
    const results = [
      cairn(victim, 'metrics', 'show'),
      cairn(victim, 'metrics', 'show', '--json'),
      cairn(victim, 'params', 'diff', '--all', '--json'),
      cairn(victim, 'plots', 'diff', '--json'),
      cairn(victim, 'plots', 'diff', 'HEAD', '--json'),
      cairn(victim, 'status'),
    ];
    for (const r of results) {
      assert.notEqual(r.status, 255, r.stderr);
      assert.ok(!(r.stdout + r.stderr).includes(token), `printed the token: ${r.stdout}${r.stderr}`);
    }
    assert.match(results[0].stderr + results[0].stdout, /metrics\.json/);
    assert.deepEqual(folderSnapshot(s.sentinel), before);
  });

  it('a committed dvc_plots link and dvc.lock hashes that are paths: plots diff writes no image through the link, no file is read by a hash', () => {
    const s = scene();
    const before = folderSnapshot(s.sentinel);
    const secretPath = path.relative(path.join(s.attacker, '.dvc/cache/files/md5/ab'), path.join(s.sentinel, '.ssh/id_ed25519'));
    writeFiles(s.attacker, {
      'dvc.yaml': 'metrics:\n- eval/metrics.json\n- secret.json\nplots:\n- img.png\nstages:\n  train:\n    cmd: echo\n    outs:\n    - eval\n    - secret.json\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  train:\n    cmd: echo\n    outs:\n    - path: eval\n      hash: md5\n      md5: ${JSON.stringify(`ab${secretPath}.dir`)}\n    - path: secret.json\n      hash: md5\n      md5: ${JSON.stringify(`ab${secretPath}`)}\n`,
      'img.png': '\x89PNG fake',
    });
    fs.symlinkSync(path.join(s.sentinel, 'ws'), path.join(s.attacker, 'dvc_plots'));
    commitAll(s.attacker, 'attack');
    const victim = cloneOf(s.attacker);
    const plots = cairn(victim, 'plots', 'diff', '--json');
    assertRefused(plots, 'dvc_plots');
    const shown = [cairn(victim, 'metrics', 'show', '--json'), cairn(victim, 'metrics', 'show', '-a', '--json'), cairn(victim, 'metrics', 'diff', 'HEAD', '--json')];
    for (const r of shown) assert.notEqual(r.status, 255, r.stderr);
    assertNoSecret(plots, ...shown);
    assert.deepEqual(folderSnapshot(s.sentinel), before);
  });

  it('outputs inside .git/ or .dvc/ (a hook, the config, the cache) are refused by name, in .dvc files and dvc.lock; the rest is restored', () => {
    const s = scene();
    const hook = '#!/bin/sh\necho pwned > "$HOME/pwned"\n';
    writeFiles(s.attacker, { 'hook.sh': hook });
    cairnOk(s.attacker, 'add', 'hook.sh');
    cairnOk(s.attacker, 'push');
    fs.rmSync(path.join(s.attacker, 'hook.sh.dvc'));
    const entry = { md5: md5(hook), size: hook.length, isexec: true, hash: 'md5' };
    fs.writeFileSync(path.join(s.attacker, 'hook.dvc'), dvcFile({ ...entry, path: '.git/hooks/post-checkout' }));
    fs.writeFileSync(path.join(s.attacker, 'config.dvc'), dvcFile({ ...entry, path: '.dvc/config' }));
    fs.writeFileSync(path.join(s.attacker, 'Upper.dvc'), dvcFile({ ...entry, path: 'sub/.GIT/hooks/x' }));
    writeFiles(s.attacker, {
      'dvc.yaml': 'stages:\n  train:\n    cmd: echo\n    outs:\n    - .git/hooks/pre-commit\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  train:\n    cmd: echo\n    outs:\n    - path: .git/hooks/pre-commit\n      hash: md5\n      md5: ${md5(hook)}\n      size: ${hook.length}\n      isexec: true\n`,
    });
    commitAll(s.attacker, 'attack');
    const victim = cloneOf(s.attacker);
    const configBefore = fs.readFileSync(path.join(victim, '.dvc/config'), 'utf8');
    const pull = cairn(victim, 'pull');
    assertRefused(pull, '.git/hooks/post-checkout');
    assert.ok(fs.existsSync(path.join(victim, 'good.txt')), 'the harmless output was restored');
    for (const hookName of ['post-checkout', 'pre-commit']) assert.ok(!fs.existsSync(path.join(victim, '.git/hooks', hookName)), hookName);
    assert.equal(fs.readFileSync(path.join(victim, '.dvc/config'), 'utf8'), configBefore);
    assertRefused(cairn(victim, 'checkout', '--force'), '.git/hooks/post-checkout');
    const lint = cairn(victim, 'lint');
    assert.notEqual(lint.status, 0);
    for (const name of ['hook.dvc', 'config.dvc', 'dvc.yaml']) assert.match(lint.stdout + lint.stderr, new RegExp(name.replace('.', '\\.')), lint.stdout);
  });

  it('a FIFO or a link to /dev/zero under a name Cairn reads (.dvc, dvc.yaml, params, .dvcignore, config) is an error naming it, not a hang', () => {
    for (const name of ['x.dvc', 'dvc.yaml', 'params.yaml', '.dvcignore', 'metrics.json', '.dvc/config']) {
      for (const kind of ['fifo', 'zero']) {
        const repo = tempDir('cairn-fifo-');
        cairnOk(repo, 'init', '--no-scm');
        writeFiles(repo, { 'dvc.yaml': 'metrics:\n- metrics.json\nstages:\n  train:\n    cmd: echo\n    params:\n    - lr\n', 'params.yaml': 'lr: 1\n', 'metrics.json': '{"acc": 1}' });
        fs.rmSync(path.join(repo, name), { force: true });
        if (kind === 'fifo') execFileSync('mkfifo', [path.join(repo, name)]);
        else fs.symlinkSync('/dev/zero', path.join(repo, name));
        for (const args of [['status'], ['params', 'diff', '--all'], ['metrics', 'show']]) {
          const started = Date.now();
          const r = spawnSync(process.execPath, [CLI, ...args], { cwd: repo, encoding: 'utf8', timeout: 20_000 });
          const took = Date.now() - started;
          assert.ok(r.error === undefined && took < 10_000, `cairn ${args.join(' ')} with ${name} as ${kind}: hung (${took} ms)`);
          assert.notEqual(r.status, 255, `${name} ${kind} ${args}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        }
      }
    }
  });
});
