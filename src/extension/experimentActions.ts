import * as path from 'node:path';
import * as vscode from 'vscode';
import { CairnError } from '../core/errors';
import { Repo } from '../core/repo/repo';
import { readQueueLogs } from '../core/experiments/queueLogs';
import { WORKSPACE_REV } from '../core/metrics/revisions';
import type { ExperimentRow, ExperimentsPayload } from '../../webview/messages';
import type { CommandKey } from './commandIds';
import { ExperimentsPanel } from './experimentsPanel';
import { EXPERIMENT_COMMITS } from './experimentsSnapshot';
import { RUN_BRANCHES_KEY } from './runBranches';
import { rowsActedOn, rowsById, rowsToCsv, rowsToMarkdown } from './experimentRows';
import { ROW_ACTIONS } from '../../webview/experimentRowActions';
import type { ExpSyncSummary } from './coreProtocol';
import { chosenRepository, remoteCredentials, requireTrust, showPanel, withProgress, type CommandContext } from './commands';
import type { RunNode, RunsTreeProvider } from './runsTree';
import type { CoreClient } from './coreClient';
import { MetricsPanel } from './metricsPanel';

/**
 * The experiments table's row actions (issue 17): each acts on the rows it was invoked on — a
 * table row's `webview/context` menu (`{rowId}`: the table's selection when it holds that row,
 * else that row), a Runs view experiment — or, from the command palette, on experiments picked
 * from the repository's (asked first when several are open). Every one acts on the repository of
 * its rows, through the core.
 */
export type ExperimentCommandKey =
  | 'expApply'
  | 'expBranch'
  | 'expRename'
  | 'expRemove'
  | 'expPush'
  | 'expPull'
  | 'expShowLogs'
  | 'expStop'
  | 'expCompare'
  | 'expCopyMarkdown'
  | 'expCopyCsv';

/** The rows an action acts on, and the repository and table they are of. */
interface Chosen {
  root: string;
  payload: ExperimentsPayload;
  rows: ExperimentRow[];
}

/** What an action can act on: a row it accepts, one or many, named in the quick pick's words. */
interface Action {
  verb: string;
  many: boolean;
  accepts: (row: ExperimentRow) => boolean;
  /** Why a row invoked on is refused (the action's one line). */
  refusal: string;
}

const ACTIONS: Record<Exclude<ExperimentCommandKey, 'expPull'>, Action> = {
  expApply: { verb: 'apply to the workspace', many: false, accepts: ROW_ACTIONS.expApply, refusal: 'only a finished experiment can be applied' },
  expBranch: { verb: 'make a branch of', many: false, accepts: ROW_ACTIONS.expBranch, refusal: 'only a finished experiment can become a branch' },
  expRename: { verb: 'rename', many: false, accepts: ROW_ACTIONS.expRename, refusal: 'only a finished experiment can be renamed' },
  expRemove: { verb: 'remove', many: true, accepts: ROW_ACTIONS.expRemove, refusal: 'only experiments and queued runs can be removed' },
  expPush: { verb: 'push', many: true, accepts: ROW_ACTIONS.expPush, refusal: 'only finished experiments can be pushed' },
  expShowLogs: { verb: 'show the log of', many: false, accepts: ROW_ACTIONS.expShowLogs, refusal: 'only runs of the queue have a log' },
  expStop: { verb: 'stop', many: true, accepts: ROW_ACTIONS.expStop, refusal: 'only running experiments can be stopped (a queued one leaves the queue by Remove)' },
  expCompare: { verb: 'compare', many: true, accepts: ROW_ACTIONS.expCompare, refusal: 'only the workspace, commits and finished experiments have metrics to compare' },
  expCopyMarkdown: { verb: 'copy as Markdown', many: true, accepts: ROW_ACTIONS.expCopyMarkdown, refusal: '' },
  expCopyCsv: { verb: 'copy as CSV', many: true, accepts: ROW_ACTIONS.expCopyCsv, refusal: '' },
};

/** A table row's `webview/context` argument (webview/messages.ts: the row contract). */
function rowIdOf(arg: unknown): string | undefined {
  const rowId = (arg as { rowId?: unknown } | undefined)?.rowId;
  return typeof rowId === 'string' ? rowId : undefined;
}

