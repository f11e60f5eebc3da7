import { CairnError } from '../errors';
import { assertFolderTrusted } from '../folderTrust';
import type { Progress } from '../progress';
import type { Repo } from '../repo/repo';
import { withReader } from '../metrics/show';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { fetch, push } from '../remotes/sync';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import { transferError, TransferResult } from '../remotes/transfer';
import { experimentRefsByBaseline, ExperimentRef } from './refs';
import { gitRemoteArgument, remoteExperimentRefs } from './gitRemote';
import { ExperimentSelection, selectExperiments } from './selectExperiments';
import { experimentCommits, isAncestor } from './experimentCommits';
import { localNotes, mergeRemoteNotes, SYNCED_NOTES_REFS } from './notesSync';

/** Options shared by `exp push` and `exp pull`. */
export interface ExpSyncOptions extends ExperimentSelection {
  /** A git remote's name, URL or folder. */
  gitRemote: string;
  /** Where a relative folder given as `gitRemote` is found. */
  cwd: string;
  /** Replace a diverged experiment on the other side. */
  force?: boolean;
  /** Move the experiments' cached outputs too (dvc's default; `--no-cache` turns it off). */
  withCache?: boolean;
  /** The DVC remote for the outputs (default: the default remote). */
  remote?: string;
  jobs?: number;
  /** `--run-cache`: the run-cache entries (and the outputs they record) too. */
  runCache?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** What happened to each selected experiment, by name, as dvc's `SyncStatus` groups them. */
export interface ExpSyncResult {
  success: string[];
  up_to_date: string[];
  diverged: string[];
  /** Whether Cairn's notes (environment records, tags and notes) went along. */
  notes: boolean;
  /** The outputs moved, when asked; `cacheError` when some could not be (the git side is done by then). */
  transfer?: TransferResult;
  cacheError?: CairnError;
}

/**
 * `exp push`: the selected experiments' refs to a git remote (a diverged one is left out unless
 * `force`), Cairn's notes with them (the remote's merged in first, so none is lost), then the
 * cached outputs of every pushed or up-to-date experiment's commits, back to its baseline, to the
 * DVC remote. A failure of that last step is `cacheError`: the refs are pushed by then.
 */
export async function expPush(repo: Repo, options: ExpSyncOptions): Promise<ExpSyncResult> {
  const gitRoot = gitRootOf(repo, 'exp push');
  const writer = gitWriter(gitRoot, { what: 'exp push' });
  const remote = await gitRemoteArgument(gitRoot, options.gitRemote, options.cwd);
  return withReader(repo, {}, async (reader) => {
    const local = [...(await experimentRefsByBaseline(reader)).values()].flat();
    const selected = await selectExperiments(reader, gitRoot, local, options);
    const listing = await remoteExperimentRefs(writer, remote, SYNCED_NOTES_REFS);
    const onRemote = new Map(listing.refs.map((r) => [r.ref, r.sha]));
    const result: ExpSyncResult = { success: [], up_to_date: [], diverged: [], notes: false };
    const diverged = new Set<ExperimentRef>();
    const toPush: ExperimentRef[] = [];
    for (const ref of selected) {
      const theirs = onRemote.get(ref.ref);
      if (theirs === ref.sha) result.up_to_date.push(ref.name);
      else if (!theirs || options.force || (await isAncestor(gitRoot, reader.objects!, theirs, ref.sha))) {
        result.success.push(ref.name);
        toPush.push(ref);
      } else {
        result.diverged.push(ref.name);
        diverged.add(ref);
      }
    }
    const refspecs = toPush.map((r) => `${options.force ? '+' : ''}${r.ref}:${r.ref}`);
    if (toPush.length + result.up_to_date.length > 0) {
      for (const ref of SYNCED_NOTES_REFS) {
        const theirs = listing.notes.get(ref);
        if (theirs) await mergeRemoteNotes(writer, gitRoot, reader.objects!, remote, ref, theirs);
        const notes = await localNotes(gitRoot, ref);
        if (notes && notes !== theirs) refspecs.push(`${ref}:${ref}`);
        result.notes ||= !!notes;
      }
    }
    if (refspecs.length) await gitWrite(writer, ['push', '--quiet', remote, ...refspecs]);
    if (options.withCache !== false) Object.assign(result, await moveOutputs(repo, reader.objects!, selected.filter((r) => !diverged.has(r)), options, 'push'));
    return result;
  });
}

/**
 * The cached outputs of the experiments' commits (each back to its baseline), pushed to or
 * fetched from the DVC remote; a failure is kept as `cacheError` for the caller to report after
 * what happened to the refs.
 */
export async function moveOutputs(
  repo: Repo,
  objects: GitObjectReader,
  refs: ExperimentRef[],
  options: ExpSyncOptions,
  verb: 'push' | 'fetch',
): Promise<Pick<ExpSyncResult, 'transfer' | 'cacheError'>> {
  const revs = await experimentCommits(objects, refs);
  if (!revs.length) return {};
  try {
    const transfer = await (verb === 'push' ? push : fetch)(repo, { cwd: repo.root, revs, workspace: false, runCache: options.runCache, remote: options.remote, jobs: options.jobs, signal: options.signal, onProgress: options.onProgress });
    return { transfer, cacheError: transferError(transfer, verb) };
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
    return { cacheError: err };
  }
}

/** The repository's git root; experiments live in git. */
export function gitRootOf(repo: Repo, command: string): string {
  assertFolderTrusted(command); // an untrusted folder's Repo has no scm: say why
  if (!repo.scm) throw new CairnError('USAGE', `${command} needs a git repository: experiments are git refs.`, { hint: 'Run it inside the git work tree of the project.' });
  return repo.scm.root;
}

