import { strict as assert } from 'node:assert';
import { loadPipelines, PipelineSource } from '../../src/core/pipeline/load';
import { metricsFiles, paramsFiles, plotsFiles } from '../../src/core/pipeline/trackedFiles';
import { PyFloat, pyFloatRepr } from '../../src/core/pipeline/values';
import { CairnError } from '../../src/core/errors';

/** An in-memory PipelineSource: {relpath: text}. */
export function memorySource(files: Record<string, string>): PipelineSource {
  return {
    async read(p) {
      return files[p];
    },
    async list(dir) {
      const seen = new Map<string, boolean>();
      for (const f of Object.keys(files)) {
        if (dir && !f.startsWith(dir + '/')) continue;
        const rest = dir ? f.slice(dir.length + 1) : f;
        const [first, ...more] = rest.split('/');
        seen.set(first, more.length > 0);
      }
      return [...seen].map(([name, isDir]) => ({ name, isDir }));
    },
  };
}

async function rejects(files: Record<string, string>, file: string, line: number | undefined, words: RegExp): Promise<void> {
  await assert.rejects(loadPipelines(memorySource(files)), (e: unknown) => {
    assert.ok(e instanceof CairnError, String(e));
    assert.equal(e.file, file, e.oneLine());
    assert.equal(e.line, line, e.oneLine());
    assert.match(e.oneLine(), words);
    return true;
  });
}

