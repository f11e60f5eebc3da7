import * as path from 'node:path';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { commit } from '../outputs/commit';
import { loadWorkspacePipelines, recordStage } from '../pipeline/repro';
import { StageGraph } from '../pipeline/graph';
import { stageStates } from '../pipeline/stageStatus';
import { LockFile } from '../pipeline/lockFile';
import { commitExperiment } from './commitExperiment';
import { experimentHash, experimentName, recordEnvironment, topLevelFiles } from './run';
import { startEnvironmentCapture } from './environment';

export interface ExpSaveOptions {
  cwd: string;
  name?: string;
  message?: string;
  /** Replace an experiment of the same name. */
  force?: boolean;
  /** Untracked files or folders to include (dvc's `-I`); the top-level metrics, params and plots files are always included. */
  includeUntracked?: string[];
  warn?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ExpSaveResult {
  name: string;
  rev: string;
  ref: string;
  baseline: string;
}

/**
 * `exp save`: the workspace as it is, recorded as an experiment of HEAD without running anything
 * (what DVCLive's `save_dvc_exp` calls). As dvc: changed outputs of `.dvc` files and stages are
 * committed to the cache and dvc.lock first (`dvc commit -f`), then the tracked files, the
 * top-level metrics/params/plots files and `includeUntracked` make the experiment commit. The
 * workspace, index and HEAD stay as they are.
 */
export async function expSave(repo: Repo, options: ExpSaveOptions): Promise<ExpSaveResult> {
  const scm = repo.scm;
  if (!scm) throw new CairnError('USAGE', 'experiments need git: this DVC repository is not in a git repository.', { hint: 'Run `git init` and commit first.' });
  const baseline = await scm.revParse('HEAD').catch(() => '');
  if (!baseline) throw new CairnError('USAGE', 'cannot save an experiment without a git commit to start from.', { hint: 'Commit your project first (git add -A && git commit).' });
  const name = await experimentName(scm.root, baseline, options);
  const include = (options.includeUntracked ?? []).map((p) => repo.rel(repo.resolveInside(p, options.cwd)));
  const environment = startEnvironmentCapture(repo.root, { onWarning: options.warn });
  const saved = await repo.withLock(async () => {
    await commit(repo, [], { cwd: repo.root, force: true, signal: options.signal });
    const { pipelines, tracked } = await loadWorkspacePipelines(repo);
    const stages = StageGraph.build(pipelines.stages, tracked).order(pipelines.stages);
    const states = await stageStates(repo, stages, { cwd: repo.root, signal: options.signal });
    const gitFiles = new Set<string>();
    const recorded = stages.filter((s, i) => states[i].changed && !s.frozen);
    for (const stage of recorded) await recordStage(repo, stage, gitFiles, { signal: options.signal });
    const lockFiles = pipelines.files.map((f) => LockFile.lockPathFor(f.path));
    const fromGit = (p: string) => path.relative(scm.root, path.join(repo.root, ...p.split('/'))).split(path.sep).join('/');
    const paths = [...include, ...topLevelFiles(pipelines.files), ...lockFiles, ...gitFiles].map(fromGit);
    const committed = await commitExperiment({
      gitRoot: scm.root,
      workTree: scm.root,
      start: 'index',
      paths,
      baseline,
      name,
      message: options.message ?? `dvc: commit experiment ${await experimentHash(repo, recorded)}`,
      force: !!options.force,
    });
    return { name, rev: committed.sha, ref: committed.ref, baseline };
  });
  await recordEnvironment(repo.root, saved.rev, environment, options.warn);
  return saved;
}
