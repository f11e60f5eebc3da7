import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import { runGit } from '../scm/git';
import { GitWriter, gitWrite } from '../scm/gitWrites';
import { isAncestor } from './experimentCommits';
import { ENVIRONMENT_NOTES_REF } from './environmentNotes';
import { ANNOTATIONS_REF } from './annotations';

/** Cairn's notes refs, pushed and pulled with the experiments: what ran (the environment records), and the user's tags and notes. */
export const SYNCED_NOTES_REFS = [ENVIRONMENT_NOTES_REF, ANNOTATIONS_REF];

/** The commit a local notes ref points at, or undefined when there are no such notes. */
export async function localNotes(gitRoot: string, ref: string): Promise<string | undefined> {
  return (await runGit(gitRoot, ['for-each-ref', '--format=%(objectname)', ref])).trim() || undefined;
}

/**
 * Bring a git remote's notes (its `ref` at `remoteNotes`) into the local ones, never losing a
 * local note: fetched to a temporary ref, then taken as they are when there are no local notes,
 * else merged by git (`cat_sort_uniq`: both sides' lines of a note kept). True when the local
 * notes changed.
 */
export async function mergeRemoteNotes(writer: GitWriter, gitRoot: string, objects: GitObjectReader, remote: string, ref: string, remoteNotes: string): Promise<boolean> {
  const local = await localNotes(gitRoot, ref);
  if (local === remoteNotes || (local && (await isAncestor(gitRoot, objects, remoteNotes, local)))) return false;
  const incoming = `${ref}-incoming-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await gitWrite(writer, ['fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', remote, `+${ref}:${incoming}`]);
    const fetched = (await runGit(gitRoot, ['for-each-ref', '--format=%(objectname) %(objecttype)', incoming])).trim().split(' ');
    if (fetched[1] !== 'commit') throw new CairnError('GIT', `the git remote's ${ref} is not a notes commit; local notes left as they are.`);
    if (!local) await gitWrite(writer, ['update-ref', ref, fetched[0], '']);
    else await gitWrite(writer, ['notes', `--ref=${ref}`, 'merge', '--quiet', '--strategy=cat_sort_uniq', incoming]);
    return true;
  } finally {
    await gitWrite(writer, ['update-ref', '-d', incoming]).catch(() => undefined);
  }
}
