import type { Repo } from '../repo/repo';
import type { Progress } from '../progress';
import { StageGraph } from './graph';
import { loadWorkspacePipelines } from './repro';
import { selectStages } from './selectStages';
import { stageStates, stageStatusReport, StageStatusItem } from './stageStatus';
import type { Stage } from './stage';

export interface PipelineStatusResult {
  /** DVC's `status --json` entries for stages. */
  report: Record<string, StageStatusItem[]>;
  /** How many stages were checked. */
  checked: number;
  /** Targets that named no stage (left for `.dvc` file status). */
  otherTargets: string[];
}

/**
 * Stage status as `dvc status` gives it: with targets, the named stages and what they depend
 * on; without, every stage. Targets naming no stage are returned for the `.dvc` file status.
 */
export async function pipelineStatus(repo: Repo, targets: string[], options: { cwd: string; signal?: AbortSignal; onProgress?: (p: Progress) => void }): Promise<PipelineStatusResult> {
  const { pipelines, tracked } = await loadWorkspacePipelines(repo);
  if (pipelines.stages.length === 0) return { report: {}, checked: 0, otherTargets: targets };
  const graph = StageGraph.build(pipelines.stages, tracked);
  let stages: Stage[] = graph.order();
  const otherTargets: string[] = [];
  if (targets.length) {
    const roots: Stage[] = [];
    for (const t of targets) {
      try {
        roots.push(...selectStages(repo, pipelines.stages, [t], options.cwd));
      } catch {
        otherTargets.push(t);
      }
    }
    stages = roots.length ? graph.order(roots) : [];
  }
  const states = await stageStates(repo, stages, options);
  return { report: stageStatusReport(states, repo, options.cwd), checked: stages.length, otherTargets };
}
