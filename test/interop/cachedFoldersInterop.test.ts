import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cloneOf, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { cairnJson, commitAll, dvcJson, same } from '../support/metricsJson';

/**
 * The stock layout DVCLive writes: metrics, params and plots inside a cached output folder
 * (`eval/`), which git does not hold. At past revisions and experiments they are read from the
 * cache through the folder's `.dir` manifest, as dvc reads them; in a clone without the cache,
 * dvc's errors. Plots with `Infinity`/`NaN` (sklearn's ROC threshold), a templated plot with a
 * missing y source, and an image plot, against the real dvc.
 */

const EVALUATE = `import json, os, sys
v = float(open('params.yaml').read().split('v:')[1].split()[0])
for d in ['eval/plots/metrics', 'eval/plots/sklearn/roc', 'eval/plots/images']:
    os.makedirs(d, exist_ok=True)
json.dump({"acc": v, "loss": round(1 - v, 4), "nested": {"auc": v / 2}}, open('eval/metrics.json', 'w'))
open('eval/params.yaml', 'w').write('inner: %s\\nname: run-%s\\n' % (v, v))
open('eval/plots/metrics/acc.tsv', 'w').write('step\\tacc\\n0\\t%s\\n1\\t%s\\n' % (v / 2, v))
for split in ['train', 'test']:
    roc = [{"fpr": 0.0, "tpr": 0.0, "threshold": float('inf')}, {"fpr": 0.5, "tpr": v, "threshold": 0.5}, {"fpr": 1.0, "tpr": 1.0, "threshold": float('nan')}]
    json.dump({"roc": roc}, open('eval/plots/sklearn/roc/%s.json' % split, 'w'))
open('eval/plots/images/importance.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + str(v).encode())
`;

const DVC_YAML = `stages:
  evaluate:
    cmd: python3 evaluate.py
    deps:
    - evaluate.py
    params:
    - v
    outs:
    - eval
metrics:
- eval/metrics.json
params:
- eval/params.yaml
plots:
- eval/plots/metrics:
    x: step
- ROC:
    template: simple
    x: fpr
    y:
      eval/plots/sklearn/roc/train.json: tpr
      eval/plots/sklearn/roc/test.json: tpr
- Validation:
    template: simple
    x: fpr
    y:
      eval/plots/sklearn/roc/train.json: tpr
      eval/plots/sklearn/roc/val.json: tpr
- eval/plots/images/importance.png
`;

type Render = { type: string; revisions: string[]; content?: { data: { values: unknown[] } }; url?: string };
type Plots = { errors?: { name?: string; rev: string; source?: string; type: string }[]; data?: Record<string, Render[]> };

/** What both tools must agree on: the plots, their revisions, datapoints and image files; errors by type. */
function plotsSummary(p: Plots): unknown {
  return {
    keys: Object.keys(p).sort(),
    errors: (p.errors ?? []).map((e) => `${e.name ?? ''}|${e.rev}|${e.source ?? ''}|${e.type}`).sort(),
    data: Object.fromEntries(
      Object.entries(p.data ?? {}).map(([id, renders]) => [
        id,
        renders.map((r) => (r.type === 'image' ? { type: r.type, revisions: r.revisions, url: r.url } : { type: r.type, revisions: r.revisions, values: r.content!.data.values })),
      ]),
    ),
  };
}

/** `plots diff <revs> --json` of both tools (images written to the same dvc_plots/), and the image files each wrote. */
function bothPlots(root: string, ...revs: string[]): { ours: Plots; theirs: Plots; ourImages: Record<string, string>; theirImages: Record<string, string> } {
  const images = () => {
    const dir = path.join(root, 'dvc_plots');
    const found = fs.existsSync(dir) ? Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')])) : {};
    fs.rmSync(dir, { recursive: true, force: true });
    return found;
  };
  const theirs = dvcJson(root, 'plots', 'diff', ...revs) as Plots;
  const theirImages = images();
  const ours = cairnJson(root, 'plots', 'diff', ...revs) as Plots;
  return { ours, theirs, ourImages: images(), theirImages };
}

