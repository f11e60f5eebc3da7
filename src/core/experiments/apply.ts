import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { CairnError, throwIfAborted } from '../errors';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { GitObjectReader } from '../metrics/gitObjectReader';
import { PathGuard } from '../repo/pathGuard';
import { writeFileAtomic } from '../repo/atomicWrite';
import { checkout, checkoutEntries, CheckoutResult } from '../outputs/checkout';
import { hashOutputs } from '../outputs/workspaceState';
import type { Progress } from '../progress';
import { headCommit, resolveRevision } from './resolve';
import { EXEC_APPLY, gitRootOf, refTarget } from './refWrites';

/** Where dvc keeps the workspace `exp apply` replaced (dvc: experiments/refs.py). */
export const APPLY_STASH = 'refs/exps/apply/stash';
const APPLY_HEAD = 'refs/exps/apply/ORIG_HEAD';
/** dvc's packed run arguments, in a queued entry's stash commit (dvc: executor/base.py `PACKED_ARGS_FILE`). */
const PACKED_ARGS = '.dvc/tmp/repro.dat';

export interface ExpApplyOptions {
  /** Apply even over uncommitted edits the experiment would overwrite (they are saved first, as dvc saves them). */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ExpApplyResult {
  /** The experiment's commit (for a queued entry of dvc's, its stash commit). */
  commit: string;
  /** The stash commit at `refs/exps/apply/stash` holding the workspace as it was, when it had changes. */
  stash?: string;
  /** Pre-apply files the experiment does not have, kept in the workspace as dvc keeps them, but refused as unsafe paths. */
  notRestored: string[];
  /** The data checkout; with failures the files are applied but `refs/exps/exec/EXEC_APPLY` is not set (as dvc). */
  data: CheckoutResult;
}

/**
 * `exp apply <experiment>` (dvc: experiments/apply.py, stash.py `ApplyStash`): the experiment's
 * files become uncommitted changes on the current branch (HEAD does not move, nothing is
 * committed), then its data is checked out from the cache. As dvc, the workspace as it was is
 * first saved to `refs/exps/apply/stash` (untracked files included; `git stash apply
 * refs/exps/apply/stash` brings it back), and files the experiment does not have are kept.
 * Unlike dvc, edits the experiment would overwrite — tracked changes, untracked files at its
 * paths, data not in the cache — are refused by name unless `force`.
 */
export async function expApply(repo: Repo, experiment: string, options: ExpApplyOptions = {}): Promise<ExpApplyResult> {
  const gitRoot = gitRootOf(repo);
  const resolved = await resolveRevision(gitRoot, experiment, { queued: true });
  const head = await headCommit(gitRoot);
  if (!head) throw new CairnError('USAGE', 'exp apply needs a commit to apply onto: this repository has none.', { hint: 'Commit first.' });

  const [changes, expPaths] = await Promise.all([repo.scm!.status('all'), treeBlobs(gitRoot, resolved.commit).then((blobs) => new Set(blobs.map((b) => b.path)))]);
  const lost = options.force ? [] : [...changes.filter((c) => expPaths.has(c.path)).map((c) => c.path), ...(await unsavedData(repo, options.signal))];
  if (lost.length) {
    const shown = lost.slice(0, 5).join(', ') + (lost.length > 5 ? ` and ${lost.length - 5} more` : '');
    throw new CairnError('UNCOMMITTED_CHANGES', `applying '${experiment}' would overwrite uncommitted changes in: ${shown}.`, {
      hint: `Commit them, or run \`cairn exp apply --force ${experiment}\`: it saves them to ${APPLY_STASH} first.`,
      paths: lost,
    });
  }
  throwIfAborted(options.signal);

  const writer = gitWriter(gitRoot, { what: 'git' });
  // dvc keeps one apply stash: the previous one goes.
  if (await refTarget(gitRoot, APPLY_STASH)) await gitWrite(writer, ['update-ref', '-d', APPLY_STASH]);
  await gitWrite(writer, ['update-ref', APPLY_HEAD, head]);
  const stash = changes.length ? await stashWorkspace(gitRoot, writer, `dvc-exp-apply:${head}:${resolved.commit}:${experiment}`) : undefined;
  try {
    // The experiment's tree into the work tree, then the index back to HEAD: its changes are uncommitted, HEAD stays.
    await gitWrite(writer, ['read-tree', '-u', '--reset', resolved.commit]);
    await gitWrite(writer, ['reset', '-q']);
    repo.guard.forget();
    const notRestored = stash ? await restoreAbsentFiles(repo, gitRoot, stash, expPaths) : [];
    if (resolved.queued) removePackedArgs(gitRoot);
    const data = await checkout(repo, [], { cwd: repo.root, force: true, signal: options.signal, onProgress: options.onProgress });
    // As dvc: an experiment whose data could not all be checked out is not recorded as applied.
    if (!data.failed.length) await gitWrite(writer, ['update-ref', EXEC_APPLY, resolved.commit]);
    return { commit: resolved.commit, stash, notRestored, data };
  } catch (err) {
    await revertWorkspace(writer, stash, err);
    throw err;
  }
}

/** A commit's files (paths from the top of the work tree) with their blob ids (a link's blob is its target's name); submodules left out. */
async function treeBlobs(gitRoot: string, rev: string): Promise<{ path: string; id: string }[]> {
  const out = await runGit(gitRoot, ['ls-tree', '-r', '-z', '--full-tree', rev]);
  const blobs: { path: string; id: string }[] = [];
  for (const record of out.split('\0')) {
    const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(record);
    if (m && m[2] === 'blob') blobs.push({ path: m[4], id: m[3] });
  }
  return blobs;
}

/**
 * Outputs whose content in the workspace is in no commit's record and not in the cache: applying
 * (a checkout with force) would lose it.
 */
async function unsavedData(repo: Repo, signal?: AbortSignal): Promise<string[]> {
  const outputs = await checkoutEntries(repo, [], repo.root);
  const states = await hashOutputs(repo, outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.hashName, recorded: o.md5 })), { signal });
  const unsaved: string[] = [];
  outputs.forEach((o, i) => {
    const state = states[i];
    if (!state.exists || state.isLink || state.md5 === o.md5) return;
    if (state.isDir) unsaved.push(...state.files.filter((f) => !repo.store.has(f.md5, o.hashName)).map((f) => repo.rel(f.abs)));
    else if (!state.md5 || !repo.store.has(state.md5, o.hashName)) unsaved.push(o.rel);
  });
  return unsaved;
}

