import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writePipeline } from '../../bench/pipelineShapes';
import { cairnOk, CLI, git, tempGitRepo } from '../support/fixtures';

/**
 * Pipelines at the sizes of issue 13 (the bench's shapes: chains over many dvc.yaml files with
 * nested wdirs, foreach fan-out/fan-in, shared params), through the CLI: the results must be
 * right at 10,000 stages. No clock here: `npm run bench` measures the speed.
 */

/** `cairn <args> --json` parsed (the outputs here are megabytes: more than spawnSync's default buffer). */
function cairnJson<T>(cwd: string, ...args: string[]): T {
  const r = spawnSync(process.execPath, [CLI, ...args, '--json'], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

function generated(shape: 'chain' | 'fan' | 'mixed', count: number) {
  const repo = tempGitRepo();
  cairnOk(repo, 'init');
  const made = writePipeline(repo, shape, count);
  git(repo, 'add', '-A');
  return { repo, ...made };
}

type Dag = { stages: { stage: string; deps: string[] }[] };

/** Every stage after the stages it depends on. */
function assertDependenciesFirst(dag: Dag, order: string[]): void {
  const at = new Map(order.map((s, i) => [s, i]));
  for (const { stage, deps } of dag.stages) for (const d of deps) assert.ok(at.get(d)! < at.get(stage)!, `${d} before ${stage}`);
}

describe('pipelines at scale', function () {
  this.timeout(600_000);

  it('a 10,000-stage chain over 40 dvc.yaml files: order, deps, status and repro --dry are right', () => {
    const { repo, stages } = generated('chain', 10_000);
    assert.equal(stages, 10_000);
    const name = (i: number) => `chain/g${String(Math.floor(i / 250)).padStart(4, '0')}/dvc.yaml:s${String(i).padStart(5, '0')}`;
    const dag = cairnJson<Dag>(repo, 'dag');
    assert.deepEqual(dag.stages.map((s) => s.stage), Array.from({ length: 10_000 }, (_, i) => name(i)));
    dag.stages.forEach((s, i) => assert.deepEqual(s.deps, i === 0 ? [] : [name(i - 1)]));
    const repro = cairnJson<{ ran: string[] }>(repo, 'repro', '--dry', '-P');
    assert.deepEqual(repro.ran, dag.stages.map((s) => s.stage));
    // Nothing was ever run: every stage's deps and outs changed, its params new (keys relative to the root).
    const status = cairnJson<Record<string, unknown[]>>(repo, 'status');
    assert.equal(Object.keys(status).length, 10_000);
    assert.deepEqual(status[name(0)], [{ 'changed deps': { 'data/raw.txt': 'modified', 'params.yaml': 'new' } }, { 'changed outs': { 'out/chain/g0000/s00000.txt': 'deleted' } }]);
    assert.deepEqual(status[name(9999)], [
      { 'changed deps': { 'out/chain/g0039/s09998.txt': 'deleted', 'params.yaml': 'new' } },
      { 'changed outs': { 'out/chain/g0039/s09999.txt': 'deleted' } },
    ]);
    const lint = spawnSync(process.execPath, [CLI, 'lint'], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /^no problems found in 40 files$/m);
  });

  it('a foreach over 2,000 items feeding one stage: the fan-in depends on all 2,000, after them', () => {
    const { repo, stages } = generated('fan', 2001);
    assert.equal(stages, 2001);
    const dag = cairnJson<Dag>(repo, 'dag');
    const collect = dag.stages.find((s) => s.stage === 'fan/g00/dvc.yaml:collect')!;
    const parts = Array.from({ length: 2000 }, (_, i) => `fan/g00/dvc.yaml:part@i${String(i).padStart(4, '0')}`);
    assert.deepEqual(collect.deps, parts);
    assert.deepEqual(dag.stages.map((s) => s.stage), [...parts, 'fan/g00/dvc.yaml:collect']);
    const repro = cairnJson<{ ran: string[] }>(repo, 'repro', '--dry', '-P');
    assert.deepEqual(repro.ran, dag.stages.map((s) => s.stage));
    const status = cairnJson<Record<string, unknown[]>>(repo, 'status');
    assert.deepEqual(status['fan/g00/dvc.yaml:part@i1999'], [
      { 'changed deps': { 'data/raw.txt': 'modified', 'params.yaml': 'new' } },
      { 'changed outs': { 'fan/g00/parts/i1999.txt': 'deleted' } },
    ]);
  });

  it('mixed (chain, fan-out/fan-in, chain) of 5,000 stages: every stage after what it depends on, the targets of repro --dry too', () => {
    const { repo, stages } = generated('mixed', 5000);
    assert.equal(stages, 5000);
    const dag = cairnJson<Dag>(repo, 'dag');
    assert.equal(dag.stages.length, 5000);
    const order = dag.stages.map((s) => s.stage);
    assertDependenciesFirst(dag, order);
    // The second chain's first stage depends on the fan-in, which depends on the 2,000 parts.
    const collect = dag.stages.find((s) => s.stage === 'fan/g00/dvc.yaml:collect')!;
    assert.equal(collect.deps.length, 2000);
    assert.ok(dag.stages.some((s) => s.deps.includes('fan/g00/dvc.yaml:collect')));
    // Its last stage as target: everything is upstream of it.
    const last = order[order.length - 1];
    const repro = cairnJson<{ ran: string[] }>(repo, 'repro', '--dry', last);
    assert.equal(repro.ran.length, 5000);
    assertDependenciesFirst(dag, repro.ran);
  });
});
