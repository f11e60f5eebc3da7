import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { loadPipelines, PIPELINE_FILE } from './load';
import { workspaceSource } from './workspaceSource';
import { lockFor } from './stageStatus';
import type { Stage, StageOut, Artifact } from './stage';
import type { LockEntry } from './lockFile';
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

/**
 * The dvc.yaml files of the workspace: git's list (tracked or not ignored) when there is git,
 * so tracked data folders are never walked; the walk of the whole workspace otherwise.
 */
export async function pipelineFiles(repo: Repo): Promise<string[] | undefined> {
  if (!repo.scm) return undefined;
  const prefix = path.relative(repo.scm.root, repo.root).split(path.sep).join('/');
  const listed = await repo.scm.listWorktreeFiles(prefix ? [`${prefix}/${PIPELINE_FILE}`, `${prefix}/*/${PIPELINE_FILE}`] : [PIPELINE_FILE, `*/${PIPELINE_FILE}`]);
  return listed
    .map((p) => (prefix ? p.slice(prefix.length + 1) : p))
    .filter((rel) => fs.existsSync(path.join(repo.root, rel)) && !repo.ignore.isIgnored(rel, false))
    .sort();
}

/** Every cached output of every stage, with its status against dvc.lock (as `.dvc` outputs have against their file). */
export async function pipelineOutputStatuses(repo: Repo, options: { signal?: AbortSignal } = {}): Promise<PipelineOutputStatus[]> {
  // A broken dvc.yaml (its errors are the Pipelines view's and the linter's to report) hides only its own stages.
  const pipelines = await loadPipelines(workspaceSource(repo.root, repo.ignore), { files: await pipelineFiles(repo), strict: false });
  const artifacts = pipelines.files.flatMap((f) => f.artifacts);
  const outputs: Omit<PipelineOutputStatus, 'status'>[] = [];
  const fresh = new Set<string>(); // each dvc.lock read once, now
  for (const stage of pipelines.stages) {
    const first = !fresh.has(stage.file);
    fresh.add(stage.file);
    const lock = await lockFor(repo, stage.file, first).then(
      (l) => l.stage(stage.name),
      () => undefined, // an unreadable dvc.lock: its stages show as not run
    );
    for (const out of stage.outs) {
      if (!out.cache) continue;
      const recorded = lock?.outs.find((o) => o.path === out.path);
      outputs.push({ stage, out, recorded, artifact: artifacts.find((a) => a.repoPath === out.repoPath) });
    }
  }
  const hashNameOf = (r: LockEntry | undefined) => (r?.md5 && r.hash !== 'md5' ? 'md5-dos2unix' : 'md5') as 'md5' | 'md5-dos2unix';
  const states = await hashOutputs(
    repo,
    outputs.map((o) => ({ abs: path.join(repo.root, ...o.out.repoPath.split('/')), rel: o.out.repoPath, hashName: hashNameOf(o.recorded), recorded: o.recorded?.md5 })),
    { signal: options.signal },
  );
  return outputs.map((o, i) => {
    const state = states[i];
    const md5 = o.recorded?.md5;
    let status: OutStatus | undefined;
    if (md5 && !repo.store.hasAll(md5, hashNameOf(o.recorded), repo.statIndex)) status = 'not in cache';
    else if (!state.exists) status = 'deleted';
    else if (!md5) status = 'new';
    else if (state.md5 !== md5) status = 'modified';
    const changedFiles = status === 'modified' && state.isDir ? filesChanged(repo.store.readDir(md5!, hashNameOf(o.recorded)) ?? [], state.files) : undefined;
    return { ...o, status, changedFiles };
  });
}