/** The table of `root`: the open panel's when it shows that repository, else read in the core worker. */
async function tableOf(ctx: CommandContext, root: string): Promise<ExperimentsPayload> {
  const panel = ExperimentsPanel.open;
  if (panel?.payload && panel.repositoryRoot === root) return panel.payload;
  return ctx.core.call('expShow', root, { commits: EXPERIMENT_COMMITS, branches: ctx.extension.workspaceState.get<string[]>(RUN_BRANCHES_KEY, []) });
}

/** The rows `arg` names (a table row, a Runs view experiment), else the ones the user picks; undefined when the pick is dismissed. */
async function chosenRows(ctx: CommandContext, arg: unknown, action: Action): Promise<Chosen | undefined> {
  const rowId = rowIdOf(arg);
  const panel = ExperimentsPanel.open;
  if (rowId !== undefined) {
    if (!panel?.payload) throw new CairnError('USAGE', 'the experiments table is not open.');
    const rows = rowsById(panel.payload, rowsActedOn(panel.selection, rowId));
    return checked({ root: panel.repositoryRoot, payload: panel.payload, rows }, action);
  }
  const node = arg as RunNode | undefined;
  if (node?.kind === 'run' || node?.kind === 'queueRun') {
    // A Runs view row: the same row of the repository's table.
    const payload = await tableOf(ctx, node.root);
    const row = payload.rows.find((r) => (node.kind === 'queueRun' ? r.queueId === node.run.id : r.ref === node.run.id || r.id === node.run.id));
    if (!row) throw new CairnError('USAGE', `'${node.run.label}' is not in the experiments table of ${path.basename(node.root)}.`, { hint: 'Refresh the Runs view.' });
    return checked({ root: node.root, payload, rows: [row] }, action);
  }
  const root = await chosenRepository(ctx, undefined, `Repository of the experiments to ${action.verb}`);
  const payload = await tableOf(ctx, root);
  const candidates = payload.rows.filter(action.accepts);
  if (!candidates.length) throw new CairnError('USAGE', `there is nothing to ${action.verb} in ${path.basename(root)}: ${action.refusal}.`);
  const items = candidates.map((row) => ({ label: row.label, description: describeRow(row, payload), row }));
  const title = `Experiments to ${action.verb}`;
  // The step after the repository's, kept open when focus moves: in one CI run it closed unused,
  // likely as the first step's closing handed focus back to the editor.
  const picked = action.many
    ? await vscode.window.showQuickPick(items, { canPickMany: true, title, matchOnDescription: true, ignoreFocusOut: true })
    : await vscode.window.showQuickPick(items, { title, matchOnDescription: true, ignoreFocusOut: true }).then((p) => (p ? [p] : undefined));
  if (!picked?.length) return undefined;
  return { root, payload, rows: picked.map((p) => p.row) };
}

function checked(chosen: Chosen, action: Action): Chosen {
  if (!chosen.rows.length) throw new CairnError('USAGE', 'that row is no longer in the table.');
  const refused = chosen.rows.filter((r) => !action.accepts(r));
  if (refused.length) throw new CairnError('USAGE', `cannot ${action.verb} ${refused.map((r) => `'${r.label}'`).join(', ')}: ${action.refusal}.`);
  if (!action.many && chosen.rows.length > 1) throw new CairnError('USAGE', `${action.verb} works on one experiment at a time; ${chosen.rows.length} are selected.`, { hint: 'Choose the row alone.' });
  return chosen;
}

/** A quick pick item's description: the state and the baseline. */
function describeRow(row: ExperimentRow, payload: ExperimentsPayload): string {
  if (row.kind !== 'experiment') return row.kind === 'commit' ? `commit ${row.rev ?? ''}` : '';
  const baseline = payload.rows.find((r) => r.id === row.parent);
  return [row.remoteOnly ? 'on the git remote only' : row.state, baseline ? `on ${baseline.label}` : undefined].filter(Boolean).join(', ');
}

/** `Cairn: <what> '<name>': <message>`: an error naming the experiment. */
function namingError(err: unknown, what: string, row: ExperimentRow): CairnError {
  if (err instanceof CairnError && err.code === 'ABORTED') return err;
  const message = err instanceof CairnError ? err.oneLine() : (err as Error).message;
  return new CairnError('USAGE', `could not ${what} '${row.label}': ${message}`);
}

