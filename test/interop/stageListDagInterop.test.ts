import { strict as assert } from 'node:assert';
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

  it('--all lists .dvc files too, in dvc order, named from the current folder', () => {
    same(repo, 'stage', 'list', '--all');
    same(path.join(repo, 'sub'), 'stage', 'list', '--all');
    same(path.join(repo, 'sub'), 'stage', 'list');
    same(repo, 'stage', 'list', 'raw/b.csv.dvc', 'noop', 'sub/dvc.yaml:use');
    same(repo, 'stage', 'list', '--all', '--name-only');
  });

  it('dag draws .dvc files as nodes with their edges: dot and mermaid as dvc prints them', () => {
    same(repo, 'dag', '--dot');
    same(repo, 'dag', '--mermaid');
    same(repo, 'dag', '--md');
    same(path.join(repo, 'sub'), 'dag', '--dot');
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
