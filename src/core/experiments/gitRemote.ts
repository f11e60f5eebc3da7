import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { runGit } from '../scm/git';
import { GitWriter, gitWrite } from '../scm/gitWrites';
import { ExperimentRef, parseExperimentRef } from './refs';

/** A remote's experiment ref as `git ls-remote` reports it, checked: dvc's layout, a full object name. */
const REMOTE_EXPERIMENT_REF = /^refs\/exps\/[0-9a-f]{2}\/[0-9a-f]{38}\/[^/]+$/;
const COMMIT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The git remote `remote` as git should be given it: a remote configured in this repository, a
 * URL (`scheme://…`, or scp-like `[user@]host:path`), or an existing folder (made absolute from
 * `cwd`, as the user meant it). Anything else — an option-like word, a name no remote has — is
 * refused in one line, before git runs.
 */
export async function gitRemoteArgument(gitRoot: string, remote: string, cwd: string): Promise<string> {
  const refuse = () =>
    new CairnError('USAGE', `'${remote}' is not a valid Git remote or URL.`, { hint: 'Name a git remote (`git remote -v` lists them), or give its URL or folder.' });
  if (!remote || remote.startsWith('-') || /[\0-\x1f]/.test(remote)) throw refuse();
  const configured = (await runGit(gitRoot, ['remote'])).split('\n').filter(Boolean);
  if (configured.includes(remote)) return remote;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/./.test(remote)) return remote;
  if (/^([^/@:]+@)?[^/:]+:./.test(remote) && !remote.includes('::')) return remote;
  const folder = path.resolve(cwd, remote);
  if (fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return folder;
  throw refuse();
}

/**
 * The experiment refs `remote` holds (and where its notes refs among `notesRefs` point), from one
 * `git ls-remote`. What the remote says is data: a ref not in dvc's layout, or pointing at
 * something that is not an object name, is left out.
 */
export async function remoteExperimentRefs(writer: GitWriter, remote: string, notesRefs: readonly string[] = []): Promise<{ refs: ExperimentRef[]; notes: Map<string, string> }> {
  const listing = await gitWrite(writer, ['ls-remote', '--refs', remote, 'refs/exps/*', ...notesRefs]);
  const refs: ExperimentRef[] = [];
  const notes = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (!ref || !COMMIT_ID.test(sha)) continue;
    if (notesRefs.includes(ref)) notes.set(ref, sha);
    if (!REMOTE_EXPERIMENT_REF.test(ref) || !isExperimentName(ref.split('/')[4])) continue;
    const parsed = parseExperimentRef(ref, sha);
    if (parsed) refs.push(parsed);
  }
  return { refs, notes };
}

/**
 * A name git's `check-ref-format` takes as one ref component and no command line can take for an
 * option or a refspec: no `:`, `?`, `*`, `[`, `\`, `^`, `~`, space or control character, no `..`
 * or `@{`, not `@`, not starting with `.` or `-`, not ending with `.` or `.lock`. A git server
 * checks the refs it advertises; another program answering as one need not.
 */
function isExperimentName(name: string): boolean {
  return !/[\0-\x20\x7f:?*[\\^~]|\.\.|@\{/.test(name) && !/^[.-]|\.$|\.lock$|^@$/.test(name);
}

/** Experiment refs grouped by baseline, in the order given. */
export function byBaseline(refs: ExperimentRef[]): Map<string, ExperimentRef[]> {
  const grouped = new Map<string, ExperimentRef[]>();
  for (const r of refs) {
    const list = grouped.get(r.baseline) ?? [];
    list.push(r);
    grouped.set(r.baseline, list);
  }
  return grouped;
}
