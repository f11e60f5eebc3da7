import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { note, runInfo, screenshot, ui } from './harness';

const COMMITS = 200;
const METRICS = 20;

/** The Runs view and the metric-diff webview on a history of 200 commits with 20 metrics each. */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario !== 'welcome') {
  describe('Runs and the metric-diff panel', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let workbench: any;

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
      // 200 commits, each with params.yaml (lr) and metrics.json (20 metrics) declared in dvc.yaml.
      const metricsOf = (i: number) => JSON.stringify(Object.fromEntries(Array.from({ length: METRICS }, (_, k) => [`m${String(k).padStart(2, '0')}`, Number((k + Math.sin(i / 9 + k)).toFixed(4))])));
      fs.writeFileSync(
        path.join(root, 'dvc.yaml'),
        [
          'metrics:\n- metrics.json\nparams:\n- params.yaml\nplots:',
          '- loss.tsv:\n    x: step\n    y: loss',
          '- predictions.csv:\n    template: scatter\n    x: predicted\n    y: actual',
          '- classes.csv:\n    template: confusion\n    x: actual\n    y: predicted',
          '- importance.csv:\n    template: bar_horizontal_sorted\n    x: importance\n    y: feature',
          '- confusion.png\n',
        ].join('\n'),
      );
      const writePlots = (shift: number) => {
        fs.writeFileSync(path.join(root, 'loss.tsv'), `step\tloss\n${Array.from({ length: 50 }, (_, i) => `${i}\t${(1 / (i + 1 + shift)).toFixed(4)}`).join('\n')}\n`);
        fs.writeFileSync(path.join(root, 'predictions.csv'), `predicted,actual\n${Array.from({ length: 40 }, (_, i) => `${(i / 40 + shift / 10).toFixed(3)},${((i % 7) / 7).toFixed(3)}`).join('\n')}\n`);
        fs.writeFileSync(path.join(root, 'classes.csv'), `actual,predicted\n${['cat,cat', 'cat,dog', 'dog,dog', 'dog,dog', 'bird,bird', 'bird,cat'].slice(0, 6 - shift).join('\n')}\n`);
        fs.writeFileSync(path.join(root, 'importance.csv'), `feature,importance\nage,${0.3 + shift / 10}\nheight,0.5\nweight,0.2\n`);
      };
      // An image plot (a 1×1 PNG), shown beside the charts.
      fs.writeFileSync(path.join(root, 'confusion.png'), Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'));
      writePlots(0);
      const script: string[] = [];
      for (let i = 0; i < COMMITS; i++) {
        script.push(`printf '%s\\n' 'lr: ${(0.001 * (i + 1)).toFixed(3)}' 'epochs: ${10 + (i % 5)}' > params.yaml`);
        script.push(`printf '%s\\n' '${metricsOf(i)}' > metrics.json`);
        script.push(`git add -A && git commit -q -m 'train run ${i + 1}'`);
      }
      execFileSync('bash', ['-c', `set -e\n${script.join('\n')}`], { cwd: root });
      fs.writeFileSync(path.join(root, 'metrics.json'), JSON.stringify({ ...JSON.parse(metricsOf(COMMITS - 1)), m00: 9.5 }));
      writePlots(1);
      await vscode.workspace.getConfiguration('cairn').update('runs.historyLimit', COMMITS, vscode.ConfigurationTarget.Workspace);
    });

    it('lists the workspace and the commits with their metrics in the Runs view', async () => {
      await vscode.commands.executeCommand('cairn.runs.focus');
      await vscode.commands.executeCommand(COMMANDS.refreshRuns.id);
      const nodes = workbench.runs.getChildren();
      assert.equal(nodes[0].run.id, 'workspace');
      assert.ok(nodes.length >= COMMITS + 1, `${nodes.length} runs`);
      const latest = workbench.runs.getTreeItem(nodes[1]);
      assert.match(String(latest.label), /^[0-9a-f]{7} train run 200$/);
      assert.match(String(latest.description), /^m00 [-\d.]+ · m01 [-\d.]+ · m02 [-\d.]+$/);
      assert.match(String(workbench.runs.getTreeItem(nodes[0]).description), /^m00 9\.5 · /);
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row:has-text("train run 200")' });
      await screenshot('runs-view', '.part.sidebar');
    });

    it('shows the tip of another branch the user chose, but not a branch whose tip is on the current one', async () => {
      const script = [
        'blob=$(printf \'{"m00": 42}\\n\' | git hash-object -w --stdin)',
        'export GIT_INDEX_FILE=$(mktemp -u)',
        'git read-tree HEAD~5 && git update-index --cacheinfo 100644,$blob,metrics.json',
        'git branch side-experiment $(git commit-tree $(git write-tree) -p HEAD~5 -m "side experiment")',
        'git branch old-tip HEAD~3',
      ].join('\n');
      execFileSync('bash', ['-c', `set -e\n${script}`], { cwd: root });
      await vscode.commands.executeCommand(COMMANDS.chooseRunBranches.id, ['side-experiment', 'old-tip']);
      const rows = workbench.runs.getChildren().map((n: any) => workbench.runs.getTreeItem(n));
      assert.equal(rows[1].label, 'side-experiment');
      assert.match(String(rows[1].description), /^m00 42$/);
      assert.ok(!rows.some((r: any) => r.label === 'old-tip'), 'old-tip is already in the history');
      await vscode.commands.executeCommand(COMMANDS.chooseRunBranches.id, []);
    });

    it('lists DVC experiments (refs/exps/<baseline>/<name>) under their baseline commit, with their metrics', async () => {
      // As `dvc exp run` leaves them: a commit on top of the baseline, under refs/exps/<sha[:2]>/<sha[2:]>/<name>.
      const script = [
        'base=$(git rev-parse HEAD)',
        'blob=$(printf \'{"m00": 77}\\n\' | git hash-object -w --stdin)',
        'export GIT_INDEX_FILE=$(mktemp -u)',
        'git read-tree HEAD && git update-index --cacheinfo 100644,$blob,metrics.json',
        'git update-ref refs/exps/${base:0:2}/${base:2}/exp-quick $(git commit-tree $(git write-tree) -p HEAD -m "exp-quick")',
      ].join('\n');
      execFileSync('bash', ['-c', `set -e\n${script}`], { cwd: root });
      await vscode.commands.executeCommand(COMMANDS.refreshRuns.id);
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
      const baseline = workbench.runs.getChildren().find((n: any) => n.kind === 'run' && n.run.id === head);
      assert.equal(workbench.runs.getTreeItem(baseline).collapsibleState, vscode.TreeItemCollapsibleState.Expanded, "HEAD's experiments shown open");
      const [exp] = workbench.runs.getChildren(baseline).map((n: any) => workbench.runs.getTreeItem(n));
      assert.equal(exp.label, 'exp-quick');
      assert.equal(exp.description, 'm00 77');
      assert.equal((exp.iconPath as vscode.ThemeIcon).id, 'pass');
      assert.equal(workbench.runs.getChildren().find((n: any) => n.kind === 'experiments'), undefined, 'no other experiments');
    });

    it(`draws ${COMMITS} commits × ${METRICS} metrics in the webview, and reports the time`, async () => {
      const started = Date.now();
      const panel = await vscode.commands.executeCommand<any>(COMMANDS.showMetrics.id);
      const render = await new Promise<{ ms: number; charts: number; points: number }>((resolve) => {
        const sub = panel.onDidRender((r: { ms: number; charts: number; points: number }) => {
          sub.dispose();
          resolve(r);
        });
      });
      note(`metric panel: ${render.charts} charts, ${render.points} points drawn in ${Math.round(render.ms)} ms in the webview; ${Date.now() - started} ms from the command`);
      assert.equal(render.charts, METRICS * 2 + 3, 'a history chart and a bar chart per metric, and the line, scatter and bar plots');
      const plotPoints = 2 * (50 + 40 + 3) + 6 + 5;
      assert.equal(render.points, METRICS * (COMMITS + 1) + plotPoints);
      assert.ok(render.ms < 1000, `drawing took ${render.ms} ms (target: under a second)`);
      const table = await ui<string>('webviewText', { selector: 'table.compare' });
      assert.match(table, /m00\s*↑\s*[-\d.]+\s*9\.5 \+[\d.]+/, table.slice(0, 300));
      assert.match(table, /lr\s*0\.2\s*0\.2/);
      await screenshot('metrics-panel');
      // The confusion plot of the workspace (first): 5 pairs, cat→cat, cat→dog, dog→dog twice, bird→bird.
      const matrix = await ui<string>('webviewText', { selector: 'table.matrix' });
      assert.deepEqual(matrix.split('\n').map((l) => l.trim().split(/\s+/)), [['actual', '\\', 'predicted', 'bird', 'cat', 'dog'], ['bird', '1', '0', '0'], ['cat', '0', '1', '1'], ['dog', '0', '0', '2']]);
      // The image plot of each compared revision, loaded under the page's CSP (a data: URL).
      assert.deepEqual(await ui('webviewImage', { selector: 'figure.plot-image img' }), { width: 1, height: 1 });
      assert.match(await ui<string>('webviewText', { selector: '.plot-images' }), /workspace/);
      await ui('webviewScroll', { selector: 'h2:text("Plots")' });
      await screenshot('metrics-panel-plots');
    });

    it('exports the compare table as CSV through the save dialog', async () => {
      const csv = path.join(root, 'metrics.csv');
      await ui('webviewClick', { selector: 'button:text("Export CSV")' });
      // VS Code's own save dialog (a quick input in the browser) proposes <workspace>/metrics.csv.
      await ui('waitFor', { selector: '.quick-input-widget input' });
      await ui('press', { key: 'Enter' });
      const deadline = Date.now() + 10_000;
      while (!fs.existsSync(csv) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const lines = fs.readFileSync(csv, 'utf8').split('\n');
      assert.match(lines[0], /^type,name,[0-9a-f]{7},workspace$/);
      assert.match(lines[1], /^metric,metrics\.json:m00,[-\d.]+,9\.5$/);
      assert.ok(lines.includes('param,params.yaml:lr,0.2,0.2'), lines.join('\n'));
      fs.rmSync(csv);
    });

    it('compares the runs checked in the Runs view', async () => {
      const commits = workbench.runs.getChildren().filter((n: any) => n.kind === 'run' && n.run.kind === 'commit');
      const [run200, run100] = ['train run 200', 'train run 100'].map((subject) => commits.find((n: any) => n.run.detail.startsWith(`${subject} —`)));
      workbench.runs.setChecked(run200, true);
      workbench.runs.setChecked(run100, true);
      const panel = await vscode.commands.executeCommand<any>(COMMANDS.compareSelectedRuns.id);
      await new Promise<void>((resolve) => {
        const sub = panel.onDidRender(() => {
          sub.dispose();
          resolve();
        });
      });
      const table = await ui<string>('webviewText', { selector: 'table.compare thead' });
      assert.deepEqual(table.trim().split(/\s+/), [run100.run.label, run200.run.label], 'the older run is the baseline');
    });
  });
}
