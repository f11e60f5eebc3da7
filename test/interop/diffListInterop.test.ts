import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { cairn, cairnOk, dvc, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * `diff` and `ls` on the usual layout — data tracked by `.dvc` files plus pipeline outputs
 * recorded in dvc.lock — against the real dvc: revisions, experiment names, the workspace with
 * objects missing from the cache, DVC 2 entries gaining `hash: md5`, and revisions whose
 * pipeline files dvc refuses.
 */

const json = (stdout: string, what: string) => {
  try {
    return JSON.parse(stdout) as unknown;
  } catch {
    throw new Error(`${what} did not print JSON: ${JSON.stringify(stdout)}`);
  }
};
const cairnJson = (cwd: string, ...args: string[]) => json(cairnOk(cwd, ...args, '--json'), `cairn ${args.join(' ')}`);
const dvcJson = (cwd: string, ...args: string[]) => json(dvcOk(cwd, ...args, '--json'), `dvc ${args.join(' ')}`);

const PIPELINE = `stages:
  prep:
    cmd: mkdir -p data/features && cp raw.txt data/features/a.txt && echo \${lr} > data/features/lr.txt
    deps:
    - raw.txt
    params:
    - lr
    outs:
    - data/features
  train:
    cmd: cat data/features/a.txt data/features/lr.txt > model.pkl && echo {\\"acc\\":0.5} > metrics.json
    deps:
    - data/features
    outs:
    - model.pkl
    metrics:
    - metrics.json:
        cache: false
`;
const EVALUATE = `  evaluate:
    cmd: mkdir -p eval && cat model.pkl > eval/report.txt && echo plot > eval/plot.csv
    deps:
    - model.pkl
    outs:
    - eval
`;

/**
 * v1: `raw.txt` and `legacy/` files tracked by `.dvc` files (the legacy ones as DVC 2 wrote them,
 * no `hash:`), a two-stage pipeline run by dvc. HEAD: raw.txt changed, an `evaluate` stage added,
 * all re-run, the legacy entries given `hash: md5` (their content unchanged), and an experiment.
 */
function projectWithHistory(): string {
  const root = tempGitRepo();
  dvcOk(root, 'init', '-q');
  writeFiles(root, { 'raw.txt': 'one\n', 'params.yaml': 'lr: 0.1\n', 'dvc.yaml': PIPELINE, 'legacy/a.bin': 'aaa\n', 'legacy/b.bin': 'bbb\n' });
  dvcOk(root, 'add', '-q', 'raw.txt', 'legacy/a.bin', 'legacy/b.bin');
  for (const f of ['legacy/a.bin.dvc', 'legacy/b.bin.dvc']) {
    const file = path.join(root, f);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\n\s+hash: md5/, ''));
  }
  dvcOk(root, 'repro', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'v1');
  git(root, 'tag', 'v1');

  writeFiles(root, { 'raw.txt': 'one\ntwo\n', 'dvc.yaml': PIPELINE + EVALUATE });
  dvcOk(root, 'add', '-q', 'raw.txt');
  for (const f of ['legacy/a.bin.dvc', 'legacy/b.bin.dvc']) fs.appendFileSync(path.join(root, f), '  hash: md5\n');
  dvcOk(root, 'repro', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'v2');
  dvcOk(root, 'exp', 'run', '-q', '-S', 'lr=0.5', '--name', 'exp-lr');
  return root;
}

