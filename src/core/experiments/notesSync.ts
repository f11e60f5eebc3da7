import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import { runGit } from '../scm/git';
import { GitWriter, gitWrite } from '../scm/gitWrites';
import { isAncestor } from './experimentCommits';

/** Where Cairn keeps what ran for each experiment commit (git notes), pushed and pulled with the experiments. */
export const CAIRN_NOTES_REF = 'refs/notes/cairn';

/** The commit the local notes ref points at, or undefined when there are no notes. */
export async function localNotes(gitRoot: string): Promise<string | undefined> {
  return (await runGit(gitRoot, ['for-each-ref', '--format=%(objectname)', CAIRN_NOTES_REF])).trim() || undefined;
}

/**
 * Bring a git remote's notes (its `refs/notes/cairn` at `remoteNotes`) into the local notes,
 * never losing a local note: fetched to a temporary ref, then taken as they are when there are
 * no local notes, else merged by git (`cat_sort_uniq`: both sides' lines of a note kept). True
 * when the local notes changed.
 */
export async function mergeRemoteNotes(writer: GitWriter, gitRoot: string, objects: GitObjectReader, remote: string, remoteNotes: string): Promise<boolean> {
  const local = await localNotes(gitRoot);
  if (local === remoteNotes || (local && (await isAncestor(gitRoot, objects, remoteNotes, local)))) return false;
  const incoming = `${CAIRN_NOTES_REF}-incoming-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await gitWrite(writer, ['fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', remote, `+${CAIRN_NOTES_REF}:${incoming}`]);
    const fetched = (await runGit(gitRoot, ['for-each-ref', '--format=%(objectname) %(objecttype)', incoming])).trim().split(' ');
    if (fetched[1] !== 'commit') throw new CairnError('GIT', `the git remote's ${CAIRN_NOTES_REF} is not a notes commit; local notes left as they are.`);
    if (!local) await gitWrite(writer, ['update-ref', CAIRN_NOTES_REF, fetched[0], '']);
    else await gitWrite(writer, ['notes', `--ref=${CAIRN_NOTES_REF}`, 'merge', '--quiet', '--strategy=cat_sort_uniq', incoming]);
    return true;
  } finally {
    await gitWrite(writer, ['update-ref', '-d', incoming]).catch(() => undefined);
  }
}
