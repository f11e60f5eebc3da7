import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { isExpRunEvent } from '../core/experiments/runEvents';
import type { LivePlots } from '../../webview/messages';
import type { CoreClient } from './coreClient';
import { LivePlotsFeed } from './livePlots';

/** How a run from the form ended: its exit code or signal, whether the user cancelled it, the experiment's name once the CLI said it. */
export interface RunEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  name?: string;
}

/** The output channel the runs' output streams into. */
export const RUN_OUTPUT = 'Cairn: Experiment Runs';

/** Runs going on: stopped as Ctrl-C would when the window closes (as VS Code stops a terminal's). */
const running = new Set<ChildProcess>();

/** Ctrl-C: SIGINT to the run's whole process group (the CLI and the stage's commands). */
function interrupt(child: ChildProcess): void {
  try {
    // Windows has no process groups nor SIGINT to send: the CLI is ended (its stage's commands may go on).
    if (process.platform === 'win32') child.kill();
    else process.kill(-child.pid!, 'SIGINT');
  } catch {
    // It ended meanwhile.
  }
}

export function stopRunsOnDispose(): vscode.Disposable {
  return { dispose: () => running.forEach(interrupt) };
}

/**
 * `cairn exp run <args>` in the workspace of `root`, from the Modify Params and Run form: the
 * bundled CLI as a child process in its own process group, its output streamed into the
 * `RUN_OUTPUT` channel, a progress notification saying the stage running (from the CLI's IPC
 * events) and DVCLive's step (from the live feed of `root`, shared with the table and the plots
 * panel), whose Cancel interrupts the run as Ctrl-C in a terminal would (the CLI and the stage's
 * commands get SIGINT; `exp run` ends cancelled and leaves the workspace as it does on Ctrl-C). Not a
 * terminal: a terminal gives no progress nor an end to tell the user of.
 */
export function runExperimentWithProgress(options: {
  root: string;
  args: string[];
  cli: string[];
  output: vscode.OutputChannel;
  core: CoreClient;
  log: vscode.LogOutputChannel;
  /**
   * Called when the run's record says it runs (its first stage started) and when it ended: the
   * experiments table reads again then, rather than wait on file events a loaded machine may drop.
   */
  onRunChanged?: () => void;
}): Promise<RunEnd> {
  const { root, args, output } = options;
  return new Promise<RunEnd>((done) => void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Cairn: running experiment', cancellable: true }, (progress, token) =>
    new Promise<RunEnd>((resolve) => {
      output.appendLine(`[${new Date().toISOString()}] ${root}: cairn ${args.join(' ')}`);
      const child = spawn(options.cli[0], [...options.cli.slice(1), ...args], {
        cwd: root,
        // Its own process group: Cancel interrupts the run and its stage's commands, nothing else.
        detached: process.platform !== 'win32',
        windowsHide: true,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      running.add(child);
      const where: { name?: string; stage?: string; step?: number } = {};
      const report = () => progress.report({ message: `${where.name ?? 'starting'}${where.stage ? `, stage ${where.stage}` : ''}${where.step !== undefined ? `, step ${where.step}` : ''}` });
      report();
      child.on('message', (event) => {
        if (!isExpRunEvent(event)) return;
        if (event.type === 'phase') where.name = event.name;
        else {
          // The run record is written before the first stage starts.
          if (where.stage === undefined) options.onRunChanged?.();
          where.stage = event.stage;
        }
        report();
      });
      // DVCLive's step, once the workspace's run record names this run (before that its metrics are an older run's).
      const live = LivePlotsFeed.follow(root, options.core, options.log, {
        onRead: (read) => {
          const step = workspaceStep(read, where.name);
          if (step === undefined || step === where.step) return;
          where.step = step;
          report();
        },
      });
      let lastError = '';
      for (const [stream, isError] of [[child.stdout!, false], [child.stderr!, true]] as const) {
        const decoder = new StringDecoder('utf8');
        stream.on('data', (bytes: Buffer) => {
          const text = decoder.write(bytes);
          output.append(text);
          if (isError) lastError = text.trim().split('\n').filter(Boolean).pop() ?? lastError;
        });
      }
      let cancelled = false;
      const cancel = token.onCancellationRequested(() => {
        cancelled = true;
        output.appendLine('Cancelling (as Ctrl-C)…');
        interrupt(child);
      });
      let ended = false;
      const end = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
        if (ended) return;
        ended = true;
        running.delete(child);
        cancel.dispose();
        live.dispose();
        const result: RunEnd = { code, signal, cancelled, name: where.name };
        const what = where.name ? `the run of ${where.name}` : 'the run';
        output.appendLine(`[${new Date().toISOString()}] ${error ? `could not start: ${error.message}` : cancelled ? 'cancelled' : `exited with ${code ?? signal}`}`);
        options.log.info(`exp run from the form in ${root}: ${JSON.stringify(result)}`);
        const show = (choice: string | undefined) => choice === 'Show Output' && output.show(true);
        if (code === 0) void vscode.window.showInformationMessage(`Cairn: experiment ${where.name ?? ''} finished.`, 'Show Output').then(show);
        else if (cancelled) void vscode.window.showInformationMessage(`Cairn: ${what} was cancelled.`, 'Show Output').then(show);
        else void vscode.window.showErrorMessage(`Cairn: ${what} failed (${error ? error.message : `exit ${code ?? signal}`})${lastError ? `: ${lastError}` : ''}`, 'Show Output').then(show);
        options.onRunChanged?.();
        resolve(result);
      };
      child.on('error', (err) => end(null, null, err));
      child.on('close', (code, signal) => end(code, signal));
    }),
  ).then(done));
}

/** DVCLive's `step` in the workspace's metrics (a `step` key at a metrics file's top), while the workspace's run is `name`. */
function workspaceStep(live: LivePlots, name: string | undefined): number | undefined {
  const workspace = live.runs.find((r) => r.id === 'workspace');
  if (!name || workspace?.experiment !== name) return undefined;
  for (const [id, value] of Object.entries(workspace.metrics ?? {})) {
    const parts = id.split('\u001f');
    if (parts.length === 3 && parts[0] === 'metrics' && parts[2] === 'step' && typeof value === 'number') return value;
  }
  return undefined;
}
