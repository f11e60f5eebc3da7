import * as path from 'node:path';

/**
 * Why an output path may not be used, or undefined when it may: the lexical rule shared by
 * every reader of `.dvc` files, `dvc.yaml` and `dvc.lock` and by lint. A path must stay
 * inside the repository (`..foo` is a legal name; `../foo` is not) and must not be the
 * repository itself or lie inside a `.git` or `.dvc` folder at any depth (git runs hooks
 * from `.git/`; `.dvc/` holds the config and the cache). Symlinked parents are checked on
 * the file system where paths are read and written (`pathGuard.ts`).
 */
export function outputPathProblem(root: string, abs: string): string | undefined {
  const rel = path.relative(root, abs);
  if (rel === '') return 'is the repository itself';
  if (rel === '..' || rel.startsWith('..' + path.sep) || path.isAbsolute(rel)) return 'is outside the repository';
  const parts = rel.split(path.sep);
  // Case-insensitive: on macOS and Windows `.GIT/hooks` is `.git/hooks`.
  const special = parts.find((p) => /^\.(git|dvc)$/i.test(p));
  if (special) return `is inside ${special}/, which ${/git/i.test(special) ? 'belongs to git (it runs hooks from there)' : "holds DVC's config and cache"}`;
  return undefined;
}