describe('pipeline loading (dvc.yaml)', () => {
  it('writes floats as Python does', () => {
    assert.deepEqual(
      [1, 0.1, 1e-5, 1e20, 1.5e20, 123.456, 1e16, 1234567890123456, 0.0001, -2.5].map(pyFloatRepr),
      ['1.0', '0.1', '1e-05', '1e+20', '1.5e+20', '123.456', '1e+16', '1234567890123456.0', '0.0001', '-2.5'],
    );
  });

  it('resolves ${} with types kept, escapes, and dicts in cmd as DVC does', async () => {
    const p = await loadPipelines(memorySource({
      'params.yaml': 'lr: 1.0\nsmall: 0.00001\nn: 3\nflag: false\nname: a b\ntrain:\n  epochs: 10\n  layers: [1, 2]\n  opt: {kind: adam, on: true, off: false, s: "x y"}\n',
      'dvc.yaml': 'stages:\n  s:\n    cmd: run ${lr} ${small} ${flag} ${train.layers[1]} \\${lit} ${train}\n    meta:\n      n: ${n}\n      lr: ${lr}\n      t: "${n}"\n      s: "n=${n}"\n    deps:\n    - ${name}.txt\n    outs:\n    - out.txt\n',
    }));
    const s = p.stages[0];
    assert.equal(s.cmd, "run 1.0 1e-05 false 2 ${lit} --epochs 10 --layers 1 2 --opt.kind adam --opt.on --opt.s 'x y'");
    const meta = s.meta as Record<string, unknown>;
    assert.equal(meta.n, 3);
    assert.ok(meta.lr instanceof PyFloat && meta.lr.value === 1);
    assert.equal(meta.t, 3, 'a quoted whole-value expression keeps its type too');
    assert.equal(meta.s, 'n=3');
    assert.equal(s.deps[0].path, 'a b.txt');
    const lr = s.interpolations.find((i) => i.expression === 'lr')!;
    assert.deepEqual(lr.range, { file: 'dvc.yaml', start: { line: 3, col: 14 }, end: { line: 3, col: 19 } });
    assert.equal(lr.definedIn, 'params.yaml');
  });

  it('expands foreach (list, dict, list of dicts) and matrix with DVC names', async () => {
    const p = await loadPipelines(memorySource({
      'dvc.yaml': [
        'vars:\n  - models: [a, b]\n  - extra: 7',
        'stages:',
        '  loop:\n    foreach: ${models}\n    do:\n      cmd: echo ${item}\n      outs:\n      - out_${item}.txt',
        '  dloop:\n    foreach:\n      us: {n: 1}\n      eu: {n: 2}\n    do:\n      cmd: echo ${key} ${item.n}',
        '  lloop:\n    foreach:\n      - {n: 1}\n      - {n: 2}\n    do:\n      cmd: echo ${item.n} ${extra}',
        '  mat:\n    matrix:\n      m: [x, y]\n      k: [1, 2.5, true]\n      o: [{a: 1}]\n    cmd: echo ${item.m} ${item.k} ${key}',
        '',
      ].join('\n'),
    }));
    assert.deepEqual(p.stages.map((s) => s.name), [
      'loop@a', 'loop@b', 'dloop@us', 'dloop@eu', 'lloop@0', 'lloop@1',
      'mat@x-1-o0', 'mat@x-2.5-o0', 'mat@x-true-o0', 'mat@y-1-o0', 'mat@y-2.5-o0', 'mat@y-true-o0',
    ]);
    assert.equal(p.stages[1].cmd, 'echo b');
    assert.equal(p.stages[1].outs[0].path, 'out_b.txt');
    assert.equal(p.stages[2].cmd, 'echo us 1');
    assert.equal(p.stages[5].cmd, 'echo 2 7');
    assert.equal(p.stages[7].cmd, 'echo x 2.5 x-2.5-o0');
    assert.deepEqual(p.stages[0].generatedFrom, { name: 'loop', key: 'a', kind: 'foreach' });
    assert.deepEqual(p.files[0].definitions.mat.generated.length, 6);
  });

  it('reads vars files (file:keys, json, toml) relative to the dvc.yaml and stage wdir', async () => {
    const p = await loadPipelines(memorySource({
      'sub/dvc.yaml': 'vars:\n  - conf.json:a\n  - more.toml\nstages:\n  s:\n    wdir: w\n    vars:\n      - local.yaml\n    cmd: echo ${a} ${t.x} ${l}\n    params:\n    - k\n    - cfg.yaml: [x, y]\n    - all.json:\n',
      'sub/conf.json': '{"a": 1.0, "b": 2}',
      'sub/more.toml': '[t]\nx = 2.0\n',
      'sub/w/local.yaml': 'l: here\n',
    }));
    const s = p.stages[0];
    assert.equal(s.addr, 'sub/dvc.yaml:s');
    assert.equal(s.wdir, 'sub/w');
    assert.equal(s.cmd, 'echo 1.0 2.0 here');
    assert.deepEqual(s.params.map((d) => [d.repoPath, d.keys]), [['sub/w/params.yaml', ['k']], ['sub/w/cfg.yaml', ['x', 'y']], ['sub/w/all.json', null]]);
    assert.deepEqual(p.files[0].varsFiles, ['sub/conf.json', 'sub/more.toml', 'sub/w/local.yaml']);
  });

  it('lists outs with options, and top-level params/metrics/plots/artifacts', async () => {
    const p = await loadPipelines(memorySource({
      'dvc.yaml': [
        'params:\n- p2.yaml\nmetrics:\n- top.json\nplots:\n- acc.csv\n- roc:\n    x: fpr\n    y:\n      eval/roc.json: tpr\nartifacts:\n  model:\n    path: model.pkl\n    type: model',
        'stages:\n  train:\n    cmd: python train.py\n    outs:\n    - model.pkl:\n        cache: false\n        persist: true\n        remote: r\n        push: false\n        desc: the model\n        type: model\n        labels: [a]\n    metrics:\n    - m.json:\n        cache: false\n    plots:\n    - p.csv:\n        x: step\n        template: linear\n    frozen: true\n    always_changed: true\n    desc: trains\n',
      ].join('\n'),
    }));
    const [o, m, pl] = p.stages[0].outs;
    assert.deepEqual([o.cache, o.persist, o.remote, o.push, o.desc, o.type, o.labels], [false, true, 'r', false, 'the model', 'model', ['a']]);
    assert.equal(m.kind, 'metrics');
    assert.deepEqual(pl.plot, { x: 'step', template: 'linear' });
    assert.equal(p.stages[0].frozen && p.stages[0].alwaysChanged, true);
    assert.deepEqual(metricsFiles(p), ['top.json', 'm.json']);
    assert.deepEqual(plotsFiles(p), ['acc.csv', 'eval/roc.json', 'p.csv']);
    assert.deepEqual(paramsFiles(p), [{ repoPath: 'p2.yaml', keys: null }]);
    assert.equal(p.files[0].artifacts[0].repoPath, 'model.pkl');
  });

  it('reports errors with file and line, and collects them when not strict', async () => {
    await rejects({ 'dvc.yaml': 'stages:\n  s:\n    cmd: echo ${nope}\n' }, 'dvc.yaml', 3, /Could not find 'nope'.*params\.yaml or under `vars:`/);
    await rejects({ 'dvc.yaml': 'stages:\n  s:\n    cmd: x\n    dep: [a]\n' }, 'dvc.yaml', 4, /extra key 'dep'/);
    await rejects({ 'dvc.yaml': 'stages:\n  s:\n    outs: [a]\n' }, 'dvc.yaml', 2, /no 'cmd'/);
    await rejects({ 'params.yaml': 'a: 1\n', 'dvc.yaml': 'vars:\n  - a: 2\nstages: {}\n' }, 'dvc.yaml', 2, /cannot redefine 'a' from 'vars\[0\]' as it already exists in 'params.yaml'/);
    await rejects({ 'params.yaml': 'd: {x: 1}\n', 'dvc.yaml': 'stages:\n  s:\n    cmd: x\n    deps:\n    - ${d}\n' }, 'dvc.yaml', 5, /Cannot interpolate data of type 'dict'/);
    await rejects({ 'dvc.yaml': 'stages:\n  s:\n    cmd: [x\n' }, 'dvc.yaml', 4, /invalid YAML/);
    await rejects({ 'dvc.yaml': 'vars:\n  - ${x}\nstages: {}\n' }, 'dvc.yaml', 2, /interpolating is not allowed/);
    await rejects({ 'dvc.yaml': 'stages:\n  s:\n    foreach: 3\n    do:\n      cmd: x\n' }, 'dvc.yaml', 3, /expected list\/dictionary/);
    const p = await loadPipelines(memorySource({ 'dvc.yaml': 'stages:\n  bad:\n    foreach: 3\n    do:\n      cmd: x\n  good:\n    cmd: ok\n' }), { strict: false });
    assert.deepEqual(p.stages.map((s) => s.name), ['good'], 'a stage that cannot be generated is left out, the others load');
    assert.deepEqual(p.errors.map((e) => e.line), [3]);
    assert.deepEqual(p.files[0].unresolvedOutputs, ['bad']);
  });

  it('when not strict, loads what resolves of a stage with an error and reports each error once', async () => {
    const p = await loadPipelines(memorySource({
      'params.yaml': 'prepare:\n  split: 0.2\n',
      'dvc.yaml': [
        'stagess: {}', // 1: an unknown top-level key does not hide the stages
        'stages:',
        '  prepare:',
        '    cmd: python prepare.py ${prepare.splitt}', // 4: kept as written
        '    dep: [data.xml]', // 5
        '    outs: [prepared]',
        '  build:',
        '    foreach: [a, b, c]',
        '    do:',
        '      cmd: make ${item}',
        '      outs: ["out-${item}", "${nope}"]', // 11: the same error for each item, reported once
        '',
      ].join('\n'),
    }), { strict: false });
    const prepare = p.stages.find((s) => s.name === 'prepare')!;
    assert.equal(prepare.cmd, 'python prepare.py ${prepare.splitt}');
    assert.deepEqual(prepare.outs.map((o) => o.repoPath), ['prepared']);
    assert.deepEqual(p.stages.map((s) => s.name), ['prepare', 'build@a', 'build@b', 'build@c']);
    assert.deepEqual(p.errors.map((e) => [e.line, e.message, e.hint]), [
      [1, "extra key 'stagess' not allowed", "Did you mean 'stages'?"],
      [5, "extra key 'dep' not allowed in stage 'prepare'", "Did you mean 'deps'?"],
      [4, "failed to parse 'stages.prepare.cmd': Could not find 'prepare.splitt'", "Did you mean 'prepare.split'?"],
      [11, "failed to parse 'stages.build@a.outs': Could not find 'nope'", 'Define it in params.yaml or under `vars:`.'],
    ]);
    assert.deepEqual(p.errors[2].suggestion, { from: 'prepare.splitt', to: 'prepare.split' });
    assert.deepEqual(p.files[0].unresolvedOutputs, ['build'], "the outputs of 'build' are not all known");
  });

  it('when not strict, a vars file that cannot be read is reported once, not at every ${} it may define', async () => {
    const p = await loadPipelines(memorySource({ 'dvc.yaml': 'vars:\n- missing.yaml\nstages:\n  s:\n    cmd: echo ${a} ${b}\n    outs: ["${c}"]\n' }), { strict: false });
    assert.deepEqual(p.errors.map((e) => [e.line, e.message]), [[2, "failed to parse 'vars': 'missing.yaml' does not exist"]]);
    assert.deepEqual(p.stages.map((s) => s.name), ['s']);
  });
});
