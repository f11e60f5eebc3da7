import * as os from 'node:os';
import { simpleGit, SimpleGit } from 'simple-git';
import { CairnError } from '../errors';
import { assertFolderTrusted } from '../folderTrust';

/**
 * The options every write to a repository runs with: the repository's hooks never run (a
 * cloned repository's `core.hooksPath` or a stray pre-commit hook must not run, nor fail an
 * experiment), nothing is signed (dvc's experiment commits are not), and git never prompts
 * (a push or fetch with no credentials fails instead of waiting on a terminal nobody reads,
 * unless the user's own askpass helper answers).
 */
const WRITE_CONFIG = [`core.hooksPath=${os.devNull}`, 'commit.gpgsign=false', 'tag.gpgsign=false'];

/**
 * simple-git over the work tree `root`, for what the core writes: refs, commits made from
 * trees, notes, refspec push and fetch. Refused, as every git call of the core, in a folder
 * the user has not trusted. `env` adds variables (GIT_INDEX_FILE, GIT_WORK_TREE for a commit built
 * beside the user's index). Bulk reads use `GitObjectReader` (one long-lived `cat-file --batch`).
 */
export function gitWriter(root: string, options: { what?: string; env?: Record<string, string> } = {}): SimpleGit {
  assertFolderTrusted(options.what ?? 'git');
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env };
  return simpleGit({
    baseDir: root,
    config: WRITE_CONFIG,
    allowConfig: ['core.hooksPath', 'commit.gpgsign', 'tag.gpgsign'],
    // The user's own git variables (an askpass helper, an ssh command) are theirs to set; simple-git's
    // checks are for what a repository or a caller's arguments could smuggle in.
    allowEnvironment: Object.keys(env).filter((k) => /^(GIT_|SSH_)/.test(k)),
    unsafe: { allowUnsafeHooksPath: true },
  }).env(env);
}

/** Run git through `writer`, a failure becoming one CairnError line naming the git command and git's last line of error. */
export async function gitWrite(writer: SimpleGit, args: string[]): Promise<string> {
  try {
    return await writer.raw(args);
  } catch (err) {
    const msg = String((err as Error).message ?? err).trim().split('\n').filter(Boolean).pop() ?? '';
    throw new CairnError('GIT', `git ${args[0]} failed: ${msg}`);
  }
}
