import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { cairn, cairnOk, dvcOk, folderSnapshot, git, md5, tempDir, tempGitRepo, writeFiles } from '../support/fixtures';
import { commitAll } from '../support/metricsJson';
import { startEnvironmentCapture } from '../../src/core/experiments/environment';
import { environmentJson, writeEnvironmentNote } from '../../src/core/experiments/environmentNotes';

/**
 * `cairn lineage`: a three-stage pipeline (prepare → featurize → train) run and committed by the
 * real dvc at two commits with different raw data and params, the model registered at each. The
 * lineage of each version names the raw-data md5 of that commit's `.dvc` file and the params and
 * dependency hashes dvc itself reports for that commit (`dvc exp show --json --rev`).
 */

const PREPARE = `import os
os.makedirs('data', exist_ok=True)
open('data/prepared.csv', 'w').write(open('data/raw.csv').read().upper())
`;
const FEATURIZE = `n = int([l.split(':')[1] for l in open('params.yaml') if 'n:' in l][0])
open('data/features.csv', 'w').write(open('data/prepared.csv').read() * n)
`;
const TRAIN = `import json, os
lr = float([l.split(':')[1] for l in open('params.yaml') if 'lr:' in l][0])
os.makedirs('models', exist_ok=True)
open('models/model.pkl', 'w').write(open('data/features.csv').read() + str(lr))
json.dump({'acc': lr * 2}, open('metrics.json', 'w'))
`;
const PIPELINE = `stages:
  prepare:
    cmd: python3 prepare.py
    deps: [prepare.py, data/raw.csv]
    outs: [data/prepared.csv]
  featurize:
    cmd: python3 featurize.py
    deps: [featurize.py, data/prepared.csv]
    params: [featurize.n]
    outs: [data/features.csv]
  train:
    cmd: python3 train.py
    deps: [train.py, data/features.csv]
    params: [train.lr]
    outs: [models/model.pkl]
    metrics: [{metrics.json: {cache: false}}]
artifacts:
  model:
    path: models/model.pkl
    type: model
`;

interface LineageJson {
  target: { path: string; artifact?: string; version?: string };
  commit: { sha: string; tags: string[]; branches: string[]; message: string };
  data: { path: string; md5: string | null; madeBy: Record<string, string> };
  stages: { name: string; cmd: string; locked: boolean; deps: { path: string; md5: string | null; madeBy: Record<string, string> }[]; params: Record<string, Record<string, unknown>>; outs: { path: string; md5: string | null }[] }[];
  sources: { path: string; md5: string | null; madeBy: Record<string, string> }[];
  params: Record<string, { data: Record<string, unknown> }>;
  metrics: Record<string, { data: Record<string, unknown> }>;
  note?: string;
  problems: string[];
}

const lineageJson = (root: string, ...args: string[]) => JSON.parse(cairnOk(root, 'lineage', ...args, '--json')) as LineageJson;
const atCommit = (root: string, commit: string, file: string) => parse(git(root, 'show', `${commit}:${file}`));

