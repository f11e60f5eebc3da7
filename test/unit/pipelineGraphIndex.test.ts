import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { StageGraph, TrackedPath } from '../../src/core/pipeline/graph';
import type { Stage } from '../../src/core/pipeline/stage';

/**
 * The graph finds producers through an index (same path, a folder above, a path inside); it
 * must link exactly what a comparison of every dep with every output links, in the same order,
 * and report the same conflicts, on any mix of nested paths.
 */

const PATHS = ['a', 'a/b', 'a/b/c', 'a/bc', 'ab', 'b', 'b/a', 'a/b/c/d', 'c'];

const isInside = (inner: string, outer: string) => inner.startsWith(outer + '/');
const overlaps = (a: string, b: string) => a === b || isInside(a, b) || isInside(b, a);

function stage(i: number, deps: string[], outs: string[], params: string[]): Stage {
  return {
    name: `s${i}`,
    addr: `s${i}`,
    file: 'dvc.yaml',
    dir: '',
    wdir: '',
    cmd: 'x',
    deps: deps.map((p) => ({ path: p, repoPath: p })),
    params: params.map((p) => ({ file: p, repoPath: p, keys: null, entries: [] })),
    outs: outs.map((p) => ({ path: p, repoPath: p, kind: 'outs', cache: true, persist: false, push: true, options: {} })),
    frozen: false,
    alwaysChanged: false,
    keyRanges: {},
    interpolations: [],
  };
}

/** The links as every dep compared with every output gives them (what the graph did before its index). */
function naiveUpstream(stages: Stage[]): string[][] {
  const producers = stages.flatMap((s) => s.outs.map((o) => ({ stage: s, repoPath: o.repoPath })));
  return stages.map((s) => {
    const ups: Stage[] = [];
    for (const dep of [...s.deps.map((d) => d.repoPath!), ...s.params.map((p) => p.repoPath)]) {
      // A stage reading its own output is not linked to itself (DEPENDENCY_IS_OUTPUT, not a cycle).
      for (const p of producers) if (p.stage !== s && overlaps(dep, p.repoPath) && !ups.includes(p.stage)) ups.push(p.stage);
    }
    return ups.map((u) => u.name);
  });
}

function naiveConflicts(stages: Stage[], tracked: TrackedPath[]): string[][] {
  const all = [...stages.flatMap((s) => s.outs.map((o) => ({ owner: s.addr, repoPath: o.repoPath }))), ...tracked.map((t) => ({ owner: t.file, repoPath: t.repoPath }))];
  const found: string[][] = [];
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) if (overlaps(all[i].repoPath, all[j].repoPath)) found.push([all[i].owner, all[j].owner]);
  return found;
}

describe('pipeline graph index', () => {
  it('links and conflicts exactly as comparing every dep with every output', () => {
    const paths = fc.subarray(PATHS, { maxLength: 3 });
    const stageShape = fc.record({ deps: paths, outs: fc.subarray(PATHS, { maxLength: 2 }), params: fc.subarray(PATHS, { maxLength: 1 }) });
    fc.assert(
      fc.property(fc.array(stageShape, { maxLength: 8 }), fc.subarray(PATHS, { maxLength: 2 }), (shapes, trackedPaths) => {
        const stages = shapes.map((s, i) => stage(i, s.deps, s.outs, s.params));
        const tracked = trackedPaths.map((p, i) => ({ repoPath: p, file: `t${i}.dvc` }));
        const graph = StageGraph.analyze(stages, tracked);
        assert.deepEqual(stages.map((s) => graph.upstream(s).map((u) => u.name)), naiveUpstream(stages));
        const conflicts = graph.problems.filter((p) => p.code === 'OUTPUT_CONFLICT').map((p) => p.stages);
        assert.deepEqual(conflicts, naiveConflicts(stages, tracked));
        for (const p of PATHS) {
          const first = stages.find((s) => s.outs.some((o) => overlaps(p, o.repoPath)));
          assert.equal(graph.producerOf(p), first, p);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('orders a 20,000-stage chain without running out of stack, and finds its cycle when closed', () => {
    const n = 20_000;
    const chain = Array.from({ length: n }, (_, i) => stage(i, i === 0 ? [] : [`o${i - 1}`], [`o${i}`], []));
    const reversed = [...chain].reverse();
    const graph = StageGraph.build(reversed);
    assert.deepEqual(graph.order().map((s) => s.name), chain.map((s) => s.name));
    assert.deepEqual(graph.order([chain[0]], { downstream: true }).length, n);
    const closed = [stage(0, [`o${n - 1}`], ['o0'], []), ...chain.slice(1)];
    const problems = StageGraph.analyze(closed).problems;
    assert.equal(problems.length, 1);
    assert.equal(problems[0].code, 'PIPELINE_CYCLE');
    assert.equal(problems[0].stages.length, n);
  });
});
