import type { Repo } from '../repo/repo';
import { TrackedOutput, WORKSPACE } from './collect';
import { recordedOutputs, resolveRevision } from './recordedOutputs';

/** One tracked output, as `cairn ls --json` reports it: the fields of `dvc list --json`, the path repo-relative. */
export interface ListEntry {
  isout: true;
  isdir: boolean;
  isexec: boolean;
  size: number | null;
  md5: string | null;
  path: string;
}

/**
 * The cached outputs a revision tracks (default: the workspace's records), of `.dvc` files and of
 * pipeline stages (dvc.lock), read from git without a checkout. A revision may be an experiment's name.
 * A file that cannot be read is set aside (`unreadableFiles`) and the others are listed.
 */
export async function listOutputs(repo: Repo, rev?: string): Promise<ListEntry[]> {
  const commit = rev === undefined || rev === WORKSPACE ? undefined : await resolveRevision(repo, rev);
  return (await recordedOutputs(repo, commit, { revName: rev })).filter((o) => o.cache).map((o) => ({
    isout: true,
    isdir: !!o.md5?.endsWith('.dir'),
    isexec: !!o.isexec,
    size: o.size ?? null,
    md5: o.md5 ?? null,
    path: o.rel,
  }));
}

/** An output of a `.dvc` file as the extension's views show it. */
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
