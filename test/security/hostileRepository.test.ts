import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, git, md5, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';

const HOOK = '#!/bin/sh\necho PWNED > pwned.txt\n';

/**
 * A repository whose `.dvc` file puts a pushed object at `.git/hooks/post-checkout` (executable):
 * before the fix, `checkout` wrote the hook and the next `git checkout` ran it. Beside it, a
 * harmless `data.dvc` that must still be restored, pushed, listed and pulled.
 */
function hostileRepository(): { dir: string; remote: string } {
  const dir = tempGitRepo();
  const remote = tempDir();
  cairnOk(dir, 'init', '-q');
  writeFiles(dir, { data: 'hello\n', hook: HOOK });
  cairnOk(dir, 'add', 'data', 'hook');
  cairnOk(dir, 'remote', 'add', '-d', 'r', remote);
  cairnOk(dir, 'push');
  fs.rmSync(path.join(dir, 'hook.dvc'));
  fs.rmSync(path.join(dir, 'hook'));
  writeFiles(dir, {
    'evil.dvc': `outs:\n- md5: ${md5(HOOK)}\n  size: ${HOOK.length}\n  isexec: true\n  hash: md5\n  path: .git/hooks/post-checkout\n`,
  });
  return { dir, remote };
}

const REFUSED = /^ERROR: evil\.dvc:6: output '\.git\/hooks\/post-checkout' is inside \.git\/, which belongs to git \(it runs hooks from there\)\./m;

