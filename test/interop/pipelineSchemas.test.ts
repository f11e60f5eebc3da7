import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver';
import { PipelineFileKind } from '../../src/server/pipelineFileKind';
import { schemaDiagnostics } from '../../src/server/schemaDiagnostics';
import { PipelineSchemas } from '../../src/server/schemas';
import { syntaxDiagnostics } from '../../src/server/syntaxDiagnostics';
import { YamlText } from '../../src/server/yamlText';
import { dvc, dvcOk, tempGitRepo, writeFiles } from '../support/fixtures';

const schemas = new PipelineSchemas();
const check = (text: string, kind: PipelineFileKind): Diagnostic[] => {
  const yaml = new YamlText(text);
  return [...syntaxDiagnostics(yaml), ...schemaDiagnostics(yaml, kind, schemas)];
};
const show = (ds: Diagnostic[]) => ds.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`).join('\n');

/** Uses most of what DVC 3 accepts in a dvc.yaml: vars, foreach, matrix, params, metrics, plots, artifacts. */
const FULL_PIPELINE = `vars:
  - params.yaml
  - extra:
      n: 2
stages:
  prepare:
    cmd: cp data/raw.csv prepared.csv
    deps: [data]
    outs:
      - prepared.csv:
          cache: true
          desc: prepared rows
  train:
    cmd:
      - echo \${train.lr} > model.txt
      - printf '{"acc":0.9}' > metrics.json
      - printf 'x,y\\n1,2\\n' > curve.csv
    deps: [prepared.csv]
    params: [train.lr]
    outs: [model.txt]
    metrics:
      - metrics.json:
          cache: false
    plots:
      - curve.csv:
          x: x
          y: y
          cache: false
    desc: trains
  build:
    foreach: [a, b]
    do:
      cmd: echo \${item} > build-\${item}.txt
      outs:
        - build-\${item}.txt
  grid:
    matrix:
      m: [1, 2]
    cmd: echo \${item.m} > grid-\${item.m}.txt
    outs:
      - grid-\${item.m}.txt
    always_changed: false
plots:
  - curve.csv:
      x: x
      y: y
metrics: [metrics.json]
artifacts:
  model:
    path: model.txt
    type: model
`;

describe('pipeline schemas against the real dvc', function () {
  this.timeout(180_000);

  it('accept the dvc.yaml, dvc.lock and .dvc files dvc itself reads and writes', () => {
    const dir = tempGitRepo();
    dvcOk(dir, 'init', '-q');
    writeFiles(dir, { 'data/raw.csv': 'a,b\n1,2\n', 'params.yaml': 'train:\n  lr: 0.01\n', 'dvc.yaml': FULL_PIPELINE });
    dvcOk(dir, 'add', '-q', 'data');
    dvcOk(dir, 'repro', '-q');
    for (const [file, kind] of [['dvc.yaml', 'pipeline'], ['dvc.lock', 'lock'], ['data.dvc', 'dvc']] as const) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      assert.deepEqual(show(check(text, kind)), '', `${file}:\n${text}`);
    }
  });

  // Each variant: a stage (or top-level) change; our schema must reject exactly what dvc rejects.
  const variants: [string, string][] = [
    ['a list cmd, params from another file', 'stages:\n  s:\n    cmd: [echo a, echo b]\n    params:\n      - custom.yaml: [a]\n      - lr\n'],
    ['a mistyped stage key', 'stages:\n  s:\n    cmd: echo\n    depz: [a]\n'],
    ['a string where a boolean goes', 'stages:\n  s:\n    cmd: echo\n    frozen: maybe\n'],
    ['a stage without cmd', 'stages:\n  s:\n    deps: [a]\n'],
    ['an unknown top-level key', 'stagez: {}\n'],
    ['an unknown output option', 'stages:\n  s:\n    cmd: echo\n    outs:\n      - m.pkl:\n          cach: true\n'],
    ['outs as a string', 'stages:\n  s:\n    cmd: echo\n    outs: m.pkl\n'],
    ['foreach with a cmd beside do', 'stages:\n  s:\n    foreach: [a]\n    do:\n      cmd: echo ${item}\n    cmd: echo\n'],
    ['several outputs in one map', 'stages:\n  s:\n    cmd: echo\n    outs:\n      - a: {cache: false}\n        b: {cache: false}\n'],
    ['flow lists holding ${} (not valid YAML)', 'stages:\n  s:\n    foreach: [a]\n    do:\n      cmd: echo\n      outs: [b-${item}]\n'],
    ['plots with plot properties', 'stages:\n  s:\n    cmd: echo\n    plots:\n      - p.csv:\n          template: linear\n          x_label: step\n'],
  ];
  for (const [what, text] of variants) {
    it(`agree with dvc on ${what}`, () => {
      const dir = tempGitRepo();
      dvcOk(dir, 'init', '-q');
      writeFiles(dir, { 'dvc.yaml': text, 'custom.yaml': 'a: 1\n', 'params.yaml': 'lr: 1\n' });
      const r = dvc(dir, 'stage', 'list');
      const ours = check(text, 'pipeline');
      assert.equal(ours.length > 0, r.status !== 0, `dvc exit ${r.status} (${(r.stderr + r.stdout).trim().split('\n')[0]}); ours:\n${show(ours)}`);
    });
  }
});