/**
 * The workspace's changes, untracked files included, as a stash commit at `refs/exps/apply/stash`
 * with its reflog entry, as dvc's `ApplyStash.push` leaves it (`On <branch>: <message>`, parents
 * HEAD, the index, the untracked files). git's own `stash push` makes it (and leaves the work tree
 * at HEAD); the entry is then moved off `refs/stash`, whose own entries stay as they were.
 */
async function stashWorkspace(gitRoot: string, writer: ReturnType<typeof gitWriter>, message: string): Promise<string | undefined> {
  const before = await refTarget(gitRoot, 'refs/stash');
  await gitWrite(writer, ['stash', 'push', '--include-untracked', '--quiet', '--message', message]);
  const made = await refTarget(gitRoot, 'refs/stash');
  if (!made || made === before) return undefined;
  const subject = (await runGit(gitRoot, ['show', '-s', '--format=%s', made])).trim();
  await gitWrite(writer, ['update-ref', '--create-reflog', '-m', subject, APPLY_STASH, made, '']);
  await gitWrite(writer, ['stash', 'drop', '--quiet']);
  return made;
}

/**
 * dvc's `_apply_difference`: files of the saved workspace (tracked, then untracked) the
 * experiment does not have are written back. Each path is checked on disk first (inside the work
 * tree, no link on the way, not in `.git` or `.dvc`); a refused one stays in the stash and is named.
 */
async function restoreAbsentFiles(repo: Repo, gitRoot: string, stash: string, expPaths: Set<string>): Promise<string[]> {
  const untrackedParent = (await runGit(gitRoot, ['rev-list', '--parents', '-n', '1', stash])).trim().split(' ')[3];
  const blobs = [...(await treeBlobs(gitRoot, stash)), ...(untrackedParent ? await treeBlobs(gitRoot, untrackedParent) : [])].filter((b) => !expPaths.has(b.path));
  const guard = gitRoot === repo.root ? repo.guard : new PathGuard(gitRoot, repo.store.cacheDir);
  const reader = new GitObjectReader(gitRoot);
  const refused: string[] = [];
  try {
    for (const blob of blobs) {
      const abs = path.join(gitRoot, ...blob.path.split('/'));
      const problem = guard.problem(abs);
      const object = problem ? undefined : await reader.read(blob.id);
      if (!object || object.type !== 'blob') {
        refused.push(blob.path);
        continue;
      }
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      await writeFileAtomic(abs, object.data);
    }
  } finally {
    reader.close();
  }
  return refused;
}

/** A queued entry's stash commit carries dvc's packed run arguments; dvc removes them after applying it. */
function removePackedArgs(gitRoot: string): void {
  const file = path.join(gitRoot, ...PACKED_ARGS.split('/'));
  if (fs.lstatSync(file, { throwIfNoEntry: false })?.isFile()) fs.rmSync(file);
}

/**
 * dvc's `revert_workspace`: back to HEAD, then the saved workspace re-applied and its stash
 * dropped; if that fails too, where it is kept is said.
 */
async function revertWorkspace(writer: ReturnType<typeof gitWriter>, stash: string | undefined, cause: unknown): Promise<void> {
  try {
    await gitWrite(writer, ['reset', '-q', '--hard']);
    if (stash) {
      await gitWrite(writer, ['stash', 'apply', '--index', '--quiet', stash]);
      await gitWrite(writer, ['update-ref', '-d', APPLY_STASH, stash]);
    }
  } catch {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new CairnError('GIT', `exp apply failed (${why}) and the workspace could not be put back.`, {
      hint: stash ? `It is saved in ${APPLY_STASH}: run \`git reset --hard\` and \`git stash apply ${APPLY_STASH}\`.` : 'Run `git reset --hard` to return to HEAD.',
    });
  }
}
