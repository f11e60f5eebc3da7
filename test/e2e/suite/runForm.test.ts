import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { clearNotifications, note, runInfo, screenshot, ui, waitFor } from './harness';

type Outcome = { ok: boolean; message: string; field: number };
type RunEnd = { code: number | null; signal: string | null; cancelled: boolean; name?: string };
type FormPanel = { outcomes: Outcome[]; runEnds: RunEnd[]; renders: number[]; payload?: { source: string; fields: Field[] }; dispose(): void };
type TablePanel = { payload?: { rows: { id: string; kind: string; label: string; state?: string; values: unknown[] }[]; columns: { id: string }[] }; refresh(): Promise<void> };
type Field = { file: string; path: string[]; value: string; workspace: string | null };
type Row = { name: string; state: string | null; cells: string[] };

/**
 * Only in the run form's run (test/e2e/e2e.test.ts passes `scenario: 'runForm'`, on the trained
 * baseline of `makeRunFormWorkspace`: params.yaml `train.lr` 0.1 and `train.epochs` 3; a run with
 * lr >= 1 fails).
 */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario === 'runForm') {
  describe('Modify Params and Run form', function () {
    this.timeout(240_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let workbench: { queue: { shown: { text: string; visible: boolean }; refresh(): Promise<void> }; runs: { refresh(): Promise<void>; getChildren(node?: unknown): { kind: string; run?: { label: string; kind: string } }[] } };
    const queued = () => (fs.existsSync(path.join(root, '.dvc/tmp/cairn/queue/queued')) ? fs.readdirSync(path.join(root, '.dvc/tmp/cairn/queue/queued')).filter((f) => f.endsWith('.json')) : []);
    const LR = 'input[data-field="params.yaml:train.lr"]';
    const EPOCHS = 'input[data-field="params.yaml:train.epochs"]';
    const PROGRESS = '.notifications-toasts .notification-toast:has-text("Cairn: running experiment")';

    let open: FormPanel | undefined;
    /** The form of the workspace in a new panel (the last one closed), once drawn. */
    async function openForm(): Promise<FormPanel> {
      open?.dispose();
      open = (await vscode.commands.executeCommand(COMMANDS.modifyParamsAndRun.id)) as FormPanel;
      const form = open;
      await waitFor('the form drawn', () => form.renders.length > 0 || undefined);
      return form;
    }

    /** Replace the text of a form field by typing, as a user would. */
    async function typeInto(selector: string, text: string): Promise<void> {
      await ui('webviewClick', { selector });
      await ui('press', { key: 'Control+a' });
      await ui('typeText', { text });
    }

    async function submitted(form: FormPanel, before: number): Promise<Outcome> {
      return waitFor('the form submitted', () => form.outcomes[before], 60_000);
    }

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: typeof workbench }>('cairn.cairn')!.activate()).workbench;
    });

    it('refuses text in a number field next to the field, and queues nothing', async () => {
      const form = await openForm();
      assert.deepEqual(form.payload!.fields.map((f) => `${f.file}:${f.path.join('.')}`), ['params.yaml:train.lr', 'params.yaml:train.epochs']);
      await typeInto(LR, 'abc');
      assert.match(await ui<string>('webviewText', { selector: '#field-0-problem' }), /abc is not a number/);
      assert.equal(await ui<string>('webviewText', { selector: '.runs' }), '1 field to fix');
      await screenshot('run-form-bad-input');
      // The buttons are disabled; a page that sent it anyway is refused by the extension, and nothing is queued.
      const before = form.outcomes.length;
      await ui('runFormPost', { message: { type: 'submit', action: 'queue', name: '', values: ['abc', '3'], jobs: 1 } });
      const outcome = await submitted(form, before);
      assert.deepEqual([outcome.ok, outcome.field], [false, 0]);
      assert.match(outcome.message, /abc is not a number/);
      // A name git cannot take is refused before anything runs.
      await typeInto(LR, '0.2');
      await typeInto('input.name', '--force');
      const named = form.outcomes.length;
      await ui('webviewClick', { selector: 'button.primary' });
      const badName = await submitted(form, named);
      assert.deepEqual([badName.ok, badName.field], [false, -1]);
      assert.match(badName.message, /^invalid experiment name '--force'/);
      assert.match(await ui<string>('webviewText', { selector: '.outcome' }), /^invalid experiment name '--force'/);
      await typeInto('input.name', ' ');
      // An empty sweep is refused in the form as well.
      await typeInto(LR, 'range(5,1)');
      assert.match(await ui<string>('webviewText', { selector: '#field-0-problem' }), /makes no runs/);
      // A sweep of more than 20 runs is queued only once confirmed: declined, nothing is queued.
      await typeInto(LR, 'range(1,30)');
      assert.equal(await ui<string>('webviewText', { selector: '.runs' }), '29 runs (asks before queuing)');
      const asked = form.outcomes.length;
      await clearNotifications();
      await ui('webviewClick', { selector: 'button.secondary' });
      const toast = '.notifications-toasts .notification-toast:has-text("Queue 29 runs?")';
      await ui('waitFor', { selector: toast });
      await screenshot('run-form-confirm-sweep');
      await ui('click', { selector: `${toast} .monaco-button:has-text("Cancel")` });
      const declined = await submitted(form, asked);
      assert.deepEqual([declined.ok, declined.message], [false, "Nothing queued: the sweep's 29 runs were not confirmed."]);
      assert.deepEqual(queued(), []);
    });

    it('runs an experiment from the form with a progress notification: its row appears in the experiments table and finishes', async () => {
      const form = await openForm();
      await typeInto(LR, '0.3');
      // 5 epochs: two seconds of training, to see the progress.
      await typeInto(EPOCHS, '5');
      await typeInto('input.name', 'form-run');
      assert.equal(await ui<string>('webviewText', { selector: '.runs' }), '1 run');
      await clearNotifications();
      const before = form.outcomes.length;
      await ui('webviewClick', { selector: 'button.primary' });
      const outcome = await submitted(form, before);
      assert.ok(outcome.ok, outcome.message);
      assert.equal(outcome.message, 'Running: cairn exp run --set-param=params.yaml:train.lr=0.3 --set-param=params.yaml:train.epochs=5 --name=form-run (its output in the "Cairn: Experiment Runs" output channel)');
      await ui('waitFor', { selector: `${PROGRESS}:has-text("form-run, stage train")` });
      await screenshot('run-form-progress');
      const table = (await vscode.commands.executeCommand(COMMANDS.showExperiments.id)) as TablePanel;
      const row = await waitFor('form-run finished in the table', () => table.payload?.rows.find((r) => r.label === 'form-run' && r.state === 'success'), 120_000);
      assert.deepEqual(await waitFor('the run ended', () => form.runEnds.find((e) => e.name === 'form-run')), { code: 0, signal: null, cancelled: false, name: 'form-run' });
      await ui('waitFor', { selector: '.notifications-toasts .notification-toast:has-text("Cairn: experiment form-run finished.")' });
      await screenshot('run-form-finished');
      const lr = table.payload!.columns.findIndex((c) => c.id.endsWith('\u001flr'));
      assert.equal(row.values[lr], 0.3);
      const drawn = await waitFor('form-run drawn', async () => (await ui<Row[]>('experimentRows', { atLeast: 3 })).find((r) => r.name === 'form-run' && r.state === 'success'));
      assert.equal(drawn.cells[2], '0.3');

      // From a row's context menu (its webview/context argument): the form of that row's params, the workspace's beside them.
      const rowForm = async (label: string) => {
        const id = table.payload!.rows.find((r) => r.label === label)!.id;
        open?.dispose();
        open = (await vscode.commands.executeCommand(COMMANDS.modifyParamsAndRun.id, { webviewSection: 'experimentRow', rowId: id, preventDefaultContextMenuItems: true })) as FormPanel;
        return open.payload!;
      };
      const lrOf = (p: { fields: Field[] }) => p.fields.find((f) => f.path.join('.') === 'train.lr')!;
      const ofExperiment = await rowForm('form-run');
      assert.deepEqual([ofExperiment.source, lrOf(ofExperiment).value, lrOf(ofExperiment).workspace], ['form-run', '0.3', '0.3']);
      const ofBaseline = await rowForm('main');
      assert.deepEqual([ofBaseline.source, lrOf(ofBaseline).value, lrOf(ofBaseline).workspace], ['main', '0.1', '0.3']);
      await waitFor('the baseline row\'s form drawn', () => open!.renders.length > 0 || undefined);
      assert.equal(await ui<string>('webviewText', { selector: '.runs' }), '1 run');
      await screenshot('run-form-of-baseline');
      // From the Runs view's row of the experiment.
      await workbench.runs.refresh();
      // Experiments are nested under their commit (or under Experiments when their commit is not listed).
      const runRow = workbench.runs
        .getChildren()
        .flatMap((n) => (n.kind === 'experiments' || n.run?.kind === 'commit' ? workbench.runs.getChildren(n) : []))
        .find((n) => n.run?.label === 'form-run');
      assert.ok(runRow, 'no form-run row in the Runs view');
      open?.dispose();
      open = (await vscode.commands.executeCommand(COMMANDS.modifyParamsAndRun.id, runRow)) as FormPanel;
      assert.deepEqual([open.payload!.source, lrOf(open.payload!).value], ['form-run', '0.3']);
    });

    it('cancels a slow run with its progress notification\'s Cancel: no experiment is recorded, and the workspace is left as exp run leaves it on Ctrl-C', async () => {
      const form = await openForm();
      await typeInto(EPOCHS, '60');
      await typeInto('input.name', 'slow-run');
      await clearNotifications();
      const before = form.outcomes.length;
      await ui('webviewClick', { selector: 'button.primary' });
      assert.ok((await submitted(form, before)).ok);
      const table = (await vscode.commands.executeCommand(COMMANDS.showExperiments.id)) as TablePanel;
      await waitFor('slow-run running in the table', () => table.payload?.rows.find((r) => r.label === 'slow-run' && r.state === 'running'), 60_000);
      await ui('waitFor', { selector: `${PROGRESS}:has-text("slow-run, stage train")` });
      await screenshot('run-form-slow-progress');
      await ui('click', { selector: `${PROGRESS} .monaco-button:has-text("Cancel")` });
      const end = await waitFor('the run ended', () => form.runEnds.find((e) => e.name === 'slow-run'), 30_000);
      // The CLI's exit on Ctrl-C (dvc's own exit is 255 there).
      assert.deepEqual([end.cancelled, end.code], [true, 130]);
      await ui('waitFor', { selector: '.notifications-toasts .notification-toast:has-text("Cairn: the run of slow-run was cancelled.")' });
      await screenshot('run-form-cancelled');
      // As `exp run` (Cairn's and dvc's) leaves it on Ctrl-C: the params as the run set them, no experiment; no run record says it runs.
      assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /epochs: 60/);
      assert.doesNotMatch(execFileSync('git', ['for-each-ref', '--format=%(refname)', 'refs/exps'], { cwd: root, encoding: 'utf8' }), /slow-run/);
      assert.ok(!fs.existsSync(path.join(root, '.dvc', 'tmp', 'exps', 'run', 'workspace')), 'the run record was left behind');
      await waitFor('slow-run gone from the table', () => (table.payload && !table.payload.rows.some((r) => r.label === 'slow-run')) || undefined);
      // The sweep below starts from the workspace's params: the baseline's epochs again.
      fs.writeFileSync(path.join(root, 'params.yaml'), fs.readFileSync(path.join(root, 'params.yaml'), 'utf8').replace('epochs: 60', 'epochs: 3'));
    });

    it('queues a 3-value sweep, shows it in the status bar, and two workers run it: three rows succeed', async () => {
      const form = await openForm();
      await typeInto(LR, '0.15,0.25,0.35');
      await typeInto('input.name', 'sweep');
      assert.equal(await ui<string>('webviewText', { selector: '.runs' }), '3 runs');
      assert.equal(await ui<string>('webviewText', { selector: 'button.secondary' }), 'Queue Sweep');
      const before = form.outcomes.length;
      await ui('webviewClick', { selector: 'button.secondary' });
      const outcome = await submitted(form, before);
      assert.ok(outcome.ok, outcome.message);
      assert.equal(outcome.message, 'Queued 3 runs: sweep-1, sweep-2, sweep-3.');
      assert.equal(queued().length, 3);
      await waitFor('the status bar showing 3 queued', () => /Cairn queue: 3 queued/.test(workbench.queue.shown.text) && workbench.queue.shown.visible);
      await ui('waitFor', { selector: '.statusbar-item:has-text("Cairn queue: 3 queued")' });
      await screenshot('run-form-sweep-queued');

      const started = Date.now();
      await vscode.commands.executeCommand(COMMANDS.startQueueWorkers.id, { root, jobs: 2 });
      const table = (await vscode.commands.executeCommand(COMMANDS.showExperiments.id)) as TablePanel;
      const sweep = () => (table.payload?.rows ?? []).filter((r) => /^sweep-\d$/.test(r.label));
      let sawRunning = false;
      await waitFor(
        'the three sweep runs succeeded',
        () => {
          sawRunning ||= /running/.test(workbench.queue.shown.text);
          const rows = sweep();
          return (rows.length === 3 && rows.every((r) => r.state === 'success')) || undefined;
        },
        180_000,
      );
      note(`sweep of 3 with -j 2 ran in ${Date.now() - started} ms`);
      const lr = table.payload!.columns.findIndex((c) => c.id.endsWith('\u001flr'));
      assert.deepEqual(sweep().map((r) => r.values[lr]).sort(), [0.15, 0.25, 0.35]);
      assert.ok(sawRunning, 'the status bar never said the queue was running');
      // Once the workers have nothing left they exit, and the item goes away.
      await waitFor('the status bar item hidden', async () => {
        await workbench.queue.refresh();
        return !workbench.queue.shown.visible || undefined;
      }, 60_000);
    });

    it('looks right in a light and a dark theme (screenshots)', async () => {
      const form = await openForm();
      await typeInto(LR, '0.1,0.2');
      const config = vscode.workspace.getConfiguration('workbench');
      for (const [theme, name] of [['Default Dark Modern', 'run-form-dark'], ['Default Light Modern', 'run-form-light']] as const) {
        await config.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        // The page follows the theme: its body's class says which kind it drew with.
        await ui('webviewText', { selector: `body.${theme.includes('Light') ? 'vscode-light' : 'vscode-dark'} .actions` });
        assert.ok(await screenshot(name));
      }
      await config.update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      assert.ok(form.renders.length > 0);
    });
  });
}

