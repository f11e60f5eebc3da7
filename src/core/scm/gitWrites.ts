import * as os from 'node:os';
import { simpleGit, SimpleGit } from 'simple-git';
import { CairnError } from '../errors';
import { assertFolderTrusted } from '../folderTrust';
import { runGit } from './git';

/**
 * The options every write to a repository runs with: the repository's hooks never run (a
 * cloned repository's `core.hooksPath` or a stray pre-commit hook must not run, nor fail an
 * experiment), nothing is signed (dvc's experiment commits are not), and git never prompts
 * (a push or fetch with no credentials fails instead of waiting on a terminal nobody reads,
 * unless the user's own askpass helper answers).
 */
const WRITE_CONFIG = [`core.hooksPath=${os.devNull}`, 'commit.gpgsign=false', 'tag.gpgsign=false'];

/** Commands that talk to another repository: run through simple-git, whose argument guard refuses what a remote name or URL could smuggle in (`--upload-pack=`, `ext::` transports, `-c` in arguments). */
const REMOTE_COMMANDS = new Set(['push', 'fetch', 'ls-remote', 'clone', 'pull']);

/** Where and how the core writes to one repository (see `gitWrite`). */
export class GitWriter {
  private simpleGit: SimpleGit | undefined;

  constructor(
    readonly root: string,
    readonly env: Record<string, string>,
  ) {}

  /** simple-git over the same work tree with the same config and variables, for commands that talk to remotes. */
  get remote(): SimpleGit {
    if (!this.simpleGit) {
      const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', ...this.env };
      this.simpleGit = simpleGit({
        baseDir: this.root,
        config: WRITE_CONFIG,
        allowConfig: ['core.hooksPath', 'commit.gpgsign', 'tag.gpgsign'],
        // The environment is the user's own (an askpass helper, an ssh command, an EDITOR a CI sets): a
        // repository cannot set it. simple-git's checks are kept for what a repository or a caller's
        // arguments could smuggle in.
        allowEnvironment: Object.keys(env),
        unsafe: { allowUnsafeHooksPath: true },
      }).env(env);
    }
    return this.simpleGit;
  }
}

/**
 * A writer over the work tree `root`, for what the core writes: refs, commits made from trees,
 * notes, refspec push and fetch. Refused, as every git call of the core, in a folder the user has
 * not trusted. `env` adds variables (GIT_INDEX_FILE, GIT_WORK_TREE for a commit built beside the
 * user's index). Bulk reads use `GitObjectReader` (one long-lived `cat-file --batch`).
 */
export function gitWriter(root: string, options: { what?: string; env?: Record<string, string> } = {}): GitWriter {
  assertFolderTrusted(options.what ?? 'git');
  return new GitWriter(root, options.env ?? {});
}

/**
 * Run git through `writer` with the write config (no hooks, no signing, no prompts); a failure is
 * one CairnError line naming the git command and git's last line of error. Commands that talk to
 * another repository go through simple-git and its argument guard. Local plumbing (update-ref,
 * commit-tree, add, notes) is spawned directly: simple-git waits 50 ms after any command that
 * prints nothing, which is most plumbing — six of them per experiment were 0.3 s.
 */
export async function gitWrite(writer: GitWriter, args: string[], options: { input?: string } = {}): Promise<string> {
  if (!REMOTE_COMMANDS.has(args[0])) {
    const config = WRITE_CONFIG.flatMap((c) => ['-c', c]);
    return runGit(writer.root, [...config, ...args], { env: { GIT_TERMINAL_PROMPT: '0', ...writer.env }, input: options.input }).catch((err: CairnError) => {
      throw new CairnError('GIT', err.message.replace(/^git -c failed/, `git ${args[0]} failed`));
    });
  }
  try {
    return await writer.remote.raw(args);
  } catch (err) {
    const msg = String((err as Error).message ?? err).trim().split('\n').filter(Boolean).pop() ?? '';
    throw new CairnError('GIT', `git ${args[0]} failed: ${msg}`);
  }
}
