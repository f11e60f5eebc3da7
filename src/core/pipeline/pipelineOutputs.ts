import type { Repo } from '../repo/repo';
import type { Stage, StageOut, Artifact } from './stage';
import type { LockEntry } from './lockFile';
import { stageOutputRecords } from './stageCachedOutputs';
import { hashOutputs } from '../outputs/workspaceState';
import { filesChanged, ChangedFile, OutStatus } from '../outputs/status';

/** A cached output of a pipeline stage, against what dvc.lock records for it. */
export interface PipelineOutputStatus {
  stage: Stage;
  out: StageOut;
  /** What dvc.lock records; undefined when the stage has not run. */
  recorded: LockEntry | undefined;
  status: OutStatus | undefined; // undefined: in sync
  changedFiles?: ChangedFile[];
  /** The `artifacts:` entry naming this path, if any. */
  artifact?: Artifact;
}

/** Every cached output of every stage, with its status against dvc.lock (as `.dvc` outputs have against their file). */
export async function pipelineOutputStatuses(repo: Repo, options: { signal?: AbortSignal } = {}): Promise<PipelineOutputStatus[]> {
  // A broken dvc.yaml (its errors are the Pipelines view's and the linter's to report) hides only its own stages.
  const records = await stageOutputRecords(repo, undefined, { strict: false });
  const states = await hashOutputs(
    repo,
    records.map((r) => ({ abs: r.abs, rel: r.rel, hashName: r.hashName, recorded: r.entry?.md5 })),
    { signal: options.signal },
  );
  return records.map((r, i) => {
    const state = states[i];
    const md5 = r.entry?.md5;
    let status: OutStatus | undefined;
    if (md5 && !repo.store.hasAll(md5, r.hashName, repo.statIndex)) status = 'not in cache';
    else if (!state.exists) status = 'deleted';
    else if (!md5) status = 'new';
    else if (state.md5 !== md5) status = 'modified';
    const changedFiles = status === 'modified' && state.isDir ? filesChanged(repo.store.readDir(md5!, r.hashName) ?? [], state.files) : undefined;
    return { stage: r.stage, out: r.out, recorded: r.entry, artifact: r.artifact, status, changedFiles };
  });
}
