import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { inPipelineOrder, loadPipelines, PIPELINE_FILE, PipelineSource } from './load';
import type { Artifact, Stage, StageOut } from './stage';
import { LockEntry, LockFile } from './lockFile';
import { workspaceSource } from './workspaceSource';
import { gitRevisionSource } from './gitSource';
import { listWorkspaceFiles } from '../outputs/collect';
import { parseOutputTarget, targetNamesOutput } from '../outputs/outputTarget';
import { setAsideUnreadable } from '../outputs/unreadableFiles';
import { CairnError } from '../errors';

/** A cached output of a pipeline stage, with what dvc.lock records for it (if anything). */
export interface StageOutputRecord {
  stage: Stage;
  out: StageOut;
  /** The dvc.lock entry; undefined when the stage has not run. */
  entry?: LockEntry;
  /** Repo-relative dvc.lock path. */
  lockFile: string;
  abs: string;
  /** Repo-relative, '/'-separated. */
  rel: string;
  /** md5 for DVC 3 lock entries (`hash: md5`) and outputs never recorded, md5-dos2unix for DVC 2 ones. */
  hashName: HashName;
  /** The `artifacts:` entry naming this path, if any. */
  artifact?: Artifact;
}

/** A cached output of a pipeline stage that dvc.lock records a hash for. */
export type StageCachedOutput = StageOutputRecord & { entry: LockEntry & { md5: string } };

export const lockHashName = (e: { hash?: string }): HashName => (e.hash === 'md5' ? 'md5' : 'md5-dos2unix');

/** The workspace's dvc.yaml files, in pipeline order (big tracked folders never walked: see listWorkspaceFiles). */
export async function workspacePipelineFiles(repo: Repo): Promise<string[]> {
  return inPipelineOrder(await listWorkspaceFiles(repo, [PIPELINE_FILE]));
}

/**
 * Every cached output of every stage, paired with its dvc.lock entry: of the workspace
 * (`commit` undefined) or of a git commit (read from git, nothing checked out). Each dvc.lock
 * is read once. With `strict: false` a broken dvc.yaml hides only its own stages and an
 * unreadable dvc.lock counts as empty (each error given to `setAside`); otherwise they are errors.
 */
export async function stageOutputRecords(repo: Repo, commit?: string, options: { strict?: boolean; setAside?: (err: CairnError) => void } = {}): Promise<StageOutputRecord[]> {
  const strict = options.strict ?? true;
  let source: PipelineSource;
  let files: string[] | undefined;
  if (commit === undefined) {
    source = workspaceSource(repo.root, repo.ignore);
    files = await workspacePipelineFiles(repo);
  } else {
    if (!repo.scm) return [];
    const prefix = path.relative(repo.scm.root, repo.root).split(path.sep).join('/');
    source = await gitRevisionSource(repo.scm, commit, prefix, repo.ignore);
  }
  const pipelines = await loadPipelines(source, { files, strict });
  for (const err of pipelines.errors) options.setAside?.(err);
  const artifacts = pipelines.files.flatMap((f) => f.artifacts);
  const locks = new Map<string, Promise<LockFile | undefined>>();
  const lockOf = (pipelineFile: string) => {
    const rel = LockFile.lockPathFor(pipelineFile);
    if (!locks.has(rel)) {
      const parsed = source.read(rel).then((text) => LockFile.parse(text, rel));
      const unreadable = (err: unknown) => {
        if (!(err instanceof CairnError)) throw err;
        options.setAside?.(err);
        return undefined;
      };
      locks.set(rel, strict ? parsed : parsed.catch(unreadable));
    }
    return locks.get(rel)!;
  };
  const found: StageOutputRecord[] = [];
  for (const stage of pipelines.stages) {
    if (!stage.outs.some((o) => o.cache)) continue;
    const lockFile = await lockOf(stage.file);
    const lock = lockFile?.stage(stage.name);
    for (const out of stage.outs) {
      if (!out.cache) continue;
      const entry = lock?.outs.find((o) => o.path === out.path);
      found.push({
        stage,
        out,
        entry,
        lockFile: LockFile.lockPathFor(stage.file),
        abs: path.join(repo.root, ...out.repoPath.split('/')),
        rel: out.repoPath,
        hashName: entry?.md5 ? lockHashName(entry) : 'md5',
        artifact: artifacts.find((a) => a.repoPath === out.repoPath),
      });
    }
  }
  return found;
}

/**
 * The stage outputs dvc.lock records a hash for (what push, fetch, gc and checkout work on). A
 * dvc.yaml or dvc.lock that cannot be read is set aside (`unreadableFiles`): the others' outputs are still used.
 */
export async function stageCachedOutputs(repo: Repo, commit?: string): Promise<StageCachedOutput[]> {
  const records = await stageOutputRecords(repo, commit, { strict: false, setAside: (err) => setAsideUnreadable(repo, err) });
  return records.filter((r): r is StageCachedOutput => !!r.entry?.md5);
}

/** Whether a user's target names a stage output: its path or a folder above it, its dvc.yaml, or its stage. */
export function targetNamesStageOutput(repo: Repo, o: StageOutputRecord, target: string, cwd: string): boolean {
  return targetNamesOutput({ abs: o.abs, file: path.join(repo.root, ...o.stage.file.split('/')), stageName: o.stage.name }, parseOutputTarget(repo, target, cwd));
}