describe('cairn lineage against dvc', function () {
  this.timeout(240_000);
  let root: string;
  let first: string;
  let second: string;
  let unrun: string;

  before(() => {
    root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': 'featurize:\n  n: 2\ntrain:\n  lr: 0.1\n', 'prepare.py': PREPARE, 'featurize.py': FEATURIZE, 'train.py': TRAIN, 'dvc.yaml': PIPELINE, 'data/raw.csv': 'a,b\n1,2\n' });
    dvcOk(root, 'add', '-q', 'data/raw.csv');
    commitAll(root, 'pipeline, not run');
    unrun = git(root, 'rev-parse', 'HEAD').trim();
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'first model');
    first = git(root, 'rev-parse', 'HEAD').trim();
    cairnOk(root, 'model', 'register', 'model', '--version', 'v1.0.0');
    cairnOk(root, 'model', 'assign', 'model', '--version', 'v1.0.0', '--stage', 'prod');
    writeFiles(root, { 'params.yaml': 'featurize:\n  n: 3\ntrain:\n  lr: 0.2\n', 'data/raw.csv': 'a,b\n3,4\n5,6\n' });
    dvcOk(root, 'add', '-q', 'data/raw.csv');
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'second model');
    second = git(root, 'rev-parse', 'HEAD').trim();
    cairnOk(root, 'model', 'register', 'model', '--version', 'v1.1.0');
  });

  /** What dvc reports of a commit: each dependency's hash and the params, as `exp show` reads them. */
  function dvcView(commit: string): { deps: Record<string, string | null>; params: Record<string, unknown> } {
    const rows = JSON.parse(dvcOk(root, 'exp', 'show', '--json', '--rev', commit)) as { rev: string; data?: { deps: Record<string, { hash: string | null }>; params: Record<string, { data: Record<string, unknown> }> } }[];
    const row = rows.find((r) => r.rev === commit);
    assert.ok(row?.data, `dvc exp show has no row for ${commit}`);
    return { deps: Object.fromEntries(Object.entries(row.data.deps).map(([p, d]) => [p, d.hash])), params: row.data.params['params.yaml'].data };
  }

  for (const [version, which, raw, n, lr] of [['v1.0.0', () => first, 'a,b\n1,2\n', 2, 0.1], ['v1.1.0', () => second, 'a,b\n3,4\n5,6\n', 3, 0.2]] as const) {
    it(`model@${version}: that commit, its stages back to raw data, the raw md5 of its .dvc file, its params`, () => {
      const commit = which();
      const l = lineageJson(root, `model@${version}`);
      assert.equal(l.commit.sha, commit);
      assert.ok(l.commit.tags.includes(`model@${version}`));
      assert.deepEqual(l.target, { asked: `model@${version}`, artifact: 'model', version, path: 'models/model.pkl' });
      assert.deepEqual(l.stages.map((s) => s.name), ['train', 'featurize', 'prepare']);
      // The raw data: as the .dvc file at that commit records it.
      const dvcFile = atCommit(root, commit, 'data/raw.csv.dvc') as { outs: { md5: string }[] };
      assert.deepEqual(l.sources.find((s) => s.path === 'data/raw.csv'), { path: 'data/raw.csv', md5: dvcFile.outs[0].md5, madeBy: { kind: 'dvc', file: 'data/raw.csv.dvc' } });
      assert.equal(dvcFile.outs[0].md5, md5(raw)); // the raw data of that commit's run
      // The model: as dvc.lock at that commit records it; the stage's params as dvc.lock has them.
      const lock = atCommit(root, commit, 'dvc.lock') as { stages: Record<string, { outs: { path: string; md5: string }[]; params: Record<string, Record<string, unknown>> }> };
      assert.deepEqual(l.data, { path: 'models/model.pkl', md5: lock.stages.train.outs.find((o) => o.path === 'models/model.pkl')!.md5, madeBy: { kind: 'stage', stage: 'train' } });
      assert.deepEqual(l.stages[0].params, { 'params.yaml': { 'train.lr': lr } });
      assert.deepEqual(l.stages[1].params, { 'params.yaml': { 'featurize.n': n } });
      assert.deepEqual(l.stages.map((s) => s.cmd), ['train', 'featurize', 'prepare'].map((s) => (lock.stages[s] as unknown as { cmd: string }).cmd));
      // Every dependency hash and the params as dvc reads the commit.
      const view = dvcView(commit);
      for (const stage of l.stages) for (const dep of stage.deps) assert.equal(dep.md5, view.deps[dep.path], `${stage.name} ${dep.path}`);
      assert.deepEqual(l.params['params.yaml'].data, view.params);
      assert.deepEqual(l.metrics['metrics.json'].data, { acc: lr * 2 });
      // A script is a plain git file: its blob at that commit.
      const script = l.stages.find((s) => s.name === 'prepare')!.deps.find((d) => d.path === 'prepare.py')!;
      assert.deepEqual(script.madeBy, { kind: 'git', blob: git(root, 'rev-parse', `${commit}:prepare.py`).trim(), type: 'blob' });
      assert.equal(l.note, undefined);
      assert.deepEqual(l.problems, []);
    });
  }

  it('the two versions differ in raw data and params; a name alone is the latest version, #stage the version in it', () => {
    const [a, b] = [lineageJson(root, 'model@v1.0.0'), lineageJson(root, 'model@v1.1.0')];
    assert.notEqual(a.sources.find((s) => s.path === 'data/raw.csv')!.md5, b.sources.find((s) => s.path === 'data/raw.csv')!.md5);
    assert.equal(lineageJson(root, 'model').commit.sha, second);
    assert.equal(lineageJson(root, 'model#prod').commit.sha, first);
  });

  it('text and Markdown name the chain, the raw data and the params', () => {
    const l = lineageJson(root, 'model@v1.0.0');
    const rawMd5 = l.sources.find((s) => s.path === 'data/raw.csv')!.md5;
    const text = cairnOk(root, 'lineage', 'model@v1.0.0');
    assert.match(text, new RegExp(`^Lineage of model@v1.0.0 \\(models/model.pkl\\) at commit ${first.slice(0, 7)}$`, 'm'));
    assert.match(text, /^models\/model\.pkl \(md5 [0-9a-f]{32}, stage train\)$/m);
    assert.match(text, /^└── ← train: python3 train.py — params params\.yaml:train\.lr=0\.1$/m);
    assert.ok(text.includes(`data/raw.csv (md5 ${rawMd5}, data/raw.csv.dvc)`), text);
    assert.match(text, /^ {2}params\.yaml: featurize\.n = 2$/m);
    assert.match(text, /^ {2}metrics\.json: acc = 0\.2$/m);
    const md = cairnOk(root, 'lineage', 'model@v1.0.0', '--md');
    assert.match(md, /^## Lineage of model@v1\.0\.0/m);
    assert.match(md, /^ {2}- ← `train`: `python3 train.py` — params `params\.yaml:train\.lr=0\.1`$/m);
    assert.match(md, new RegExp(`^\\| data/raw\\.csv +\\| ${rawMd5} \\| data/raw\\.csv\\.dvc +\\|$`, 'm'));
    assert.match(md, /^\| params\.yaml +\| train\.lr +\| 0\.1 +\|$/m);
  });

  it('a tracked path: HEAD or --rev; a commit without dvc.lock says so and still shows the .dvc md5', () => {
    const head = lineageJson(root, 'data/features.csv');
    assert.equal(head.commit.sha, second);
    assert.deepEqual(head.stages.map((s) => s.name), ['featurize', 'prepare']);
    const old = lineageJson(root, 'data/features.csv', '--rev', first);
    assert.notEqual(old.data.md5, head.data.md5);
    const lock = atCommit(root, first, 'dvc.lock') as { stages: Record<string, { outs: { md5: string }[] }> };
    assert.equal(old.data.md5, lock.stages.featurize.outs[0].md5);

    const raw = lineageJson(root, 'data/raw.csv', '--rev', unrun);
    const dvcFile = atCommit(root, unrun, 'data/raw.csv.dvc') as { outs: { md5: string }[] };
    assert.deepEqual(raw.data, { path: 'data/raw.csv', md5: dvcFile.outs[0].md5, madeBy: { kind: 'dvc', file: 'data/raw.csv.dvc' } });
    assert.match(raw.note!, /not produced by a pipeline at .* tracked by data\/raw\.csv\.dvc/);
    const model = lineageJson(root, 'models/model.pkl', '--rev', unrun);
    assert.match(model.note!, /not produced by a pipeline .* stage 'train' has no dvc\.lock entry/);
    assert.equal(model.data.md5, null);
  });

  it('bad input: one line, a did-you-mean where one is near', () => {
    const cases: [string[], RegExp][] = [
      [['model@v1.0.1'], /artifact 'model' has no version 'v1\.0\.1'\. Did you mean 'v1\.[01]\.0'\?/],
      [['model#prdo'], /artifact 'model' has no version in stage 'prdo'\. Did you mean 'prod'\?/],
      [['modle@v1.0.0'], /Cannot find artifact 'modle' in the registry\. Did you mean 'model'\?/],
      [['data/raw.cvs'], /'data\/raw\.cvs' is not tracked by DVC at [0-9a-f]{7}\. Did you mean 'data\/raw\.csv'\?/],
      [['modle'], /Did you mean 'model'\?/],
      [['data/raw.csv', '--rev', 'nope'], /unknown revision 'nope'/],
    ];
    for (const [args, message] of cases) {
      const r = cairn(root, 'lineage', ...args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });

  it('an experiment dvc ran: its name, its params as dvc shows them, and the environment recorded on its commit', async () => {
    dvcOk(root, 'exp', 'run', '-q', '-S', 'train.lr=0.3', '-n', 'tuned');
    git(root, 'checkout', '-q', '--', '.');
    const expCommit = git(root, 'rev-parse', `refs/exps/${second.slice(0, 2)}/${second.slice(2)}/tuned`).trim();
    const capture = startEnvironmentCapture(root);
    capture.recordStageRun({ name: 'train', cmd: ['python3 train.py'], duration: 1.25, exit_code: 0 });
    const record = await capture.finish();
    await writeEnvironmentNote(root, expCommit, record);

    const l = lineageJson(root, 'models/model.pkl', '--rev', 'tuned') as LineageJson & { commit: { experiments: string[] }; environment: unknown };
    assert.equal(l.commit.sha, expCommit);
    assert.deepEqual(l.commit.experiments, ['tuned']);
    assert.deepEqual(l.environment, JSON.parse(environmentJson(record)));
    assert.deepEqual(l.stages[0].params, { 'params.yaml': { 'train.lr': 0.3 } });
    assert.deepEqual(l.params['params.yaml'].data, dvcView(expCommit).params);
    const text = cairnOk(root, 'lineage', 'models/model.pkl', '--rev', 'tuned');
    assert.match(text, /^experiment: tuned$/m);
    assert.match(text, /^Environment:$/m);
    assert.match(text, /^ {2}stage train: 1\.3 s, exit 0$/m);
    assert.match(text, new RegExp(`^  os: ${record.os.platform} `, 'm'));
    // A commit without a note has none.
    assert.equal((lineageJson(root, 'model@v1.1.0') as unknown as { environment: unknown }).environment, null);
  });

  it("a nested artifact ('sub:name'), a folder dependency holding outputs, an artifact path leading outside", () => {
    const repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    writeFiles(repo, {
      'data/raw.csv': 'a\n',
      'dvc.yaml': 'stages:\n  prep:\n    cmd: cp data/raw.csv data/p.csv\n    deps: [data/raw.csv]\n    outs: [data/p.csv]\n  summary:\n    cmd: ls data | sort > summary.txt; echo `true`\n    deps: [data]\n    params: [sep]\n    outs: [summary.txt]\n',
      'params.yaml': 'sep: a|b\n',
      'sub/dvc.yaml': 'stages:\n  train:\n    cmd: cat ../data/p.csv ../summary.txt > model.bin\n    deps: [../data/p.csv, ../summary.txt]\n    outs: [model.bin]\nartifacts:\n  m:\n    path: model.bin\n  evil:\n    path: ../../../etc/passwd\n',
    });
    writeFiles(repo, { 'artifacts.yaml': 'legacy:\n  path: data/p.csv\n  type: dataset\n' });
    dvcOk(repo, 'add', '-q', 'data/raw.csv');
    dvcOk(repo, 'repro', '-q', '-P');
    commitAll(repo, 'nested');
    cairnOk(repo, 'model', 'register', 'legacy');
    // gto's legacy artifacts.yaml names the path of an artifact no dvc.yaml declares.
    assert.deepEqual(lineageJson(repo, 'legacy').stages.map((s) => s.name), ['prep']);
    const l = lineageJson(repo, 'sub:m');
    const subLock = parse(fs.readFileSync(path.join(repo, 'sub/dvc.lock'), 'utf8')) as { stages: Record<string, { outs: { md5: string }[] }> };
    assert.deepEqual(l.target, { asked: 'sub:m', artifact: 'sub:m', path: 'sub/model.bin' });
    assert.deepEqual(l.data, { path: 'sub/model.bin', md5: subLock.stages.train.outs[0].md5, madeBy: { kind: 'stage', stage: 'sub/dvc.yaml:train' } });
    assert.deepEqual(l.stages.map((s) => s.name), ['sub/dvc.yaml:train', 'prep', 'summary']);
    const lock = parse(fs.readFileSync(path.join(repo, 'dvc.lock'), 'utf8')) as { stages: Record<string, { deps: { path: string; md5: string }[] }> };
    // dvc.yaml edited after the run: the command that ran is dvc.lock's.
    writeFiles(repo, { 'dvc.yaml': fs.readFileSync(path.join(repo, 'dvc.yaml'), 'utf8').replace('cmd: cp data/raw.csv data/p.csv', 'cmd: cp -v data/raw.csv data/p.csv') });
    commitAll(repo, 'prep edited, not run');
    assert.equal(lineageJson(repo, 'data/p.csv').stages[0].cmd, 'cp data/raw.csv data/p.csv');
    git(repo, 'reset', '-q', '--hard', 'HEAD~1');
    // A dvc.lock that cannot be read: one line, its stages as never run.
    writeFiles(repo, { 'dvc.lock': 'stages: [\n' });
    commitAll(repo, 'lock broken');
    const broken = cairn(repo, 'lineage', 'data/p.csv', '--json');
    assert.equal(broken.status, 0, broken.stderr);
    assert.match(broken.stderr, /^WARNING: dvc\.lock: cannot be read \(.+\); its stages count as never run\.\n$/);
    assert.equal((JSON.parse(broken.stdout) as LineageJson).stages[0].locked, false);
    git(repo, 'reset', '-q', '--hard', 'HEAD~1');
    // `data` is a folder in git holding prep's output: summary's dependency on it leads to prep too (visited once).
    assert.deepEqual(l.stages[2].deps, [{ path: 'data', md5: lock.stages.summary.deps[0].md5, madeBy: { kind: 'git', blob: git(repo, 'rev-parse', 'HEAD:data').trim(), type: 'tree' } }]);
    assert.deepEqual(l.problems, []);
    // Markdown holds any text: a backtick in a command, a pipe in a value.
    const md = cairnOk(repo, 'lineage', 'sub:m', '--md');
    assert.ok(md.includes('← `summary`: `` ls data | sort > summary.txt; echo `true` `` — params `params.yaml:sep=a|b`'), md);
    assert.match(md, /^\| params\.yaml \| sep +\| a\\\|b +\|$/m);
    const bare = cairn(repo, 'lineage', 'm');
    assert.equal(bare.stderr, "ERROR: 'm' is not tracked by DVC at " + git(repo, 'rev-parse', '--short=7', 'HEAD').trim() + ". Did you mean 'sub:m'?\n");
    const evil = cairn(repo, 'lineage', 'sub:evil');
    assert.notEqual(evil.status, 0);
    assert.equal(evil.stderr, "ERROR: sub/dvc.yaml: artifact 'sub:evil' path '../../../etc/passwd' leads outside the repository.\n");
  });

  it('raw data dvc imported: where from (repository, path, commit locked), the URL without user-info', () => {
    const registry = tempGitRepo();
    dvcOk(registry, 'init', '-q');
    writeFiles(registry, { 'raw.csv': 'x\n1\n' });
    dvcOk(registry, 'add', '-q', 'raw.csv');
    commitAll(registry, 'data');
    const repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    dvcOk(repo, 'import', '-q', registry, 'raw.csv', '-o', 'raw.csv');
    const imported = parse(fs.readFileSync(path.join(repo, 'raw.csv.dvc'), 'utf8')) as { deps: { path: string; repo: { url: string; rev_lock: string } }[]; outs: { md5: string }[] };
    writeFiles(repo, { 'copy.csv.dvc': fs.readFileSync(path.join(repo, 'raw.csv.dvc'), 'utf8').replace(`url: ${imported.deps[0].repo.url}`, 'url: https://user:s3cret@example.com/registry.git').replace(/(outs:[\s\S]*?)path: raw\.csv/, '$1path: copy.csv') });
    commitAll(repo, 'imported');
    const l = lineageJson(repo, 'raw.csv');
    assert.deepEqual(l.data, { path: 'raw.csv', md5: imported.outs[0].md5, madeBy: { kind: 'dvc', file: 'raw.csv.dvc', import: { url: imported.deps[0].repo.url, path: 'raw.csv', revLock: imported.deps[0].repo.rev_lock } } });
    assert.equal(imported.deps[0].repo.rev_lock, git(registry, 'rev-parse', 'HEAD').trim());
    assert.match(cairnOk(repo, 'lineage', 'raw.csv'), new RegExp(`^raw\\.csv \\(md5 ${imported.outs[0].md5}, raw\\.csv\\.dvc, imported from .+ raw\\.csv @ ${imported.deps[0].repo.rev_lock.slice(0, 7)}\\)$`, 'm'));
    const copy = cairn(repo, 'lineage', 'copy.csv', '--json');
    assert.equal(copy.status, 0, copy.stderr);
    assert.ok(!copy.stdout.includes('s3cret') && copy.stdout.includes('example.com/registry.git'), copy.stdout);
  });

  it('hostile: a cycle in the pipeline and a dvc.lock dependency leading outside are each named once; nothing outside is read or changed', () => {
    const parent = tempDir('cairn-lineage-hostile-');
    const bad = path.join(parent, 'repo');
    fs.mkdirSync(bad);
    git(bad, 'init', '-q', '-b', 'main');
    git(bad, 'config', 'user.email', 't@cairn.dev');
    git(bad, 'config', 'user.name', 'T');
    dvcOk(bad, 'init', '-q');
    const h = 'd41d8cd98f00b204e9800998ecf8427e';
    writeFiles(parent, { 'outside.txt': 'secret\n' });
    writeFiles(bad, {
      'dvc.yaml': 'stages:\n  a:\n    cmd: echo a\n    deps: [b.out]\n    outs: [a.out]\n  b:\n    cmd: echo b\n    deps: [a.out]\n    outs: [b.out]\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n    deps:\n    - path: b.out\n      md5: ${h}\n    - path: ../outside.txt\n      md5: ${h}\n    - path: ../../../../etc/passwd\n      md5: ../../x\n    outs:\n    - path: a.out\n      md5: ${h}\n  b:\n    cmd: echo b\n    deps:\n    - path: a.out\n      md5: ${h}\n    outs:\n    - path: b.out\n      md5: ${h}\n`,
    });
    commitAll(bad, 'hostile');
    const before = folderSnapshot(parent, (rel) => rel === 'repo/.git' || rel === 'repo/.dvc');
    const r = cairn(bad, 'lineage', 'a.out', '--json');
    assert.equal(r.status, 0, r.stderr);
    const l = JSON.parse(r.stdout) as LineageJson;
    assert.deepEqual(l.stages.map((s) => s.name), ['a', 'b']);
    assert.deepEqual([...l.problems].sort(), [
      "dvc.lock: stage 'a' dependency '../../../../etc/passwd' leads outside the repository; not followed.",
      "dvc.lock: stage 'a' dependency '../outside.txt' leads outside the repository; not followed.",
      'dvc.lock: stages a → b → a form a cycle; followed once.',
    ]);
    assert.equal(r.stderr.trim().split('\n').length, 3, r.stderr);
    assert.ok(!r.stdout.includes('secret'), r.stdout);
    assert.ok(l.stages.every((s) => s.deps.every((d) => !d.path.startsWith('..') && !path.isAbsolute(d.path))), r.stdout);
    assert.deepEqual(folderSnapshot(parent, (rel) => rel === 'repo/.git' || rel === 'repo/.dvc'), before);
  });
});
