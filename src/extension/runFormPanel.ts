import * as path from 'node:path';
import * as vscode from 'vscode';
import { CairnError } from '../core/errors';
import { SWEEP_ASK_ABOVE } from '../core/experiments/runQueue';
import { assertValidExpName } from '../core/experiments/names';
import { FROM_RUN_FORM, type FromRunForm, type RunFormPayload, type ToRunForm } from '../../webview/messages';
import { checkForm, type ParamField } from '../../webview/runForm';
import type { CoreClient } from './coreClient';
import { RUN_OUTPUT, type RunEnd } from './experimentRunProgress';
import { PanelHost, type PanelKind } from './panelHost';

const RUN_FORM_PANEL: PanelKind<FromRunForm> = { viewType: 'cairn.runForm', title: 'Modify Params and Run', script: 'runFormView.js', stylesheet: 'runForm.css', accepts: FROM_RUN_FORM };

/** What the form does with a checked submit, given by the commands that open it. */
export interface RunFormActions {
  /** `cairn exp run …` in the workspace of the repository, with a progress notification and Cancel; ends when the run does. */
  runExperiment(root: string, args: string[]): Promise<RunEnd>;
  /** How a detached queue worker starts Cairn's CLI: VS Code's runtime and dist/cli.js. */
  cli: string[];
  /** Told once runs were queued or workers started (the status bar reads the queue again). */
  onQueueChanged(root: string): void;
}

/** What became of a submit (for the log and the e2e tests). */
export type RunFormOutcome = { ok: boolean; message: string; field: number };

/**
 * "Modify Params and Run": the form (webview/runFormView.ts) on the panel host, prefilled from a
 * table row's params. A submit is checked again here as the page checked it (`checkForm`; the page
 * is untrusted), then runs in the workspace (with progress and Cancel) or goes to Cairn's queue (a sweep: one run
 * per combination; above SWEEP_ASK_ABOVE runs only once the user says yes). In Restricted Mode the
 * form is read-only and nothing is run.
 */
export class RunFormPanel {
  private static current: RunFormPanel | undefined;
  private root = '';
  private fields: ParamField[] = [];
  private readonly submitted = new vscode.EventEmitter<RunFormOutcome>();
  /** A submit was handled: run, queued or refused (for the e2e tests). */
  readonly onDidSubmit = this.submitted.event;
  readonly outcomes: RunFormOutcome[] = [];
  /** How the runs started from the form ended (for the e2e tests). */
  readonly runEnds: RunEnd[] = [];
  /** Fields the page drew, each time it drew (for the e2e tests). */
  readonly renders: number[] = [];
  payload: RunFormPayload | undefined;

  private constructor(
    private readonly host: PanelHost<ToRunForm, FromRunForm>,
    private readonly core: CoreClient,
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: RunFormActions,
  ) {
    host.onMessage((m) => void this.onMessage(m));
    // Trusted now: the same form, no longer read-only.
    const trusted = vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (!this.payload?.readOnly) return;
      this.payload = { ...this.payload, readOnly: undefined };
      this.host.post({ type: 'show', payload: this.payload });
    });
    host.onDidDispose(() => {
      if (RunFormPanel.current === this) RunFormPanel.current = undefined;
      this.submitted.dispose();
      trusted.dispose();
    });
  }

  /** The form of `row` (a table row id) of `root`, labelled `source`, in the open panel or a new one. */
  static async show(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, core: CoreClient, actions: RunFormActions, root: string, row: string, source: string): Promise<RunFormPanel> {
    const read = await core.call('runForm', root, { row });
    const host = PanelHost.show<ToRunForm, FromRunForm>(context, log, RUN_FORM_PANEL);
    if (RunFormPanel.current?.host !== host) RunFormPanel.current = new RunFormPanel(host, core, log, actions);
    const panel = RunFormPanel.current;
    panel.root = root;
    panel.fields = read.fields;
    const repository = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root))?.name ?? path.basename(root);
    panel.payload = {
      repository,
      source,
      fields: read.fields,
      skipped: read.skipped,
      readOnly: vscode.workspace.isTrusted ? undefined : 'Restricted Mode: this folder is not trusted, so Cairn runs and queues nothing in it (a run executes the pipeline\'s commands). Trust the folder (Manage Workspace Trust) to run.',
      askAbove: SWEEP_ASK_ABOVE,
    };
    host.panel.title = `Run: ${repository} (${source})`;
    host.post({ type: 'show', payload: panel.payload });
    return panel;
  }

  static get open(): RunFormPanel | undefined {
    return RunFormPanel.current;
  }

  private async onMessage(m: FromRunForm): Promise<void> {
    if (m.type === 'rendered') {
      this.renders.push(m.fields);
      return;
    }
    if (m.type !== 'submit') return;
    let outcome: RunFormOutcome;
    try {
      outcome = await this.submit(m);
    } catch (err) {
      const message = err instanceof CairnError ? err.oneLine() : (err as Error).message;
      outcome = { ok: false, message, field: -1 };
    }
    this.log[outcome.ok ? 'info' : 'warn'](`run form of ${this.root}: ${outcome.message}`);
    this.outcomes.push(outcome);
    this.host.post({ type: 'outcome', ...outcome });
    this.submitted.fire(outcome);
  }

  private async submit(m: Extract<FromRunForm, { type: 'submit' }>): Promise<RunFormOutcome> {
    if (!vscode.workspace.isTrusted) return { ok: false, message: 'Nothing runs in Restricted Mode: trust the folder first.', field: -1 };
    if (m.values.length !== this.fields.length) return { ok: false, message: 'The form is out of date: open it again.', field: -1 };
    const check = checkForm(this.fields, m.values);
    const bad = check.problems.findIndex((p) => p);
    if (bad >= 0) return { ok: false, message: check.problems[bad]!, field: bad };
    if (m.name) await assertValidExpName(this.root, m.name);
    if (m.action === 'run' && !check.sweep) {
      // `--option=value`: a value starting with '-' stays a value.
      const args = ['exp', 'run', ...check.setParams.map((s) => `--set-param=${s}`), ...(m.name ? [`--name=${m.name}`] : [])];
      void this.actions.runExperiment(this.root, args).then((end) => this.runEnds.push(end));
      return { ok: true, message: `Running: cairn ${args.join(' ')} (its output in the "${RUN_OUTPUT}" output channel)`, field: -1 };
    }
    if (check.runs > SWEEP_ASK_ABOVE) {
      // A question beside the form, not a modal: queuing is undone by `queue remove`, nothing is lost.
      const queue = `Queue ${check.runs} Runs`;
      const yes = await vscode.window.showWarningMessage(`Queue ${check.runs} runs? The sweep makes one experiment per combination of its values.`, queue, 'Cancel');
      if (yes !== queue) return { ok: false, message: `Nothing queued: the sweep's ${check.runs} runs were not confirmed.`, field: -1 };
    }
    const { names } = await this.core.call('enqueue', this.root, { setParams: check.setParams, name: m.name || undefined });
    let message = `Queued ${names.length} run${names.length === 1 ? '' : 's'}: ${names.join(', ')}.`;
    if (m.action === 'run') {
      const jobs = Math.max(1, Math.min(64, Math.floor(m.jobs)));
      const { started } = await this.core.call('queueStart', this.root, { jobs, cli: this.actions.cli });
      message += started ? ` Started ${started} worker${started === 1 ? '' : 's'}.` : ' The workers already running take them.';
    }
    this.actions.onQueueChanged(this.root);
    return { ok: true, message, field: -1 };
  }

  dispose(): void {
    this.host.dispose();
  }
}
