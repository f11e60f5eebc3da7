import { strict as assert } from 'node:assert';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { CairnError } from '../../src/core/errors';
import { usedOutputs } from '../../src/core/remotes/usedObjects';
import { checkout } from '../../src/core/outputs/checkout';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { git, md5, tempGitRepo, writeFiles } from '../support/fixtures';

const M = (c: string) => c.repeat(32);

const YAML_TEXT = `stages:
  prep:
    cmd: x
    outs:
    - out
    - notes.txt:
        cache: false
  train:
    cmd: y
    outs:
    - model.bin:
        remote: other
    - scratch.bin:
        push: false
    - never.bin
`;
const lock = (model: string) => `schema: '2.0'
stages:
  prep:
    cmd: x
    outs:
    - path: notes.txt
      hash: md5
      md5: ${M('a')}
    - path: out
      hash: md5
      md5: ${M('b')}.dir
      size: 3
      nfiles: 1
  train:
    cmd: y
    outs:
    - path: model.bin
      md5: ${model}
    - path: never.bin
    - path: scratch.bin
      hash: md5
      md5: ${M('d')}
`;

async function used(dir: string, options: Partial<Parameters<typeof usedOutputs>[1]> = {}) {
  const repo = Repo.open(dir, { hashJobs: 1 });
  try {
    return (await usedOutputs(repo, { cwd: dir, ...options })).map((u) => `${u.rev} ${u.rel} ${u.md5} ${u.hashName}${u.remote ? ` @${u.remote}` : ''}${u.within ? ` within ${u.within}` : ''}`);
  } finally {
    await repo.close();
  }
}

describe('stage outputs (dvc.lock) in the outputs push/fetch/status -c/gc use', function () {
  let dir: string;
  beforeEach(async () => {
    dir = tempGitRepo();
    await init(dir);
    writeFiles(dir, { 'dvc.yaml': YAML_TEXT, 'dvc.lock': lock(M('c')) });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'v1');
  });

  it('cached outs with an md5 in dvc.lock; md5-dos2unix without `hash: md5`; push: false and remote: honoured', async () => {
    const all = [
      `workspace out ${M('b')}.dir md5`,
      `workspace model.bin ${M('c')} md5-dos2unix @other`,
      `workspace scratch.bin ${M('d')} md5`,
    ];
    assert.deepEqual(await used(dir), all);
    assert.deepEqual(await used(dir, { forPush: true }), all.slice(0, 2));
    assert.deepEqual(await used(dir, { remote: 'mine' }), [all[0], all[2]]);
  });

  it('targets: an output path, a path inside a directory output, the dvc.yaml, a stage (dvc.yaml:name or bare name)', async () => {
    assert.deepEqual(await used(dir, { targets: ['model.bin'] }), [`workspace model.bin ${M('c')} md5-dos2unix @other`]);
    assert.deepEqual(await used(dir, { targets: ['out/a.txt'] }), [`workspace out ${M('b')}.dir md5 within a.txt`]);
    assert.equal((await used(dir, { targets: ['dvc.yaml'] })).length, 3);
    assert.deepEqual(await used(dir, { targets: ['dvc.yaml:prep'] }), [`workspace out ${M('b')}.dir md5`]);
    assert.equal((await used(dir, { targets: ['train'] })).length, 2);
    await assert.rejects(used(dir, { targets: ['nowhere.bin'] }), (e: unknown) => e instanceof CairnError && e.code === 'NOT_TRACKED');
    await assert.rejects(used(dir, { targets: ['dvc.yaml:nostage'] }), (e: unknown) => e instanceof CairnError && e.code === 'NOT_TRACKED');
  });

  it('git revisions: dvc.lock as committed at each one (read from git)', async () => {
    git(dir, 'tag', 'v1');
    writeFiles(dir, { 'dvc.lock': lock(M('e')) });
    git(dir, 'commit', '-qam', 'v2');
    writeFiles(dir, { 'dvc.lock': lock(M('f')) });
    const models = (await used(dir, { allCommits: true, targets: ['model.bin'] })).map((u) => u.split(' ').slice(1, 3).join(' '));
    assert.deepEqual([...models].sort(), [`model.bin ${M('c')}`, `model.bin ${M('e')}`, `model.bin ${M('f')}`]);
  });

  it('checkout restores a stage output from the cache by path, by stage address, by bare stage name; others are named as failed', async () => {
    const body = 'model v1\n';
    const sum = md5(body);
    writeFiles(dir, { 'dvc.lock': lock(sum).replace(`- path: model.bin\n      md5:`, `- path: model.bin\n      hash: md5\n      md5:`) });
    writeFiles(dir, { [path.join('.dvc', 'cache', 'files', 'md5', sum.slice(0, 2), sum.slice(2))]: body });
    for (const target of ['model.bin', 'dvc.yaml:train', 'train']) {
      fs.rmSync(path.join(dir, 'model.bin'), { force: true });
      const repo = Repo.open(dir, { hashJobs: 1 });
      try {
        const result = await checkout(repo, [target], { cwd: dir });
        assert.deepEqual(result.added, ['model.bin'], target);
        assert.deepEqual(result.failed.map((f) => f.path), target === 'model.bin' ? [] : ['scratch.bin'], target);
      } finally {
        await repo.close();
      }
      assert.equal(fs.readFileSync(path.join(dir, 'model.bin'), 'utf8'), body);
    }
    const repo = Repo.open(dir, { hashJobs: 1 });
    try {
      const result = await checkout(repo, [], { cwd: dir });
      assert.deepEqual(result.failed.map((f) => f.path).sort(), ['out/', 'scratch.bin']);
      await assert.rejects(checkout(repo, ['nowhere.bin'], { cwd: dir }), (e: unknown) => e instanceof CairnError && e.code === 'NOT_TRACKED');
    } finally {
      await repo.close();
    }
  });
});
