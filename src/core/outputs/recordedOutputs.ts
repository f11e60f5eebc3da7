import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { CairnError } from '../errors';
import { outputsOf, WORKSPACE } from './collect';
import { revisionDvcFiles } from './revisionDvcFiles';
import { stageOutputRecords } from '../pipeline/stageCachedOutputs';
import { RevisionReader } from '../metrics/revisions';
import { setAsideUnreadable } from './unreadableFiles';

/**
 * An output a revision tracks: declared in a `.dvc` file (with its hash), or a cached output of a
 * pipeline stage (its hash from dvc.lock; none while the stage has not run). What DVC's data
 * index holds for a revision, which `diff` and `ls` read.
 */
export interface RecordedOutput {
  abs: string;
  /** Repo-relative, '/'-separated. */
  rel: string;
  /** Undefined for a stage output dvc.lock does not record yet. */
  md5?: string;
  hashName: HashName;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** False for `cache: false` outputs of `.dvc` files (stage outputs are only listed when cached). */
  cache: boolean;
  /** The `.dvc` file, or the dvc.lock of the stage (repo-relative). */
  recordedIn: string;
}

/**
 * The commit a user's revision names: anything `git rev-parse` knows, or a DVC experiment's name.
 * An unknown name is an error.
 */
export async function resolveRevision(repo: Repo, rev: string): Promise<string> {
  if (!repo.scm) throw new CairnError('USAGE', `cannot read revision '${rev}' without git.`);
  const reader = new RevisionReader(repo.root, repo.scm.root, repo.ignore);
  try {
    return await reader.resolveOrThrow(rev);
  } finally {
    reader.close();
  }
}

export interface RecordedOptions {
  /**
   * As `dvc diff` is: a `.dvc` file, dvc.yaml or dvc.lock that cannot be read is an error naming
   * it. Otherwise it is set aside (`unreadableFiles`: the CLI names it and exits 1) and the other
   * files' outputs are still given.
   */
  strict?: boolean;
  /** How messages name the revision (default: the commit). */
  revName?: string;
}

/**
 * Every output of `.dvc` files and every cached stage output at a commit (read from git, nothing
 * checked out), or of the workspace (`commit` undefined), sorted by path.
 */
export async function recordedOutputs(repo: Repo, commit: string | undefined, options: RecordedOptions = {}): Promise<RecordedOutput[]> {
  const revName = options.revName ?? commit ?? WORKSPACE;
  const stageRecords = options.strict
    ? stageOutputRecords(repo, commit).catch((err) => {
        // Said with the revision: the workspace's copy may be fine.
        if (err instanceof CairnError && commit !== undefined) throw new CairnError(err.code, `${err.message} (at ${revName})`, err.options);
        throw err;
      })
    : stageOutputRecords(repo, commit, { strict: false, setAside: (err) => setAsideUnreadable(repo, err) });
  const reader = new RevisionReader(repo.root, repo.scm?.root, repo.ignore);
  const setAside = options.strict ? undefined : (err: CairnError) => setAsideUnreadable(repo, err);
  const dvcFileRecords = revisionDvcFiles(reader.source({ name: revName, commit }), { setAside }).finally(() => reader.close());
  const [dvcFiles, stageOutputs] = await Promise.all([dvcFileRecords, stageRecords]);
  return [
    ...outputsOf(repo, dvcFiles).map((o) => ({
      abs: o.abs, rel: o.rel, md5: o.out.md5, hashName: o.out.hashName, size: o.out.size, nfiles: o.out.nfiles, isexec: o.out.isexec,
      cache: o.out.cache, recordedIn: o.dvcFile.relFile,
    })),
    ...stageOutputs.map((o) => ({
      abs: o.abs, rel: o.rel, md5: o.entry?.md5, hashName: o.hashName, size: o.entry?.size, nfiles: o.entry?.nfiles, isexec: o.entry?.isexec,
      cache: true, recordedIn: o.lockFile,
    })),
  ].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}
