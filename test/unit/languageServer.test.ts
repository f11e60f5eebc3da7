import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { codeActions } from '../../src/server/codeActions';
import { complete } from '../../src/server/completion';
import { cursorContext } from '../../src/server/cursorContext';
import { definition } from '../../src/server/definition';
import { documentSymbols } from '../../src/server/documentSymbols';
import { hover } from '../../src/server/hover';
import { ParamsFiles } from '../../src/server/paramsFile';
import { PipelineAnalysis } from '../../src/server/pipelineAnalysis';
import { pipelineFileKind, PipelineFileKind } from '../../src/server/pipelineFileKind';
import { PipelineSchemas } from '../../src/server/schemas';
import { validateDocument } from '../../src/server/validateDocument';
import { YamlText } from '../../src/server/yamlText';
import { tempDir, writeFiles } from '../support/fixtures';
import { BROKEN_PIPELINE, PARAMS } from '../support/pipelineFixtures';

const schemas = new PipelineSchemas();

/** `l:c-l:c` (0-based), to compare ranges at a glance. */
const at = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
const summary = (ds: Diagnostic[]) => ds.map((d) => `${at(d.range)} ${d.code}`).sort();

async function diagnose(text: string, kind: PipelineFileKind = 'pipeline', dir?: string, schemaChecks = true): Promise<Diagnostic[]> {
  const root = dir ?? tempDir();
  const file = path.join(root, kind === 'pipeline' ? 'dvc.yaml' : kind === 'lock' ? 'dvc.lock' : 'data.dvc');
  fs.writeFileSync(file, text);
  return validateDocument({ yaml: new YamlText(text), kind, file, schemas, params: new ParamsFiles(), load: () => new PipelineAnalysis(() => undefined).load(file), schemaChecks });
}

/** Text with a `|` where the cursor is: the text without it and the cursor's position. */
function withCursor(marked: string) {
  const offset = marked.indexOf('|');
  const yaml = new YamlText(marked.slice(0, offset) + marked.slice(offset + 1));
  return { yaml, position: yaml.position(offset) };
}


