import type { Repo } from '../repo/repo';
import { dvcFilesAt, outputsOf, TrackedOutput, WORKSPACE } from './collect';

/** One tracked output, as `cairn ls --json` reports it. */
export interface ListedOutput {
  path: string; // repo-relative
  dvcFile: string;
  isdir: boolean;
  md5: string | null;
  size: number | null;
  nfiles: number | null;
  type: string | null;
  desc: string | null;
}

/** The outputs tracked at a revision (default: the workspace), read from git without a checkout. */
export async function listOutputs(repo: Repo, rev: string = WORKSPACE): Promise<ListedOutput[]> {
  return outputsOf(repo, await dvcFilesAt(repo, rev)).map(describeOutput);
}

/** An output as plain data (for JSON and for the extension's views). */
export function describeOutput(o: TrackedOutput): ListedOutput {
  return {
    path: o.rel,
    dvcFile: o.dvcFile.relFile,
    isdir: !!o.out.md5?.endsWith('.dir'),
    md5: o.out.md5 ?? null,
    size: o.out.size ?? null,
    nfiles: o.out.nfiles ?? null,
    type: o.out.type ?? null,
    desc: o.out.desc ?? null,
  };
}
