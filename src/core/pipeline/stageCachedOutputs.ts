import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { loadPipelines } from './load';
import type { Stage, StageOut } from './stage';
import { LockEntry, LockFile } from './lockFile';
import { workspaceSource } from './workspaceSource';
import { gitRevisionSource } from './gitSource';
import { lockFor } from './stageStatus';
import { pipelineFiles } from './pipelineOutputs';

/** A cached output of a pipeline stage that dvc.lock records a hash for. */
export interface StageCachedOutput {
  stage: Stage;
  out: StageOut;
  /** The dvc.lock entry (has an md5). */
  entry: LockEntry & { md5: string };
  /** Repo-relative dvc.lock path. */
  lockFile: string;
  abs: string;
  /** Repo-relative, '/'-separated. */
  rel: string;
  /** md5 for DVC 3 lock entries (`hash: md5`), md5-dos2unix for DVC 2 ones. */
  hashName: HashName;
}

export const lockHashName = (e: { hash?: string }): HashName => (e.hash === 'md5' ? 'md5' : 'md5-dos2unix');

/**
 * The cached outputs of every stage with a hash in dvc.lock: of the workspace (`commit`
 * undefined), or of a git commit (read from git, nothing checked out).
 */
export async function stageCachedOutputs(repo: Repo, commit?: string): Promise<StageCachedOutput[]> {
  let stages: Stage[];
  let lockOf: (pipelineFile: string) => Promise<LockFile>;
  if (commit === undefined) {
    stages = (await loadPipelines(workspaceSource(repo.root, repo.ignore), { files: await pipelineFiles(repo) })).stages;
    lockOf = (f) => lockFor(repo, f, true);
  } else {
    if (!repo.scm) return [];
    const prefix = path.relative(repo.scm.root, repo.root).split(path.sep).join('/');
    const source = await gitRevisionSource(repo.scm, commit, prefix, repo.ignore);
    stages = (await loadPipelines(source)).stages;
    const locks = new Map<string, Promise<LockFile>>();
    lockOf = (f) => {
      const rel = LockFile.lockPathFor(f);
      let l = locks.get(rel);
      if (!l) locks.set(rel, (l = source.read(rel).then((text) => LockFile.parse(text, rel))));
      return l;
    };
  }
  const found: StageCachedOutput[] = [];
  for (const stage of stages) {
    if (!stage.outs.some((o) => o.cache)) continue;
    const lockFile = await lockOf(stage.file);
    const lock = lockFile.stage(stage.name);
    for (const out of stage.outs) {
      if (!out.cache) continue;
      const entry = lock?.outs.find((o) => o.path === out.path);
      if (!entry?.md5) continue;
      found.push({
        stage, out, entry: { ...entry, md5: entry.md5 }, lockFile: lockFile.relPath,
        abs: path.join(repo.root, ...out.repoPath.split('/')), rel: out.repoPath, hashName: lockHashName(entry),
      });
    }
  }
  return found;
}

/**
 * Whether a user's target names a stage output: its path or a folder above it, its dvc.yaml,
 * its stage as `path/dvc.yaml:name`, or a bare stage name of the dvc.yaml in `cwd`'s folder.
 */
export function targetNamesStageOutput(repo: Repo, o: StageCachedOutput, target: string, cwd: string): boolean {
  const pipelineAbs = path.join(repo.root, ...o.stage.file.split('/'));
  const m = /^(.*dvc\.yaml):([^/\\:]+)$/.exec(target);
  if (m) return repo.resolveInside(m[1], cwd) === pipelineAbs && m[2] === o.stage.name;
  const abs = repo.resolveInside(target, cwd);
  return o.abs === abs || o.abs.startsWith(abs + path.sep) || abs === pipelineAbs || abs === path.join(path.dirname(pipelineAbs), o.stage.name);
}