describe('language server: diagnostics', () => {
  it('puts schema, lint and params diagnostics at the exact key or value', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'params.yaml': PARAMS, 'data/a.csv': 'x\n' });
    fs.mkdirSync(path.join(dir, '.dvc'));
    const ds = await diagnose(BROKEN_PIPELINE, 'pipeline', dir);
    assert.deepEqual(summary(ds), [
      '11:8-11:19 MISSING_DEPENDENCY', // - missing.csv
      '14:8-14:22 MISSING_PARAM', // - train.momentum
      '19:4-19:8 UNKNOWN_KEY', // depz:
      '21:12-21:17 WRONG_TYPE', // frozen: maybe
    ]);
    const byCode = Object.fromEntries(ds.map((d) => [d.code, d]));
    assert.equal(byCode['UNKNOWN_KEY'].message, "Unknown key 'depz'. Did you mean 'deps'?");
    assert.equal(byCode['WRONG_TYPE'].message, 'Expected true or false, got a string.');
    assert.equal(byCode['MISSING_DEPENDENCY'].severity, 2, 'a missing dependency is a warning');
    assert.equal(byCode['MISSING_PARAM'].message, "Parameter 'train.momentum' is missing from 'params.yaml'. Add it to params.yaml, or remove it from the params of 'train'.");
  });

  it('leaves syntax and schema to the Red Hat YAML extension when it runs, keeping the pipeline lint', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'params.yaml': PARAMS, 'data/a.csv': 'x\n' });
    fs.mkdirSync(path.join(dir, '.dvc'));
    assert.deepEqual(summary(await diagnose(BROKEN_PIPELINE, 'pipeline', dir, false)), ['11:8-11:19 MISSING_DEPENDENCY', '14:8-14:22 MISSING_PARAM']);
  });

  it('reports a missing cmd at the stage name, and a wrong type of a list entry at the entry', async () => {
    const ds = await diagnose('stages:\n  build:\n    deps:\n      - 3\n');
    assert.deepEqual(summary(ds), ['1:2-1:7 MISSING_KEY', '3:8-3:9 WRONG_TYPE']);
    assert.match(String(ds.find((d) => d.code === 'MISSING_KEY')!.message), /Missing required key 'cmd' in stage 'build'/);
  });

  it('checks foreach stages against the do-template, and unknown top-level keys', async () => {
    const text = 'stagez: {}\nstages:\n  build:\n    foreach: [a, b]\n    do:\n      cmd: make ${item}\n      outz: [x]\n';
    assert.deepEqual(summary(await diagnose(text)), ['0:0-0:6 UNKNOWN_KEY', '6:6-6:10 UNKNOWN_KEY']);
  });

  it('reports YAML syntax errors where the parser finds them', async () => {
    const ds = await diagnose('stages:\n  a:\n    cmd: x\n    cmd: y\n');
    assert.deepEqual(summary(ds), ['3:4-3:7 YAML_DUPLICATE_KEY']);
  });

  it('reports only the syntax error while a line is half typed, not schema guesses about it', async () => {
    assert.deepEqual(summary(await diagnose('stages:\n  train:\n    cmd: x\n    de\n')), ['3:4-3:6 YAML_MISSING_CHAR']);
    assert.deepEqual(summary(await diagnose('stages:\n  train:\n    cmd: "x\n')), ['2:10-3:0 YAML_MISSING_CHAR']);
  });

  it('locates an undefined ${} at the expression', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'params.yaml': PARAMS });
    const ds = await diagnose('stages:\n  a:\n    cmd: run ${seed} ${nope.x}\n', 'pipeline', dir);
    assert.deepEqual(summary(ds), ['2:21-2:30 BAD_FILE']);
    assert.match(String(ds[0].message), /Could not find 'nope.x'/);
  });

  it('finds cycles and outputs written by two stages, with a fix that removes the duplicate', async () => {
    const dir = tempDir();
    const text = 'stages:\n  a:\n    cmd: x\n    deps: [b.txt]\n    outs:\n      - a.txt\n  b:\n    cmd: y\n    deps:\n      - a.txt\n    outs:\n      - b.txt\n      - a.txt\n';
    const ds = await diagnose(text, 'pipeline', dir);
    // b reading a.txt and also writing it is one edit: the conflict says it, not also 'both a dependency and an output'.
    assert.deepEqual(summary(ds), ['12:8-12:13 OUTPUT_CONFLICT', '1:2-1:3 PIPELINE_CYCLE']);
    const dup = ds.find((d) => d.code === 'OUTPUT_CONFLICT')!;
    assert.equal(at(dup.range), '12:8-12:13');
    const [fix] = codeActions(new YamlText(text), 'file:///x/dvc.yaml', [dup], new ParamsFiles());
    assert.equal(fix.title, 'Remove this duplicate output');
    assert.deepEqual(fix.edit!.changes!['file:///x/dvc.yaml'], [{ range: { start: { line: 12, character: 0 }, end: { line: 13, character: 0 } }, newText: '' }]);
  });

  it('offers a quick fix for every "did you mean": a key, a params key, a ${} name', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'params.yaml': 'prepare:\n  split: 0.2\n' });
    fs.mkdirSync(path.join(dir, '.dvc'));
    const text = 'stages:\n  prepare:\n    cmd: python prepare.py ${prepare.splitt}\n    dep:\n      - data.xml\n    params:\n      - prepare.splitt\n    outs:\n      - prepared\n';
    const ds = await diagnose(text, 'pipeline', dir);
    assert.deepEqual(summary(ds), ['2:27-2:44 BAD_FILE', '3:4-3:7 UNKNOWN_KEY', '6:8-6:22 MISSING_PARAM']);
    const uri = 'file:///x/dvc.yaml';
    const fixes = codeActions(new YamlText(text), uri, ds, new ParamsFiles()).map((a) => {
      const [edit] = (a.edit!.changes?.[uri] ?? []) as TextEdit[];
      return `${a.title}${edit ? ` @${at(edit.range)} ${edit.newText}` : ''}`;
    });
    assert.deepEqual(fixes, [
      "Change 'dep' to 'deps' @3:4-3:7 deps",
      "Change 'prepare.splitt' to 'prepare.split' @2:29-2:43 prepare.split",
      "Change 'prepare.splitt' to 'prepare.split' @6:8-6:22 prepare.split",
      "Add 'prepare.splitt' to params.yaml",
    ]);
    assert.match(String(ds.find((d) => d.code === 'MISSING_PARAM')!.message), /Did you mean 'prepare\.split'\?$/);
  });

  it('offers to add a missing params key under its parent map', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'params.yaml': PARAMS });
    const ds = await diagnose(BROKEN_PIPELINE, 'pipeline', dir);
    const missing = ds.find((d) => d.code === 'MISSING_PARAM')!;
    const [fix] = codeActions(new YamlText(BROKEN_PIPELINE), 'file:///x/dvc.yaml', [missing], new ParamsFiles());
    assert.equal(fix.title, "Add 'train.momentum' to params.yaml");
    const edits = (fix.edit as WorkspaceEdit).changes![`file://${path.join(dir, 'params.yaml')}`] as TextEdit[];
    assert.deepEqual(edits, [{ range: { start: { line: 2, character: 11 }, end: { line: 2, character: 11 } }, newText: '\n  momentum: ' }]);
  });

  it('checks .dvc files and dvc.lock (with a hint that the lock is generated)', async () => {
    const dvc = await diagnose('outs:\n- md5: abc\n  size: big\n  path: data\n  colour: red\n', 'dvc');
    assert.deepEqual(summary(dvc), ['1:7-1:10 BAD_HASH', '2:8-2:11 WRONG_TYPE', '4:2-4:8 UNKNOWN_KEY'], "the CLI's words replace the schema's pattern for a bad hash");
    const lock = await diagnose("schema: '1.0'\nstages:\n  a:\n    outs:\n    - path: x\n", 'lock');
    assert.deepEqual(summary(lock), ['0:0-0:13 GENERATED_FILE', '0:8-0:13 WRONG_VALUE', '2:2-2:3 MISSING_KEY']);
    const noSchema = await diagnose('stages: {}\n# the end\n', 'lock');
    assert.deepEqual(summary(noSchema), ['0:0-0:10 GENERATED_FILE', '0:0-0:10 MISSING_KEY'], 'a missing top-level key marks the first line, not the whole file');
  });

  it('loads every dvc.yaml of the repository but never walks folders tracked by a .dvc file', async () => {
    const dir = tempDir();
    const stage = 'stages:\n  s:\n    cmd: x\n';
    writeFiles(dir, { 'dvc.yaml': stage, 'sub/dvc.yaml': stage, 'data.dvc': 'outs:\n- path: data\n', 'data/dvc.yaml': stage });
    fs.mkdirSync(path.join(dir, '.dvc'));
    const loaded = await new PipelineAnalysis(() => undefined).load(path.join(dir, 'dvc.yaml'));
    assert.deepEqual(loaded.pipelines.files.map((f) => f.path), ['dvc.yaml', 'sub/dvc.yaml']);
  });

  it('knows the outputs of .dvc files: a stage may not write one, and may read one that is not pulled', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'data.dvc': 'outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  path: data\n' });
    fs.mkdirSync(path.join(dir, '.dvc'));
    const ds = await diagnose('stages:\n  a:\n    cmd: x\n    deps:\n      - data/part.csv\n    outs:\n      - data/clean\n', 'pipeline', dir);
    assert.deepEqual(summary(ds), ['6:8-6:18 OUTPUT_CONFLICT']);
    assert.match(String(ds[0].message), /'data\/clean'.*inside output 'data' of 'data.dvc'/);
  });

  it('tells the files apart by name', () => {
    assert.equal(pipelineFileKind('file:///r/sub/dvc.yaml'), 'pipeline');
    assert.equal(pipelineFileKind('file:///r/dvc.lock'), 'lock');
    assert.equal(pipelineFileKind('file:///r/data.csv.dvc'), 'dvc');
    assert.equal(pipelineFileKind('file:///r/params.yaml'), undefined);
  });
});

