import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { clearNotifications, note, runInfo, screenshot, ui, waitFor } from './harness';

type Data = { scenario?: string; gto?: string; dvc?: string };
const data = runInfo()?.data as Data | undefined;

/**
 * Only in the model registry run (test/e2e/e2e.test.ts passes `scenario: 'models'`, on the
 * workspace of `makeModelsWorkspace`: a three-stage pipeline, its model `classifier` declared in
 * dvc.yaml, committed, and an experiment `exp-better` on no branch).
 */
if (data?.scenario === 'models') {
  describe('Model registry: the Model Registry view and the lineage panel', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let workbench: any;
    const gitText = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
    const tags = () => gitText('tag', '--list').split('\n').filter(Boolean).sort();
    const models = (): any[] => workbench.registry.snapshots.get(root)?.models ?? [];
    const modelNode = () => workbench.registry.getChildren().find((n: any) => n.kind === 'model' && n.model.name === 'classifier');
    const versionNode = (version: string) => workbench.registry.getChildren(modelNode()).find((n: any) => n.version.version === version);
    const rowWith = (text: string) => `.part.sidebar .monaco-list-row[aria-label*="${text}"]`;

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
      await vscode.commands.executeCommand('cairn.models.focus');
    });

    it('registers v0.1.0 and assigns prod from the tree through its input box and quick pick; the badges update and gto show agrees', async () => {
      await waitFor('classifier declared, not registered', () => (models().some((m) => m.name === 'classifier' && !m.registered) ? true : undefined));
      await ui('waitFor', { selector: rowWith('classifier') });

      // Register Version…: the input box offers gto's first version; an invalid one is refused in the box.
      const registered = vscode.commands.executeCommand(COMMANDS.registerModelVersion.id, modelNode());
      await ui('waitFor', { selector: '.quick-input-widget input' });
      await ui('typeText', { text: '0.1' });
      await ui('waitFor', { selector: '.quick-input-widget .quick-input-message:has-text("is not a version")' });
      await screenshot('register-invalid-version');
      await ui('press', { key: 'Control+A' });
      await ui('typeText', { text: 'v0.1.0' });
      await ui('press', { key: 'Enter' });
      await registered;
      assert.deepEqual(tags(), ['classifier@v0.1.0']);

      // Assign Stage…: pick prod in the quick pick.
      await waitFor('v0.1.0 in the tree', () => versionNode('v0.1.0'));
      const assigned = vscode.commands.executeCommand(COMMANDS.assignModelStage.id, versionNode('v0.1.0'));
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="prod"]' });
      await ui('typeText', { text: 'prod' });
      await ui('press', { key: 'Enter' });
      await assigned;
      assert.deepEqual(tags(), ['classifier#prod#1', 'classifier@v0.1.0']);

      await vscode.commands.executeCommand('cairn.models.focus');
      await waitFor('the prod badge on v0.1.0', () => (workbench.registry.getTreeItem(versionNode('v0.1.0')).description?.startsWith('[prod]') ? true : undefined));
      assert.equal(workbench.registry.getTreeItem(modelNode()).description, 'v0.1.0');
      await ui('waitFor', { selector: rowWith('[prod]') });
      await screenshot('models-view', '.part.sidebar');

      // What the tree shows is what gto shows.
      const gto = JSON.parse(execFileSync(data.gto!, ['show', '--json'], { cwd: root, encoding: 'utf8' }));
      const shown = models().find((m) => m.name === 'classifier');
      const stagesInTree = Object.fromEntries(shown.versions.flatMap((v: any) => v.stages.map((s: string) => [s, v.version])));
      assert.deepEqual({ version: gto.classifier.version, stage: gto.classifier.stage }, { version: shown.versions[0].version, stage: stagesInTree });
      note(`gto show --json: ${JSON.stringify(gto)}`);

      // Copy `artifacts get`: the real dvc fetches that version with the copied command.
      const copied = await vscode.commands.executeCommand<string>(COMMANDS.copyArtifactsGetCommand.id, versionNode('v0.1.0'));
      assert.equal(await vscode.env.clipboard.readText(), copied);
      assert.equal(copied, `dvc artifacts get ${root} classifier --rev v0.1.0`);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-artifacts-get-'));
      execFileSync('sh', ['-c', copied], { cwd: out, env: { ...process.env, PATH: `${path.dirname(data.dvc!)}:${process.env.PATH}` } });
      // v0.1.0's model (lr 0.1), not the workspace's (exp-better's lr 0.3).
      assert.match(fs.readFileSync(path.join(out, 'model.bin'), 'utf8'), /\nlr 0\.1\n$/);

      // A tag gto writes (outside the extension) reaches the view through the refs watcher.
      execFileSync(data.gto!, ['assign', 'classifier', '--version', 'v0.1.0', '--stage', 'staging'], { cwd: root, encoding: 'utf8' });
      await waitFor('the staging badge from gto', () => (workbench.registry.getTreeItem(versionNode('v0.1.0')).description?.includes('[staging]') ? true : undefined));
    });

    it('refuses an invalid version and an existing one with one clear error, and writes no tag', async () => {
      const before = tags();
      const errors = [
        ['1.0', "Cairn: Version '1.0' is not valid. Example of valid version: 'v1.0.0'"],
        ['v0.1.0', "Cairn: 'classifier' is already registered in this commit with version 'v0.1.0'"],
      ];
      for (const [version, message] of errors) {
        await clearNotifications();
        await vscode.commands.executeCommand(COMMANDS.registerModelVersion.id, modelNode(), { version });
        const selector = `.notifications-toasts .notification-toast:has-text("${message.slice(7, 40)}")`;
        await ui('waitFor', { selector });
        // The main page is one of the frames webviewText reads: the toast's message, whole.
        const text = await ui<string>('webviewText', { selector: `${selector} .notification-list-item-message` });
        assert.equal(text.trim(), message);
      }
      assert.deepEqual(tags(), before);
    });

    it("registers an experiment from its table row's menu with its branch; unassigns a stage and deprecates a version (asked first), as gto then shows", async () => {
      const panel = await vscode.commands.executeCommand<{ payload?: { rows: { id: string; ref?: string }[] } }>(COMMANDS.showExperiments.id);
      const ref = gitText('for-each-ref', '--format=%(refname)', 'refs/exps').trim();
      assert.match(ref, /^refs\/exps\/.+\/exp-better$/);
      const rowId = await waitFor("exp-better's row", () => panel?.payload?.rows.find((r) => r.ref === ref)?.id);
      // As a user: right-click the row, Register as Model Version…, the model picked, the version typed, the dialog's question answered.
      const menu = await ui<string[]>('contextMenu', { selector: `.body .row[data-id="${rowId}"] .name`, inWebview: true });
      assert.ok(menu.includes(COMMANDS.registerExperimentVersion.title), JSON.stringify(menu));
      await ui('menuPick', { label: COMMANDS.registerExperimentVersion.title });
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="classifier"]' });
      await ui('click', { selector: '.quick-input-list .monaco-list-row[aria-label*="classifier"]' });
      await ui('waitFor', { selector: '.quick-input-widget .quick-input-title:has-text("Register a version of classifier")' });
      await ui('typeText', { text: 'v0.2.0' }); // the version offered is selected: typing replaces it
      await ui('press', { key: 'Enter' });
      const asked = await ui<{ message: string }>('answerDialog', { button: 'Create Branch and Register', screenshot: 'register-branch-dialog' });
      assert.equal(asked.message, "Experiment exp-better is on no branch. Create branch 'exp-better-branch' for it before registering?");
      await waitFor('the version tag written', () => (gitText('tag', '--list', 'classifier@v0.2.0').trim() ? true : undefined));
      const experimentCommit = gitText('rev-parse', ref).trim();
      assert.equal(gitText('rev-parse', 'classifier@v0.2.0^{commit}').trim(), experimentCommit);
      assert.equal(gitText('rev-parse', 'refs/heads/exp-better-branch').trim(), experimentCommit);
      await vscode.commands.executeCommand('cairn.models.focus');
      await waitFor('v0.2.0 first, made by exp-better', () => (workbench.registry.getChildren(modelNode())[0]?.version.version === 'v0.2.0' ? true : undefined));
      const item = workbench.registry.getTreeItem(versionNode('v0.2.0'));
      assert.equal(item.description, 'exp-better');
      assert.match(item.tooltip.value, /metrics\.json:acc \| 0\.95/);

      // Unassign (args: no quick pick), then Deprecate v0.2.0: the view and gto agree.
      await vscode.commands.executeCommand(COMMANDS.unassignModelStage.id, versionNode('v0.1.0'), { stage: 'staging' });
      await waitFor('staging gone from v0.1.0', () => (workbench.registry.getTreeItem(versionNode('v0.1.0')).description.includes('[staging]') ? undefined : true));
      // The command asks with a modal: Cancel writes nothing; Deprecate writes the tag.
      const before = tags();
      const cancelled = vscode.commands.executeCommand(COMMANDS.deprecateModel.id, versionNode('v0.2.0'));
      await ui('answerDialog', { button: 'Cancel' });
      await cancelled;
      assert.deepEqual(tags(), before);
      const deprecated = vscode.commands.executeCommand(COMMANDS.deprecateModel.id, versionNode('v0.2.0'));
      await ui('answerDialog', { button: 'Deprecate' });
      await deprecated;
      await waitFor('v0.2.0 gone', () => (versionNode('v0.2.0') ? undefined : true));
      const gto = JSON.parse(execFileSync(data.gto!, ['show', '--json'], { cwd: root, encoding: 'utf8' }));
      assert.deepEqual(gto.classifier, { version: 'v0.1.0', stage: { prod: 'v0.1.0' }, registered: true, active: true });
      assert.equal(workbench.registry.getTreeItem(modelNode()).description, 'v0.1.0');
      assert.deepEqual(tags().filter((t) => t.includes('!')), ['classifier#staging!#3', 'classifier@v0.2.0!']);
    });

    it('draws the lineage of v0.1.0 back to the raw data, in light and dark themes, and a click on a stage opens its definition', async () => {
      const panel = await vscode.commands.executeCommand<any>(COMMANDS.showLineage.id, versionNode('v0.1.0'));
      const rendered = await new Promise<{ ms: number; nodes: number }>((resolve) => {
        const sub = panel.onDidRender((r: { ms: number; nodes: number }) => {
          sub.dispose();
          resolve(r);
        });
      });
      note(`lineage panel: ${rendered.nodes} nodes drawn in ${Math.round(rendered.ms)} ms`);
      assert.equal(rendered.nodes, 8, 'raw/input.txt, 3 stages, prepared, features, model.bin, metrics.json');
      const text = await ui<string>('webviewText', { selector: '.body' });
      assert.match(text, /Params[\s\S]*params\.yaml:lr\s*0\.1[\s\S]*Metrics[\s\S]*metrics\.json:acc\s*0\.8/);
      const graph = await ui<string>('webviewText', { selector: 'svg' });
      for (const label of ['raw/input.txt', 'prepare', 'featurize', 'train', 'model.bin']) assert.ok(graph.includes(label), `${label} in ${graph}`);
      await clearNotifications();
      for (const [theme, name] of [['Default Light Modern', 'light'], ['Default Dark Modern', 'dark']]) {
        await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        const kind = name === 'light' ? vscode.ColorThemeKind.Light : vscode.ColorThemeKind.Dark;
        await waitFor(`the ${name} theme`, () => (vscode.window.activeColorTheme.kind === kind ? true : undefined));
        await screenshot(`lineage-${name}`);
      }
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
      await ui('webviewClick', { selector: 'g.node[data-id="stage:train"]' });
      const editor = await waitFor('dvc.yaml open at the train stage', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === path.join(root, 'dvc.yaml')));
      assert.equal(editor.document.lineAt(editor.selection.active.line).text, '  train:');
      // The commit beside the graph opens as `git show --stat`.
      await ui('webviewClick', { selector: '.commit' });
      const commit = gitText('rev-parse', 'classifier@v0.1.0^{commit}').trim();
      await waitFor('the commit shown', () => vscode.window.visibleTextEditors.find((e) => e.document.languageId === 'git-commit' && e.document.getText().startsWith(`commit ${commit}`)));
    });
  });
}
