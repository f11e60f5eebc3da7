import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, cairnOk, dvc, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * `.dvc` files with `wdir:` (dataset-registry's `tutorials/nlp/Posts.xml.zip.dvc` has `wdir: ../..`
 * and `path: tutorials/nlp/Posts.xml.zip`): output paths are relative to the file's folder joined
 * with its wdir, for every reader — status, ls, diff, checkout and lint — as dvc reads them.
 */

const json = (stdout: string) => JSON.parse(stdout) as unknown;

/** `a/b/x.zip.dvc` with `wdir: ../..`, and `meta/data.csv.dvc` with `wdir: ..` tracking `raw/data.csv` (not beside it). */
function wdirProject(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, { 'a/b/x.zip': 'zip\n', 'raw/data.csv': 'x,y\n1,2\n' });
  dvcOk(root, 'add', '-q', 'a/b/x.zip', 'raw/data.csv');
  const rewrite = (from: string, to: string, wdir: string, outPath: string) => {
    const text = fs.readFileSync(path.join(root, from), 'utf8').replace(/path: .*/, `path: ${outPath}`);
    fs.rmSync(path.join(root, from));
    writeFiles(root, { [to]: `wdir: ${wdir}\n${text}` });
  };
  rewrite('a/b/x.zip.dvc', 'a/b/x.zip.dvc', '../..', 'a/b/x.zip');
  rewrite('raw/data.csv.dvc', 'meta/data.csv.dvc', '..', 'raw/data.csv');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'wdir');
  return root;
}

describe('interop: .dvc files with wdir', function () {
  this.timeout(300_000);

  it('status, ls and diff find the outputs where dvc does, clean and changed', () => {
    const root = wdirProject();
    assert.deepEqual(json(dvcOk(root, 'status', '--json')), {}, 'dvc reads the layout (fixture check)');
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), {});
    assert.deepEqual(
      (json(cairnOk(root, 'ls', '.', '-R', '--dvc-only', '--json')) as { path: string }[]).map((e) => e.path),
      ['a/b/x.zip', 'raw/data.csv'],
    );
    for (const args of [['-R', '--dvc-only'], ['-R'], ['a/b']]) {
      assert.deepEqual(json(cairnOk(root, 'ls', '.', ...args, '--json')), json(dvcOk(root, 'ls', '.', ...args, '--json')), args.join(' '));
    }

    writeFiles(root, { 'a/b/x.zip': 'zip2\n' });
    fs.rmSync(path.join(root, 'raw/data.csv'));
    const theirs = json(dvcOk(root, 'status', '--json'));
    assert.ok(JSON.stringify(theirs).includes('"raw/data.csv":"deleted"'), `dvc sees the change (fixture check): ${JSON.stringify(theirs)}`);
    assert.deepEqual(json(cairnOk(root, 'status', '--json')), theirs);
    assert.deepEqual(json(cairnOk(root, 'diff', '--json', '--show-hash')), json(dvcOk(root, 'diff', '--json', '--show-hash')));

    cairnOk(root, 'checkout', '-f');
    assert.equal(fs.readFileSync(path.join(root, 'raw/data.csv'), 'utf8'), 'x,y\n1,2\n');
    assert.equal(fs.readFileSync(path.join(root, 'a/b/x.zip'), 'utf8'), 'zip\n');
    assert.ok(!fs.existsSync(path.join(root, 'a/b/a')) && !fs.existsSync(path.join(root, 'meta/raw')), 'nothing written at a doubled path');
    assert.deepEqual(json(dvcOk(root, 'status', '--json')), {});
  });

  it('lint sees wdir outputs: a stage writing one conflicts (as dvc dag refuses), a stage reading one not pulled is fine', () => {
    const root = wdirProject();
    fs.rmSync(path.join(root, 'raw/data.csv'));
    writeFiles(root, { 'dvc.yaml': 'stages:\n  use:\n    cmd: cat raw/data.csv > out.txt\n    deps: [raw/data.csv]\n    outs: [out.txt]\n' });
    const clean = cairn(root, 'lint');
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.doesNotMatch(clean.stdout, /raw\/data\.csv/, 'tracked by meta/data.csv.dvc, only not pulled');

    fs.appendFileSync(path.join(root, 'dvc.yaml'), '  clash:\n    cmd: echo > a/b/x.zip\n    outs: [a/b/x.zip]\n');
    const refused = dvc(root, 'dag');
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /output 'a\/b\/x\.zip' is specified in/, 'dvc sees the overlap (fixture check)');
    const ours = cairn(root, 'lint');
    assert.equal(ours.status, 1, ours.stdout + ours.stderr);
    assert.match(ours.stdout, /Output 'a\/b\/x\.zip' is produced by both stage 'clash' and 'a\/b\/x\.zip\.dvc'/);
  });

  it('add of unchanged data recorded by a DVC 2 entry with wdir leaves the file as dvc add does', () => {
    const root = wdirProject();
    const file = path.join(root, 'a/b/x.zip.dvc');
    const legacy = fs.readFileSync(file, 'utf8').replace(/\n\s+hash: md5/, '');
    fs.writeFileSync(file, legacy);
    dvcOk(root, 'add', '-q', 'a/b/x.zip');
    const theirs = fs.readFileSync(file, 'utf8');
    assert.equal(theirs, legacy, 'dvc keeps the DVC 2 entry (fixture check)');
    cairnOk(root, 'add', '-q', 'a/b/x.zip');
    assert.equal(fs.readFileSync(file, 'utf8'), theirs);
  });
});
