import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, corruptCacheObjects, dvcOk, git, tempGitRepo } from '../support/fixtures';
import { parsePythonJson } from '../../src/core/metrics/dataFile';
import { generateExperiments } from '../support/expShowRepo';

/**
 * The repository the exp show benchmark generates (`test/support/expShowRepo.ts`: commits made
 * with `git fast-import`, not by running anything) against what the real dvc makes and reads,
 * and `cairn exp show` on it cold, warm (from `.dvc/tmp/cairn/exp-show`) and forced, against dvc.
 */

function cairnShow(root: string, env: NodeJS.ProcessEnv = {}, ...args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, 'exp', 'show', '--json', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const parsed = (text: string) => parsePythonJson(text) as any[];
const cacheFolder = (root: string) => path.join(root, '.dvc', 'tmp', 'cairn', 'exp-show');

/** Error entries compared by type: the messages are each tool's own words. */
function errorTypes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(errorTypes);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).sort().join() === 'msg,type') return { type: o.type };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, errorTypes(x)]));
  }
  return v;
}

describe('interop: the exp show benchmark repository and exp show cold, warm and forced', function () {
  this.timeout(300_000);

  it('the generator commits what dvc exp run commits: the same tree, message and parent; its cache objects are sound', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    const made = generateExperiments(root, { baselines: 2, experimentsPerBaseline: 2 });
    assert.equal(made.experiments.length, 4);
    assert.match(dvcOk(root, 'status'), /Data and pipelines are up to date/);
    const mine = made.experiments.find((e) => e.name === 'exp-1-1')!;
    assert.equal(mine.baseline, git(root, 'rev-parse', 'HEAD').trim());
    dvcOk(root, 'exp', 'run', '-q', '-S', `train.lr=${mine.lr}`, '-n', 'by-dvc');
    const theirs = git(root, 'for-each-ref', '--format=%(objectname)', `refs/exps/${mine.baseline.slice(0, 2)}/${mine.baseline.slice(2)}/by-dvc`).trim();
    assert.ok(theirs, 'dvc made its experiment');
    for (const part of ['%T', '%P', '%B']) assert.equal(git(root, 'log', '-1', `--format=${part}`, mine.sha), git(root, 'log', '-1', `--format=${part}`, theirs), `${part} of the experiment commit`);
    assert.deepEqual(corruptCacheObjects(path.join(root, '.dvc', 'cache')), []);
  });

  it('--json equals dvc\'s on a generated repository; a second run reads its cache and prints the same bytes; --force too', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    generateExperiments(root, { baselines: 3, experimentsPerBaseline: 4 });
    const cold = cairnShow(root, {}, '-A');
    assert.deepEqual(parsed(cold), parsePythonJson(dvcOk(root, 'exp', 'show', '--json', '-A')));
    const kept = fs.readdirSync(cacheFolder(root)).sort();
    assert.equal(kept.length, 3, 'one file per baseline');
    assert.equal(cairnShow(root, {}, '-A'), cold, 'warm');
    assert.equal(cairnShow(root, {}, '-A', '--force'), cold, 'forced');
    assert.equal(cairnShow(root), cairnShow(root, {}, '--force'), 'HEAD only');
    // The timestamp is local time: kept as the commit's time, shown in the zone of each run.
    assert.equal(cairnShow(root, { TZ: 'Asia/Tokyo' }, '-A'), cairnShow(root, { TZ: 'Asia/Tokyo' }, '-A', '--force'));
    assert.notEqual(cairnShow(root, { TZ: 'Asia/Tokyo' }, '-A'), cairnShow(root, { TZ: 'America/New_York' }, '-A'));
  });

  it('a commit whose metrics are not in the DVC cache is shown as dvc shows it, not kept, and shown right once the object is back', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    const made = generateExperiments(root, { baselines: 1, experimentsPerBaseline: 2 });
    const exp = made.experiments[0];
    const evalDir = /path: eval\n\s+hash: md5\n\s+md5: ([0-9a-f]{32})\.dir/.exec(git(root, 'show', `${exp.sha}:dvc.lock`))![1];
    const manifest = path.join(root, '.dvc', 'cache', 'files', 'md5', evalDir.slice(0, 2), `${evalDir.slice(2)}.dir`);
    const saved = path.join(root, 'saved.dir');
    fs.renameSync(manifest, saved);
    const missing = parsed(cairnShow(root));
    assert.deepEqual(errorTypes(missing), errorTypes(parsePythonJson(dvcOk(root, 'exp', 'show', '--json'))));
    const shownExp = missing[1].experiments.find((e: any) => e.name === exp.name).revs[0];
    assert.equal(shownExp.data.metrics['eval/metrics.json'].error.type, 'DataIndexDirError');
    const file = fs.readFileSync(path.join(cacheFolder(root), `${exp.baseline}.json`), 'utf8');
    assert.ok(!file.includes(exp.sha), 'not kept');
    assert.ok(file.includes(made.experiments[1].sha), 'the other one kept');
    fs.renameSync(saved, manifest);
    const back = parsed(cairnShow(root));
    assert.deepEqual(back, parsePythonJson(dvcOk(root, 'exp', 'show', '--json')));
    assert.equal(back[1].experiments.find((e: any) => e.name === exp.name).revs[0].data.metrics['eval/metrics.json'].data.nested.f1, exp.lr);
  });
});
