import { CairnError } from './errors';

/**
 * Whether this thread may run programs a repository can name: git (a repository's own
 * `.git/config` can make git run programs during `status`, `ls-files` or `diff` — core.fsmonitor,
 * clean/smudge filters, textconv, diff drivers — and forbidding single options does not stop them
 * all) and pipeline stage commands. Where the user has not trusted the folder (VS Code's Restricted
 * Mode) the extension's threads say so: `runGit`, `GitObjectReader` and stage commands then throw
 * instead of spawning, and a Repo opens without `scm` (its listings walk the disk). The CLI never
 * does: it follows git's own trust model (the user ran it there).
 */
let untrusted = false;

export function setFolderTrusted(trusted: boolean): void {
  untrusted = !trusted;
}

export function folderTrusted(): boolean {
  return !untrusted;
}

/** Throws, naming what would have run (`git status`, a stage's command), when the folder is not trusted. */
export function assertFolderTrusted(what: string): void {
  if (!untrusted) return;
  throw new CairnError('USAGE', `${what} is not run in a folder you have not trusted`, {
    hint: "Trust the folder first (VS Code: Manage Workspace Trust): a repository's git config and pipelines can run programs.",
  });
}
