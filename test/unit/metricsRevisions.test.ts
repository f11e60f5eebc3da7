import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { CairnError } from '../../src/core/errors';
import { RevisionReader } from '../../src/core/metrics/revisions';
import { Declarations } from '../../src/core/metrics/declarations';
import { readRuns } from '../../src/core/metrics/runs';
import { diff, show } from '../../src/core/metrics/show';
import { git, tempGitRepo, writeFiles } from '../support/fixtures';

function commitAll(root: string, message: string): string {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
  return git(root, 'rev-parse', 'HEAD').trim();
}

/** Fixed declarations, so these tests do not depend on the dvc.yaml loader. */
const fixed = async (): Promise<Declarations> => ({
  metrics: ['metrics.json', 'eval'],
  params: new Map([['params.yaml', []]]),
  plots: [],
  cachedOuts: new Map(),
});

async function withRepo<T>(dir: string, fn: (repo: Repo) => Promise<T>): Promise<T> {
  return Repo.using(dir, {}, fn);
}

describe('metrics: revisions', () => {
  let root: string;
  let first: string;
  let second: string;
  before(async () => {
    root = tempGitRepo();
    await init(root, {});
    writeFiles(root, { 'metrics.json': '{"acc": 0.5}', 'params.yaml': 'lr: 0.1\n', 'eval/a.json': '{"x": 1}', 'eval/sub/b.yaml': 'y: 2\n', 'dir with space/f.txt': 'hi' });
    first = commitAll(root, 'one');
    git(root, 'tag', '-a', 'v1', '-m', 'annotated');
    writeFiles(root, { 'metrics.json': '{"acc": 0.7}', 'params.yaml': 'lr: 0.2\n' });
    second = commitAll(root, 'two');
    git(root, 'branch', 'feature', first);
    // An experiment ref as `dvc exp run` writes it: refs/exps/<base[:2]>/<base[2:]>/<name>.
    git(root, 'update-ref', `refs/exps/${first.slice(0, 2)}/${first.slice(2)}/exp-bold-cat`, second);
    writeFiles(root, { 'metrics.json': '{"acc": 0.9}' });
  });

  it('reads and lists files at the workspace, HEAD, HEAD~1, a branch, an annotated tag and an experiment', async () => {
    const reader = new RevisionReader(root, root);
    try {
      const acc = async (rev: string) => JSON.parse((await (await reader.open(rev)).read('metrics.json'))!).acc;
      assert.equal(await acc('workspace'), 0.9);
      assert.equal(await acc('HEAD'), 0.7);
      assert.equal(await acc('HEAD~1'), 0.5);
      assert.equal(await acc('feature'), 0.5);
      assert.equal(await acc('v1'), 0.5);
      assert.equal(await acc(`refs/exps/${first.slice(0, 2)}/${first.slice(2)}/exp-bold-cat`), 0.7);
      assert.equal(await acc('exp-bold-cat'), 0.7);
      assert.equal(await acc(first.slice(0, 10)), 0.5);

      const head = await reader.open('HEAD');
      assert.equal(head.commit, second);
      // `.dvc/` is left out as dvc's default ignore rules leave it out: a commit is read with its own rules.
      assert.deepEqual(await head.list(''), [
        { name: '.dvcignore', isDir: false },
        { name: 'dir with space', isDir: true },
        { name: 'eval', isDir: true },
        { name: 'metrics.json', isDir: false },
        { name: 'params.yaml', isDir: false },
      ]);
      assert.deepEqual(await head.list('eval/./sub'), [{ name: 'b.yaml', isDir: false }]);
      assert.equal(await head.read('dir with space/f.txt'), 'hi');
      assert.deepEqual(await (await reader.open('workspace')).list('eval'), [
        { name: 'a.json', isDir: false },
        { name: 'sub', isDir: true },
      ]);
      // Nothing there, or outside the repository: undefined, not an error.
      assert.equal(await head.read('nope.json'), undefined);
      assert.equal(await head.read('eval'), undefined);
      assert.equal(await head.read('../outside'), undefined);
      assert.deepEqual(await head.list('metrics.json'), []);
      await assert.rejects(reader.open('no-such-branch'), (e: unknown) => e instanceof CairnError && /unknown revision 'no-such-branch'/.test(e.oneLine()));
    } finally {
      reader.close();
    }
  });

  it('groups names of one commit with "," for --all-branches and --all-tags', async () => {
    const reader = new RevisionReader(root, root);
    try {
      const revs = await reader.select({ allBranches: true, allTags: true });
      assert.deepEqual(
        revs.map((r) => r.name),
        ['workspace', 'feature,v1', 'main'],
      );
    } finally {
      reader.close();
    }
  });

  it('shows and diffs metrics and params across revisions (folders expanded)', async () => {
    await withRepo(root, async (repo) => {
      const shown = await show(repo, 'metrics', {}, { declarations: fixed });
      assert.deepEqual(shown, {
        '': { data: { 'metrics.json': { data: { acc: 0.9 } }, 'eval/a.json': { data: { x: 1 } }, 'eval/sub/b.yaml': { data: { y: 2 } } } },
      });
      const d = await diff(repo, 'metrics', 'HEAD~1', 'workspace', false, { declarations: fixed });
      assert.deepEqual(d.diff, { 'metrics.json': { acc: { old: 0.5, new: 0.9, diff: 0.9 - 0.5 } } });
      const p = await diff(repo, 'params', 'feature', 'main', true, { declarations: fixed });
      assert.deepEqual(p.diff, { 'params.yaml': { lr: { old: 0.1, new: 0.2, diff: 0.2 - 0.1 } } });
    });
  });

  it('reads params and metrics of 200 commits in one call, quickly', async function () {
    const big = tempGitRepo();
    await init(big, {});
    commitAll(big, 'init');
    // 200 commits through fast-import: one process to make them.
    let stream = '';
    for (let i = 0; i < 200; i++) {
      const metrics: Record<string, number> = {};
      for (let m = 0; m < 20; m++) metrics[`m${m}`] = i * 100 + m;
      const files: Record<string, string> = {
        'metrics.json': JSON.stringify({ train: metrics }),
        'params.yaml': `lr: ${i / 1000}\nlayers: [${i}, 2]\n`,
        'eval/e.yaml': `step: ${i}\n`,
        'dvc.yaml': 'metrics:\n- metrics.json\n- eval\nstages:\n  train:\n    cmd: python train.py\n    params:\n    - lr\n',
      };
      const message = `c${i}`;
      stream += `commit refs/heads/main\ncommitter T <t@t> ${1700000000 + i} +0000\ndata ${message.length}\n${message}\n`;
      if (i === 0) stream += `from refs/heads/main^0\n`;
      for (const [name, content] of Object.entries(files)) stream += `M 100644 inline ${name}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    }
    const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: big, input: stream });
    assert.equal(r.status, 0, r.stderr?.toString());
    git(big, 'reset', '-q', '--hard');
    const commits = git(big, 'rev-list', '-n', '200', 'HEAD').trim().split('\n');
    assert.equal(commits.length, 200);
    await withRepo(big, async (repo) => {
      const started = process.hrtime.bigint();
      // The real path: each revision's dvc.yaml through the pipeline loader, then its files.
      const runs = await readRuns(repo, ['workspace', ...commits, 'no-such-rev']);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.test!.title += ` (${ms.toFixed(0)} ms)`;
      assert.equal(runs.length, 202);
      assert.equal(runs[1].commit, commits[0]);
      assert.deepEqual(runs[1].metrics['metrics.json'], { values: Object.fromEntries(Array.from({ length: 20 }, (_, m) => [`train.m${m}`, 199 * 100 + m])) });
      assert.deepEqual(runs[200].params['params.yaml'], { values: { lr: 0, layers: '[0, 2]' } });
      assert.deepEqual(runs[200].metrics['eval/e.yaml'], { values: { step: 0 } });
      assert.deepEqual(runs[0].metrics, runs[1].metrics);
      assert.equal(runs[201].error?.type, 'CairnError');
      assert.ok(ms < 5000, `200 revisions took ${ms} ms`);
    });
  });
});

describe('metrics: bad files at a revision', () => {
  it('reports a corrupt file as that file\'s error, keeps the others', async () => {
    const root = tempGitRepo();
    await init(root, {});
    fs.writeFileSync(path.join(root, 'metrics.json'), '{"acc": ');
    fs.mkdirSync(path.join(root, 'eval'));
    fs.writeFileSync(path.join(root, 'eval', 'ok.yaml'), 'f1: 0.3\n');
    await withRepo(root, async (repo) => {
      const shown = await show(repo, 'metrics', {}, { declarations: fixed });
      const files = shown[''].data!;
      assert.deepEqual(files['eval/ok.yaml'], { data: { f1: 0.3 } });
      assert.equal(files['metrics.json'].error?.type, 'JSONFileCorruptedError');
      assert.match(files['metrics.json'].error!.msg, /^metrics\.json:1: JSON file structure is corrupted/);
    });
  });
});
