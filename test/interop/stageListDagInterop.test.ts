import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cairn, dvc, dvcOk, tempGitRepo, writeFiles } from '../support/fixtures';

/**
 * `stage list` and `dag` against dvc (3.67.1) on one layout: `.dvc` files (a folder, a file in
 * a subfolder, one nothing uses), stages with outputs, reports (metrics, plots), only deps,
 * nothing, a multi-line and a long `desc`, and a stage in sub/dvc.yaml.
 */
describe('stage list and dag: stages and .dvc files as dvc lists and links them', () => {
  let repo: string;
  before(() => {
    repo = tempGitRepo();
    dvcOk(repo, 'init', '-q');
    writeFiles(repo, { 'data/a.csv': 'a\n', 'raw/b.csv': 'b\n', 'lone.txt': 'x\n', 'params.yaml': 'lr: 1\n' });
    dvcOk(repo, 'add', '-q', 'data', 'raw/b.csv', 'lone.txt');
    writeFiles(repo, {
      'dvc.yaml': [
        'stages:',
        '  prepare:',
        '    cmd: cat data/a.csv raw/b.csv > prepared.txt',
        '    deps:',
        '    - data',
        '    - raw/b.csv',
        '    outs:',
        '    - prepared.txt',
        '  train:',
        '    desc: |',
        '',
        '      Trains the model on the prepared data.',
        '      Second line.',
        '    cmd: cp prepared.txt model.bin',
        '    deps:',
        '    - prepared.txt',
        '    params:',
        '    - lr',
        '    outs:',
        '    - model.bin',
        '    metrics:',
        '    - metrics.json:',
        '        cache: false',
        '    plots:',
        '    - plot.csv',
        '  report:',
        '    cmd: cat metrics.json',
        '    deps:',
        '    - metrics.json',
        '    - model.bin',
        '  noop:',
        '    cmd: echo hi',
        '  long:',
        '    cmd: echo',
        '    desc: A very long description that goes on and on past the eighty characters dvc prints of it',
        '  only-reports:',
        '    cmd: echo',
        '    metrics:',
        '    - m.json',
        '',
      ].join('\n'),
      'sub/dvc.yaml': 'stages:\n  use:\n    cmd: cat ../model.bin > used.txt\n    deps:\n    - ../model.bin\n    outs:\n    - used.txt\n',
    });
  });

  const same = (cwd: string, ...args: string[]) => {
    const theirs = dvc(cwd, ...args);
    const ours = cairn(cwd, ...args);
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout, `${args.join(' ')} in ${path.relative(repo, cwd) || '.'}`);
  };

  it('lists stages with descriptions as dvc: Outputs; Reports, Depends on, the first line of desc, cut at 80', () => {
    same(repo, 'stage', 'list');
    same(repo, 'stage', 'list', 'train', 'report', 'only-reports', 'long');
  });

  /**
   * dvc takes the files of a folder in the order the file system lists them (os.scandir), Cairn
   * by name: where that order shows, the lines are compared as sets, and Cairn's order checked.
   */
  const sameLines = (cwd: string, ...args: string[]) => {
    const theirs = dvc(cwd, ...args);
    const ours = cairn(cwd, ...args);
    assert.equal(theirs.status, 0, theirs.stderr);
    assert.equal(ours.status, 0, ours.stderr);
    const sorted = (text: string) => text.split('\n').sort();
    assert.deepEqual(sorted(ours.stdout), sorted(theirs.stdout), `${args.join(' ')} in ${path.relative(repo, cwd) || '.'}`);
    return ours.stdout;
  };
  /** A mermaid chart as its labelled nodes and edges (the node ids follow the order of the pipelines). */
  const mermaidGraph = (text: string) => {
    const label = new Map([...text.matchAll(/^\t(node\d+)\["(.*)"\]$/gm)].map((m) => [m[1], m[2]]));
    const edges = [...text.matchAll(/^\t(node\d+)-->(node\d+)$/gm)].map((m) => `${label.get(m[1])} --> ${label.get(m[2])}`);
    return { nodes: [...label.values()].sort(), edges: edges.sort() };
  };

  it('--all lists .dvc files too, named from the current folder, a folder\'s own files before its subfolders', () => {
    const all = sameLines(repo, 'stage', 'list', '--all');
    assert.deepEqual(
      all.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]),
      ['data.dvc', 'prepare', 'train', 'report', 'noop', 'long', 'only-reports', 'lone.txt.dvc', 'raw/b.csv.dvc', 'sub/dvc.yaml:use'],
    );
    sameLines(path.join(repo, 'sub'), 'stage', 'list', '--all');
    sameLines(repo, 'stage', 'list', '--all', '--name-only');
    same(path.join(repo, 'sub'), 'stage', 'list');
    same(repo, 'stage', 'list', 'raw/b.csv.dvc', 'noop', 'sub/dvc.yaml:use');
  });

  it('dag draws .dvc files as nodes with their edges: dot and mermaid as dvc prints them', () => {
    sameLines(repo, 'dag', '--dot');
    sameLines(path.join(repo, 'sub'), 'dag', '--dot');
    // A target (a stage, an output, a .dvc file or its data) and what it depends on; --full: its whole pipeline.
    for (const target of [['train'], ['--full', 'train'], ['model.bin'], ['data.dvc'], ['raw/b.csv'], ['sub/dvc.yaml:use'], ['--full', 'noop']]) sameLines(repo, 'dag', '--dot', ...target);
    for (const format of ['--mermaid', '--md']) {
      const theirs = dvcOk(repo, 'dag', format);
      const ours = cairn(repo, 'dag', format);
      assert.equal(ours.status, 0, ours.stderr);
      assert.deepEqual(mermaidGraph(ours.stdout), mermaidGraph(theirs));
      assert.equal(ours.stdout.split('\n')[0], theirs.split('\n')[0]);
    }
  });

  it('a dvc.yaml that cannot be loaded hides only its stages: stage list as dvc; --all names it and exits 1 (dvc: silently)', () => {
    writeFiles(repo, { 'broken/dvc.yaml': 'stages:\n  x:\n    cmd: [echo\n' });
    try {
      same(repo, 'stage', 'list');
      const theirs = dvc(repo, 'stage', 'list', '--all');
      const ours = cairn(repo, 'stage', 'list', '--all');
      assert.deepEqual(ours.stdout.split('\n').sort(), theirs.stdout.split('\n').sort());
      assert.equal(ours.status, 1);
      assert.match(ours.stderr, /^ERROR: broken\/dvc\.yaml:\d+: 'broken\/dvc\.yaml' is invalid YAML/);
      const named = cairn(repo, 'stage', 'list', 'broken/dvc.yaml');
      assert.equal(named.status, 1);
      assert.match(named.stderr, /^ERROR: broken\/dvc\.yaml:\d+: .*invalid YAML/);
    } finally {
      fs.rmSync(path.join(repo, 'broken'), { recursive: true });
    }
  });

  it('dag draws boxes, each below what it depends on, the .dvc files on top', () => {
    const r = cairn(repo, 'dag');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const rowOf = (label: string) => lines.findIndex((l) => l.includes(`| ${label} |`));
    for (const [above, below] of [['data.dvc', 'prepare'], ['raw/b.csv.dvc', 'prepare'], ['prepare', 'train'], ['train', 'report'], ['train', 'sub/dvc.yaml:use']]) {
      assert.ok(rowOf(above) >= 0 && rowOf(above) < rowOf(below), `${above} above ${below}:\n${r.stdout}`);
    }
    for (const alone of ['noop', 'long', 'lone.txt.dvc', 'only-reports']) assert.ok(rowOf(alone) > rowOf('report'), `${alone} drawn on its own, after the pipeline`);
  });
});
