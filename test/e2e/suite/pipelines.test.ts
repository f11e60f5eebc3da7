import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { note, runInfo, screenshot, ui, waitFor } from './harness';


/** The Pipelines view, repro in a terminal, and the DAG panel, on a two-stage pipeline in a subfolder. */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario !== 'welcome') {
  describe('Pipelines: stages, repro in a terminal, the DAG', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = path.join(root, 'pipeline');
    let workbench: any;
    const stages = (): Record<string, { state: string; reasons: string[] }> =>
      Object.fromEntries((workbench.pipelines.snapshots.get(root)?.stages ?? []).map((s: any) => [s.addr, s]));

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'params.yaml'), 'lr: 0.1\n');
      fs.writeFileSync(
        path.join(dir, 'dvc.yaml'),
        [
          'stages:',
          '  prepare:',
          '    cmd: mkdir -p out && cp ../data/labels.csv out/prepared.csv',
          '    deps:',
          '    - ../data/labels.csv',
          '    outs:',
          '    - out',
          '  train:',
          '    cmd: echo "trained with lr=${lr}" > model.txt && echo \'{"acc":0.9}\' > scores.json',
          '    deps:',
          '    - out',
          '    params:',
          '    - lr',
          '    outs:',
          '    - model.txt',
          '    metrics:',
          '    - scores.json:',
          '        cache: false',
          'artifacts:',
          '  classifier:',
          '    path: model.txt',
          '    type: model',
          '',
        ].join('\n'),
      );
    });

    it('lists the stages of a dvc.yaml in a subfolder as not run yet', async () => {
      await vscode.commands.executeCommand('cairn.pipelines.focus');
      await vscode.commands.executeCommand(COMMANDS.refreshPipelines.id);
      assert.deepEqual(Object.keys(stages()), ['pipeline/dvc.yaml:prepare', 'pipeline/dvc.yaml:train']);
      assert.deepEqual(Object.values(stages()).map((s) => s.state), ['not run', 'not run']);
    });

    it('repros the pipeline in a terminal; afterwards every stage is up to date', async () => {
      const terminal: vscode.Terminal = await vscode.commands.executeCommand(COMMANDS.repro.id);
      await waitFor('the repro to finish', () => terminal.exitStatus);
      assert.equal(terminal.exitStatus!.code, 0);
      assert.equal(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8'), 'trained with lr=0.1\n');
      assert.match(fs.readFileSync(path.join(dir, 'dvc.lock'), 'utf8'), /^schema: '2\.0'\nstages:\n  prepare:\n/);
      await waitFor('stages up to date', () => Object.values(stages()).every((s) => s.state === 'up to date') || undefined);
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row:has-text("pipeline/dvc.yaml:train")' });
      // Stage outputs join the Data & Models tree; the artifact of type model goes under Models.
      const groups = await waitFor('stage outputs in Data & Models', () => {
        const byGroup = Object.fromEntries(
          workbench.tree.getChildren().map((g: any) => [g.group, workbench.tree.getChildren(g).map((o: any) => `${o.item.path} ${o.item.status} ${o.item.stage ?? ''}`.trim())]),
        );
        // A refresh that ran while the stages ran may show their outputs deleted for a moment: wait for the one after.
        const stageRows: string[] = [...(byGroup.Datasets ?? []), ...(byGroup.Models ?? [])].filter((row: string) => row.includes('pipeline/dvc.yaml:'));
        return byGroup.Models?.length === 2 && stageRows.every((row) => row.includes(' in sync ')) ? byGroup : undefined;
      });
      assert.ok(groups.Datasets.includes('pipeline/out in sync pipeline/dvc.yaml:prepare'), JSON.stringify(groups));
      assert.ok(groups.Models.includes('pipeline/model.txt in sync pipeline/dvc.yaml:train'), JSON.stringify(groups));
      await screenshot('pipelines-up-to-date', '.part.sidebar');
    });

    it('shows a changed param as the reason a stage would run, and Run Stage runs just that stage', async () => {
      fs.writeFileSync(path.join(dir, 'params.yaml'), 'lr: 0.2\n');
      await waitFor('train changed', () => stages()['pipeline/dvc.yaml:train']?.state === 'changed' || undefined);
      assert.equal(stages()['pipeline/dvc.yaml:prepare'].state, 'up to date');
      // lr is in the command too (`${lr}`), so the command changed as well.
      assert.deepEqual(stages()['pipeline/dvc.yaml:train'].reasons, ['changed deps: pipeline/params.yaml (lr modified)', 'changed command']);
      const row = workbench.pipelines.getChildren().find((n: any) => n.kind === 'stage' && n.stage.addr === 'pipeline/dvc.yaml:train');
      assert.equal(workbench.pipelines.getTreeItem(row).description, 'changed: deps, command');
      await screenshot('pipelines-changed', '.part.sidebar');
      const terminal: vscode.Terminal = await vscode.commands.executeCommand(COMMANDS.runStage.id, row);
      await waitFor('the stage to finish', () => terminal.exitStatus);
      assert.equal(terminal.exitStatus!.code, 0);
      assert.equal(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8'), 'trained with lr=0.2\n');
      await waitFor('train up to date', () => stages()['pipeline/dvc.yaml:train']?.state === 'up to date' || undefined);
    });

    it('draws the stage graph in a webview, and a click on a stage opens its definition', async () => {
      const started = Date.now();
      const panel = await vscode.commands.executeCommand<any>(COMMANDS.showDag.id);
      const rendered = await new Promise<{ ms: number; nodes: number }>((resolve) => {
        const sub = panel.onDidRender((r: { ms: number; nodes: number }) => {
          sub.dispose();
          resolve(r);
        });
      });
      note(`DAG panel: ${rendered.nodes} stages drawn in ${Math.round(rendered.ms)} ms; ${Date.now() - started} ms from the command`);
      assert.equal(rendered.nodes, 2);
      const text = await ui<string>('webviewText', { selector: 'svg' });
      assert.match(text, /pipeline\/dvc\.yaml:prepare[\s\S]*pipeline\/dvc\.yaml:train/);
      await screenshot('pipeline-dag');
      await ui('webviewClick', { selector: 'g.stage[data-id="pipeline/dvc.yaml:train"]' });
      const editor = await waitFor('dvc.yaml open at the stage', () =>
        vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === path.join(dir, 'dvc.yaml')),
      );
      assert.equal(editor.document.lineAt(editor.selection.active.line).text, '  train:');
    });
  });
}