/**
 * Only in the multi-root run (`scenario: 'multiroot'`, two repositories `first` and `second`): the
 * queue's status bar item sums the repositories, or shows the active editor's, and the queue's
 * commands ask which repository — never silently the first.
 */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario === 'multiroot') {
  describe('Experiments in a multi-root workspace: the queue in the status bar', function () {
    this.timeout(120_000);

    it("shows the sum of the repositories' queues, or the active editor's repository's, and asks which repository to act on", async () => {
      const extension = vscode.extensions.getExtension<{ workbench: { queue: { shown: { text: string; visible: boolean } } } }>('cairn.cairn')!;
      const { workbench } = await extension.activate();
      const [first, second] = vscode.workspace.workspaceFolders!.map((f) => f.uri.fsPath);
      const cli = path.join(extension.extensionPath, 'dist', 'cli.js');
      const queue = (root: string, lr: string) => execFileSync(process.execPath, [cli, 'exp', 'run', '--queue', '-S', `train.lr=${lr}`], { cwd: root, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
      queue(first, '0.5');
      queue(second, '0.6');
      queue(second, '0.7');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await waitFor('the sum of both queues', () => (workbench.queue.shown.visible && workbench.queue.shown.text === '$(beaker) Cairn queue: 3 queued') || undefined);
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(first, 'params.yaml')));
      await waitFor("first's queue alone", () => workbench.queue.shown.text === '$(beaker) Cairn queue: 1 queued' || undefined);
      await ui('waitFor', { selector: '.statusbar-item:has-text("Cairn queue: 1 queued")' });
      await screenshot('queue-status-first');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await waitFor('the sum again', () => workbench.queue.shown.text === '$(beaker) Cairn queue: 3 queued' || undefined);
      // No editor, no row: Stop Workers asks which repository.
      void vscode.commands.executeCommand(COMMANDS.stopQueueWorkers.id);
      await ui('waitFor', { selector: '.quick-input-widget .monaco-list-row[aria-label*="first"]' });
      await ui('waitFor', { selector: '.quick-input-widget .monaco-list-row[aria-label*="second"]' });
      await screenshot('queue-repository-pick');
      await ui('press', { key: 'Escape' });
      // The status bar item's click: the queue's actions.
      void vscode.commands.executeCommand(COMMANDS.showQueueActions.id);
      for (const action of ['Start Workers', 'Stop Workers', 'Kill Running Experiments', 'Show Experiments', 'Modify Params and Run']) {
        await ui('waitFor', { selector: `.quick-input-widget .monaco-list-row[aria-label*="${action}"]` });
      }
      await ui('press', { key: 'Escape' });
    });
  });
}