/** The git remote to push to or pull from: the only one, else the one picked; `origin` first in the list. */
async function chooseGitRemote(ctx: CommandContext, root: string, given?: string): Promise<string | undefined> {
  if (given) return given;
  const remotes = await ctx.core.call('gitRemotes', root, {});
  if (!remotes.length) throw new CairnError('USAGE', `${path.basename(root)} has no git remote to share experiments through.`, { hint: 'Add one with `git remote add origin <url>`.' });
  if (remotes.length === 1) return remotes[0];
  const ordered = [...remotes.filter((r) => r === 'origin'), ...remotes.filter((r) => r !== 'origin')];
  return (await vscode.window.showQuickPick(ordered, { title: 'Git remote' })) ?? undefined;
}

function syncMessage(verb: 'Pushed' | 'Pulled', remote: string, r: ExpSyncSummary): { text: string; error: boolean } {
  const parts = [
    r.success.length ? `${verb} ${r.success.map((n) => `'${n}'`).join(', ')} ${verb === 'Pushed' ? 'to' : 'from'} ${remote}` : `Nothing new ${verb === 'Pushed' ? 'to push to' : 'to pull from'} ${remote}`,
    r.up_to_date.length ? `${r.up_to_date.length} already up to date` : '',
    r.diverged.length ? `${r.diverged.map((n) => `'${n}'`).join(', ')} diverged and ${r.diverged.length === 1 ? 'was' : 'were'} left as ${r.diverged.length === 1 ? 'it is' : 'they are'}` : '',
    r.cacheError ? `their data could not all be moved: ${r.cacheError}` : '',
  ].filter(Boolean);
  return { text: parts.join('; ') + '.', error: !!r.cacheError || r.diverged.length > 0 };
}

/** The output channel Show Logs writes to, and the log it follows now (a new Show Logs stops following the last). */
let logChannel: vscode.OutputChannel | undefined;
let following: AbortController | undefined;

