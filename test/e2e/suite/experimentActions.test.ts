import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import type { ExperimentsPayload } from '../../../webview/messages';
import { clearNotifications, runInfo, screenshot, ui, waitFor } from './harness';

type Row = { name: string; state: string | null; cells: string[] };
type Panel = { payload?: ExperimentsPayload; repositoryRoot: string };

const scenario = (runInfo()?.data as { scenario?: string } | undefined)?.scenario;
const git = (root: string, ...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const expRefs = (root: string) => git(root, 'for-each-ref', '--format=%(refname)', 'refs/exps').split('\n').filter((r) => r && !r.startsWith('refs/exps/apply/'));
/** What a table row's `webview/context` menu hands its command (the row contract in webview/messages.ts). */
const rowArg = (rowId: string) => ({ webviewSection: 'experimentRow', rowId, preventDefaultContextMenuItems: true });

async function rowId(panel: Panel, label: string): Promise<string> {
  return waitFor(`the row of ${label}`, () => panel.payload?.rows.find((r) => r.label === label && !r.remoteOnly)?.id);
}

/**
 * Only in the experiment actions run (test/e2e/e2e.test.ts, `scenario: 'expactions'`, on the
 * workspace of `makeExperimentActionsWorkspace`: the experiments table's workspace with `origin`,
 * a bare repository where a second clone pushed `exp-teammate`).
 */
if (scenario === 'expactions') {
  describe('Experiment row actions', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let panel: Panel;

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
      await ui('webviewClick', { selector: '.body .row.remote-only .name', button: 'right' });
      await ui('waitFor', { selector: '.context-view .action-label:has-text("Pull Experiments")' });
      await screenshot('row-context-menu');
      await ui('click', { selector: '.context-view .action-label:has-text("Pull Experiments")' });
      await waitFor('exp-teammate pulled', () => expRefs(root).find((r) => r.endsWith('/exp-teammate')), 60_000);
      await ui('waitFor', { selector: '.notifications-toasts .notification-list-item:has-text("Pulled \'exp-teammate\' from origin")' });
      const pulled = await waitFor('exp-teammate shown as a local row, with its values', () => panel.payload?.rows.find((r) => r.label === 'exp-teammate' && !r.remoteOnly));
      assert.ok(pulled.values.includes(0.7), `lr 0.7 among ${JSON.stringify(pulled.values)}`);
      await waitFor('no dimmed row left', async () => ui<string>('webviewText', { selector: '.body .row.remote-only', timeoutMs: 300 }).then(() => undefined, () => true));
      await screenshot('remote-only-pulled');
    });

    it('applies an experiment over uncommitted edits only when allowed: the params change and its data is restored', async () => {
      const id = await rowId(panel, 'exp-low');
      assert.match(git(root, 'status', '--porcelain'), /params\.yaml/, 'the workspace has uncommitted edits (exp-high, the last run)');
      // Asked without the modal's answer (VS Code shows no modal dialog under test): nothing changes.
      assert.equal(await vscode.commands.executeCommand(COMMANDS.expApply.id, rowArg(id)), undefined);
      assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /lr: 0\.4\n/);
      // The modal's "Apply Anyway".
      const result = await vscode.commands.executeCommand<{ stash?: string }>(COMMANDS.expApply.id, rowArg(id), { force: true });
      assert.ok(result?.stash, 'the edits were saved first');
      assert.match(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), /lr: 0\.2\n/);
      assert.equal(fs.readFileSync(path.join(root, 'model.bin'), 'utf8'), '0.2', "the experiment's model restored from the cache");
      assert.ok(git(root, 'rev-parse', '--verify', 'refs/exps/apply/stash').trim());
    });

    it('removes an experiment only when confirmed: gone from the refs and the table', async () => {
      const id = await rowId(panel, 'exp-high');
      // Asked without the modal's answer (VS Code shows no modal dialog under test): nothing removed.
      assert.equal(await vscode.commands.executeCommand(COMMANDS.expRemove.id, rowArg(id)), undefined);
      assert.ok(expRefs(root).some((r) => r.endsWith('/exp-high')));
      assert.equal((await vscode.commands.executeCommand<string[]>(COMMANDS.expRemove.id, rowArg(id), { confirmed: true }))?.length, 1);
      assert.ok(!expRefs(root).some((r) => r.endsWith('/exp-high')));
      await waitFor('exp-high gone from the table', async () => {
        const rows = await ui<Row[]>('experimentRows', { atLeast: 5 });
        return rows.some((r) => r.name === 'exp-low') && !rows.some((r) => r.name === 'exp-high') ? true : undefined;
      });
    });

    it("shows a failed queued run's whole log in an output channel", async () => {
      const id = await rowId(panel, 'exp-fails');
      assert.equal(await vscode.commands.executeCommand(COMMANDS.expShowLogs.id, rowArg(id)), 'failed');
      await ui('waitFor', { selector: '.part.panel .view-lines:has-text("lr too big")' });
      await ui('waitFor', { selector: ".part.panel .view-lines:has-text(\"failed to reproduce 'train'\")" });
      await screenshot('failed-run-log');
    });

    it('copies the selected rows as CSV when the row invoked on is among them, values as the table shows them', async () => {
      const [main, low] = [await rowId(panel, 'main'), await rowId(panel, 'exp-low')];
      // The page reports its selection as the table does when rows are selected.
      await ui('webviewPostRaw', { messages: [{ type: 'selection', ids: [main, low] }] });
      await waitFor('the selection received', () => ((panel as unknown as { selection: string[] }).selection.length === 2 ? true : undefined));
      const text = await vscode.commands.executeCommand<string>(COMMANDS.expCopyCsv.id, rowArg(low));
      assert.equal(await vscode.env.clipboard.readText(), text, 'the clipboard holds what was copied');
      const lines = text.trimEnd().split('\n');
      assert.equal(lines.length, 3, text);
      assert.match(lines[0], /^Experiment,Created,params\.yaml:train\.lr,params\.yaml:train\.epochs,metrics\.json:acc,metrics\.json:loss,eval\/metrics\.json:auc,eval\/metrics\.json:nested\.f1,data\.txt,train\.py$/);
      assert.match(lines[1], /^main,\d{4}-\d\d-\d\d \d\d:\d\d,0\.1,3,0\.2,0\.9,0\.033333,0\.1,[0-9a-f]{8},[0-9a-f]{8}$/);
      assert.match(lines[2], /^exp-low,\d{4}-\d\d-\d\d \d\d:\d\d,0\.2,3,0\.4,0\.8,0\.066667,0\.2,[0-9a-f]{8},[0-9a-f]{8}$/);
      // A row outside the selection: that row alone.
      const alone = await vscode.commands.executeCommand<string>(COMMANDS.expCopyCsv.id, rowArg(await rowId(panel, 'exp-teammate')));
      assert.deepEqual(alone.trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]), ['exp-teammate']);
      await ui('webviewPostRaw', { messages: [{ type: 'selection', ids: [] }] });
      await waitFor('the selection cleared', () => ((panel as unknown as { selection: string[] }).selection.length === 0 ? true : undefined));
    });

    it('makes a branch of an experiment, renames one and pushes it to the git remote, each on its row', async () => {
      const low = await rowId(panel, 'exp-low');
      assert.deepEqual(await vscode.commands.executeCommand(COMMANDS.expBranch.id, rowArg(low), 'low-branch'), { branch: 'low-branch' });
      assert.equal(git(root, 'rev-parse', 'low-branch').trim(), git(root, 'rev-parse', panel.payload!.rows.find((r) => r.id === low)!.ref!).trim());
      await vscode.commands.executeCommand(COMMANDS.expRename.id, rowArg(await rowId(panel, 'exp-teammate')), 'exp-friend');
      const friend = await rowId(panel, 'exp-friend');
      const pushed = await vscode.commands.executeCommand<{ success: string[] }>(COMMANDS.expPush.id, rowArg(friend), 'origin');
      assert.deepEqual(pushed?.success, ['exp-friend']);
      const origin = git(root, 'remote', 'get-url', 'origin').trim();
      assert.match(git(origin, 'for-each-ref', '--format=%(refname)', 'refs/exps'), /\/exp-friend\n/);
    });

    it("nests experiments under their commit in the Runs view with state icons; selecting one there selects its row in the table and compares it in the open metrics panel", async () => {
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
      const slow = await waitFor('exp-slow running', () => panel.payload?.rows.find((r) => r.label === 'exp-slow' && r.state === 'running'), 60_000);
      const following = vscode.commands.executeCommand<string>(COMMANDS.expShowLogs.id, rowArg(slow.id));
      await ui('waitFor', { selector: '.part.panel .view-lines:has-text("training slowly")' });
      await vscode.commands.executeCommand(COMMANDS.expStop.id, rowArg(slow.id));
      assert.equal(await following, 'failed', 'the log followed to the end of the run');
      await waitFor('exp-slow failed in the table', () => panel.payload?.rows.find((r) => r.label === 'exp-slow' && r.state === 'failed'));
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
      await vscode.commands.executeCommand(COMMANDS.expRemove.id, rowArg(id), { confirmed: true });
      assert.deepEqual(expRefs(first), []);
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
