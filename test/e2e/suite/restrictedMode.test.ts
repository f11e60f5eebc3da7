import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { runInfo, screenshot, ui, waitFor } from './harness';

/**
 * Only in the Restricted Mode run (test/e2e/e2e.test.ts passes `scenario: 'restricted'`): the
 * workspace is not trusted and its `.git/config` names an fsmonitor hook and a filter that append
 * to `marker` whenever git runs them (workspace.ts, makeRestrictedWorkspace).
 */
const data = runInfo()?.data as { scenario?: string; marker?: string } | undefined;
if (data?.scenario === 'restricted') {
  describe('Restricted Mode: a folder someone sent', function () {
    this.timeout(90_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const marker = data.marker!;
    let workbench: any;
    const ranHooks = () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim().split('\n') : []);
    const items = (): { path: string; status: string }[] => workbench.tree.getChildren().flatMap((g: any) => workbench.tree.getChildren(g).map((o: any) => o.item));
    const runRows = (): { kind: string; label: string }[] =>
      workbench.runs.getChildren().map((n: any) => ({ kind: n.kind === 'run' ? n.run.kind : n.kind, label: String(workbench.runs.getTreeItem(n).label) }));

    before(async () => {
      assert.equal(vscode.workspace.isTrusted, false, 'the folder opens in Restricted Mode');
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
    });

    it('shows the tracked data and the stage read from disk, says what needs trust, and runs no program of the repository', async () => {
      await vscode.commands.executeCommand('workbench.view.extension.cairn');
      await waitFor('the tracked outputs', () => items().length >= 3);
      assert.deepEqual(items().map((i) => `${i.path} ${i.status}`).sort(), ['data in sync', 'model.txt in sync', 'models/model.pkl in sync']);
      assert.deepEqual(ranHooks(), [], "listing the .dvc files ran a program named by the repository's git config");
      // Shown, not only listed: revealed first, as the sidebar may still be laying out the container just opened.
      const modelNode = workbench.tree.getChildren().flatMap((g: any) => workbench.tree.getChildren(g)).find((n: any) => n.item.path === 'models/model.pkl');
      await vscode.commands.executeCommand('cairn.dataModels.focus');
      await workbench.view.reveal(modelNode, { select: true, focus: true });
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row[aria-label*="model.pkl"]' });
      assert.match(String(workbench.view.message), /^Restricted Mode: read from disk, no git run\. Trust this folder/);

      await vscode.commands.executeCommand('cairn.pipelines.focus');
      await waitFor('the train stage', () => workbench.pipelines.snapshots.get(root)?.stages.length);
      assert.deepEqual(workbench.pipelines.snapshots.get(root).stages.map((s: any) => `${s.addr} ${s.state}`), ['train up to date']);

      await vscode.commands.executeCommand('cairn.runs.focus');
      await waitFor('the Runs view', () => runRows().length >= 2);
      assert.deepEqual(runRows(), [
        { kind: 'workspace', label: 'workspace' },
        { kind: 'needsTrust', label: 'Trust this folder to see commits and experiments' },
      ]);
      const trustRow = workbench.runs.getTreeItem(workbench.runs.getChildren()[1]);
      assert.equal(trustRow.command.command, 'workbench.trust.manage');
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row[aria-label*="Trust this folder to see commits"]' });

      await vscode.commands.executeCommand('cairn.remotes.focus');
      const remoteRows = () => workbench.remotes.getChildren().map((n: any) => String(workbench.remotes.getTreeItem(n).label));
      await waitFor('the Remotes view', () => remoteRows().length >= 2);
      assert.deepEqual(remoteRows(), ['storage', 'Trust this folder to push, pull or check remotes']);

      // The model registry is git tags: nothing read, a trust row instead.
      await vscode.commands.executeCommand('cairn.models.focus');
      const modelRows = () => workbench.registry.getChildren().map((n: any) => String(workbench.registry.getTreeItem(n).label));
      await waitFor('the Model Registry view', () => modelRows().length >= 1);
      assert.deepEqual(modelRows(), ['Trust this folder to read the model registry (git tags)']);
      assert.equal(workbench.registry.snapshots.get(root), undefined);

      // The language server too reads the pipeline without git.
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(root, 'dvc.yaml')));
      await waitFor('the language server', () => vscode.extensions.getExtension<any>('cairn.cairn')!.exports.languageClient.running?.isRunning());
      await vscode.commands.executeCommand('cairn.runs.focus');
      await screenshot('restricted-mode');

      // The experiments table says in one line why it has no rows (experiments are git commits), with a Trust button.
      table = await vscode.commands.executeCommand(COMMANDS.showExperiments.id);
      assert.match(await ui<string>('webviewText', { selector: '.notice' }), /Restricted Mode: experiments are git commits, and Cairn runs no git in a folder you have not trusted/);
      assert.equal(await ui<string>('webviewText', { selector: '.notice .trust-button' }), 'Trust');
      await screenshot('restricted-experiments');
      // Its Trust button opens VS Code's trust editor (closed again here: the folder is trusted in the last test).
      await ui('webviewClick', { selector: '.notice .trust-button' });
      await ui('waitFor', { selector: '.workspace-trust-editor .workspace-trust-buttons-row .monaco-button:text-is("Trust")' });
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      assert.equal(vscode.workspace.isTrusted, false);
      await vscode.commands.executeCommand(COMMANDS.refresh.id); // one more full read, then look
      assert.deepEqual(ranHooks(), [], "a program named by the repository's git config ran");
    });

    let table: { host: { readyAt: number[] } };
    let runForm: any;
    it('opens the Modify Params and Run form read-only, saying why, and runs or queues nothing', async () => {
      const form = (runForm = (await vscode.commands.executeCommand(COMMANDS.modifyParamsAndRun.id)) as any);
      await waitFor('the form drawn', () => form.renders.length > 0 || undefined);
      assert.deepEqual(form.payload.fields.map((f: any) => `${f.file}:${f.path.join('.')}=${f.value}`), ['params.yaml:lr=0.1']);
      assert.match(await ui<string>('webviewText', { selector: '.read-only' }), /^Restricted Mode: this folder is not trusted, so Cairn runs and queues nothing in it/);
      await ui('webviewText', { selector: 'input[data-field="params.yaml:lr"]:disabled' });
      await ui('webviewText', { selector: 'button.primary:disabled' });
      await screenshot('restricted-run-form');
      // A page that sends a run anyway is refused by the extension.
      await ui('runFormPost', { message: { type: 'submit', action: 'queue', name: '', values: ['0.2'], jobs: 1 } });
      const outcome = await waitFor('the submit refused', () => form.outcomes[0]);
      assert.deepEqual([outcome.ok, outcome.message], [false, 'Nothing runs in Restricted Mode: trust the folder first.']);
      assert.equal(fs.existsSync(path.join(root, '.dvc', 'tmp', 'cairn', 'queue')), false, 'something was queued');
      // The table, shown again from behind the form, loads its page again and says why it is empty.
      const loads = table.host.readyAt.length;
      assert.equal(await vscode.commands.executeCommand(COMMANDS.showExperiments.id), table, 'the open table is shown, not a new one');
      await waitFor('the table page loaded again', () => (table.host.readyAt.length > loads ? true : undefined), 20_000);
      assert.match(await ui<string>('webviewText', { selector: '.notice' }), /Restricted Mode: experiments are git commits/);
      await vscode.commands.executeCommand(COMMANDS.modifyParamsAndRun.id);
      assert.deepEqual(ranHooks(), [], "a program named by the repository's git config ran");
    });

    it('reloads in full, with git, once the folder is trusted (git itself would run the repository\'s fsmonitor hook; Cairn turns it off)', async () => {
      await vscode.commands.executeCommand('workbench.trust.manage');
      await ui('click', { selector: '.workspace-trust-editor .workspace-trust-buttons-row .monaco-button:text-is("Trust")' });
      await waitFor('the folder to be trusted', () => vscode.workspace.isTrusted);
      await vscode.commands.executeCommand('cairn.runs.focus');
      await waitFor('commits in the Runs view', () => runRows().some((r) => r.kind === 'commit'));
      assert.deepEqual(runRows().map((r) => r.kind), ['workspace', 'commit', 'commit']);
      assert.equal(workbench.view.message, undefined);
      await waitFor('the Remotes view without its trust row', () => workbench.remotes.getChildren().length === 1);
      await waitFor('the run form no longer read-only', () => (runForm.payload && runForm.payload.readOnly === undefined) || undefined);
      runForm.dispose();
      await vscode.commands.executeCommand('cairn.models.focus');
      // Read now (in Restricted Mode nothing was): no model here.
      await waitFor('the Model Registry view read', () => workbench.registry.snapshots.get(root));
      assert.deepEqual(workbench.registry.snapshots.get(root).models, []);
      assert.deepEqual(workbench.registry.getChildren(), []);
      // Cairn's git runs with core.fsmonitor off (src/core/scm/git.ts), trusted or not: its reads started nothing.
      assert.deepEqual(ranHooks(), [], "Cairn's git started the repository's fsmonitor hook");
      // The control: git itself, run here as Cairn runs it but without that setting, does start it.
      execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
      assert.ok(ranHooks().length > 0, 'the hook this setup names runs when git runs ls-files');
      await screenshot('restricted-then-trusted', '.part.sidebar');
      // The experiments table reads the commits now.
      await vscode.commands.executeCommand(COMMANDS.showExperiments.id);
      const rows = await ui<{ name: string }[]>('experimentRows', { atLeast: 3 });
      assert.equal(rows[0].name, 'workspace');
      assert.equal(await ui<string>('webviewText', { selector: '.notice' }), '');
    });
  });
}