export function experimentHandlers(ctx: CommandContext): Record<ExperimentCommandKey, (...args: any[]) => unknown> {
  const refreshTable = async (root: string) => {
    await ExperimentsPanel.open?.refreshIfOf(root);
    await ctx.runs.refresh();
  };

  return {
    /** Over uncommitted changes it asks first (a modal), and Apply Anyway saves them to refs/exps/apply/stash. */
    async expApply(arg?: unknown) {
      requireTrust();
      const chosen = await chosenRows(ctx, arg, ACTIONS.expApply);
      if (!chosen) return;
      const [row] = chosen.rows;
      const run = (force: boolean) =>
        withProgress(`Applying '${row.label}' to the workspace`, (signal, onProgress) => ctx.core.call('expApply', chosen.root, { experiment: row.ref!, force }, { signal, onProgress }));
      let result;
      try {
        result = await run(false);
      } catch (err) {
        if (!(err instanceof CairnError) || err.code !== 'UNCOMMITTED_CHANGES') throw namingError(err, 'apply', row);
        const shown = err.paths.slice(0, 12).join('\n') + (err.paths.length > 12 ? `\n… and ${err.paths.length - 12} more` : '');
        const choice = await vscode.window.showWarningMessage(
          `Applying '${row.label}' would overwrite ${err.paths.length} file${err.paths.length === 1 ? '' : 's'} with uncommitted changes.`,
          { modal: true, detail: `${shown}\n\nApply Anyway saves the workspace as it is to refs/exps/apply/stash first (git stash apply refs/exps/apply/stash brings it back).` },
          'Apply Anyway',
        );
        if (choice !== 'Apply Anyway') return;
        result = await run(true).then(undefined, (e) => Promise.reject(namingError(e, 'apply', row)));
      }
      if (result.failed.length) void vscode.window.showErrorMessage(`Cairn: applied '${row.label}', but its data could not all be restored: ${result.failed.join(', ')}.`);
      else void vscode.window.showInformationMessage(`Applied '${row.label}' to the workspace${result.restored.length ? `; restored ${result.restored.length} output${result.restored.length === 1 ? '' : 's'}` : ''}.${result.stash ? ' Your changes were saved to refs/exps/apply/stash.' : ''}`);
      await ctx.refreshAll();
      await refreshTable(chosen.root);
      return result;
    },

    /** `branch` (for programmatic callers) skips the question. */
    async expBranch(arg?: unknown, branch?: string) {
      requireTrust();
      const chosen = await chosenRows(ctx, arg, ACTIONS.expBranch);
      if (!chosen) return;
      const [row] = chosen.rows;
      branch ??= await vscode.window.showInputBox({ title: `Create a git branch from '${row.label}'`, value: `${row.label}-branch`, validateInput: (v) => (v.trim() ? undefined : 'Enter a branch name') });
      if (!branch) return;
      const made = await ctx.core.call('expBranch', chosen.root, { experiment: row.ref!, branch: branch.trim() }).catch((e) => Promise.reject(namingError(e, 'make a branch of', row)));
      void vscode.window.showInformationMessage(`Created branch '${made.branch}' from '${row.label}'. Switch to it with git checkout ${made.branch}.`);
      await ctx.runs.refresh();
      return made;
    },

    /** `newName` (for programmatic callers) skips the question. */
    async expRename(arg?: unknown, newName?: string) {
      requireTrust();
      const chosen = await chosenRows(ctx, arg, ACTIONS.expRename);
      if (!chosen) return;
      const [row] = chosen.rows;
      newName ??= await vscode.window.showInputBox({ title: `Rename '${row.label}'`, value: row.label, validateInput: (v) => (v.trim() && !/[\s/]/.test(v.trim()) ? undefined : 'A name without spaces or slashes') });
      if (!newName || newName === row.label) return;
      await ctx.core.call('expRename', chosen.root, { experiment: row.ref!, newName: newName.trim() }).catch((e) => Promise.reject(namingError(e, 'rename', row)));
      await refreshTable(chosen.root);
    },

    /** Asks first (a modal). */
    async expRemove(arg?: unknown) {
      requireTrust();
      const chosen = await chosenRows(ctx, arg, ACTIONS.expRemove);
      if (!chosen) return;
      const names = chosen.rows.map((r) => `'${r.label}'`).join(', ');
      const choice = await vscode.window.showWarningMessage(`Remove ${chosen.rows.length === 1 ? `the experiment ${names}` : `${chosen.rows.length} experiments: ${names}`}?`, { modal: true, detail: 'Their git refs are deleted (queued runs leave the queue). Pushed copies stay on the git remote.' }, 'Remove');
      if (choice !== 'Remove') return;
      const removed = await ctx.core.call('expRemove', chosen.root, { names: chosen.rows.map((r) => r.ref ?? r.queueId!) }).catch((e) => Promise.reject(namingError(e, 'remove', chosen.rows[0])));
      await refreshTable(chosen.root);
      return removed;
    },

    /** `gitRemote` (for programmatic callers) skips the question. */
    async expPush(arg?: unknown, gitRemote?: string) {
      requireTrust();
      const chosen = await chosenRows(ctx, arg, ACTIONS.expPush);
      if (!chosen) return;
      const remote = await chooseGitRemote(ctx, chosen.root, gitRemote);
      if (!remote) return;
      const credentials = await remoteCredentials(ctx.extension.secrets, chosen.root, await ctx.remotes.remotesOf(chosen.root));
      const what = chosen.rows.length === 1 ? `'${chosen.rows[0].label}'` : `${chosen.rows.length} experiments`;
      const result = await withProgress(`Pushing ${what} to ${remote}`, (signal, onProgress) =>
        ctx.core.call('expPush', chosen.root, { experiments: chosen.rows.map((r) => r.ref!), gitRemote: remote, credentials }, { signal, onProgress }),
      ).then(undefined, (e) => Promise.reject(namingError(e, 'push', chosen.rows[0])));
      const message = syncMessage('Pushed', remote, result);
      void (message.error ? vscode.window.showErrorMessage(`Cairn: ${message.text}`) : vscode.window.showInformationMessage(message.text));
      await ExperimentsPanel.open?.readRemote(remote);
      return result;
    },

    /**
     * Experiments from the git remote: the remote-only rows invoked on (from the remote they were
     * listed from), or, from the palette, every experiment the picked remote holds.
     * `gitRemote` (for programmatic callers) skips the question.
     */
    async expPull(arg?: unknown, gitRemote?: string) {
      requireTrust();
      const rowId = rowIdOf(arg);
      const panel = ExperimentsPanel.open;
      let root: string;
      let refs: string[] = [];
      let label = 'the experiments';
      if (rowId !== undefined && panel?.payload) {
        root = panel.repositoryRoot;
        const rows = rowsById(panel.payload, rowsActedOn(panel.selection, rowId)).filter((r) => r.remoteOnly);
        if (!rows.length) throw new CairnError('USAGE', 'the chosen rows are already here: only experiments on the git remote alone can be pulled.');
        refs = rows.map((r) => r.ref!);
        label = rows.length === 1 ? `'${rows[0].label}'` : `${rows.length} experiments`;
        gitRemote ??= panel.remote?.name;
      } else root = await chosenRepository(ctx, undefined, 'Repository to pull experiments into');
      const remote = await chooseGitRemote(ctx, root, gitRemote);
      if (!remote) return;
      const credentials = await remoteCredentials(ctx.extension.secrets, root, await ctx.remotes.remotesOf(root));
      const result = await withProgress(`Pulling ${label} from ${remote}`, (signal, onProgress) =>
        ctx.core.call('expPull', root, { experiments: refs, gitRemote: remote, credentials }, { signal, onProgress }),
      ).then(undefined, (e) => Promise.reject(new CairnError('USAGE', `could not pull ${label} from ${remote}: ${e instanceof CairnError ? e.oneLine() : (e as Error).message}`)));
      const message = syncMessage('Pulled', remote, result);
      void (message.error ? vscode.window.showErrorMessage(`Cairn: ${message.text}`) : vscode.window.showInformationMessage(message.text));
      if (ExperimentsPanel.open?.repositoryRoot === root) await ExperimentsPanel.open.readRemote(remote);
      await ctx.runs.refresh();
      return result;
    },

    /** The run's log in the "Cairn: Experiment Log" output channel, followed until the run ends (a finished one's log whole). */
    async expShowLogs(arg?: unknown) {
      const chosen = await chosenRows(ctx, arg, ACTIONS.expShowLogs);
      if (!chosen) return;
      const [row] = chosen.rows;
      if (!row.queueId) {
        void vscode.window.showInformationMessage(`'${row.label}' runs in the workspace, not in Cairn's queue: its output is in the terminal it was started from.`);
        return;
      }
      following?.abort();
      const controller = (following = new AbortController());
      logChannel ??= vscode.window.createOutputChannel('Cairn: Experiment Log');
      const channel = logChannel;
      channel.clear();
      channel.appendLine(`── ${row.label} (${row.state}) ──`);
      channel.show(true);
      const [last] = await Repo.using(chosen.root, {}, (repo) =>
        readQueueLogs(repo, [row.queueId!], { follow: true, signal: controller.signal, onText: (_, text) => channel.append(text) }),
      );
      if (controller.signal.aborted) return;
      if (!last) channel.appendLine(`── '${row.label}' is no longer in the queue ──`);
      else channel.appendLine(`── ${row.label}: ${last.status} ──`);
      return last?.status;
    },

    /** A running run of Cairn's queue is interrupted; a workspace run is stopped where it runs. (A queued run leaves the queue by Remove.) */
    async expStop(arg?: unknown) {
      requireTrust();
      const chosen = await chosenRows(ctx, arg, ACTIONS.expStop);
      if (!chosen) return;
      // Running outside Cairn's queue: the run in the workspace (dvc's or Cairn's CLI's; one at most), interrupted as Ctrl-C would once the core has checked its process.
      // The workspace run's row is the one whose tip is the workspace (experimentsSnapshot: id `<baseline>:<name>:<tip rev>`).
      const inWorkspace = chosen.rows.filter((r) => !r.queueId && r.state === 'running' && r.id.endsWith(':workspace'));
      if (inWorkspace.length) {
        const label = inWorkspace.map((r) => `'${r.label}'`).join(', ');
        const stop = await withProgress(`Stopping ${label}`, (signal) => ctx.core.call('expStopWorkspace', chosen.root, {}, { signal }));
        if (stop.stopped) void vscode.window.showInformationMessage(`Stopped ${label}: the run in the workspace was interrupted, as Ctrl-C would.`);
        else void vscode.window.showWarningMessage(`Cairn did not stop ${label}: ${stop.reason}. Stop it with Ctrl-C in the terminal it was started from.`);
        await refreshTable(chosen.root);
      }
      const elsewhere = chosen.rows.filter((r) => !r.queueId && !inWorkspace.includes(r));
      if (elsewhere.length) {
        void vscode.window.showInformationMessage(`${elsewhere.map((r) => `'${r.label}'`).join(', ')} ${elsewhere.length === 1 ? 'runs' : 'run'} outside Cairn's queue (a \`--temp\` run, or dvc's queue): stop ${elsewhere.length === 1 ? 'it' : 'them'} with Ctrl-C in the terminal ${elsewhere.length === 1 ? 'it was' : 'they were'} started from, or \`dvc queue kill\` for dvc's queue.`);
      }
      const running = chosen.rows.filter((r) => r.queueId);
      if (!running.length) return;
      await withProgress(`Stopping ${running.map((r) => `'${r.label}'`).join(', ')}`, async () => {
        await Promise.all(running.map((r) => ctx.core.call('queueKill', chosen.root, { id: r.queueId!, force: false }).catch((e) => Promise.reject(namingError(e, 'stop', r)))));
      });
      await refreshTable(chosen.root);
    },

    /** The metrics panel comparing the rows (the first is the baseline). */
    async expCompare(arg?: unknown) {
      const chosen = await chosenRows(ctx, arg, ACTIONS.expCompare);
      if (!chosen) return;
      const revisions = chosen.rows.map((r) => (r.kind === 'workspace' ? WORKSPACE_REV : r.kind === 'commit' ? r.id : r.ref!));
      const snapshot = await ctx.runs.snapshot(chosen.root);
      const known = new Set(snapshot.runs.map((r) => r.id));
      const missing = chosen.rows.filter((_, i) => !known.has(revisions[i]));
      if (missing.length) throw new CairnError('USAGE', `${missing.map((r) => `'${r.label}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not among the runs the Runs view reads.`, { hint: 'Refresh the Runs view, or raise cairn.runs.historyLimit for older commits.' });
      return showPanel(ctx, chosen.root, snapshot, revisions);
    },

    async expCopyMarkdown(arg?: unknown) {
      const chosen = await chosenRows(ctx, arg, ACTIONS.expCopyMarkdown);
      if (!chosen) return;
      const text = rowsToMarkdown(chosen.payload, chosen.rows);
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Copied ${chosen.rows.length} row${chosen.rows.length === 1 ? '' : 's'} as Markdown.`);
      return text;
    },

    async expCopyCsv(arg?: unknown) {
      const chosen = await chosenRows(ctx, arg, ACTIONS.expCopyCsv);
      if (!chosen) return;
      const text = rowsToCsv(chosen.payload, chosen.rows);
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Copied ${chosen.rows.length} row${chosen.rows.length === 1 ? '' : 's'} as CSV.`);
      return text;
    },
  } satisfies Record<ExperimentCommandKey, unknown> & Partial<Record<CommandKey, unknown>>;
}

