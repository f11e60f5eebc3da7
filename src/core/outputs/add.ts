import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { CairnError, throwIfAborted } from '../errors';
import { DvcFile, OutEntry } from './dvcFile';
import { hashOutputs, OutState } from './workspaceState';
import { addToGitignore } from '../scm/gitignore';
import { relinkWorkspace } from './relink';
import type { Progress } from '../progress';
import { shellQuote } from '../shellQuote';
import { dirManifestHash } from '../hashing/dirManifest';
import { collectDvcFiles, outputsOf, TrackedOutput } from './collect';
import { loadPipelines } from '../pipeline/load';
import { workspacePipelineFiles } from '../pipeline/stageCachedOutputs';
import { workspaceSource } from '../pipeline/workspaceSource';

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
    const { insideTracked, trackedBy } = await checkOverlaps(repo, targets, paths);
    const added: AddedOutput[] = [];
    const gitFiles: string[] = [];
    // Inside a folder a .dvc file tracks: that file is updated, as dvc 3 does.
    for (const [target, owner] of insideTracked) {
      added.push(await addInsideTrackedFolder(repo, target, owner, options));
      gitFiles.push(owner.dvcFile.relFile);
    }
    targets = targets.filter((t) => !insideTracked.has(t));
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
      // The .dvc file tracking this very path (whatever its name), else `<path>.dvc`.
      const owner = trackedBy.get(t);
      const dvcPath = owner?.dvcFile.file ?? `${t.abs}.dvc`;
      const dvcRel = repo.rel(dvcPath);
      const dvcFile = owner?.dvcFile ?? (fs.existsSync(dvcPath) ? DvcFile.load(dvcPath, dvcRel, repo.root) : DvcFile.create(dvcPath, dvcRel, path.basename(t.abs), repo.root));
      const outIndex = owner?.index ?? Math.max(0, dvcFile.outs.findIndex((o) => dvcFile.outPath(o) === t.abs));
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

const isInside = (inner: string, outer: string) => inner.startsWith(`${outer}/`);

/**
 * What dvc refuses before adding anything: a path git tracks, a path that is (or is inside,
 * or holds) an output of a stage, a folder holding an output of another `.dvc` file. Returns
 * the targets inside a folder a `.dvc` file tracks, and those a `.dvc` file tracks already,
 * each with that output.
 */
async function checkOverlaps(repo: Repo, targets: AddTarget[], typed: string[]): Promise<{ insideTracked: Map<AddTarget, TrackedOutput>; trackedBy: Map<AddTarget, TrackedOutput> }> {
  const inGit = repo.scm ? await repo.scm.tracked(targets.map((t) => t.abs)) : new Set<string>();
  const gitTracked = targets.findIndex((t) => inGit.has(t.abs));
  if (gitTracked >= 0) {
    const p = typed[gitTracked];
    throw new CairnError('TRACKED_BY_GIT', `output '${p}' is already tracked by git`, {
      hint: `Stop tracking it in git first (\`git rm -r --cached ${shellQuote(p)}\` and commit), then add it.`,
      paths: [targets[gitTracked].rel],
    });
  }
  // A broken dvc.yaml hides only its own stages (one inside a folder being added is data).
  const pipelines = await loadPipelines(workspaceSource(repo.root, repo.ignore), { files: await workspacePipelineFiles(repo), strict: false });
  const tracked = outputsOf(repo, await collectDvcFiles(repo));
  const insideTracked = new Map<AddTarget, TrackedOutput>();
  const trackedBy = new Map<AddTarget, TrackedOutput>();
  targets.forEach((t, i) => {
    for (const stage of pipelines.stages) {
      for (const o of stage.outs) {
        const where = { file: stage.file, line: o.range?.start.line, paths: [t.rel] };
        if (o.repoPath === t.rel || isInside(t.rel, o.repoPath)) {
          throw new CairnError('OUTPUT_CONFLICT', `cannot add '${typed[i]}': it ${o.repoPath === t.rel ? 'is an output' : `is inside output '${o.repoPath}'`} of stage '${stage.addr}'`, {
            ...where,
            hint: 'A stage records its outputs in dvc.lock: run the pipeline (`cairn repro`), or record them with `cairn commit`.',
          });
        }
        if (isInside(o.repoPath, t.rel)) {
          throw new CairnError('OUTPUT_CONFLICT', `cannot add '${typed[i]}': output '${o.repoPath}' of stage '${stage.addr}' is inside it`, {
            ...where,
            hint: 'Outputs may not overlap: track the folder or that output, not both.',
          });
        }
      }
    }
    for (const o of tracked) {
      if (isInside(o.rel, t.rel)) {
        throw new CairnError('OUTPUT_CONFLICT', `cannot add '${typed[i]}': '${o.rel}' inside it is tracked by '${o.dvcFile.relFile}'`, {
          paths: [t.rel],
          hint: `To track it as part of '${typed[i]}', run \`cairn remove ${shellQuote(o.dvcFile.relFile)}\` first.`,
        });
      }
      if (isInside(t.rel, o.rel)) insideTracked.set(t, o);
      if (o.rel === t.rel) trackedBy.set(t, o);
    }
  });
  return { insideTracked, trackedBy };
}

/**
 * `add data/train.csv` where `data.dvc` tracks `data/`: the file (or folder) goes into the
 * cache and into the folder's `.dir` manifest, whose other entries stay as recorded (changes
 * elsewhere in the folder are not taken: dvc 3's partial update). Like dvc, the entry loses its
 * `size` (the manifest does not hold the sizes of the files left as they were).
 */
async function addInsideTrackedFolder(repo: Repo, target: AddTarget, owner: TrackedOutput, options: AddOptions): Promise<AddedOutput> {
  const { dvcFile, out } = owner;
  const hint = `Add the whole folder instead: \`cairn add ${shellQuote(owner.rel)}\`.`;
  if (!out.md5?.endsWith('.dir') || out.hashName !== 'md5') {
    throw new CairnError('USAGE', `cannot add '${target.rel}' into '${owner.rel}': ${out.md5 ? 'its entry is a DVC 2 one' : 'it has no recorded contents'}`, { file: dvcFile.relFile, line: out.line, hint });
  }
  const recorded = repo.store.readDir(out.md5, 'md5');
  if (!recorded) throw new CairnError('NOT_IN_CACHE', `cannot add '${target.rel}' into '${owner.rel}': its manifest ${out.md5} is not in the cache`, { file: dvcFile.relFile, line: out.line, hint });
  const [state] = await hashOutputs(repo, [target], { store: true, signal: options.signal, onProgress: options.onProgress });
  throwIfAborted(options.signal);
  const sub = target.rel.slice(owner.rel.length + 1);
  const kept = recorded.filter((e) => e.relpath !== sub && !isInside(e.relpath, sub));
  const fresh = state.isDir ? state.files.map((f) => ({ md5: f.md5, relpath: `${sub}/${f.relpath}` })) : [{ md5: state.md5!, relpath: sub }];
  const manifest = dirManifestHash([...kept, ...fresh]);
  repo.store.writeDir(manifest.md5, manifest.bytes);
  await relinkWorkspace(repo, state, options.signal);
  dvcFile.setHashes(owner.index, { md5: manifest.md5, nfiles: kept.length + fresh.length });
  await dvcFile.save();
  return { path: target.rel, dvcFile: dvcFile.relFile, md5: state.md5!, size: state.size! };
}

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
