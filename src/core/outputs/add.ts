import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { CairnError, throwIfAborted } from '../errors';
import { DvcFile, OutEntry } from './dvcFile';
import { hashOutputs, OutState } from './workspaceState';
import { addToGitignore } from '../scm/gitignore';
import { relinkWorkspace } from './relink';
import type { Progress } from '../progress';

export interface AddOptions {
  cwd: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface AddedOutput {
  path: string; // repo-relative
  dvcFile: string; // repo-relative
  md5: string;
  size: number;
  nfiles?: number;
}

export interface AddResult {
  added: AddedOutput[];
  /** Files git should record (.dvc files and .gitignores), repo-relative. */
  gitFiles: string[];
  /** True when they were staged (`core.autostage`). */
  staged: boolean;
}

/**
 * `dvc add`: put files and directories into the cache and write a `.dvc` file for each,
 * byte for byte as DVC 3 does, then ignore the data in git.
 */
export async function add(repo: Repo, paths: string[], options: AddOptions): Promise<AddResult> {
  if (paths.length === 0) throw new CairnError('USAGE', 'nothing to add.', { hint: 'Name files or folders: `cairn add data/`.' });
  let targets = paths.map((p) => {
    const abs = repo.resolveOutput(p, options.cwd).replace(/[\\/]+$/, '');
    if (!fs.existsSync(abs)) {
      throw new CairnError('MISSING_PATH', `'${p}' does not exist.`, { hint: 'Check the path and try again.' });
    }
    const rel = repo.rel(abs);
    if (rel.endsWith('.dvc')) throw new CairnError('USAGE', `'${p}' is a .dvc file; add the data it describes instead.`);
    if (repo.ignore.isIgnored(rel, fs.statSync(abs).isDirectory())) {
      throw new CairnError('USAGE', `'${p}' is ignored by .dvcignore.`, { hint: 'Remove the matching rule from .dvcignore to track it.' });
    }
    return { abs, rel, hashName: 'md5' as const };
  });

  return repo.withLock(async () => {
    const added: AddedOutput[] = [];
    const gitFiles: string[] = [];
    // Like dvc, an unchanged DVC 2 entry is left as it is (not rewritten as DVC 3).
    const unchangedLegacy = await unchangedLegacyEntries(repo, targets, options.signal);
    for (const { target, dvcRel, out } of unchangedLegacy) {
      added.push({ path: target.rel, dvcFile: dvcRel, md5: out.md5!, size: out.size!, nfiles: out.nfiles });
      gitFiles.push(dvcRel);
    }
    targets = targets.filter((t) => !unchangedLegacy.some((u) => u.target === t));
    const states = await hashOutputs(repo, targets, { store: true, signal: options.signal, onProgress: options.onProgress });
    throwIfAborted(options.signal);
    const ignoredByGit = repo.scm ? await repo.scm.ignored(targets.map((t) => t.abs)) : new Set<string>();
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      const state = states[i];
      storeManifest(repo, state);
      const dvcPath = `${t.abs}.dvc`;
      const dvcRel = repo.rel(dvcPath);
      const dvcFile = fs.existsSync(dvcPath)
        ? DvcFile.load(dvcPath, dvcRel, repo.root)
        : DvcFile.create(dvcPath, dvcRel, path.basename(t.abs), repo.root);
      const outIndex = Math.max(0, dvcFile.outs.findIndex((o) => dvcFile.outPath(o) === t.abs));
      dvcFile.setHashes(outIndex, { md5: state.md5!, size: state.size!, nfiles: state.nfiles, isexec: state.isexec });
      await relinkWorkspace(repo, state, options.signal);
      await dvcFile.save();
      added.push({ path: t.rel, dvcFile: dvcRel, md5: state.md5!, size: state.size!, nfiles: state.nfiles });
      gitFiles.push(dvcRel);
      if (repo.scm && !ignoredByGit.has(t.abs)) gitFiles.push(repo.rel(await addToGitignore(t.abs)));
    }
    const unique = [...new Set(gitFiles)];
    const staged = !!repo.scm && repo.autostage;
    if (staged) await repo.scm!.add(unique.map((f) => path.join(repo.root, f)));
    return { added, gitFiles: unique, staged };
  });
}

type AddTarget = { abs: string; rel: string; hashName: 'md5' };

/** Targets whose existing `.dvc` entry is DVC 2's (md5-dos2unix) and still matches the data. */
async function unchangedLegacyEntries(repo: Repo, targets: AddTarget[], signal?: AbortSignal): Promise<{ target: AddTarget; dvcRel: string; out: OutEntry }[]> {
  const legacy = targets.flatMap((target) => {
    const dvcPath = `${target.abs}.dvc`;
    if (!fs.existsSync(dvcPath)) return [];
    const dvcRel = repo.rel(dvcPath);
    const dvcFile = DvcFile.load(dvcPath, dvcRel, repo.root);
    const out = dvcFile.outs.find((o) => o.hashName === 'md5-dos2unix' && o.md5 && dvcFile.outPath(o) === target.abs);
    return out ? [{ target, dvcRel, out }] : [];
  });
  if (legacy.length === 0) return [];
  const states = await hashOutputs(repo, legacy.map(({ target, out }) => ({ abs: target.abs, rel: target.rel, hashName: out.hashName, recorded: out.md5 })), { signal });
  return legacy.filter(({ out }, i) => states[i].md5 === out.md5);
}

/** Write a directory's `.dir` manifest into the cache (its files are already there). */
export function storeManifest(repo: Repo, state: OutState): void {
  if (state.isDir && state.md5 && state.manifestBytes !== undefined) repo.store.writeDir(state.md5, state.manifestBytes);
}