/**
 * The Runs view's selection drives the table and the plots: the selected runs of the table's
 * repository are selected (and scrolled to) in the open table, and an open metrics panel of that
 * repository compares them.
 */
export async function followRunsSelection(core: CoreClient, runs: RunsTreeProvider, context: vscode.ExtensionContext, log: vscode.LogOutputChannel, nodes: readonly RunNode[]): Promise<void> {
  const chosen = nodes.filter((n): n is Extract<RunNode, { kind: 'run' | 'queueRun' }> => n.kind === 'run' || n.kind === 'queueRun');
  const root = chosen[0]?.root;
  if (!root) return;
  const ofRoot = chosen.filter((n) => n.root === root);
  const table = ExperimentsPanel.open;
  if (table?.payload && table.repositoryRoot === root) {
    const ids = ofRoot
      .map((n) => table.payload!.rows.find((r) => (n.kind === 'queueRun' ? r.queueId === n.run.id : r.ref === n.run.id || r.id === n.run.id)))
      .filter((r): r is ExperimentRow => r !== undefined)
      .map((r) => r.id);
    if (ids.length) table.reveal(ids);
  }
  const revisions = ofRoot.filter((n) => n.kind === 'run').map((n) => n.run.id);
  if (MetricsPanel.open && revisions.length) {
    try {
      const snapshot = await runs.snapshot(root);
      MetricsPanel.show(context, log, snapshot, revisions, await core.call('plots', root, { revs: revisions }));
    } catch (err) {
      log.warn(`the plots of the runs selected could not be read: ${err instanceof CairnError ? err.oneLine() : (err as Error).message}`);
    }
  }
}
