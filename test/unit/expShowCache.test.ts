import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairnOk, tempDir, tempGitRepo, treeHashes, writeFiles } from '../support/fixtures';
import { generateExperiments } from '../support/expShowRepo';
import { Repo } from '../../src/core/repo/repo';
import { expShow } from '../../src/core/experiments/show';

/**
 * What `exp show` keeps of each commit in `.dvc/tmp/cairn/exp-show/<baseline>.json` for the next
 * run: read back as it was shown, never through links a cloned archive brought, and only what
 * has the shape it wrote (a file made by hand is data, at worst wrong values, never a crash).
 */

const show = (root: string, force = false) => Repo.using(root, {}, (repo) => expShow(repo, { allCommits: true, force }));
const cacheFolder = (root: string) => path.join(root, '.dvc', 'tmp', 'cairn', 'exp-show');

function generated(): { root: string; baseline: string; sha: string } {
  const root = tempGitRepo();
  cairnOk(root, 'init');
  const made = generateExperiments(root, { baselines: 2, experimentsPerBaseline: 2 });
  return { root, baseline: made.baselines[1], sha: made.experiments[3].sha };
}

describe('exp show cache (.dvc/tmp/cairn/exp-show)', function () {
  this.timeout(60_000);

  it('a second run gives what the first gave, from one file per baseline; one that is not ours is left alone', async () => {
    const { root, baseline } = generated();
    const cold = await show(root);
    assert.deepEqual(fs.readdirSync(cacheFolder(root)).sort(), (await show(root)).slice(1).map((s) => `${s.rev}.json`).sort());
    assert.deepEqual(await show(root), cold);
    // Bad JSON, an older format, entries of the wrong shape: each read as nothing and written anew.
    const file = path.join(cacheFolder(root), `${baseline}.json`);
    const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(Object.keys(kept.revisions).length, 3, 'the baseline and its two experiments');
    for (const text of ['{"format": 1, "revisions": [', JSON.stringify({ ...kept, format: 0 }), JSON.stringify({ format: 1, revisions: Object.fromEntries(Object.keys(kept.revisions).map((sha) => [sha, { firstParent: null, time: 0, data: { params: { 'params.yaml': 5 }, metrics: {}, deps: {}, outs: {}, meta: {} } }])) })]) {
      fs.writeFileSync(file, text);
      assert.deepEqual(await show(root), cold, text.slice(0, 40));
      assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), kept);
    }
  });

  it('a first screen (`newest`) lists the newest experiments of each baseline as the whole read does, counts the rest, and keeps nothing', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init');
    generateExperiments(root, { baselines: 2, experimentsPerBaseline: 5 });
    let omitted = 0;
    const first = await Repo.using(root, {}, (repo) => expShow(repo, { allCommits: true, newest: 2, onOmitted: (n) => (omitted += n) }));
    assert.equal(fs.existsSync(cacheFolder(root)), false, 'a partial read keeps nothing');
    const whole = await show(root);
    assert.equal(omitted, 6, 'three of five left out under each of two baselines');
    assert.deepEqual(
      first.map((s) => [s.rev, s.experiments?.map((e) => e.name)]),
      whole.map((s) => [s.rev, s.experiments?.slice(0, 2).map((e) => e.name)]),
    );
    assert.deepEqual(first[1].experiments![0], whole[1].experiments![0]);
    assert.equal(whole[1].experiments!.length, 5);
  });

  it('values JSON cannot hold (NaN) are shown as read, and such a commit is not kept', async () => {
    const { root, baseline, sha } = generated();
    // An experiment of the HEAD baseline whose metrics hold NaN, as DVCLive writes them.
    const { execFileSync } = await import('node:child_process');
    const tree = execFileSync('git', ['mktree'], { cwd: root, input: execFileSync('git', ['ls-tree', sha], { cwd: root, encoding: 'utf8' }).replace(/\S+\tmetrics\.json/, `${execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: root, input: '{"acc": NaN, "loss": Infinity}' }).toString().trim()}\tmetrics.json`) }).toString().trim();
    const nan = execFileSync('git', ['commit-tree', tree, '-p', baseline, '-m', 'nan'], { cwd: root }).toString().trim();
    execFileSync('git', ['update-ref', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/with-nan`, nan], { cwd: root });
    const cold = await show(root);
    const metrics = (states: typeof cold) => states[1].experiments!.find((e) => e.name === 'with-nan')!.revs[0].data!.metrics['metrics.json'].data as Record<string, number>;
    assert.ok(Number.isNaN(metrics(cold).acc) && metrics(cold).loss === Infinity);
    assert.ok(!fs.readFileSync(path.join(cacheFolder(root), `${baseline}.json`), 'utf8').includes(nan));
    const warm = await show(root);
    assert.ok(Number.isNaN(metrics(warm).acc) && metrics(warm).loss === Infinity);
  });

  it('a link at .dvc/tmp, .dvc/tmp/cairn or the cache folder is never read through nor written through', async () => {
    for (const at of ['tmp', 'tmp/cairn', 'tmp/cairn/exp-show']) {
      const { root } = generated();
      const expected = await show(root, true);
      fs.rmSync(path.join(root, '.dvc', 'tmp'), { recursive: true, force: true });
      // Outside: a folder holding a file under every name the cache would read, all lies.
      const outside = tempDir();
      const lie = JSON.stringify({ format: 1, revisions: Object.fromEntries(expected.slice(1).map((s) => [s.rev, { firstParent: null, time: 0, data: { params: {}, metrics: { 'lie.json': { data: { lie: 1 } } }, deps: {}, outs: {}, meta: {} } }])) });
      const target = path.join(outside, ...(at === 'tmp' ? ['cairn', 'exp-show'] : at === 'tmp/cairn' ? ['exp-show'] : []));
      fs.mkdirSync(target, { recursive: true });
      for (const s of expected.slice(1)) writeFiles(target, { [`${s.rev}.json`]: lie });
      const before = treeHashes(outside);
      const link = path.join(root, '.dvc', ...at.split('/'));
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(at === 'tmp' ? outside : at === 'tmp/cairn' ? outside : target, link);
      assert.deepEqual(await show(root), expected, `a link at .dvc/${at} is not read through`);
      assert.deepEqual(treeHashes(outside), before, `nothing written through .dvc/${at}`);
    }
  });
});
