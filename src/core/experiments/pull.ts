import { CairnError } from '../errors';
import type { Repo } from '../repo/repo';
import { withReader } from '../metrics/show';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { experimentRefsByBaseline, ExperimentRef } from './refs';
import { gitRemoteArgument, remoteExperimentRefs } from './gitRemote';
import { selectExperiments } from './selectExperiments';
import { isAncestor } from './experimentCommits';
import { mergeRemoteNotes, SYNCED_NOTES_REFS } from './notesSync';
import { ExpSyncOptions, ExpSyncResult, gitRootOf, moveOutputs } from './push';

/**
 * `exp pull`: the selected experiments of a git remote into the local refs. Their commits are
 * fetched first (no ref changed), then each ref is set where it is new or moves forward; a local
 * experiment that diverged is kept unless `force`. Cairn's notes come along, merged into the local
 * ones. Then the cached outputs of every pulled or up-to-date experiment's commits are fetched
 * into the cache (nothing checked out). A failure of that last step is `cacheError`.
 */
export async function expPull(repo: Repo, options: ExpSyncOptions): Promise<ExpSyncResult> {
  const gitRoot = gitRootOf(repo, 'exp pull');
  const writer = gitWriter(gitRoot, { what: 'exp pull' });
  const remote = await gitRemoteArgument(gitRoot, options.gitRemote, options.cwd);
  return withReader(repo, {}, async (reader) => {
    const objects = reader.objects!;
    const listing = await remoteExperimentRefs(writer, remote, SYNCED_NOTES_REFS);
    const selected = await selectExperiments(reader, gitRoot, listing.refs, options, options.gitRemote);
    const local = new Map([...(await experimentRefsByBaseline(reader)).values()].flat().map((r) => [r.ref, r.sha]));
    const result: ExpSyncResult = { success: [], up_to_date: [], diverged: [], notes: false };
    const diverged = new Set<ExperimentRef>();
    const changed = selected.filter((r) => local.get(r.ref) !== r.sha);
    if (changed.length) await gitWrite(writer, ['fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', remote, ...changed.map((r) => r.ref)]);
    for (const ref of changed) {
      if ((await objects.read(ref.sha))?.type !== 'commit') {
        throw new CairnError('GIT', `the git remote's ${ref.ref} is not a commit; no experiment was pulled.`, { hint: 'Check the remote; its experiment refs must point at commits.' });
      }
    }
    const toSet: ExperimentRef[] = [];
    for (const ref of selected) {
      const ours = local.get(ref.ref);
      if (ours === ref.sha) result.up_to_date.push(ref.name);
      else if (!ours || options.force || (await isAncestor(gitRoot, objects, ours, ref.sha))) {
        result.success.push(ref.name);
        toSet.push(ref);
      } else {
        result.diverged.push(ref.name);
        diverged.add(ref);
      }
    }
    // Each ref moves only from the value read above: a change made meanwhile fails the update.
    for (const ref of toSet) await gitWrite(writer, ['update-ref', '-m', 'cairn: exp pull', ref.ref, ref.sha, local.get(ref.ref) ?? '']);
    for (const [ref, theirs] of selected.length ? listing.notes : []) {
      await mergeRemoteNotes(writer, gitRoot, objects, remote, ref, theirs);
      result.notes = true;
    }
    if (options.withCache !== false) Object.assign(result, await moveOutputs(repo, objects, selected.filter((r) => !diverged.has(r)), options, 'fetch'));
    return result;
  });
}
