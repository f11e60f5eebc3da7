import * as path from 'node:path';
import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { outputsOf, WORKSPACE } from '../outputs/collect';
import { revisionDvcFiles } from '../outputs/revisionDvcFiles';
import { setAsideUnreadable } from '../outputs/unreadableFiles';
import { stageCachedOutputs } from '../pipeline/stageCachedOutputs';
import { OutputTarget, parseOutputTarget, targetNamesOutput } from '../outputs/outputTarget';
import { RevisionReader } from '../metrics/revisions';

/** Which outputs, at which revisions, a push/fetch/status/gc works on. */
export interface UsedOptions {
  targets?: string[];
  cwd: string;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** These revisions too (commits, branches, tags), as dvc's `revs` (exp push/pull: the experiments' commits). */
  revs?: string[];
  /** Leave out the workspace (gc -T / -a without -w still keeps it; DVC always includes it). */
  workspace?: boolean;
  /** `-r`: outputs whose `remote:` names another remote are left out, as DVC does. */
  remote?: string;
  /** Leave out outputs with `push: false`. */
  forPush?: boolean;
}

/** One cached output at one revision. */
export interface UsedOutput {
  /** Revision names (','-joined when several name one commit) or 'workspace'. */
  rev: string;
  /** Repo-relative path of the output. */
  rel: string;
  md5: string;
  hashName: HashName;
  size?: number;
  /** A directory's number of files, as recorded. */
  nfiles?: number;
  /** The output's own `remote:`, if any. */
  remote?: string;
  /** For a target inside a tracked directory: only entries under this relpath prefix. */
  within?: string;
}

/**
 * The cached outputs of the workspace and of the revisions asked for, each with its hash.
 * Outputs come from `.dvc` files and from the stages of dvc.yaml files (hashes from dvc.lock).
 * A target may be a `.dvc` file, a dvc.yaml, a stage, an output, a folder holding outputs, or a
 * path inside a tracked directory (then only that part of it is used).
 */
export async function usedOutputs(repo: Repo, options: UsedOptions): Promise<UsedOutput[]> {
  const reader = new RevisionReader(repo.root, repo.scm?.root, repo.ignore);
  try {
    return await usedAtRevisions(repo, reader, options);
  } finally {
    reader.close();
  }
}

async function usedAtRevisions(repo: Repo, reader: RevisionReader, options: UsedOptions): Promise<UsedOutput[]> {
  const revs = repo.scm || options.allBranches || options.allTags || options.allCommits
    ? await reader.select({ revs: options.revs, allBranches: options.allBranches, allTags: options.allTags, allCommits: options.allCommits, workspace: options.workspace !== false })
    : [{ name: WORKSPACE }];
  const targets = (options.targets ?? []).map((t) => parseOutputTarget(repo, t, options.cwd));
  const found = new Set<number>();
  const used: UsedOutput[] = [];
  const seen = new Set<string>();
  for (const rev of revs) {
    // Asked for at once, so their reads of git run side by side.
    const setAside = (err: CairnError) => setAsideUnreadable(repo, err);
    const [dvcFiles, stageOutputs] = await Promise.all([revisionDvcFiles(reader.source(rev), { setAside }), stageCachedOutputs(repo, rev.commit)]);
    const candidates: Candidate[] = [
      ...outputsOf(repo, dvcFiles).map((o) => ({
        abs: o.abs, rel: o.rel, md5: o.out.md5, hashName: o.out.hashName, size: o.out.size, nfiles: o.out.nfiles, remote: o.out.remote,
        cache: o.out.cache, push: o.out.push, file: o.dvcFile.file,
      })),
      ...stageOutputs.map((o) => ({
        abs: o.abs, rel: o.rel, md5: o.entry.md5, hashName: o.hashName, size: o.entry.size, nfiles: o.entry.nfiles, remote: o.out.remote,
        cache: true, push: o.out.push, file: path.join(repo.root, ...o.stage.file.split('/')), stageName: o.stage.name,
      })),
    ];
    for (const o of candidates) {
      if (!o.cache || !o.md5) continue;
      if (options.forPush && !o.push) continue;
      if (options.remote && o.remote && o.remote !== options.remote) continue;
      let within: string | undefined;
      if (targets.length) {
        const match = matchTarget(o, targets);
        if (!match) continue;
        found.add(match.index);
        within = match.within;
      }
      const key = `${rev.name}\0${o.rel}\0${o.md5}\0${within ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      used.push({ rev: rev.name, rel: o.rel, md5: o.md5, hashName: o.hashName, size: o.size, nfiles: o.nfiles, remote: o.remote, within });
    }
  }
  const unknown = targets.filter((_, i) => !found.has(i));
  if (unknown.length) {
    const shown = unknown[0].raw;
    throw new CairnError('NOT_TRACKED', `'${shown}' is not tracked by any .dvc file or pipeline stage.`, { hint: 'Check the path; `cairn ls` lists what is tracked.' });
  }
  return used;
}

/** An output of a .dvc file or of a stage (`file` is the .dvc file or the dvc.yaml, absolute). */
interface Candidate {
  abs: string;
  rel: string;
  md5?: string;
  hashName: HashName;
  size?: number;
  nfiles?: number;
  remote?: string;
  cache: boolean;
  push: boolean;
  file: string;
  stageName?: string;
}

/**
 * A target names an output (see targetNamesOutput), or a path inside a tracked directory: then
 * only that part of it is used.
 */
function matchTarget(o: Candidate, targets: OutputTarget[]): { index: number; within?: string } | undefined {
  for (let i = 0; i < targets.length; i++) {
    if (targetNamesOutput(o, targets[i])) return { index: i };
    const t = targets[i].abs;
    if (!targets[i].stage && o.md5?.endsWith('.dir') && t.startsWith(o.abs + path.sep)) {
      return { index: i, within: path.relative(o.abs, t).split(path.sep).join('/') };
    }
  }
  return undefined;
}

/** The remote an output's objects go to: its own `remote:`, else the one asked for (undefined: the default). */
export function remoteOfOutput(o: UsedOutput, asked: string | undefined): string | undefined {
  return o.remote ?? asked;
}
