import { strict as assert } from 'node:assert';
import { loadPipelines } from '../../src/core/pipeline/load';
import { StageGraph, assertDependenciesExist } from '../../src/core/pipeline/graph';
import { lintPipelines } from '../../src/core/pipeline/lint';
import { CairnError } from '../../src/core/errors';
import { memorySource } from './pipelineLoad.test';

const load = (yaml: string, more: Record<string, string> = {}) => loadPipelines(memorySource({ 'dvc.yaml': yaml, ...more }), { strict: false });

describe('pipeline graph and lint', () => {
  it('orders stages as DVC does (dependencies first, depth-first in definition order)', async () => {
    const p = await load([
      'stages:',
      '  e:\n    cmd: x\n    deps: [d.out, f.out]\n    outs: [e.out]',
      '  d:\n    cmd: x\n    deps: [b.out, c.out]\n    outs: [d.out]',
      '  b:\n    cmd: x\n    deps: [data/a.txt]\n    outs: [b.out]',
      '  c:\n    cmd: x\n    deps: [data]\n    outs: [c.out]',
      '  a:\n    cmd: x\n    outs: [data]',
      '  f:\n    cmd: x\n    outs: [f.out]',
      '',
    ].join('\n'));
    const g = StageGraph.build(p.stages);
    assert.deepEqual(g.order().map((s) => s.name), ['a', 'b', 'c', 'd', 'f', 'e']);
    const byName = (n: string) => p.stages.find((s) => s.name === n)!;
    assert.deepEqual(g.order([byName('d')]).map((s) => s.name), ['a', 'b', 'c', 'd']);
    assert.deepEqual(g.order([byName('b')], { downstream: true }).map((s) => s.name), ['b', 'd', 'e']);
    assert.deepEqual(g.upstream(byName('b')).map((s) => s.name), ['a'], 'a file inside an output links to it');
    assert.equal(g.producerOf('data/x/y')?.name, 'a');
  });

  it('rejects cycles naming the stages, and conflicting outputs', async () => {
    const cyc = await load('stages:\n  a:\n    cmd: x\n    deps: [b.out]\n    outs: [a.out]\n  b:\n    cmd: x\n    deps: [a.out]\n    outs: [b.out]\n');
    assert.throws(() => StageGraph.build(cyc.stages), (e: unknown) => e instanceof CairnError && e.code === 'PIPELINE_CYCLE' && /a -> b -> a/.test(e.oneLine()) && e.line === 2);
    const dup = await load('stages:\n  a:\n    cmd: x\n    outs: [o]\n  b:\n    cmd: x\n    outs: [o]\n');
    assert.throws(() => StageGraph.build(dup.stages), (e: unknown) => e instanceof CairnError && e.code === 'OUTPUT_CONFLICT' && /'o' is produced by both stage 'a' and stage 'b'/.test(e.message) && e.line === 7);
    const nested = await load('stages:\n  a:\n    cmd: x\n    outs: [data]\n  b:\n    cmd: x\n    outs: [data/sub/x]\n');
    assert.throws(() => StageGraph.build(nested.stages), /output 'data\/sub\/x' of stage 'b' is inside output 'data' of stage 'a'/);
    const tracked = await load('stages:\n  a:\n    cmd: x\n    outs: [raw/x]\n');
    assert.throws(() => StageGraph.build(tracked.stages, [{ repoPath: 'raw', file: 'raw.dvc' }]), /inside output 'raw' of 'raw.dvc'/);
    const fine = await load('stages:\n  a:\n    cmd: x\n    outs: [data2]\n  b:\n    cmd: x\n    outs: [data]\n');
    assert.equal(StageGraph.build(fine.stages).problems.length, 0, "'data2' is not inside 'data'");
  });

  it('finds dependencies nothing provides', async () => {
    const p = await load('stages:\n  a:\n    cmd: x\n    deps:\n    - in.csv\n    - made\n    - there.txt\n  b:\n    cmd: x\n    outs: [made]\n');
    const g = StageGraph.build(p.stages);
    const exists = (r: string) => r === 'there.txt';
    assert.deepEqual(g.missingDependencies(exists).map((m) => [m.message, m.range?.start.line]), [["dependency 'in.csv' of stage 'a' does not exist and no stage produces it", 5]]);
    assert.throws(() => assertDependenciesExist(g, p.stages, exists), (e: unknown) => e instanceof CairnError && e.code === 'MISSING_DEPENDENCY' && e.line === 5);
  });

  it('lints without throwing: load errors, graph problems, names', async () => {
    const p = await load('stages:\n  bad:\n    cmd: ${nope}\n  a.b:\n    cmd: x\n    deps: [o]\n    outs: [o]\n  c:\n    cmd: x\n    outs: [o]\n');
    const d = lintPipelines(p, { exists: () => false });
    const summary = d.map((x) => `${x.severity} ${x.code} ${x.range?.start.line}`);
    assert.deepEqual(summary, ['error BAD_FILE 3', 'error OUTPUT_CONFLICT 10', 'error DEPENDENCY_IS_OUTPUT 6', 'warning STAGE_NAME 4']);
  });

  it('says a stage reading its own output once, as DVC does, not also as a cycle of one', async () => {
    const p = await load('stages:\n  a:\n    cmd: x\n    deps: [o]\n    outs: [o]\n');
    assert.deepEqual(lintPipelines(p).map((x) => `${x.code} ${x.range?.start.line}`), ['DEPENDENCY_IS_OUTPUT 4']);
    assert.throws(() => StageGraph.build(p.stages), (e: unknown) => e instanceof CairnError && e.code === 'DEPENDENCY_IS_OUTPUT' && e.line === 4);
  });

  it('gives one bad edit one diagnostic: an output another stage makes, added to a stage that reads it', async () => {
    const p = await load('stages:\n  prepare:\n    cmd: x\n    outs: [prepared]\n  featurize:\n    cmd: x\n    deps: [prepared]\n    outs:\n    - features\n    - prepared\n');
    assert.deepEqual(lintPipelines(p, { exists: () => false }).map((x) => `${x.code} ${x.range?.start.line}`), ['OUTPUT_CONFLICT 10']);
  });

  it('does not call a path missing while a stage that may produce it could not be resolved', async () => {
    const p = await load('stages:\n  make:\n    cmd: x\n    outs: ["${nope}"]\n  use:\n    cmd: x\n    deps: [made, "${nope}/y"]\n');
    assert.deepEqual(lintPipelines(p, { exists: () => false }).map((x) => `${x.code} ${x.range?.start.line}`), ['BAD_FILE 4', 'BAD_FILE 7']);
  });
});
