import type { Repo } from '../repo/repo';
import { throwIfAborted } from '../errors';
import { workspaceRun } from './queue';
import { expCommandAt, isCairnProgram, isDvcProgram, processAlive, processAndGroupDescendants, processArguments, runsIn } from './processCheck';

/** What Stop did to the experiment `dvc exp run` runs in the workspace. */
export interface WorkspaceRunStop {
  /** Interrupted, and ended. */
  stopped: boolean;
  /** The run's process and experiment name, when a run is recorded. */
  pid?: number;
  name?: string | null;
  /** Why it was not stopped, one line. */
  reason?: string;
}

/**
 * Stop the experiment dvc (or Cairn's CLI) runs in the workspace as Ctrl-C in its terminal would: SIGINT to its
 * process and those of its process group descending from it (dvc ignores SIGINT while a stage's
 * command runs, so the command must get it too; the stage fails and dvc ends as after Ctrl-C).
 * The pid comes from dvc's record (`.dvc/tmp/exps/run/workspace/workspace.json`), which may have
 * come with an archive: nothing is signalled unless that process is alive, is `dvc exp run` or `cairn exp run` (not
 * `--temp` or `--queue`, which leave no workspace record) and runs in this repository. Where the
 * system does not tell which folder a process runs in (no /proc: macOS), nothing is signalled.
 * Resolves once the run has ended, or `waitMs` after the interrupt.
 */
export async function stopWorkspaceRun(repo: Repo, options: { signal?: AbortSignal; waitMs?: number } = {}): Promise<WorkspaceRunStop> {
  const run = await workspaceRun(repo);
  const pid = run?.executor.local?.pid;
  if (!run || !pid) return { stopped: false, reason: 'no experiment runs in the workspace now' };
  const named = { pid, name: run.name };
  const inRepository = runsIn(pid, repo.root);
  if (inRepository === undefined) return { ...named, stopped: false, reason: `cannot check that pid ${pid} is dvc's run in this repository on this system (no /proc)` };
  const args = processArguments(pid) ?? [];
  if (!inRepository || !(isDvcWorkspaceRun(args) || isCairnWorkspaceRun(args))) {
    return { ...named, stopped: false, reason: `pid ${pid}, which the workspace run's record names, is not \`dvc exp run\` or \`cairn exp run\` in this repository` };
  }
  for (const member of processAndGroupDescendants(pid)) {
    try {
      process.kill(member, 'SIGINT');
    } catch {
      // ended meanwhile
    }
  }
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  while (processAlive(pid)) {
    throwIfAborted(options.signal);
    if (Date.now() > deadline) return { ...named, stopped: false, reason: `pid ${pid} was interrupted but still runs` };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...named, stopped: true };
}

/**
 * Whether a command line is `dvc exp run` in the workspace: the `dvc` program (a script run by
 * Python, a binary, or `python -m dvc`) before `exp run`, and no `--temp`, `--queue` or `--run-all`.
 */
export function isDvcWorkspaceRun(args: readonly string[]): boolean {
  return isWorkspaceExpRun(args, isDvcProgram);
}

/**
 * Whether a command line is Cairn's CLI running `exp run` in the workspace (it writes dvc's record
 * too): `cairn` or `dist/cli.js` before `exp run`, and no `--temp`, `--queue` or `--run-all`.
 */
export function isCairnWorkspaceRun(args: readonly string[]): boolean {
  return isWorkspaceExpRun(args, isCairnProgram);
}

function isWorkspaceExpRun(args: readonly string[], isProgram: (arg: string, i: number, before: readonly string[]) => boolean): boolean {
  const at = expCommandAt(args, 'run', isProgram);
  return at >= 0 && !args.slice(at + 2).some((arg) => ['--temp', '--queue', '--run-all'].includes(arg));
}
