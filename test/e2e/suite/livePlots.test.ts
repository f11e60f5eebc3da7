import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as YAML from 'yaml';
import { COMMANDS } from '../../../src/extension/commandIds';
import { clearNotifications, note, runInfo, screenshot, ui, waitFor } from './harness';

type Render = { ms: number; charts: number; points: number; slowestPlotMs: number };
type Appended = { plotId: string; revision: string; points: number; at: number };
type Panel = { onDidRender: vscode.Event<Render>; onDidAppend: vscode.Event<Appended> };

const STEPS = 15;
const PLOT = 'eval/plots/metrics/acc.tsv';
const BIG = 100_000;

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const nextRender = (panel: Panel) => new Promise<Render>((resolve) => {
  const sub = panel.onDidRender((r) => {
    sub.dispose();
    resolve(r);
  });
});

/**
 * Only in the live plots run (test/e2e/e2e.test.ts passes `scenario: 'liveplots'` and where the
 * training script writes each step's time, on the workspace of `makeLivePlotsWorkspace`).
 */
const data = runInfo()?.data as { scenario?: string; stepTimes?: string; python?: string } | undefined;
if (data?.scenario === 'liveplots') {
  describe('Live plots', function () {
    this.timeout(240_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const cli = (...args: string[]) => execFileSync(process.execPath, [path.join(runInfo()!.extensionPath, 'dist', 'cli.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
    let workbench: any;

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
    });

    it(`grows the plot of a queued DVCLive run as it trains (${STEPS} steps), each step drawn soon after its signal`, async () => {
      const table = await vscode.commands.executeCommand<{ payload?: { columns: { id: string }[]; rows: { label: string; state?: string; values: unknown[] }[] }; rowUpdates: number[] }>(COMMANDS.showExperiments.id);
      const panel = await vscode.commands.executeCommand<Panel>(COMMANDS.showMetrics.id);
      await nextRender(panel);
      const drawn: Appended[] = [];
      panel.onDidAppend((a) => a.plotId === PLOT && a.revision.startsWith('running:') && drawn.push(a));
      cli('exp', 'run', '--queue', '-S', `train.steps=${STEPS}`, '-S', 'train.sleep=0.5', '-n', 'live-exp');
      cli('queue', 'start');
      await waitFor('half the steps drawn', () => drawn.some((a) => a.points >= STEPS / 2), 120_000);
      // The table's row of the run follows its metrics (exp show has none for a run going on).
      const accColumn = table.payload!.columns.findIndex((c) => c.id === ['metrics', 'eval/metrics.json', 'acc'].join('\u001f'));
      const liveAcc = await waitFor('the running row\'s acc in the table', () => {
        const row = table.payload!.rows.find((r) => r.label === 'live-exp' && r.state === 'running');
        return typeof row?.values[accColumn] === 'number' ? (row.values[accColumn] as number) : undefined;
      }, 10_000);
      assert.ok(liveAcc > 0 && liveAcc < 0.1, `acc ${liveAcc} while running (0.1 at the end)`);
      // A step sends the page the run's row, not the whole table again.
      assert.ok(table.rowUpdates.length > 0 && table.rowUpdates.every((n) => n === 1), `rows sent per step: ${table.rowUpdates.join(', ')}`);
      await ui('webviewScroll', { selector: 'h2:text("Plots")' });
      await screenshot('live-plot');
      await waitFor('every step drawn', () => drawn.some((a) => a.points >= STEPS), 60_000);
      // Each step: from the time the script wrote it (right after next_step(): the plots files, then the signal) to the frame that drew it.
      const written = fs.readFileSync(data.stepTimes!, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1]) * 1000);
      assert.equal(written.length, STEPS);
      const delays = written.map((t, step) => drawn.find((a) => a.points >= step + 1)!.at - t).sort((a, b) => a - b);
      const growths = new Set(drawn.map((a) => a.points)).size;
      note(`live plot: ${STEPS} steps of a queued DVCLive run drawn in ${growths} appends; delay from each step's write to its point drawn: p50 ${Math.round(percentile(delays, 0.5))} ms, p95 ${Math.round(percentile(delays, 0.95))} ms, max ${Math.round(delays[delays.length - 1])} ms`);
      assert.ok(growths >= STEPS / 2, `the plot grew only ${growths} times while ${STEPS} steps ran: not live`);
      assert.ok(percentile(delays, 0.5) < 1000, `p50 delay ${percentile(delays, 0.5)} ms (goal: under a second)`);
      const legend = await ui<string>('webviewText', { selector: 'h2:text("Plots")' });
      assert.match(legend, /Plots/);
    });

    it('follows a queued DVCLive run in the experiments table with the plots panel closed: its step counter and metrics grow', async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await ui('waitFor', { selector: '.tab:has-text("Metrics")', state: 'detached' });
      type Table = { payload?: { columns: { id: string }[]; rows: { label: string; state?: string; values: unknown[] }[] }; rowUpdates: number[] };
      const table = await vscode.commands.executeCommand<Table>(COMMANDS.showExperiments.id);
      await waitFor('the table read', () => table.payload?.rows.length);
      const column = (key: string) => table.payload!.columns.findIndex((c) => c.id === ['metrics', 'eval/metrics.json', key].join('\u001f'));
      const updatesBefore = table.rowUpdates.length;
      // Not live-exp's params: the run cache would restore its outputs at once instead of running it.
      cli('exp', 'run', '--queue', '-S', `train.steps=${STEPS}`, '-S', 'train.sleep=0.5', '-S', 'train.lr=0.2', '-n', 'live-table');
      cli('queue', 'start');
      // What the row showed at each look while it ran: its step and acc (exp show has neither for a run going on).
      const seen: { step: number; acc: number }[] = [];
      let drawnStep = '';
      const states: string[] = [];
      await waitFor('live-table finished', async () => {
        const row = table.payload?.rows.find((r) => r.label === 'live-table');
        if (states.at(-1) !== String(row?.state)) states.push(String(row?.state));
        if (row?.state === 'running' && typeof row.values[column('step')] === 'number') {
          const step = row.values[column('step')] as number;
          if (seen.at(-1)?.step !== step) seen.push({ step, acc: row.values[column('acc')] as number });
          if (!drawnStep && step >= 3) {
            // The page's own step counter on the running row.
            const drawn = (await ui<{ name: string; cells: string[] }[]>('experimentRows', { atLeast: 2 })).find((r) => r.name === 'live-table');
            const counter = /step (\d+)/.exec(drawn?.cells[0] ?? '')?.[1];
            if (counter) {
              drawnStep = counter;
              await screenshot('table-live-step');
            }
          }
        }
        return row?.state === 'success' || undefined;
      }, 120_000);
      note(`experiments table, plots panel closed: states ${states.join(' → ')}; the running row showed ${seen.length} steps (${seen.map((s) => s.step).join(', ')}); ${table.rowUpdates.length - updatesBefore} row updates`);
      // Until DVCLive's first step the run's tree holds the files it started from (the baseline's metrics).
      const trained = seen.slice(seen.findIndex((s) => s.step === 0));
      assert.ok(trained.length >= STEPS / 3 && trained.at(-1)!.step >= STEPS - 3, `the row followed only ${trained.length} of ${STEPS} steps: ${JSON.stringify(seen)}`);
      assert.ok(trained.every((s, i) => i === 0 || (s.step > trained[i - 1].step && s.acc > trained[i - 1].acc)), `step and acc grow: ${JSON.stringify(seen)}`);
      assert.ok(Number(drawnStep) >= 3, `the page's step counter: '${drawnStep}'`);
      // Each step sent the run's row alone, not the whole table.
      const updates = table.rowUpdates.slice(updatesBefore);
      assert.ok(updates.length >= STEPS / 3 && updates.every((n) => n === 1), `rows sent per step: ${updates.join(', ')}`);
    });

    it('grows the workspace plot while DVCLive runs outside a pipeline (its DVCLIVE_ONLY signal)', async () => {
      const panel = await vscode.commands.executeCommand<Panel>(COMMANDS.showMetrics.id);
      await nextRender(panel);
      const drawn: Appended[] = [];
      panel.onDidAppend((a) => a.plotId === 'live-only/plots/metrics/acc.tsv' && a.revision === 'workspace' && drawn.push(a));
      fs.writeFileSync(path.join(root, 'live_only.py'), [
        'import time',
        'from dvclive import Live',
        // Saving an experiment at the end is what makes DVCLive signal that it runs outside a pipeline.
        "with Live('live-only', save_dvc_exp=True, exp_name='live-only') as live:",
        '    for step in range(6):',
        "        live.log_metric('acc', step / 10)",
        '        live.next_step()',
        '        time.sleep(0.5)',
        '',
      ].join('\n'));
      // Spawned, not run synchronously: the extension host must go on while it trains.
      const child = spawn(data!.python!, ['live_only.py'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      const signal = path.join(root, '.dvc', 'tmp', 'exps', 'run', 'DVCLIVE_ONLY');
      await waitFor('DVCLive\'s DVCLIVE_ONLY signal', () => fs.existsSync(signal), 60_000);
      assert.equal(await exited, 0, output);
      await waitFor('every step drawn', () => drawn.some((a) => a.points >= 6), 10_000);
      // The first read finds a plot the panel did not have (the whole payload is sent), then steps are appended.
      assert.ok(new Set(drawn.map((a) => a.points)).size >= 3, `appends: ${drawn.map((a) => a.points).join(', ')}`);
    });

    it('plots the runs checked in the Runs view with a metric-versus-param scatter and parallel coordinates', async () => {
      for (const lr of ['0.3', '0.05']) cli('exp', 'run', '-q', '-S', `train.lr=${lr}`, '-n', `lr-${lr}`);
      await vscode.commands.executeCommand(COMMANDS.refreshRuns.id);
      // Experiments are nested under their commit (or under Experiments when their commit is not listed).
      const experiments = workbench.runs
        .getChildren()
        .flatMap((n: any) => (n.kind === 'experiments' || n.run?.kind === 'commit' ? workbench.runs.getChildren(n) : []))
        .filter((n: any) => n.kind === 'run' && n.run.kind === 'experiment');
      assert.deepEqual(experiments.map((n: any) => n.run.label).sort(), ['live-exp', 'live-only', 'live-table', 'lr-0.05', 'lr-0.3']);
      for (const n of experiments) workbench.runs.setChecked(n, true);
      const panel = await vscode.commands.executeCommand<Panel>(COMMANDS.plotSelectedExperiments.id);
      await nextRender(panel);
      const sweep = await ui<string>('webviewText', { selector: 'section.sweep' });
      assert.match(sweep, /Metric vs param[\s\S]*Parallel coordinates/, sweep);
      await ui('webviewScroll', { selector: 'h2:text("Sweep")' });
      await screenshot('parallel-coordinates');
      for (const n of experiments) workbench.runs.setChecked(n, false);
    });

    it(`draws a series of ${BIG.toLocaleString('en')} points decimated, in under 200 ms`, async () => {
      const rows = Array.from({ length: BIG }, (_, i) => `${i}\t${(1 / (1 + i / 1000) + 0.02 * Math.sin(i / 7)).toFixed(5)}`);
      fs.writeFileSync(path.join(root, 'loss.tsv'), `step\tloss\n${rows.join('\n')}\n`);
      // DVCLive rewrote dvc.yaml in its own layout: add the plot through a parser.
      const pipeline = YAML.parse(fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8'));
      pipeline.plots.push({ 'loss.tsv': { x: 'step', y: 'loss' } });
      fs.writeFileSync(path.join(root, 'dvc.yaml'), YAML.stringify(pipeline));
      await vscode.commands.executeCommand(COMMANDS.refreshRuns.id);
      const panel = await vscode.commands.executeCommand<Panel>(COMMANDS.showMetrics.id);
      const render = await nextRender(panel);
      note(`plots panel: the ${BIG}-point series drawn (decimated) in ${Math.round(render.slowestPlotMs)} ms (the slowest plot); the whole panel, ${render.charts} charts and ${render.points} points, in ${Math.round(render.ms)} ms in the webview`);
      assert.ok(render.points >= BIG, `${render.points} points`);
      assert.ok(render.slowestPlotMs > 0 && render.slowestPlotMs < 200, `the ${BIG}-point plot took ${render.slowestPlotMs} ms to draw (goal: under 200 ms)`);
      await ui('webviewScroll', { selector: 'h2:text("Plots")' });
      await screenshot('decimated-100k');
      // The wheel zooms x in around the cursor (the series decimated anew from the points in range); log scale on.
      const range = (await ui<string>('webviewWheel', { selector: 'canvas[data-plot="loss.tsv"]', deltaY: -300 })).split(',').map(Number);
      assert.ok(range.length === 2 && range[0] >= 0 && range[1] <= BIG - 1 && range[1] - range[0] < 0.9 * (BIG - 1), `x range after the wheel: ${range}`);
      await ui('webviewClick', { selector: 'input.log-scale' });
      await screenshot('zoomed-log-scale');
    });

    it('runs DVCLive in the workspace from the Modify Params and Run form: its progress notification counts the steps', async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      type Form = { renders: number[]; runEnds: { code: number | null; cancelled: boolean; name?: string }[] };
      const form = await vscode.commands.executeCommand<Form>(COMMANDS.modifyParamsAndRun.id);
      await waitFor('the form drawn', () => form.renders.length > 0 || undefined);
      for (const [selector, text] of [['input[data-field="params.yaml:train.steps"]', '8'], ['input[data-field="params.yaml:train.sleep"]', '0.5'], ['input.name', 'form-live']]) {
        await ui('webviewClick', { selector });
        await ui('press', { key: 'Control+a' });
        await ui('typeText', { text });
      }
      await clearNotifications();
      await ui('webviewClick', { selector: 'button.primary' });
      // DVCLive's step in the workspace (the shared live feed), once the workspace's run record names this run.
      const toast = '.notifications-toasts .notification-toast:has-text("Cairn: running experiment: form-live, stage train, step ")';
      await ui('waitFor', { selector: toast, timeoutMs: 60_000 });
      await screenshot('run-progress-step');
      const end = await waitFor('the run ended', () => form.runEnds.find((e) => e.name === 'form-live'), 60_000);
      assert.deepEqual([end.code, end.cancelled], [0, false]);
    });
  });
}