describe('interop: metrics, params and plots inside cached output folders, against dvc', function () {
  this.timeout(300_000);
  let root: string;

  before(() => {
    root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': DVC_YAML, 'evaluate.py': EVALUATE, 'params.yaml': 'v: 0.5\n' });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'one');
    writeFiles(root, { 'params.yaml': 'v: 0.7\n' });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'two');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'v=0.6', '--name', 'exp-a');
    dvcOk(root, 'exp', 'run', '-q', '-S', 'v=0.8', '--name', 'exp-b');
    git(root, 'checkout', '-q', '--', '.');
  });

  it('git holds none of eval/: the lock records it as one cached folder', () => {
    assert.equal(git(root, 'ls-files', 'eval').trim(), '');
    assert.match(fs.readFileSync(path.join(root, 'dvc.lock'), 'utf8'), /path: eval\n\s+hash: md5\n\s+md5: [0-9a-f]{32}\.dir/);
  });

  it('metrics diff and params diff between revisions and between experiments read eval/ through its .dir manifest', () => {
    const d = same(root, 'metrics', 'diff', 'HEAD~1', 'HEAD') as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(d['eval/metrics.json']).sort(), ['acc', 'loss', 'nested.auc']);
    const exps = same(root, 'metrics', 'diff', 'exp-a', 'exp-b') as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(exps['eval/metrics.json']).sort(), ['acc', 'loss', 'nested.auc'], 'a four-key diff, not {}');
    same(root, 'metrics', 'diff', 'HEAD', 'exp-b', '--all');
    const params = same(root, 'params', 'diff', 'exp-a', 'exp-b') as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(params['eval/params.yaml']).sort(), ['inner', 'name']);
    same(root, 'params', 'diff', 'HEAD~1', '--all');
  });

  it('metrics show -a / -T / exp revisions equal dvc', () => {
    git(root, 'tag', 'v1', 'HEAD~1');
    same(root, 'metrics', 'show', '-a');
    same(root, 'metrics', 'show', '-T');
  });

  it('plots diff: folder plots, Infinity/NaN datapoints, filename of a templated plot with a missing source, image plots, as dvc', () => {
    for (const revs of [['HEAD~1', 'HEAD'], ['exp-a', 'exp-b'], ['HEAD']]) {
      const { ours, theirs, ourImages, theirImages } = bothPlots(root, ...revs);
      assert.deepEqual(plotsSummary(ours), plotsSummary(theirs), `plots diff ${revs.join(' ')}`);
      assert.deepEqual(ourImages, theirImages, `image files of plots diff ${revs.join(' ')}`);
      const roc = theirs.data!.ROC[0].content!.data.values as Record<string, unknown>[];
      assert.ok(roc.some((p) => p.threshold === Infinity) && roc.some((p) => Number.isNaN(p.threshold)), 'dvc read Infinity and NaN');
      const validation = theirs.data!.Validation[0].content!.data.values as Record<string, unknown>[];
      assert.ok(validation.every((p) => p.filename === 'train.json'), 'dvc names the one source that had data');
      // One revision is compared with the workspace.
      assert.deepEqual(theirs.data!['eval/plots/images/importance.png'].map((r) => r.revisions[0]), revs.length === 1 ? ['workspace', ...revs] : revs);
    }
  });

  it('in a clone without the cache: dvc errors (DataIndexDirError per file, per revision for plots), no plots listed', () => {
    const clone = cloneOf(root);
    same(clone, 'metrics', 'show', '-a');
    same(clone, 'metrics', 'diff', 'HEAD~1', 'HEAD');
    same(clone, 'params', 'diff', 'HEAD~1', 'HEAD');
    const shown = cairnJson(clone, 'metrics', 'show') as Record<string, { data: Record<string, { error?: { type: string; msg: string } }> }>;
    assert.equal(shown[''].data['eval/metrics.json'].error?.type, 'DataIndexDirError');
    assert.match(shown[''].data['eval/metrics.json'].error!.msg, /failed to load directory \('eval',\)/);
    const { ours, theirs } = bothPlots(clone, 'HEAD');
    assert.deepEqual(plotsSummary(ours), plotsSummary(theirs));
    assert.equal(ours.data, undefined, 'no empty plot ids');
  });

  it('plots diff prints {} where there are no plots, as dvc', () => {
    const bare = tempGitRepo();
    dvcOk(bare, 'init', '-q');
    writeFiles(bare, { 'params.yaml': 'v: 1\n' });
    commitAll(bare, 'one');
    assert.deepEqual(cairnJson(bare, 'plots', 'diff'), {});
    assert.deepEqual(dvcJson(bare, 'plots', 'diff'), {});
  });
});

describe('interop: a `cache: false` output is never read from the cache', function () {
  this.timeout(120_000);

  it('a missing `cache: false` metric whose bytes the run cache stored reads as missing, as dvc', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      'm.src': '{"acc": 1}\n',
      'dvc.yaml': 'stages:\n  train:\n    cmd: cp m.src m.json\n    deps: [m.src]\n    metrics: [{m.json: {cache: false}}]\n',
    });
    dvcOk(root, 'repro', '-q');
    commitAll(root, 'one');
    fs.rmSync(path.join(root, 'm.json'));
    const shown = same(root, 'metrics', 'show') as Record<string, { data: Record<string, { error?: { type: string } }> }>;
    assert.equal(shown[''].data['m.json'].error?.type, 'FileNotFoundError');
  });
});
