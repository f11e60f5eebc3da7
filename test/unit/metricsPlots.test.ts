import { strict as assert } from 'node:assert';
import { Repo } from '../../src/core/repo/repo';
import { init } from '../../src/core/repo/init';
import { datapointsOf, plotsDiff } from '../../src/core/metrics/plots';
import { declarationsOf } from '../../src/core/metrics/declarations';
import { pipelineDeclarations } from '../../src/core/metrics/pipelineDeclarations';
import { WorkspaceSource } from '../../src/core/metrics/revisionSource';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { plotsSnapshot } from '../../src/extension/plotsSnapshot';
import { git, tempGitRepo, writeFiles } from '../support/fixtures';

describe('metrics: declarations and plots', () => {
  it('merges params as DVC: a file listed whole (or params.yaml, when present) wins over keys', async () => {
    const root = tempGitRepo();
    writeFiles(root, { 'params.yaml': 'lr: 1\n' });
    const decl = await declarationsOf(
      {
        files: [{ path: 'dvc.yaml', dir: '', params: [{ repoPath: 'cfg.toml' }], metrics: [{ repoPath: 'm.json' }], plots: [] }],
        stages: [
          { params: [{ repoPath: 'params.yaml', keys: ['lr'] }, { repoPath: 'o.json', keys: ['a.b'] }, { repoPath: 'cfg.toml', keys: ['x'] }], outs: [{ repoPath: 'm.json', kind: 'metrics' }, { repoPath: 's.json', kind: 'metrics' }] },
          { params: [{ repoPath: 'o.json', keys: ['c', 'a.b'] }], outs: [] },
        ],
      },
      new WorkspaceSource(root),
    );
    assert.deepEqual(decl.metrics, ['m.json', 's.json']);
    assert.deepEqual([...decl.params], [
      ['params.yaml', []],
      ['o.json', ['a.b', 'c']],
      ['cfg.toml', []],
    ]);
  });

  it('reads the declarations of a real dvc.yaml through the pipeline loader', async () => {
    const root = tempGitRepo();
    writeFiles(root, {
      'dvc.yaml': 'metrics:\n- eval/m.json\nplots:\n- loss.csv:\n    x: step\n- named:\n    y:\n      a.csv: acc\n      b.csv: acc\nstages:\n  s:\n    cmd: echo\n    wdir: sub\n    params:\n    - o.yaml:\n      - k\n    metrics:\n    - out.json:\n        cache: false\n',
    });
    const decl = await pipelineDeclarations(new WorkspaceSource(root));
    assert.deepEqual(decl.metrics, ['sub/out.json', 'eval/m.json']);
    assert.deepEqual([...decl.params], [['sub/o.yaml', ['k']]]);
    assert.deepEqual(
      decl.plots.map((p) => [p.id, p.config, p.files]),
      [
        ['loss.csv', 'dvc.yaml', ['loss.csv']],
        ['named', 'dvc.yaml', ['a.csv', 'b.csv']],
      ],
    );
  });

  it('finds datapoints in lists of same-keyed dicts, merged by index', () => {
    assert.deepEqual(datapointsOf({ train: [{ a: 1 }, { a: 2 }], test: { inner: [{ b: 3 }, { b: 4 }] }, skip: [{ x: 1 }, { y: 2 }] }), [
      { a: 1, b: 3 },
      { a: 2, b: 4 },
    ]);
    assert.deepEqual(datapointsOf([1, 2]), []);
  });

  it('plots several y sources tagged by file, with the x of each file', async () => {
    const root = tempGitRepo();
    await init(root, {});
    writeFiles(root, {
      'dvc.yaml': 'plots:\n- cmp:\n    x: step\n    y:\n      runs/a.csv: acc\n      runs/b.csv: acc\n',
      'runs/a.csv': 'step,acc\n0,0.1\n1,0.2\n',
      'runs/b.csv': 'step,acc\n0,0.3\n1,0.4\n',
    });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'one');
    writeFiles(root, { 'runs/b.csv': 'step,acc\n0,0.3\n1,0.5\n' });
    const result = await Repo.using(root, {}, (repo) => plotsDiff(repo, []));
    assert.equal(result.errors, undefined);
    const [render] = result.data!.cmp;
    assert.ok(render.type === 'vega');
    assert.deepEqual(render.revisions, ['workspace', 'HEAD']);
    assert.deepEqual(render.content.data.values.slice(0, 4), [
      { step: '0', acc: '0.1', rev: 'workspace', filename: 'a.csv' },
      { step: '1', acc: '0.2', rev: 'workspace', filename: 'a.csv' },
      { step: '0', acc: '0.3', rev: 'workspace', filename: 'b.csv' },
      { step: '1', acc: '0.5', rev: 'workspace', filename: 'b.csv' },
    ]);
    assert.equal(render.content.data.values.length, 8);
  });

  it('gives image plots per revision: files in imagesDir for the CLI, data: URLs for the metrics panel', async () => {
    const root = tempGitRepo();
    await init(root, {});
    const png = (n: number) => Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from([n])]);
    writeFiles(root, { 'dvc.yaml': 'plots:\n- images/roc.png\n- images/cm.svg\n', 'images/roc.png': png(1), 'images/cm.svg': '<svg/>' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'one');
    writeFiles(root, { 'images/roc.png': png(2) });
    fs.rmSync(path.join(root, 'images/cm.svg'));
    const out = path.join(root, 'dvc_plots');
    const result = await Repo.using(root, {}, (repo) => plotsDiff(repo, ['HEAD'], { imagesDir: out }));
    assert.deepEqual(result.data!['images/roc.png'], [
      { type: 'image', revisions: ['workspace'], url: path.join(out, 'workspace_images_roc.png') },
      { type: 'image', revisions: ['HEAD'], url: path.join(out, 'HEAD_images_roc.png') },
    ]);
    assert.deepEqual(fs.readFileSync(path.join(out, 'HEAD_images_roc.png')), png(1));
    assert.deepEqual(result.data!['images/cm.svg'].map((r) => r.revisions), [['HEAD']]);
    assert.deepEqual(result.errors?.map((e) => [e.name, e.rev, e.type]), [['images/cm.svg', 'workspace', 'FileNotFoundError']]);

    const snapshot = await Repo.using(root, {}, (repo) => plotsSnapshot(repo, ['HEAD']));
    assert.deepEqual(snapshot.plots, []);
    assert.deepEqual(snapshot.images, [
      { id: 'images/roc.png', revision: 'workspace', url: `data:image/png;base64,${png(2).toString('base64')}` },
      { id: 'images/roc.png', revision: 'HEAD', url: `data:image/png;base64,${png(1).toString('base64')}` },
      { id: 'images/cm.svg', revision: 'HEAD', url: `data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}` },
    ]);
  });

  it('reads a plot template only inside the repository: a path or a link out is refused in one line, an unknown name named', async () => {
    const outside = tempGitRepo();
    writeFiles(outside, { 'evil.json': '{"data": {"values": "<DVC_METRIC_DATA>"}, "secret": 1}' });
    const root = tempGitRepo();
    await init(root, {});
    writeFiles(root, { 'a.csv': 'step,acc\n0,0.1\n' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'one');
    fs.mkdirSync(path.join(root, '.dvc', 'plots'));
    fs.symlinkSync(path.join(outside, 'evil.json'), path.join(root, '.dvc', 'plots', 'linked.json'));
    const plotsWith = async (template: string) => {
      writeFiles(root, { 'dvc.yaml': `plots:\n- a.csv:\n    template: ${JSON.stringify(template)}\n` });
      return Repo.using(root, {}, (repo) => plotsDiff(repo, ['workspace']));
    };
    for (const template of [path.join(outside, 'evil.json'), path.relative(root, path.join(outside, 'evil.json')), 'linked']) {
      await assert.rejects(plotsWith(template), (err: Error & { oneLine(): string }) => {
        assert.match(err.oneLine(), /plot 'a\.csv' of dvc\.yaml: template '.*' leads outside the repository; not read/);
        return true;
      });
    }
    await assert.rejects(plotsWith('nope'), /plot 'a\.csv' of dvc\.yaml: template 'nope' not found/);
    writeFiles(root, { '.dvc/plots/broken.json': '{"data": ' });
    await assert.rejects(plotsWith('broken'), /\.dvc\/plots\/broken\.json: the template of plot 'a\.csv' of dvc\.yaml is not valid JSON/);
    // Inside the repository a template is read, the built-in of the same name left aside.
    writeFiles(root, { '.dvc/plots/simple.json': '{"data": {"values": "<DVC_METRIC_DATA>"}, "mine": "<DVC_METRIC_TITLE>"}' });
    const result = await plotsWith('simple');
    const [render] = result.data!['a.csv'];
    assert.ok(render.type === 'vega');
    // No optional anchor in it: the points keep their filename and field, as dvc-render leaves them.
    assert.deepEqual(render.content, { data: { values: [{ step: 0, acc: '0.1', rev: 'workspace', filename: 'a.csv', field: 'acc' }] }, mine: 'a.csv' });
    assert.equal(render.drawn.template, 'simple');
  });
});
