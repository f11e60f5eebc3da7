import type { Repo } from '../core/repo/repo';
import { loadWorkspacePipelines } from '../core/pipeline/repro';
import { StageGraph } from '../core/pipeline/graph';
import { stageStates, StageStatusItem } from '../core/pipeline/stageStatus';
import { CairnError } from '../core/errors';
import type { StageState } from '../../webview/messages';

/** One stage as the Pipelines view and the DAG show it; plain data from the core worker. */
export interface StageInfo {
  /** How `cairn repro` names it: `train`, `sub/dvc.yaml:train`, `build@us`. */
  addr: string;
  file: string;
  /** 1-based line of its definition in `file`. */
  line: number;
  state: StageState;
  /** Why it would run: `changed deps: data (modified)`, `changed command`... */
  reasons: string[];
  cmd: string;
  deps: string[];
  outs: string[];
  desc?: string;
}

export interface PipelinesSnapshot {
  stages: StageInfo[];
  /** Dependency edges between stage addresses. */
  edges: { from: string; to: string }[];
  /** Cycles, conflicting outputs and the like: the graph still shows, with these. */
  problems: string[];
  /** Repo-relative files and folders a stage's state depends on (deps, params files, outs): worth watching. */
  inputs: string[];
}

function describe(item: StageStatusItem): string {
  if (typeof item === 'string') return item;
  const [kind, entries] = Object.entries(item)[0];
  return `${kind}: ${Object.entries(entries).map(([p, s]) => `${p} (${typeof s === 'string' ? s : Object.entries(s).map(([k, v]) => `${k} ${v}`).join(', ')})`).join(', ')}`;
}

export async function pipelinesSnapshot(repo: Repo, signal?: AbortSignal): Promise<PipelinesSnapshot> {
  const { pipelines, tracked } = await loadWorkspacePipelines(repo);
  const graph = StageGraph.analyze(pipelines.stages, tracked);
  const problems = graph.problems.map((p) => `${p.file}: ${p.message}`);
  let states: Awaited<ReturnType<typeof stageStates>> = [];
  let unknown: string | undefined;
  try {
    states = await stageStates(repo, pipelines.stages, { cwd: repo.root, signal });
  } catch (err) {
    if (!(err instanceof CairnError) || err.code === 'ABORTED') throw err;
    unknown = err.oneLine();
    problems.push(unknown);
  }
  const byStage = new Map(states.map((s) => [s.stage, s]));
  const stages = pipelines.stages.map((stage): StageInfo => {
    const s = byStage.get(stage);
    const state: StageState = stage.frozen ? 'frozen' : !s ? 'changed' : !s.lock ? 'not run' : s.changed ? 'changed' : 'up to date';
    return {
      addr: stage.addr,
      file: stage.file,
      line: stage.nameRange?.start.line ?? stage.range?.start.line ?? 1,
      state,
      reasons: s ? s.status.map(describe) : [`status unknown: ${unknown}`],
      cmd: Array.isArray(stage.cmd) ? stage.cmd.join(' && ') : stage.cmd,
      deps: stage.deps.map((d) => d.path),
      outs: stage.outs.map((o) => o.path),
      desc: stage.desc,
    };
  });
  const edges = pipelines.stages.flatMap((to) => graph.upstream(to).map((from) => ({ from: from.addr, to: to.addr })));
  const inputs = new Set<string>();
  for (const stage of pipelines.stages) {
    for (const d of stage.deps) if (d.repoPath) inputs.add(d.repoPath);
    for (const p of stage.params) inputs.add(p.repoPath);
    for (const o of stage.outs) inputs.add(o.repoPath);
  }
  return { stages, edges, problems, inputs: [...inputs].sort() };
}