describe('language server: completion, hover, definition, symbols', () => {
  let dir: string;
  let file: string;
  const params = new ParamsFiles();
  before(() => {
    dir = tempDir();
    writeFiles(dir, { 'params.yaml': PARAMS, 'data/raw.csv': 'x\n', 'data/more/b.csv': 'y\n' });
    file = path.join(dir, 'dvc.yaml');
  });
  const labels = (marked: string, kind: PipelineFileKind = 'pipeline') => {
    const { yaml, position } = withCursor(marked);
    return complete({ yaml, kind, file, position, schemas, params }).map((c) => c.label);
  };

  it('reads the cursor context from indentation, even on a half-typed line', () => {
    const { yaml, position } = withCursor('stages:\n  t:\n    outs:\n      - m.pkl:\n          ca|\n');
    assert.deepEqual(cursorContext(yaml, position), { path: ['stages', 't', 'outs', 0, 'm.pkl'], kind: 'key', prefix: 'ca', prefixStart: 10 });
    const dvc = withCursor('outs:\n- md5: x\n  si|\n');
    assert.deepEqual(cursorContext(dvc.yaml, dvc.position).path, ['outs', 0]);
  });

  it('completes top-level keys, stage keys not yet written, and output options', () => {
    assert.deepEqual(labels('|'), ['stages', 'vars', 'params', 'metrics', 'plots', 'artifacts', 'datasets']);
    const stage = labels('stages:\n  t:\n    cmd: x\n    |\n');
    assert.ok(stage.includes('deps') && stage.includes('outs') && !stage.includes('cmd') && !stage.includes('foreach'), stage.join());
    assert.deepEqual(labels('stages:\n  t:\n    |\n').filter((k) => ['cmd', 'foreach', 'do'].includes(k)), ['cmd', 'foreach', 'do']);
    assert.deepEqual(labels('stages:\n  t:\n    cmd: x\n    outs:\n      - m.pkl:\n          |\n'), ['cache', 'persist', 'remote', 'push', 'checkpoint', 'desc', 'type', 'labels', 'meta']);
    assert.deepEqual(labels('stages:\n  t:\n    cmd: x\n    frozen: |\n'), ['true', 'false']);
  });

  it('completes params keys from params.yaml, leaving out those listed', () => {
    assert.deepEqual(labels('stages:\n  t:\n    cmd: x\n    params:\n      - train.lr\n      - |\n'), ['train', 'train.epochs', 'seed']);
    // With Red Hat YAML completing keys from the schema, ours still lists params, never keys.
    const { yaml, position } = withCursor('stages:\n  t:\n    cmd: x\n    params:\n      - |\n');
    assert.equal(complete({ yaml, kind: 'pipeline', file, position, schemas, params, schemaItems: false }).length, 4);
    const keys = withCursor('stages:\n  t:\n    cmd: x\n    |\n');
    assert.deepEqual(complete({ yaml: keys.yaml, kind: 'pipeline', file, position: keys.position, schemas, params, schemaItems: false }), []);
  });

  it('completes deps with paths relative to dvc.yaml and the outputs of stages', () => {
    assert.deepEqual(labels('stages:\n  a:\n    cmd: x\n    outs: [model.pkl]\n  t:\n    cmd: x\n    deps:\n      - |\n').filter((l) => l !== 'dvc.yaml'), ['model.pkl', 'data/', 'params.yaml']);
    assert.deepEqual(labels('stages:\n  t:\n    cmd: x\n    deps:\n      - data/|\n'), ['data/more/', 'data/raw.csv']);
  });

  it('completes ${} names with their values and closes the brace', () => {
    const { yaml, position } = withCursor('stages:\n  t:\n    cmd: python train.py ${tr|\n');
    const items = complete({ yaml, kind: 'pipeline', file, position, schemas, params });
    const lr = items.find((i) => i.label === 'train.lr')!;
    assert.equal(lr.detail, '0.01');
    assert.deepEqual(lr.textEdit, { range: { start: { line: 2, character: 27 }, end: { line: 2, character: 29 } }, newText: 'train.lr}' });
  });

  it('hovers keys with their meaning and ${} with its value and source', () => {
    const yaml = new YamlText('stages:\n  t:\n    cmd: python ${train.lr}\n    frozen: true\n');
    const h1 = hover({ yaml, kind: 'pipeline', file, position: { line: 2, character: 20 }, schemas, params })!;
    assert.equal((h1.contents as { value: string }).value, '`train.lr` = `0.01` (params.yaml:2)');
    assert.equal(at(h1.range!), '2:16-2:27');
    const h2 = hover({ yaml, kind: 'pipeline', file, position: { line: 3, character: 6 }, schemas, params })!;
    assert.match((h2.contents as { value: string }).value, /^\*\*frozen\*\*\n\nWhen true/);
  });

  it('does not repeat a diagnostic in a hover: a params key or a ${} name that is not defined', () => {
    const yaml = new YamlText('stages:\n  t:\n    cmd: python ${train.lrr}\n    params:\n      - train.lrr\n');
    assert.equal(hover({ yaml, kind: 'pipeline', file, position: { line: 2, character: 20 }, schemas, params }), undefined);
    assert.equal(hover({ yaml, kind: 'pipeline', file, position: { line: 4, character: 12 }, schemas, params }), undefined);
    const known = new YamlText('stages:\n  t:\n    cmd: python x\n    params:\n      - train.lr\n');
    assert.equal((hover({ yaml: known, kind: 'pipeline', file, position: { line: 4, character: 12 }, schemas, params })!.contents as { value: string }).value, '`train.lr` = `0.01` (params.yaml)');
  });

  it('hovers a ${} of a foreach stage with its value in each generated stage', async () => {
    const text = 'stages:\n  build:\n    foreach: [us, eu]\n    do:\n      cmd: make ${item} --lr ${train.lr}\n';
    writeFiles(dir, { 'dvc.yaml': text });
    const yaml = new YamlText(text);
    const loaded = await new PipelineAnalysis(() => undefined).load(file);
    const h = hover({ yaml, kind: 'pipeline', file, position: { line: 4, character: 20 }, schemas, params, loaded })!;
    assert.equal((h.contents as { value: string }).value, '`item`\n\n- `build@us`: `us`\n- `build@eu`: `eu`');
    assert.equal(at(h.range!), '4:16-4:23');
    const stage = hover({ yaml, kind: 'pipeline', file, position: { line: 1, character: 3 }, schemas, params, loaded })!;
    assert.equal((stage.contents as { value: string }).value, '**stage `build`**\n- `build@us`: `make us --lr 0.01` (0 deps, 0 outs)\n- `build@eu`: `make eu --lr 0.01` (0 deps, 0 outs)');
  });

  it('goes from a params key to params.yaml and from a dep to the stage output writing it', () => {
    const yaml = new YamlText('stages:\n  a:\n    cmd: x\n    outs:\n      - prepared\n  t:\n    cmd: x\n    deps:\n      - prepared/part.csv\n    params:\n      - train.epochs\n');
    const toParams = definition({ yaml, file, position: { line: 10, character: 12 }, params });
    assert.deepEqual(toParams.map((l) => [l.uri, at(l.range)]), [[`file://${path.join(dir, 'params.yaml')}`, '2:2-2:8']]);
    const toOut = definition({ yaml, file, position: { line: 8, character: 10 }, params });
    assert.deepEqual(toOut.map((l) => [l.uri, at(l.range)]), [[`file://${file}`, '4:8-4:16']]);
    const interpolated = new YamlText('vars:\n  - extra:\n      n: 2\nstages:\n  t:\n    cmd: run ${seed} ${extra.n}\n');
    const toSeed = definition({ yaml: interpolated, file, position: { line: 5, character: 16 }, params });
    assert.deepEqual(toSeed.map((l) => [l.uri, at(l.range)]), [[`file://${path.join(dir, 'params.yaml')}`, '3:0-3:4']]);
    const toVars = definition({ yaml: interpolated, file, position: { line: 5, character: 25 }, params });
    assert.deepEqual(toVars.map((l) => [l.uri, at(l.range)]), [[`file://${file}`, '2:6-2:7']]);
  });

  it('outlines stages with their keys', () => {
    const symbols = documentSymbols(new YamlText('vars:\n  - a: 1\nstages:\n  t:\n    cmd: x\n    outs:\n      - m.pkl\n'));
    assert.deepEqual(symbols.map((s) => s.name), ['vars', 'stages']);
    const t = symbols[1].children![0];
    assert.equal(t.name, 't');
    assert.equal(t.detail, 'x');
    assert.deepEqual(t.children!.map((c) => [c.name, c.children?.map((x) => x.name)]), [['cmd', []], ['outs', ['m.pkl']]]);
  });
});
