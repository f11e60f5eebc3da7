import * as path from 'node:path';
import * as vscode from 'vscode';
import { CairnError } from '../core/errors';
import type { CommandKey } from './commandIds';
import type { CoreClient } from './coreClient';
import { ExperimentsPanel } from './experimentsPanel';
import { RUN_OUTPUT, runExperimentWithProgress, stopRunsOnDispose } from './experimentRunProgress';
import type { QueueStatusBar } from './queueStatusBar';
import { RunFormPanel, type RunFormActions } from './runFormPanel';
import type { RunNode } from './runsTree';

/** The commands of running experiments: the Modify Params and Run form and the queue's workers. */
export type RunCommandKey = 'modifyParamsAndRun' | 'startQueueWorkers' | 'stopQueueWorkers' | 'killQueueWorkers' | 'showQueueActions';

export interface RunCommandContext {
  core: CoreClient;
  extension: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  queue: QueueStatusBar;
  /** The repository of a row, else of the active editor, else the only one; with several the user picks. */
  chosenRepository(fromRow: string | undefined, placeHolder: string): Promise<string>;
  requireTrust(): void;
}

/** The `webview/context` argument of a row of the experiments table (see FromExperiments' `selection`). */
type TableRowContext = { webviewSection: 'experimentRow'; rowId: string };

function isTableRow(arg: unknown): arg is TableRowContext {
  const row = arg as Partial<TableRowContext> | undefined;
  return typeof row === 'object' && row !== null && row.webviewSection === 'experimentRow' && typeof row.rowId === 'string';
}

type Handler = (...args: any[]) => unknown;

export function runCommands(ctx: RunCommandContext): Record<RunCommandKey, Handler> {
  // Detached workers outlive the editor: VS Code's runtime run as Node, as the terminal shim does.
  const cli = [process.execPath, path.join(ctx.extension.extensionPath, 'dist', 'cli.js')];
  const output = vscode.window.createOutputChannel(RUN_OUTPUT);
  ctx.extension.subscriptions.push(output, stopRunsOnDispose());
  const actions: RunFormActions = {
    runExperiment: (root, args) =>
      runExperimentWithProgress({ root, args, cli, output, core: ctx.core, log: ctx.log, onRunChanged: () => void ExperimentsPanel.open?.refreshIfOf(root) }),
    cli,
    onQueueChanged: () => void ctx.queue.refresh(),
  };
  /** The repository a queue command acts on: given (programmatic callers), else chosen. */
  const rootOf = async (args: { root?: string } | undefined) => ctx.chosenRepository(typeof args?.root === 'string' ? args.root : undefined, 'Repository whose experiment queue to act on');

  return {
    /**
     * The form prefilled from a row: of the experiments table (its `webview/context` menu), of the
     * Runs view, or, from the palette, the workspace of the chosen repository. In Restricted Mode
     * it opens read-only.
     */
    async modifyParamsAndRun(arg?: unknown) {
      const table = ExperimentsPanel.open;
      if (isTableRow(arg) && table) {
        const row = table.payload?.rows.find((r) => r.id === arg.rowId);
        return RunFormPanel.show(ctx.extension, ctx.log, ctx.core, actions, table.repositoryRoot, arg.rowId, row?.label ?? arg.rowId);
      }
      const node = arg as RunNode | undefined;
      if (node?.kind === 'run') {
        if (node.run.kind === 'branch') throw new CairnError('USAGE', `choose a commit or an experiment of ${node.run.label}, not the branch.`);
        return RunFormPanel.show(ctx.extension, ctx.log, ctx.core, actions, node.root, node.run.id, node.run.label);
      }
      return RunFormPanel.show(ctx.extension, ctx.log, ctx.core, actions, await ctx.chosenRepository(undefined, 'Repository whose params to run with'), 'workspace', 'workspace');
    },

    /** `queue start -j N`; `args` (for programmatic callers) skips the questions. */
    async startQueueWorkers(args?: { root?: string; jobs?: number }) {
      ctx.requireTrust();
      const root = await rootOf(args);
      let jobs = args?.jobs;
      if (jobs === undefined) {
        const typed = await vscode.window.showInputBox({
          title: 'Start Queue Workers',
          prompt: 'How many experiments run at once (-j)',
          value: '1',
          validateInput: (v) => (/^[1-9]\d*$/.test(v.trim()) && Number(v) <= 64 ? undefined : 'Enter a whole number from 1 to 64'),
        });
        if (typed === undefined) return;
        jobs = Number(typed.trim());
      }
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) throw new CairnError('USAGE', `${jobs} workers: give a whole number from 1 to 64.`);
      const { started } = await ctx.core.call('queueStart', root, { jobs, cli: actions.cli });
      await ctx.queue.refresh();
      void vscode.window.showInformationMessage(started ? `Started ${started} queue worker${started === 1 ? '' : 's'} in ${path.basename(root)}.` : `${jobs} worker${jobs === 1 ? ' is' : 's are'} already running in ${path.basename(root)}.`);
    },

    /** `queue stop`: the workers take no new run; the running ones finish. */
    async stopQueueWorkers(args?: { root?: string }) {
      ctx.requireTrust();
      const root = await rootOf(args);
      await ctx.core.call('queueStop', root, { kill: false });
      await ctx.queue.refresh();
      void vscode.window.showInformationMessage(`The queue workers of ${path.basename(root)} stop once their running experiments end.`);
    },

    /** `queue stop --kill`: the running experiments are interrupted too (they end failed, with their logs). */
    async killQueueWorkers(args?: { root?: string; confirmed?: boolean }) {
      ctx.requireTrust();
      const root = await rootOf(args);
      const yes = args?.confirmed
        ? 'Stop and Kill'
        : await vscode.window.showWarningMessage('Stop the queue workers and kill the running experiments?', { modal: true, detail: 'The running experiments end failed; their logs are kept. Queued ones stay queued.' }, 'Stop and Kill');
      if (yes !== 'Stop and Kill') return;
      const { killed } = await ctx.core.call('queueStop', root, { kill: true });
      await ctx.queue.refresh();
      void vscode.window.showInformationMessage(killed.length ? `Killed ${killed.join(', ')}; the workers stop.` : 'Nothing was running; the workers stop.');
    },

    /** The status bar item's click: the queue's actions. */
    async showQueueActions() {
      const actionsList: { label: string; command: CommandKey }[] = [
        { label: '$(play) Start Workers…', command: 'startQueueWorkers' },
        { label: '$(debug-stop) Stop Workers', command: 'stopQueueWorkers' },
        { label: '$(close) Stop Workers and Kill Running Experiments', command: 'killQueueWorkers' },
        { label: '$(beaker) Show Experiments', command: 'showExperiments' },
        { label: '$(edit) Modify Params and Run…', command: 'modifyParamsAndRun' },
      ];
      const pick = await vscode.window.showQuickPick(actionsList, { placeHolder: 'Cairn experiment queue' });
      if (pick) await vscode.commands.executeCommand(`cairn.${pick.command}`);
    },
  };
}
