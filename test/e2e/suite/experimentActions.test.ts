import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import type { ExperimentsPayload } from '../../../webview/messages';
import { clearNotifications, runInfo, screenshot, ui, waitFor } from './harness';
import type { DialogText } from '../menuSteps';

type Row = { name: string; state: string | null; cells: string[] };
type Panel = { payload?: ExperimentsPayload; repositoryRoot: string };

const scenario = (runInfo()?.data as { scenario?: string } | undefined)?.scenario;
const git = (root: string, ...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const expRefs = (root: string) => git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').filter((r) => r && !r.startsWith('refs/exps/apply/'));
/** What a table row's `webview/context` menu hands its command (the row contract in webview/messages.ts). */
const rowArg = (rowId: string) => ({ webviewSection: 'experimentRow', rowId, preventDefaultContextMenuItems: true });
/** The menus' item labels (the commands' titles in src/extension/commandIds.ts). */
const [APPLY, BRANCH, RENAME, REMOVE, PUSH, LOGS, STOP, COMPARE, COPY_MARKDOWN, COPY_CSV, MODIFY, REGISTER] = (
  ['expApply', 'expBranch', 'expRename', 'expRemove', 'expPush', 'expShowLogs', 'expStop', 'expCompare', 'expCopyMarkdown', 'expCopyCsv', 'modifyParamsAndRun', 'registerExperimentVersion'] as const
).map((key) => COMMANDS[key].title);

async function rowId(panel: Panel, label: string): Promise<string> {
  return waitFor(`the row of ${label}`, () => panel.payload?.rows.find((r) => r.label === label && !r.remoteOnly)?.id);
}

/**
 * Only in the experiment actions run (test/e2e/e2e.test.ts, `scenario: 'expactions'`, on the
 * workspace of `makeExperimentActionsWorkspace`: the experiments table's workspace plus `exp-extra`,
 * with `origin`, a bare repository where a second clone pushed `exp-teammate`). The actions are
 * chosen as a user chooses them: a right-click on the row, an item of the menu the workbench opens,
 * and the modal dialog's button (the run lets the workbench show modal dialogs: `modalDialogs`).
 */
if (scenario === 'expactions') {
  describe('Experiment row actions', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let panel: Panel;
    const selection = () => (panel as unknown as { selection: string[] }).selection;
    /** The Experiment cell of a table row (what a user clicks). */
    const cell = (id: string) => `.body .row[data-id="${id}"] .name`;
    /** Right-click a table row; the labels of the menu it opens. */
    const rowMenu = async (label: string) => ui<string[]>('contextMenu', { selector: cell(await rowId(panel, label)), inWebview: true });
    /** Right-click a table row and choose `item` from its menu. */
    const onRow = async (label: string, item: string) => {
      assert.ok((await rowMenu(label)).includes(item), `${label}'s menu offers ${item}`);
      await ui('menuPick', { label: item });
    };
    /** Select rows as a user does: a click, then ctrl-clicks. */
    const selectRows = async (...labels: string[]) => {
      const ids = await Promise.all(labels.map((l) => rowId(panel, l)));
      for (const [i, id] of ids.entries()) await ui('webviewClick', { selector: cell(id), modifiers: i ? ['Control'] : [] });
      await waitFor(`${labels.join(' and ')} selected`, () => (JSON.stringify([...selection()].sort()) === JSON.stringify([...ids].sort()) ? true : undefined));
    };
    const toast = (text: string) => ui('waitFor', { selector: `.notifications-toasts .notification-list-item:has-text(${JSON.stringify(text)})` });
    const output = (text: string) => ui('waitFor', { selector: `.part.panel .view-lines:has-text(${JSON.stringify(text)})` });

    before(async () => {
      await vscode.extensions.getExtension('cairn.cairn')!.activate();
      panel = (await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id))!;
    });

    it("shows an experiment only on the git remote dimmed, and its row's context menu pulls it", async () => {
      const dimmed = await ui<string>('webviewText', { selector: '.body .row.remote-only' });
      assert.match(dimmed, /exp-teammate/);
      assert.ok(!expRefs(root).some((r) => r.endsWith('/exp-teammate')), 'not here before the pull');
      await screenshot('remote-only-dimmed');
      await clearNotifications();
      const menu = await ui<string[]>('contextMenu', { selector: '.body .row.remote-only .name', inWebview: true });
      assert.deepEqual(menu, [COPY_MARKDOWN, COPY_CSV, 'Pull Experiments'], 'a row only on the remote can be pulled and copied, nothing else');
      await screenshot('row-context-menu');
      await ui('menuPick', { label: 'Pull Experiments' });
      await waitFor('exp-teammate pulled', () => expRefs(root).find((r) => r.endsWith('/exp-teammate')), 60_000);
      await toast("Pulled 'exp-teammate' from origin");
      const pulled = await waitFor('exp-teammate shown as a local row, with its values', () => panel.payload?.rows.find((r) => r.label === 'exp-teammate' && !r.remoteOnly));
      assert.ok(pulled.values.includes(0.7), `lr 0.7 among ${JSON.stringify(pulled.values)}`);
      await waitFor('no dimmed row left', async () => ui<string>('webviewText', { selector: '.body .row.remote-only', timeoutMs: 300 }).then(() => undefined, () => true));
      await screenshot('remote-only-pulled');
    });

    it('offers on each row only the actions that fit it: nothing that changes the workspace on the workspace row, logs only for queue runs, Stop only on running ones', async () => {
      assert.deepEqual(await rowMenu('workspace'), [MODIFY, COMPARE, COPY_MARKDOWN, COPY_CSV]);
      assert.deepEqual(await rowMenu('main'), [MODIFY, COMPARE, COPY_MARKDOWN, COPY_CSV, REGISTER]);
      assert.deepEqual(await rowMenu('exp-low'), [MODIFY, APPLY, BRANCH, RENAME, COMPARE, COPY_MARKDOWN, COPY_CSV, REGISTER, PUSH, REMOVE]);
      await screenshot('experiment-row-menu');
      assert.deepEqual(await rowMenu('exp-fails'), [MODIFY, COPY_MARKDOWN, COPY_CSV, LOGS]);
      assert.deepEqual(await rowMenu('exp-waiting'), [MODIFY, COPY_MARKDOWN, COPY_CSV, LOGS, REMOVE], 'a queued run leaves the queue by Remove; Stop is for running ones');
      await ui('press', { key: 'Escape' });
    });

    it('applies an experiment over uncommitted edits only when the dialog says so: Cancel changes nothing; Apply Anyway changes the params and restores its data', async () => {
      assert.match(git(root, 'status', '--porcelain'), /params\.yaml/, 'the workspace has uncommitted edits (exp-extra, the last run)');
      const hasStash = () => git(root, 'for-each-ref', 'refs/exps/apply/stash').trim() !== '';
      assert.ok(!hasStash());
      await onRow('exp-low', APPLY);
      const asked = await ui<DialogText>('answerDialog', { button: 'Cancel', screenshot: 'apply-dialog' });
      assert.match(asked.message, /^Applying 'exp-low' would overwrite \d+ files? with uncommitted changes\.$/);
      assert.match(asked.detail, /params\.yaml/);
      assert.deepEqual(asked.buttons, ['Cancel', 'Apply Anyway'], 'as the dialog shows them (the default on the right)');
      assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /lr: 0\.5\n/, 'Cancel: the edits stay');
      assert.ok(!hasStash(), 'Cancel: nothing saved');

      await clearNotifications();
      await onRow('exp-low', APPLY);
      await ui('answerDialog', { button: 'Apply Anyway' });
      await toast("Applied 'exp-low' to the workspace");
      assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /lr: 0\.2\n/);
      assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), '0.2', "the experiment's model restored from the cache");
      assert.ok(hasStash(), 'the edits were saved first');
    });

    it('removes the two selected experiments after the modal asks: gone from the refs and the table', async () => {
      await selectRows('exp-high', 'exp-extra');
      await onRow('exp-extra', REMOVE);
      const asked = await ui<DialogText>('answerDialog', { button: 'Remove', screenshot: 'remove-dialog' });
      assert.match(asked.message, /^Remove 2 experiments: '(exp-high|exp-extra)', '(exp-high|exp-extra)'\?$/);
      await waitFor('both refs deleted', () => (expRefs(root).some((r) => /\/exp-(high|extra)$/.test(r)) ? undefined : true));
      await waitFor('both gone from the table', async () => {
        const rows = await ui<Row[]>('experimentRows', { atLeast: 5 });
        return rows.some((r) => r.name === 'exp-low') && !rows.some((r) => r.name === 'exp-high' || r.name === 'exp-extra') ? true : undefined;
      });
    });

    it("shows a failed queued run's whole log in an output channel", async () => {
      await onRow('exp-fails', LOGS);
      await output('lr too big');
      await output("failed to reproduce 'train'");
      await output('exp-fails: failed');
      await screenshot('failed-run-log');
    });

    it('copies the selected rows as Markdown and as CSV when the row right-clicked is among them, values as the table shows them; a row outside them alone', async () => {
      await selectRows('main', 'exp-low');
      await clearNotifications();
      await onRow('exp-low', COPY_MARKDOWN);
      await toast('Copied 2 rows as Markdown.');
      const markdown = (await vscode.env.clipboard.readText()).trimEnd().split('\n');
      assert.equal(markdown.length, 4, markdown.join('\n'));
      assert.match(markdown[0], /^\| Experiment \| Created \| params\.yaml:train\.lr \| params\.yaml:train\.epochs \| metrics\.json:acc \| metrics\.json:loss \| eval\/metrics\.json:auc \| eval\/metrics\.json:nested\.f1 \| data\.txt \| train\.py \|$/);
      assert.equal(markdown[1], '|---|---|---|---|---|---|---|---|---|---|');
      assert.match(markdown[2], /^\| main \| \d{4}-\d\d-\d\d \d\d:\d\d \| 0\.1 \| 3 \| 0\.2 \| 0\.9 \| 0\.033333 \| 0\.1 \| [0-9a-f]{8} \| [0-9a-f]{8} \|$/);
      assert.match(markdown[3], /^\| exp-low \| \d{4}-\d\d-\d\d \d\d:\d\d \| 0\.2 \| 3 \| 0\.4 \| 0\.8 \| 0\.066667 \| 0\.2 \| [0-9a-f]{8} \| [0-9a-f]{8} \|$/);

      await onRow('exp-low', COPY_CSV);
      const csv = (await waitFor('the CSV copied', async () => ((await vscode.env.clipboard.readText()).startsWith('Experiment,') ? vscode.env.clipboard.readText() : undefined))).trimEnd().split('\n');
      assert.equal(csv.length, 3, csv.join('\n'));
      assert.match(csv[0], /^Experiment,Created,params\.yaml:train\.lr,params\.yaml:train\.epochs,metrics\.json:acc,metrics\.json:loss,eval\/metrics\.json:auc,eval\/metrics\.json:nested\.f1,data\.txt,train\.py$/);
      assert.match(csv[1], /^main,\d{4}-\d\d-\d\d \d\d:\d\d,0\.1,3,0\.2,0\.9,0\.033333,0\.1,[0-9a-f]{8},[0-9a-f]{8}$/);
      assert.match(csv[2], /^exp-low,\d{4}-\d\d-\d\d \d\d:\d\d,0\.2,3,0\.4,0\.8,0\.066667,0\.2,[0-9a-f]{8},[0-9a-f]{8}$/);

      // A right-click outside the selection selects that row alone, and the action takes it alone.
      await onRow('exp-teammate', COPY_CSV);
      await waitFor('exp-teammate alone selected', async () => (JSON.stringify(selection()) === JSON.stringify([await rowId(panel, 'exp-teammate')]) ? true : undefined));
      const alone = await waitFor('exp-teammate copied alone', async () => ((await vscode.env.clipboard.readText()).includes('\nexp-teammate,') ? vscode.env.clipboard.readText() : undefined));
      assert.deepEqual(alone.trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]), ['exp-teammate']);
    });

    it('makes a branch of an experiment, renames one and pushes it to the git remote, each from its row\'s menu and the questions it asks', async () => {
      await onRow('exp-low', BRANCH);
      await ui('waitFor', { selector: '.quick-input-widget .quick-input-title:has-text("Create a git branch from \'exp-low\'")' });
      await ui('press', { key: 'Enter' }); // the name offered: exp-low-branch
      const lowRef = panel.payload!.rows.find((r) => r.label === 'exp-low')!.ref!;
      await waitFor('the branch made', () => (git(root, 'for-each-ref', '--format=%(objectname)', 'refs/heads/exp-low-branch').trim() === git(root, 'rev-parse', lowRef).trim() ? true : undefined));

      await onRow('exp-teammate', RENAME);
      await ui('waitFor', { selector: '.quick-input-widget .quick-input-title:has-text("Rename \'exp-teammate\'")' });
      await ui('typeText', { text: 'exp-friend' }); // the old name is selected: typing replaces it
      await ui('press', { key: 'Enter' });
      await rowId(panel, 'exp-friend');

      await clearNotifications();
      await onRow('exp-friend', PUSH);
      await toast("Pushed 'exp-friend' to origin");
      const origin = git(root, 'remote', 'get-url', 'origin').trim();
      assert.match(git(origin, 'for-each-ref', '--format=%(refname)', 'refs/exps'), /\/exp-friend\n/);
    });

    it("nests experiments under their commit in the Runs view with state icons; selecting one there selects its row in the table and compares it in the open metrics panel; its menu's Remove asks, and Cancel keeps the run", async () => {
      // The command's own argument here: the test needs the metrics panel it opens, to read what it compares.
      const metrics = await vscode.commands.executeCommand<{ payload?: { selected: string[] } }>(COMMANDS.expCompare.id, rowArg(await rowId(panel, 'main')));
      const lowRef = panel.payload!.rows.find((r) => r.label === 'exp-low')!.ref!;
      await vscode.commands.executeCommand('cairn.runs.focus');
      await vscode.commands.executeCommand(COMMANDS.refreshRuns.id);
      const row = (label: string) => `.pane-body .monaco-list-row[aria-label^="${label}"]`;
      // HEAD's experiments are open under it: finished ones passed, the queued one waiting, the failed one failed.
      await ui('waitFor', { selector: `${row('exp-low')} .codicon-pass` });
      await ui('waitFor', { selector: `${row('exp-waiting')} .codicon-clock` });
      await ui('waitFor', { selector: `${row('exp-fails')} .codicon-error` });
      const commit = await ui<boolean>('waitFor', { selector: `.pane-body .monaco-list-row[aria-expanded="true"][aria-label*="baseline"]` });
      assert.ok(commit);
      await ui('click', { selector: row('exp-low') });
      await waitFor('exp-low selected in the table', () => (JSON.stringify((panel as unknown as { revealed: string[] }).revealed) === JSON.stringify([panel.payload!.rows.find((r) => r.ref === lowRef)!.id]) ? true : undefined));
      await waitFor('the metrics panel comparing exp-low', () => (JSON.stringify(metrics.payload?.selected) === JSON.stringify([lowRef]) ? true : undefined));
      await screenshot('runs-hierarchy');

      assert.deepEqual(await ui<string[]>('contextMenu', { selector: row('exp-low') }), [MODIFY, APPLY, BRANCH, RENAME, PUSH, REMOVE]);
      await screenshot('runs-context-menu');
      const queued = () => git(root, 'for-each-ref', '--format=%(refname)', 'refs/cairn/queue').trim();
      const before = queued();
      assert.deepEqual(await ui<string[]>('contextMenu', { selector: row('exp-waiting') }), [LOGS, REMOVE]);
      await ui('menuPick', { label: REMOVE });
      const asked = await ui<DialogText>('answerDialog', { button: 'Cancel' });
      assert.equal(asked.message, "Remove the experiment 'exp-waiting'?");
      assert.equal(queued(), before, 'Cancel: the run stays queued');
      await vscode.commands.executeCommand(COMMANDS.refreshRuns.id);
      await ui('waitFor', { selector: `${row('exp-waiting')} .codicon-clock` });
    });

    it("follows a running queue run's log until Stop interrupts it; the run ends failed", async () => {
      const cli = path.join(runInfo()!.extensionPath, 'dist', 'cli.js');
      const cairn = (...args: string[]) => execFileSync(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' });
      // A run that prints a line, then waits: queued from a train.py that sleeps (the queue keeps the workspace as it was), which is then restored.
      const train = fs.readFileSync(path.join(root, 'train.py'), 'utf8');
      fs.writeFileSync(path.join(root, 'train.py'), `import time\nprint('training slowly', flush=True)\ntime.sleep(120)\n${train}`);
      cairn('exp', 'run', '--queue', '-S', 'train.lr=0.55', '-n', 'exp-slow');
      fs.writeFileSync(path.join(root, 'train.py'), train);
      cairn('queue', 'start');
      await waitFor('exp-slow running', () => panel.payload?.rows.find((r) => r.label === 'exp-slow' && r.state === 'running'), 60_000);
      await vscode.commands.executeCommand(COMMANDS.showExperiments.id);
      assert.deepEqual(await rowMenu('exp-slow'), [MODIFY, COPY_MARKDOWN, COPY_CSV, LOGS, STOP], 'a running run: its log and Stop, no Remove');
      await ui('menuPick', { label: LOGS });
      await output('training slowly');
      await onRow('exp-slow', STOP);
      await output('exp-slow: failed');
      await waitFor('exp-slow failed in the table', () => panel.payload?.rows.find((r) => r.label === 'exp-slow' && r.state === 'failed'));
      // The Runs view and the queue's status bar item follow too.
      await ui('waitFor', { selector: '.pane-body .monaco-list-row[aria-label^="exp-slow"] .codicon-error' });
      await ui('waitFor', { selector: '.statusbar-item:has-text("running")', state: 'detached' });
      await screenshot('stopped-run-log');
      cairn('queue', 'stop');
    });

    it("stops an experiment dvc runs in the workspace (started in a terminal, not by Cairn) as Ctrl-C would", async () => {
      const dvc = (runInfo()?.data as { dvc: string }).dvc;
      // A stage that prints, then waits: train.py made slow in the workspace, where `dvc exp run` runs it.
      const train = fs.readFileSync(path.join(root, 'train.py'), 'utf8');
      fs.writeFileSync(path.join(root, 'train.py'), `import time\nprint('training slowly', flush=True)\ntime.sleep(120)\n${train}`);
      // Its own process group, dvc leading it, as a terminal starts a command.
      const run = spawn(dvc, ['exp', 'run', '-S', 'train.lr=0.66', '-n', 'exp-dvc-slow'], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DVC_NO_ANALYTICS: '1' } });
      let output = '';
      run.stdout!.on('data', (d) => (output += d));
      run.stderr!.on('data', (d) => (output += d));
      const ended = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
      try {
        await waitFor('the stage running', () => (output.includes('training slowly') ? true : undefined), 60_000);
        const running = await waitFor('exp-dvc-slow running in the table', () => panel.payload?.rows.find((r) => r.label === 'exp-dvc-slow' && r.state === 'running'), 60_000);
        await clearNotifications();
        await vscode.commands.executeCommand(COMMANDS.expStop.id, rowArg(running.id));
        assert.equal(await ended, 255, output);
        assert.match(output, /ERROR: failed to reproduce 'train': failed to run: python3 train\.py, exited with -2/);
        await ui('waitFor', { selector: '.notifications-toasts .notification-list-item:has-text("Stopped \'exp-dvc-slow\'")' });
        await waitFor('exp-dvc-slow no longer running in the table', () => (panel.payload?.rows.some((r) => r.label === 'exp-dvc-slow') ? undefined : true), 30_000);
        await screenshot('stopped-dvc-workspace-run');
      } finally {
        if (run.exitCode === null) process.kill(-run.pid!, 'SIGKILL');
        fs.writeFileSync(path.join(root, 'train.py'), train);
        git(root, 'checkout', '--', 'params.yaml');
      }
    });
  });
}

