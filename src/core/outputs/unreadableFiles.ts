import type { CairnError } from '../errors';
import type { Repo } from '../repo/repo';

/**
 * The `.dvc`, dvc.yaml and dvc.lock files one run of a command left out because they cannot be
 * read (bad YAML, a bad hash, an output in `.git/`...). One bad file never stops the others: the
 * readers set it aside here and go on, and the caller reports every one by name (the CLI prints
 * them and exits non-zero). A command that must see everything (gc) refuses while any is here.
 */
const byRepo = new WeakMap<Repo, Map<string, CairnError>>();

export function setAsideUnreadable(repo: Repo, err: CairnError): void {
  let files = byRepo.get(repo);
  if (!files) byRepo.set(repo, (files = new Map()));
  const key = `${err.file ?? ''}\0${err.message}`;
  if (!files.has(key)) files.set(key, err);
}

/** What was set aside so far, in the order it was met. */
export function unreadableFiles(repo: Repo): CairnError[] {
  return [...(byRepo.get(repo)?.values() ?? [])];
}
