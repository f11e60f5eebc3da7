import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cairnOk, cloneOf, git, md5, storeObjects, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { ensureDvcS3 } from '../support/peers';

/**
 * Pipeline stage outputs (recorded in dvc.lock) with remotes, checkout and gc, against the
 * real dvc: what one tool pushes the other pulls, `status -c --json` agrees, gc keeps the
 * same objects.
 */

function dvcOk(cwd: string, ...args: string[]): string {
  const r = spawnSync(ensureDvcS3(), args, { cwd, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
  if (r.status !== 0) throw new Error(`dvc ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
const parse = (s: string) => JSON.parse(s) as Record<string, unknown>;

const objects = storeObjects;

const PIPELINE = `stages:
  prep:
    cmd: mkdir -p out && cp data.txt out/a.txt && echo side > out/b.txt
    deps:
    - data.txt
    outs:
    - out
  model:
    cmd: cat data.txt out/a.txt > model.bin
    deps:
    - data.txt
    - out
    outs:
    - model.bin
`;
const SCRATCH = `  scratch:
    cmd: cp data.txt scratch.txt
    deps:
    - data.txt
    outs:
    - scratch.txt:
        push: false
`;

/** A git repo with a `.dvc`-tracked file and a pipeline run by `dvc repro`, all committed. */
function pipelineRepo(withScratch: boolean): string {
  const dir = tempGitRepo();
  dvcOk(dir, 'init', '-q');
  writeFiles(dir, { 'data.txt': 'one\ntwo\n', 'raw.txt': 'raw\n', 'dvc.yaml': PIPELINE + (withScratch ? SCRATCH : '') });
  dvcOk(dir, 'add', '-q', 'raw.txt');
  dvcOk(dir, 'repro', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'pipeline');
  return dir;
}

function copyOf(dir: string): string {
  const to = path.join(tempDir(), 'copy');
  spawnSync('cp', ['-a', dir, to]);
  return to;
}

const STAGE_OUTS = ['out/a.txt', 'out/b.txt', 'model.bin'];
const contents = (dir: string, rels: string[]) => Object.fromEntries(rels.map((r) => [r, fs.existsSync(path.join(dir, r)) ? md5(fs.readFileSync(path.join(dir, r))) : '<absent>']));

describe('pipeline stage outputs: push/pull/checkout/gc with dvc', function () {
  this.timeout(300_000);

  it('cairn push sends stage outputs (not push: false ones) as dvc push does; dvc pull in a clone gets them; status -c --json equal', () => {
    const src = pipelineRepo(true);
    const mine = path.join(tempDir(), 'mine');
    const theirs = path.join(tempDir(), 'theirs');
    cairnOk(src, 'remote', 'add', '-d', 'mine', mine);
    cairnOk(src, 'remote', 'add', 'theirs', theirs);
    git(src, 'commit', '-qam', 'remotes');
    assert.deepEqual(parse(cairnOk(src, 'status', '-c', '--json')), parse(dvcOk(src, 'status', '-c', '--json')), 'nothing pushed');
    const pushed = JSON.parse(cairnOk(src, 'push', '--json'));
    assert.equal(pushed.failed, 0);
    // raw.txt, out/a.txt, out/b.txt, out's .dir, model.bin; not scratch.txt.
    assert.equal(pushed.transferred, 5);
    dvcOk(src, 'push', '-q', '-r', 'theirs');
    assert.deepEqual(objects(mine), objects(theirs), 'the same objects as dvc push');
    assert.deepEqual(parse(cairnOk(src, 'status', '-c', '--json')), parse(dvcOk(src, 'status', '-c', '--json')), 'pushed');
    assert.equal(JSON.parse(cairnOk(src, 'push', '--json')).transferred, 0);

    const clone = cloneOf(src);
    assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), parse(dvcOk(clone, 'status', '-c', '--json')), 'fresh clone');
    dvcOk(clone, 'pull', '-q', 'out', 'model.bin', 'raw.txt');
    assert.deepEqual(contents(clone, [...STAGE_OUTS, 'raw.txt']), contents(src, [...STAGE_OUTS, 'raw.txt']));
    assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), parse(dvcOk(clone, 'status', '-c', '--json')), 'after dvc pull');
  });

  it('dvc push → cairn pull restores stage outputs byte-equal in a fresh clone; dvc status clean; cairn checkout restores them', () => {
    const src = pipelineRepo(false);
    const store = path.join(tempDir(), 'store');
    dvcOk(src, 'remote', 'add', '-d', 'store', store);
    git(src, 'commit', '-qam', 'remote');
    dvcOk(src, 'push', '-q');
    const clone = cloneOf(src);
    assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), parse(dvcOk(clone, 'status', '-c', '--json')), 'before pull');
    const out = JSON.parse(cairnOk(clone, 'pull', '--json'));
    assert.equal(out.failed, 0);
    assert.deepEqual(contents(clone, [...STAGE_OUTS, 'raw.txt']), contents(src, [...STAGE_OUTS, 'raw.txt']));
    assert.deepEqual(treeHashes(path.join(clone, 'out')), treeHashes(path.join(src, 'out')));
    assert.deepEqual(parse(dvcOk(clone, 'status', '--json')), {});
    assert.deepEqual(parse(cairnOk(clone, 'status', '-c', '--json')), parse(dvcOk(clone, 'status', '-c', '--json')), 'after pull');

    // checkout from the cache: one stage output by path, then everything.
    for (const r of [...STAGE_OUTS, 'raw.txt']) fs.rmSync(path.join(clone, r), { force: true });
    cairnOk(clone, 'checkout', 'model.bin');
    assert.deepEqual(contents(clone, [...STAGE_OUTS, 'raw.txt']), { ...contents(src, ['model.bin']), 'out/a.txt': '<absent>', 'out/b.txt': '<absent>', 'raw.txt': '<absent>' });
    cairnOk(clone, 'checkout');
    assert.deepEqual(contents(clone, [...STAGE_OUTS, 'raw.txt']), contents(src, [...STAGE_OUTS, 'raw.txt']));
    assert.deepEqual(parse(dvcOk(clone, 'status', '--json')), {});
  });

  for (const flag of ['-w', '-a']) {
    it(`cairn gc ${flag} -f keeps stage outputs' objects as dvc gc ${flag} -f does`, () => {
      const repo = pipelineRepo(true);
      git(repo, 'checkout', '-qb', 'side');
      writeFiles(repo, { 'data.txt': 'side\n' });
      dvcOk(repo, 'repro', '-q');
      git(repo, 'commit', '-qam', 'side');
      git(repo, 'checkout', '-q', 'main');
      dvcOk(repo, 'checkout', '-q');
      writeFiles(repo, { 'data.txt': 'three\n' });
      dvcOk(repo, 'repro', '-q'); // the workspace's lock: uncommitted
      writeFiles(repo, { 'junk.txt': 'junk\n' });
      dvcOk(repo, 'add', '-q', 'junk.txt');
      fs.rmSync(path.join(repo, 'junk.txt.dvc'));
      const before = objects(path.join(repo, '.dvc', 'cache'));
      const copy = copyOf(repo);
      cairnOk(repo, 'gc', flag, '-f');
      dvcOk(copy, 'gc', flag, '-f');
      const kept = objects(path.join(repo, '.dvc', 'cache'));
      assert.deepEqual(kept, objects(path.join(copy, '.dvc', 'cache')));
      assert.ok(kept.length < before.length, 'something was collected');
      assert.ok(kept.some((k) => k.endsWith('.dir')), 'stage output directories kept');
    });
  }
});