describe('interop: diff and ls read .dvc files and dvc.lock as dvc does', function () {
  this.timeout(300_000);
  let root: string;
  before(() => {
    root = projectWithHistory();
  });

  it('diff between revisions lists pipeline outputs (dvc.lock) and DVC 2 entries given `hash: md5`', () => {
    for (const revs of [['v1', 'HEAD'], ['HEAD', 'v1']]) {
      const theirs = dvcJson(root, 'diff', ...revs) as Record<string, { path: string }[]>;
      const paths = JSON.stringify(theirs);
      for (const p of ['data/features/', 'model.pkl', 'eval/', 'legacy/a.bin']) assert.ok(paths.includes(`"${p}"`), `dvc lists ${p} (fixture check): ${paths}`);
      assert.deepEqual(cairnJson(root, 'diff', ...revs), theirs, `diff ${revs.join(' ')}`);
      assert.deepEqual(cairnJson(root, 'diff', ...revs, '--show-hash'), dvcJson(root, 'diff', ...revs, '--show-hash'), `diff ${revs.join(' ')} --show-hash`);
      assert.equal(cairnOk(root, 'diff', ...revs), dvcOk(root, 'diff', ...revs), `diff ${revs.join(' ')} as text`);
    }
  });

  it('an experiment name is a revision for diff and ls', () => {
    const theirs = dvcJson(root, 'diff', 'HEAD', 'exp-lr', '--show-hash');
    assert.ok(JSON.stringify(theirs).includes('data/features/lr.txt'), `dvc sees the experiment's outputs (fixture check): ${JSON.stringify(theirs)}`);
    assert.deepEqual(cairnJson(root, 'diff', 'HEAD', 'exp-lr', '--show-hash'), theirs);
    assert.deepEqual(cairnJson(root, 'ls', '.', '-R', '--rev', 'exp-lr'), dvcJson(root, 'ls', '.', '-R', '--rev', 'exp-lr'));
  });

  it('ls --json gives the outputs of .dvc files and dvc.lock with dvc list fields, at the workspace and a revision', () => {
    const outputs = (dvcJson(root, 'ls', '.', '--dvc-only') as { path: string }[]).map((e) => e.path);
    assert.deepEqual(outputs, ['data', 'eval', 'legacy', 'model.pkl', 'raw.txt'], 'dvc lists .dvc and dvc.lock outputs (fixture check)');
    for (const rev of [[], ['--rev', 'v1'], ['--rev', 'HEAD']]) {
      for (const args of [[], ['--dvc-only'], ['-R'], ['-R', '--dvc-only'], ['data'], ['legacy']]) {
        assert.deepEqual(cairnJson(root, 'ls', '.', ...args, ...rev), dvcJson(root, 'ls', '.', ...args, ...rev), [...args, ...rev].join(' '));
      }
    }
  });

  it('against the workspace, "not in cache" lists what the old revision records and the cache lacks', () => {
    const cache = path.join(root, '.dvc', 'cache', 'files', 'md5');
    const objectOf = (md5: string) => path.join(cache, md5.slice(0, 2), md5.slice(2));
    const lock = fs.readFileSync(path.join(root, 'dvc.lock'), 'utf8');
    const modelMd5 = /path: model\.pkl\n\s+hash: md5\n\s+md5: (\w+)/.exec(lock)![1];
    fs.rmSync(objectOf(modelMd5), { force: true });
    // One file of a folder whose manifest is still there, and a changed workspace file.
    const features = fs.readFileSync(path.join(root, 'data/features/a.txt'));
    fs.rmSync(objectOf(crypto.createHash('md5').update(features).digest('hex')), { force: true });
    fs.writeFileSync(path.join(root, 'raw.txt'), 'changed\n');
    for (const args of [[], ['v1']]) {
      const theirs = dvcJson(root, 'diff', ...args, '--show-hash') as Record<string, unknown[]>;
      assert.ok((theirs['not in cache'] ?? []).length >= 2, `dvc finds objects missing (fixture check): ${JSON.stringify(theirs)}`);
      assert.deepEqual(cairnJson(root, 'diff', ...args, '--show-hash'), theirs, `diff ${args.join(' ')}`);
      assert.equal(cairnOk(root, 'diff', ...args), dvcOk(root, 'diff', ...args), `diff ${args.join(' ')} as text`);
    }
  });

  it('a folder whose manifest is not in the cache is compared as a whole, its files left out, as dvc does', () => {
    const root = projectWithHistory();
    // dvc remembers manifests in its site cache; a fresh one makes it read the cache as a fresh clone would.
    fs.appendFileSync(path.join(root, '.dvc', 'config.local'), `[core]\n    site_cache_dir = ${path.join(root, '.dvc', 'tmp', 'fresh-site-cache')}\n`);
    const lock = fs.readFileSync(path.join(root, 'dvc.lock'), 'utf8');
    const featuresDir = /path: data\/features\n\s+hash: md5\n\s+md5: (\w+)\.dir/.exec(lock)![1];
    fs.rmSync(path.join(root, '.dvc', 'cache', 'files', 'md5', featuresDir.slice(0, 2), `${featuresDir.slice(2)}.dir`));
    fs.writeFileSync(path.join(root, 'data/features/a.txt'), 'edited\n');
    for (const args of [[], ['v1'], ['v1', 'HEAD']]) {
      const theirs = dvcJson(root, 'diff', ...args, '--show-hash');
      assert.ok(JSON.stringify(theirs).includes('"data/features/"'), `dvc compares the folder (fixture check): ${JSON.stringify(theirs)}`);
      assert.deepEqual(cairnJson(root, 'diff', ...args, '--show-hash'), theirs, `diff ${args.join(' ')}`);
    }
  });

  it('a revision whose dvc.yaml or .dvc file dvc refuses fails diff with the file named, as dvc does (exit 1, no JSON)', () => {
    const bad = tempGitRepo();
    dvcOk(bad, 'init', '-q');
    writeFiles(bad, { 'a.txt': 'a\n' });
    dvcOk(bad, 'add', '-q', 'a.txt');
    git(bad, 'add', '-A');
    git(bad, 'commit', '-qm', 'a');
    writeFiles(bad, { 'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    outz: [x]\n' });
    git(bad, 'add', '-A');
    git(bad, 'commit', '-qm', 'broken dvc.yaml');
    git(bad, 'rm', '-q', 'dvc.yaml');
    writeFiles(bad, { 'b.dvc': 'outs:\n- path: b\n  md5: 1\n' });
    git(bad, 'add', '-A');
    git(bad, 'commit', '-qm', 'broken b.dvc');
    git(bad, 'rm', '-q', 'b.dvc');
    git(bad, 'commit', '-qm', 'fixed');
    for (const [revs, file] of [[['HEAD~3', 'HEAD~2'], 'dvc.yaml'], [['HEAD~1', 'HEAD'], 'b.dvc']] as const) {
      const theirs = dvc(bad, 'diff', ...revs, '--json');
      assert.equal(theirs.status, 1, `dvc refuses (fixture check): ${theirs.stderr}`);
      const ours = cairn(bad, 'diff', ...revs, '--json');
      assert.equal(ours.status, 1, ours.stdout + ours.stderr);
      assert.equal(ours.stdout, '');
      assert.match(ours.stderr, new RegExp(`^ERROR: ${file.replace('.', '\\.')}:\\d+: .*\\(at HEAD~\\d\\)`), ours.stderr);
    }
    // The revisions around them still compare.
    assert.deepEqual(cairnJson(bad, 'diff', 'HEAD~3', 'HEAD'), dvcJson(bad, 'diff', 'HEAD~3', 'HEAD'));
  });
});