/** In the multi-root run (`scenario: 'multiroot'`: `first` and `second`, each with one experiment). */
if (scenario === 'multiroot') {
  describe('Experiments in a multi-root workspace: row actions act on the repository of their row, or ask', function () {
    this.timeout(120_000);

    it("removes the row's experiment from its own repository; from the palette, asks for the repository first", async () => {
      await vscode.extensions.getExtension('cairn.cairn')!.activate();
      const [first, second] = vscode.workspace.workspaceFolders!.map((f) => f.uri.fsPath);
      const panel = (await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id, { kind: 'repository', root: first }))!;
      assert.equal(panel.repositoryRoot, first);
      const id = await rowId(panel, 'first-exp');
      await ui('contextMenu', { selector: `.body .row[data-id="${id}"] .name`, inWebview: true });
      await ui('menuPick', { label: REMOVE });
      await ui('answerDialog', { button: 'Remove' });
      await waitFor("first-exp's ref deleted", () => (expRefs(first).length === 0 ? true : undefined));
      assert.equal(expRefs(second).length, 1, "second's experiment stays");

      // From the palette: which repository (both offered, none taken silently), then which experiments.
      const copying = vscode.commands.executeCommand<string>(COMMANDS.expCopyCsv.id);
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="second"]' });
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="first"]' });
      await ui('typeText', { text: 'second' });
      await ui('press', { key: 'Enter' });
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="second-exp"]' });
      await ui('click', { selector: '.quick-input-list .monaco-list-row[aria-label*="second-exp"]' });
      await screenshot('pick-experiments');
      await ui('press', { key: 'Enter' });
      const text = await copying;
      assert.deepEqual(text.trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]), ['second-exp']);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });
}