describe('a hostile repository: an output in .git/ is refused, the rest still works', () => {
  it('checkout, status, ls, push, pull and gc name the bad file, exit 1, and never write into .git/', () => {
    const { dir } = hostileRepository();
    fs.rmSync(path.join(dir, 'data'));
    const hookFile = path.join(dir, '.git', 'hooks', 'post-checkout');
    for (const args of [['checkout'], ['status'], ['ls', '.', '-R'], ['push'], ['pull']]) {
      const r = cairn(dir, ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, REFUSED, args.join(' '));
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, args.join(' '));
      assert.ok(!fs.existsSync(hookFile), `${args.join(' ')} wrote the hook`);
    }
    assert.equal(fs.readFileSync(path.join(dir, 'data'), 'utf8'), 'hello\n', 'the harmless output was restored');
    assert.match(cairn(dir, 'ls', '.', '--dvc-only').stdout, /^data$/m, 'the harmless output is listed');
    const gc = cairn(dir, 'gc', '-w', '-f');
    assert.equal(gc.status, 1);
    assert.match(gc.stderr, /gc cannot tell which objects 'evil\.dvc' uses; nothing was removed/);
    assert.equal(fs.readdirSync(path.join(dir, '.dvc', 'cache', 'files', 'md5')).length, 2, 'gc removed nothing');
  });

  it('a fresh clone pulls the harmless data and no hook; git checkout afterwards runs nothing', () => {
    const { dir } = hostileRepository();
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'hostile');
    const clone = tempDir();
    git(clone, 'clone', '-q', dir, '.');
    const r = cairn(clone, 'pull');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, REFUSED);
    assert.equal(fs.readFileSync(path.join(clone, 'data'), 'utf8'), 'hello\n');
    git(clone, 'checkout', '-q', '-b', 'other');
    assert.ok(!fs.existsSync(path.join(clone, 'pwned.txt')), 'the hook ran');
  });

  it('cairn lint flags the path at its range; add and stage add refuse paths in .git/ and .dvc/ at any depth', () => {
    const { dir } = hostileRepository();
    const lint = cairn(dir, 'lint');
    assert.equal(lint.status, 1);
    assert.match(lint.stdout, /^evil\.dvc:6:9: error: Output '\.git\/hooks\/post-checkout' is inside \.git\/.*\[UNSAFE_PATH\]$/m);
    writeFiles(dir, { 'sub/.GIT/x': 'x', '.dvc/tmp/y': 'y' });
    for (const [args, words] of [
      [['add', 'sub/.GIT/x'], /'sub\/\.GIT\/x' is inside \.GIT\/, which belongs to git/],
      [['add', '.dvc/config'], /'\.dvc\/config' is inside \.dvc\/, which holds DVC's config and cache/],
      [['add', '.'], /'\.' is the repository itself/],
      [['stage', 'add', '-n', 's', '-o', '.git/hooks/pre-commit', 'echo'], /'\.git\/hooks\/pre-commit' is inside \.git\//],
      [['stage', 'add', '-n', 's', '-m', 'sub/.dvc/m.json', 'echo'], /inside \.dvc\//],
    ] as [string[], RegExp][]) {
      const r = cairn(dir, ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, words, args.join(' '));
    }
    assert.ok(!fs.existsSync(path.join(dir, 'dvc.yaml')), 'stage add wrote a stage');
  });

  it('a dvc.yaml stage writing into .git/ and a dvc.lock recording one are refused by name, each in one line', () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init', '-q');
    writeFiles(dir, {
      'dvc.yaml': 'stages:\n  evil:\n    cmd: echo x > .git/hooks/pre-commit\n    outs:\n    - .git/hooks/pre-commit\n',
      'sub/dvc.yaml': 'stages:\n  fine:\n    cmd: echo ok > out.txt\n    outs:\n    - out.txt\n',
    });
    const status = cairn(dir, 'status');
    assert.equal(status.status, 1);
    assert.match(status.stderr, /dvc\.yaml:5: output '\.git\/hooks\/pre-commit' is inside \.git\//);
    const lint = cairn(dir, 'lint');
    assert.match(lint.stdout, /^dvc\.yaml:5:5: error: Output '\.git\/hooks\/pre-commit' is inside \.git\/.*\[UNSAFE_PATH\]$/m);
    writeFiles(dir, {
      'dvc.yaml': 'stages:\n  s:\n    cmd: echo x > out\n    outs:\n    - out\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  s:\n    cmd: echo x > out\n    outs:\n    - path: ../.git/config\n      md5: ${md5('x')}\n      size: 2\n`,
      'sub/dvc.lock': `schema: '2.0'\nstages:\n  fine:\n    cmd: echo ok > out.txt\n    outs:\n    - path: out.txt\n      md5: ../../../../etc/passwd\n`,
    });
    const checkout = cairn(dir, 'checkout');
    assert.match(checkout.stderr, /^ERROR: dvc\.lock:6: output '\.\.\/\.git\/config' is inside \.git\//);
    assert.match(checkout.stderr, /sub\/dvc\.lock:7: 'md5' of output 'out\.txt' must be 32 hex digits/);
    assert.doesNotMatch(checkout.stderr, /unexpected error/);
    const lintLock = cairn(dir, 'lint');
    assert.match(lintLock.stdout, /^dvc\.lock:6:5: error: Output '\.\.\/\.git\/config' is inside \.git\/.*\[UNSAFE_PATH\]$/m);
    assert.match(lintLock.stdout, /^sub\/dvc\.lock:7:7: error: 'md5' of output 'out\.txt' must be 32 hex digits.*\[BAD_HASH\]$/m);
  });

  it('YAML nested thousands deep is one line from status, lint and metrics, never a crash (it aborted V8 while compiling a regular expression)', () => {
    const dir = tempGitRepo();
    cairnOk(dir, 'init', '-q');
    writeFiles(dir, { 'deep.dvc': `${'['.repeat(5000)}\n`, 'dvc.yaml': `${'- '.repeat(5000)}x\n`, 'params.yaml': `${'{a: '.repeat(3000)}\n` });
    for (const args of [['status'], ['lint']]) {
      const r = cairn(dir, ...args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout + r.stderr, /deep\.dvc.*nests mappings and lists too deeply; the limit is 100 levels/, args.join(' '));
      assert.match(r.stdout + r.stderr, /dvc\.yaml.*nests mappings and lists too deeply; the limit is 100 levels/, args.join(' '));
    }
    // metrics and params report what they cannot read as dvc does (an entry, exit 0): they must only not crash.
    for (const args of [['status'], ['lint'], ['metrics', 'show'], ['metrics', 'show', '--json'], ['params', 'diff']]) {
      const r = cairn(dir, ...args);
      assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 300)}`);
      assert.doesNotMatch(r.stderr, /unexpected error|v8::|\n\s+at /, args.join(' '));
    }
  });
});
