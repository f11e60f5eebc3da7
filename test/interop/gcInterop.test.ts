import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cairn, cairnOk, git, storeObjects, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { ensureDvcS3 } from '../support/peers';

/** `cairn gc` against `dvc gc` on copies of one repository: the same objects must survive. */

function dvcOk(cwd: string, ...args: string[]): string {
  const r = spawnSync(ensureDvcS3(), args, { cwd, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
  if (r.status !== 0) throw new Error(`dvc ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const objects = storeObjects;

function copyOf(dir: string): string {
  const to = path.join(tempDir(), 'copy');
  spawnSync('cp', ['-a', dir, to]);
  return to;
}

describe('gc compared with dvc gc', function () {
  this.timeout(180_000);
  let repo: string;
  let store: string;

  before(() => {
    repo = tempGitRepo();
    store = path.join(tempDir(), 'store');
    cairnOk(repo, 'init', '-q');
    cairnOk(repo, 'remote', 'add', '-d', 'store', store);
    writeFiles(repo, { 'model.bin': 'v1\n', 'data/a': 'a1\n', 'data/b': 'b\n' });
    cairnOk(repo, 'add', 'model.bin', 'data');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'v1');
    git(repo, 'tag', 'v1');
    git(repo, 'checkout', '-qb', 'exp');
    writeFiles(repo, { 'model.bin': 'exp\n' });
    cairnOk(repo, 'add', 'model.bin');
    git(repo, 'commit', '-qam', 'exp');
    git(repo, 'checkout', '-q', 'main');
    writeFiles(repo, { 'model.bin': 'v2\n', 'data/a': 'a2\n' });
    cairnOk(repo, 'checkout', '-f', 'model.bin.dvc'); // back to v1 content in the workspace files
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'no data change');
    writeFiles(repo, { 'model.bin': 'v2\n', 'data/a': 'a2\n' });
    cairnOk(repo, 'add', 'model.bin', 'data'); // the workspace uses v2, not committed
    writeFiles(repo, { 'orphan.txt': 'orphan\n' });
    cairnOk(repo, 'add', 'orphan.txt');
    fs.rmSync(path.join(repo, 'orphan.txt.dvc'));
    cairnOk(repo, 'push', '-a');
  });

  for (const flags of [['-w'], ['-a'], ['-T'], ['--all-commits'], ['-a', '-T']]) {
    it(`keeps the same cache objects as dvc for gc ${flags.join(' ')} (and with -c, the same remote objects)`, () => {
      const a = copyOf(repo);
      const b = copyOf(repo);
      const storeA = copyOf(store);
      const storeB = copyOf(store);
      cairnOk(a, 'remote', 'modify', 'store', 'url', storeA);
      cairnOk(b, 'remote', 'modify', 'store', 'url', storeB);
      const before = objects(path.join(a, '.dvc', 'cache'));
      dvcOk(a, 'gc', '-f', '-c', ...flags);
      const dry = cairnOk(b, 'gc', '--dry', '-c', ...flags);
      assert.deepEqual(objects(path.join(b, '.dvc', 'cache')), before, '--dry removed something');
      const out = JSON.parse(cairnOk(b, 'gc', '-f', '-c', '--json', ...flags));
      const keptByDvc = objects(path.join(a, '.dvc', 'cache'));
      assert.deepEqual(objects(path.join(b, '.dvc', 'cache')), keptByDvc);
      assert.ok(keptByDvc.length < before.length, 'nothing was collected: the case tests nothing');
      assert.deepEqual(objects(storeB), objects(storeA));
      assert.equal(out.cache.length, before.length - keptByDvc.length);
      for (const k of out.cache) assert.match(dry, new RegExp(k.replace(/\./g, '\\.')));
      assert.match(dry, /Keeping \d+ objects used by/);
      // Workspace files untouched, and what it uses still checks out.
      assert.equal(fs.readFileSync(path.join(b, 'model.bin'), 'utf8'), 'v2\n');
      assert.deepEqual(JSON.parse(cairnOk(b, 'status', '--json')), {});
    });
  }

  it('asks before removing; without a terminal it refuses unless -f, and needs a scope flag', () => {
    const b = copyOf(repo);
    const before = objects(path.join(b, '.dvc', 'cache'));
    const r = cairn(b, 'gc', '-w');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not on a terminal.*-f/);
    assert.deepEqual(objects(path.join(b, '.dvc', 'cache')), before);
    const none = cairn(b, 'gc');
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /-w\|--workspace/);
  });
});
