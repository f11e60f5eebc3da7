import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { CairnError } from '../errors';
import { DvcFile } from './dvcFile';
import { removeFromGitignore } from '../scm/gitignore';
import { loadPipelines } from '../pipeline/load';
import { workspacePipelineFiles } from '../pipeline/stageCachedOutputs';
import { workspaceSource } from '../pipeline/workspaceSource';

export interface RemoveResult {
  removed: string[]; // .dvc files
  gitignores: string[];
  /** Outputs deleted from the workspace (only with `outs`). */
  deletedOutputs: string[];
}

/**
 * `dvc remove`: stop tracking. The `.dvc` file and its .gitignore entries go (not an entry
 * for a path a stage caches too: dvc drops it, and git would then show the stage's output);
 * the data stays in the workspace (and in the cache) unless `outs` is set.
 */
export async function remove(repo: Repo, targets: string[], options: { cwd: string; outs?: boolean }): Promise<RemoveResult> {
  if (targets.length === 0) throw new CairnError('USAGE', 'nothing to remove.', { hint: 'Name .dvc files: `cairn remove data.dvc`.' });
  return repo.withLock(async () => {
    const result: RemoveResult = { removed: [], gitignores: [], deletedOutputs: [] };
    // A path a stage also writes into the cache stays ignored (a broken dvc.yaml hides only its own stages).
    const pipelines = await loadPipelines(workspaceSource(repo.root, repo.ignore), { files: await workspacePipelineFiles(repo), strict: false });
    const stageCached = new Set(pipelines.stages.flatMap((s) => s.outs.filter((o) => o.cache).map((o) => o.repoPath)));
    for (const target of targets) {
      const abs = repo.resolveInside(target, options.cwd);
      const file = abs.endsWith('.dvc') ? abs : `${abs}.dvc`;
      if (!fs.existsSync(file)) {
        throw new CairnError('NOT_TRACKED', `'${target}' is not a .dvc file.`, { hint: 'Name the .dvc file, e.g. `cairn remove data.dvc`.' });
      }
      const dvcFile = DvcFile.load(file, repo.rel(file), repo.root);
      for (const out of dvcFile.outs) {
        const outAbs = dvcFile.outPath(out);
        repo.assertWritable(outAbs);
        const gitignore = stageCached.has(repo.rel(outAbs)) ? undefined : await removeFromGitignore(outAbs);
        if (gitignore) result.gitignores.push(repo.rel(gitignore));
        if (options.outs && fs.existsSync(outAbs)) {
          await fs.promises.rm(outAbs, { recursive: true, force: true });
          result.deletedOutputs.push(repo.rel(outAbs));
        }
      }
      await fs.promises.rm(file);
      result.removed.push(repo.rel(file));
    }
    return result;
  });
}

/** `dvc unprotect`: turn links into the cache into writable copies, so the data can be edited in place. */
export async function unprotect(repo: Repo, targets: string[], options: { cwd: string }): Promise<string[]> {
  if (targets.length === 0) throw new CairnError('USAGE', 'nothing to unprotect.', { hint: 'Name tracked files or folders.' });
  const done: string[] = [];
  for (const target of targets) {
    const abs = repo.resolveInside(target, options.cwd);
    if (!fs.existsSync(abs)) throw new CairnError('MISSING_PATH', `'${target}' does not exist.`);
    const files = fs.statSync(abs).isDirectory() ? listFiles(abs) : [abs];
    for (const f of files) await unprotectFile(f);
    done.push(repo.rel(abs));
  }
  return done;
}

async function unprotectFile(file: string): Promise<void> {
  const lst = await fs.promises.lstat(file);
  if (!lst.isSymbolicLink() && lst.nlink <= 1 && (lst.mode & 0o200) !== 0) return;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.unprotect`);
  await fs.promises.copyFile(file, tmp);
  await fs.promises.chmod(tmp, (lst.isSymbolicLink() ? (await fs.promises.stat(file)).mode : lst.mode) & 0o111 ? 0o755 : 0o644);
  await fs.promises.rename(tmp, file);
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const child = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(child) : [child];
  });
}
