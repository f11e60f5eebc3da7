import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { note, runInfo, screenshot, ui, waitFor } from './harness';

type Row = { name: string; state: string | null; cells: string[]; best: string[]; selected: boolean; starred: boolean; context: string | null };
type Panel = {
  renders: { ms: number; rows: number; columns: number; at: number }[];
  lastScroll?: { frames: number; worstFrameMs: number; medianFrameMs: number; worstDrawMs: number };
  payload?: { rows: { id: string; label: string }[] };
  selection: string[];
  firstReadAt?: number;
  host: { readyAt: number[] };
  dispose(): void;
};
type Found = { text: string; className: string; column: string | null; width: number; checked?: boolean; value?: string };

const EXPERIMENTS = 2000;
const PARAMS = 250;
const METRICS = 250;

/**
 * Only in the experiments run (test/e2e/e2e.test.ts passes `scenario: 'experiments'`, on the
 * workspace of `makeExperimentsWorkspace`: a baseline and four experiments made by `cairn exp run`).
 */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario === 'experiments') {
  describe('Experiments table', function () {
    this.timeout(240_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;

    before(async () => {
      await vscode.extensions.getExtension('cairn.cairn')!.activate();
    });

    it('opens from the command palette with the workspace, the baseline and its experiments, their states and values, and sorts by a metric', async () => {
      await ui('press', { key: 'F1' });
      await ui('waitFor', { selector: '.quick-input-widget input' });
      await ui('typeText', { text: 'Cairn: Show Experiments' });
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="Show Experiments"]' });
      await ui('press', { key: 'Enter' });
      const rows = await ui<Row[]>('experimentRows', { atLeast: 6 });
      // Experiment, Created, then params (train.lr, train.epochs), metrics (acc, loss, then eval/metrics.json's auc, nested.f1) and deps.
      const header = await ui<string>('webviewText', { selector: '.header' });
      assert.match(header.replace(/\s+/g, ' '), /Params Metrics Deps params\.yaml metrics\.json eval\/metrics\.json train nested Experiment Created lr epochs acc loss auc f1 data\.txt train\.py/, header);
      const named = Object.fromEntries(rows.map((r) => [r.name, r]));
      assert.deepEqual(rows.map((r) => r.name).slice(0, 2), ['workspace', 'main']);
      assert.deepEqual(new Set(rows.slice(2).map((r) => r.name)), new Set(['exp-low', 'exp-high', 'exp-fails', 'exp-waiting']));
      assert.deepEqual([named['exp-low'].state, named['exp-high'].state, named['exp-fails'].state, named['exp-waiting'].state, named.main.state], ['success', 'success', 'failed', 'queued', null]);
      // Cells: Experiment, Created, lr, epochs, acc, loss, ...
      assert.deepEqual(named['exp-low'].cells.slice(2, 6), ['0.2', '3', '0.4', '0.8']);
      assert.deepEqual(named['exp-high'].cells.slice(2, 6), ['0.4', '3', '0.8', '0.6']);
      assert.deepEqual(named['exp-waiting'].cells.slice(2, 5), ['0.3', '3', '-'], 'a queued run has its params, no metrics yet');
      assert.deepEqual(named['exp-fails'].cells.slice(2, 5), ['2', '3', '-'], 'a failed run has its params, and no metrics of its own');
      assert.deepEqual(named.main.cells.slice(2, 6), ['0.1', '3', '0.2', '0.9']);
      await screenshot('experiments-table');

      // Sort by acc (descending: click twice), experiments without it (the failed and the queued one) last.
      await ui('webviewClick', { selector: '.th.leaf[data-column$="acc"]' });
      await ui('webviewClick', { selector: '.th.leaf[data-column$="acc"]' });
      await waitFor('the rows sorted by acc, descending', async () => {
        const names = (await ui<Row[]>('experimentRows', { atLeast: 6 })).map((r) => r.name);
        return (JSON.stringify(names.slice(0, 4)) === JSON.stringify(['workspace', 'main', 'exp-high', 'exp-low']) && new Set(names.slice(4)).size === 2 && names.slice(4).every((n) => n === 'exp-fails' || n === 'exp-waiting')) || undefined;
      });
      assert.match(await ui<string>('webviewText', { selector: '.th.leaf[data-column$="acc"]' }), /acc\s*↓/);
      // Shift-click (twice) adds lr descending as the second key: it orders those without acc, exp-fails (lr 2) before exp-waiting (lr 0.3).
      await ui('webviewClick', { selector: '.th.leaf[data-column$="lr"]', modifiers: ['Shift'] });
      await ui('webviewClick', { selector: '.th.leaf[data-column$="lr"]', modifiers: ['Shift'] });
      await waitFor('the rows without acc ordered by lr', async () => {
        const names = (await ui<Row[]>('experimentRows', { atLeast: 6 })).map((r) => r.name);
        return JSON.stringify(names) === JSON.stringify(['workspace', 'main', 'exp-high', 'exp-low', 'exp-fails', 'exp-waiting']) || undefined;
      });
      assert.match(await ui<string>('webviewText', { selector: '.th.leaf[data-column$="lr"]' }), /lr\s*↓2/);
      await screenshot('experiments-table-sorted');
    });

    it('keeps its sort when hidden and shown again (the page reloads, says ready, and is sent the data again)', async () => {
      const sorted = ['workspace', 'main', 'exp-high', 'exp-low', 'exp-fails', 'exp-waiting'];
      const document = await vscode.workspace.openTextDocument({ content: 'another editor' });
      await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Active });
      await waitFor('the table hidden', async () => ((await ui<Row[]>('experimentRows', { timeoutMs: 500 }).catch(() => [])).length === 0 ? true : undefined));
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await waitFor('the table shown again, sorted as before', async () => {
        const names = (await ui<Row[]>('experimentRows', { atLeast: 6 })).map((r) => r.name);
        return JSON.stringify(names) === JSON.stringify(sorted) || undefined;
      });
    });

    it('reads again when an experiment is queued or a ref appears, and shows it queued; names are text, never markup', async () => {
      const cli = path.join(runInfo()!.extensionPath, 'dist', 'cli.js');
      execFileSync(process.execPath, [cli, 'exp', 'run', '--queue', '-S', 'train.lr=0.05', '-n', 'exp-later'], { cwd: root, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
      const row = await waitFor('exp-later in the table', async () => (await ui<Row[]>('experimentRows', { atLeast: 7 })).find((r) => r.name === 'exp-later'));
      assert.equal(row.state, 'queued');
      assert.equal(row.cells[2], '0.05');
      // A ref from a clone is data: a name that looks like markup shows as the text it is.
      const baseline = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
      const commit = execFileSync('git', ['rev-parse', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/exp-low`], { cwd: root, encoding: 'utf8' }).trim();
      execFileSync('git', ['update-ref', `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/<b>bold<-b>`, commit], { cwd: root });
      await waitFor('the ref named like markup in the table', async () => (await ui<Row[]>('experimentRows', { atLeast: 8 })).find((r) => r.name === '<b>bold<-b>'));
      for (const [theme, name] of [['Default Dark Modern', 'dark'], ['Default High Contrast', 'high-contrast']]) {
        await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        await screenshot(`experiments-table-${name}`);
      }
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    });

    it('drops messages from the page that do not match its contract, and acts on those that do', async () => {
      const panel = await vscode.commands.executeCommand<Panel & { onDidRender(listener: (r: { ms: number; rows: number; columns: number }) => void): vscode.Disposable }>(COMMANDS.showExperiments.id);
      const seen: { ms: number; rows: number; columns: number }[] = [];
      const subscription = panel.onDidRender((r) => seen.push(r));
      await ui('webviewPostRaw', {
        messages: [
          { type: 'rendered', ms: 'fast', rows: 999, columns: 999 },
          { type: 'rendered', ms: 1, rows: 999, columns: 999, extra: 'x' },
          { type: 'rendered', ms: 1, rows: 999 },
          { type: 'openStage', id: 'train' },
          'rendered',
          { type: 'rendered', ms: 1, rows: 777, columns: 777 },
        ],
      });
      await waitFor('the well-formed message acted on', () => seen.find((r) => r.rows === 777));
      subscription.dispose();
      assert.deepEqual(seen.filter((r) => r.rows === 999), [], 'no malformed message reached the panel');
    });

    it('draws again only what a live update changed: the changed row, and cells whose best value moved; all of it when the order changes', async () => {
      const panel = await vscode.commands.executeCommand<any>(COMMANDS.showExperiments.id);
      const payload = panel.payload as { columns: { kind: string; path: string[] }[]; rows: { id: string; label: string; values: unknown[] }[] };
      const rowOf = (label: string) => payload.rows.find((r) => r.label === label)!;
      const columnOf = (kind: string, key: string) => payload.columns.findIndex((c) => c.kind === kind && c.path.join('.') === key);
      const changed = (label: string, column: number, value: unknown) => ({ ...rowOf(label), values: rowOf(label).values.map((v, i) => (i === column ? value : v)) });
      const redrawn = () => ui<string[]>('probeRows', {});
      const waitForCell = (label: string, text: string) => waitFor(`${label} showing ${text}`, async () => ((await ui<Row[]>('experimentRows')).find((r) => r.name === label)?.cells.includes(text) ? true : undefined));
      const [lr, f1] = [columnOf('params', 'train.lr'), columnOf('metrics', 'nested.f1')];
      assert.ok(lr >= 0 && f1 >= 0, 'the lr and f1 columns');

      // A param of a queued run: nothing moves; only its line is made again.
      await ui('probeRows', { mark: true });
      panel.host.post({ type: 'updateRows', rows: [changed('exp-waiting', lr, 0.33)] });
      await waitForCell('exp-waiting', '0.33');
      assert.deepEqual(await redrawn(), ['exp-waiting']);

      // The best f1 now: its line again, and in the row that had the best f1 only that cell.
      const bestBefore = (await ui<Row[]>('experimentRows')).filter((r) => r.best.length).map((r) => [r.name, r.best.join(' ')]);
      await ui('probeRows', { mark: true });
      panel.host.post({ type: 'updateRows', rows: [changed('exp-waiting', f1, 0.999)] });
      await waitForCell('exp-waiting', '0.999');
      assert.deepEqual(await redrawn(), ['exp-waiting']);
      const bestAfter = await ui<Row[]>('experimentRows');
      assert.ok(bestAfter.find((r) => r.name === 'exp-waiting')!.best.includes('0.999'), 'the new best f1 marked');
      assert.equal(bestAfter.filter((r) => r.best.includes('0.999')).length, 1);
      assert.notDeepEqual(bestAfter.filter((r) => r.best.length).map((r) => [r.name, r.best.join(' ')]), bestBefore);

      // The table is sorted by acc: an acc that moves a row draws the table anew.
      const acc = columnOf('metrics', 'acc');
      await ui('probeRows', { mark: true });
      panel.host.post({ type: 'updateRows', rows: [changed('exp-low', acc, 0.9999)] });
      await waitForCell('exp-low', '0.9999');
      assert.equal((await redrawn()).length, (await ui<Row[]>('experimentRows')).length, 'every line drawn anew');

      // As it was, for the next tests.
      panel.host.post({ type: 'updateRows', rows: [rowOf('exp-waiting'), rowOf('exp-low')] });
      await waitFor('the rows as read', async () => ((await ui<Row[]>('experimentRows')).find((r) => r.name === 'exp-waiting')?.cells.includes('0.999') ? undefined : true));
    });

    it('filters, stars, hides, reorders and resizes columns, shows only changed ones, sets the precision, marks the best values, selects rows, and keeps it all when opened again', async () => {
      const panel = await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      const idOf = (label: string) => panel.payload!.rows.find((r) => r.label === label)!.id;
      const names = async () => (await ui<Row[]>('experimentRows')).map((r) => r.name);
      const rowsShown = (expected: string[]) => waitFor(`the rows ${expected.join(', ')}`, async () => (JSON.stringify(await names()) === JSON.stringify(expected) ? true : undefined));
      const leaves = async () => (await ui<Found[]>('webviewQuery', { selector: '.th.leaf' })).map((f) => f.column!.split('\u001f').at(-1));
      const menu = async (column: string, item: string) => {
        await ui('webviewClick', { selector: `.th.leaf[data-column$="${column}"] .menu-button` });
        await ui('webviewClick', { selector: `.column-menu ${item}` });
      };
      const everyone = ['workspace', 'main', 'exp-high', 'exp-low', '<b>bold<-b>', 'exp-fails', 'exp-waiting', 'exp-later'];
      assert.deepEqual(new Set(await names()), new Set(everyone));

      // A star on exp-high, then "Starred only": the workspace and the commit frame it.
      await ui('webviewClick', { selector: `.row[data-id="${idOf('exp-high')}"] .star` });
      await waitFor('exp-high starred', async () => (await ui<Row[]>('experimentRows')).find((r) => r.name === 'exp-high' && r.starred));
      await ui('webviewClick', { selector: '.starred-only' });
      await rowsShown(['workspace', 'main', 'exp-high']);
      assert.match(await ui<string>('webviewText', { selector: '.chips' }), /starred.*5 experiments filtered out/s);
      await ui('webviewClick', { selector: '.chip-remove' });
      await waitFor('every row back', async () => ((await names()).length === everyone.length ? true : undefined));

      // From acc's menu: a filter; a date that is not one is refused in the form, in one line.
      await menu('created', '.filter-item');
      await ui('webviewSelect', { selector: '.filter-form .filter-op', value: '≥' });
      await ui('webviewFill', { selector: '.filter-form .filter-value', text: 'last week' });
      await ui('webviewClick', { selector: '.filter-form .filter-add' });
      assert.match(await ui<string>('webviewText', { selector: '.filter-problem' }), /YYYY-MM-DD.*"last week"/);
      await screenshot('experiments-filter-form');
      await menu('acc', '.filter-item');
      await ui('webviewSelect', { selector: '.filter-form .filter-op', value: '>' });
      await ui('webviewFill', { selector: '.filter-form .filter-value', text: '0.5' });
      await ui('webviewClick', { selector: '.filter-form .filter-add' });
      await rowsShown(['workspace', 'main', 'exp-high']);
      assert.match(await ui<string>('webviewText', { selector: '.chips' }), /acc > 0\.5.*5 experiments filtered out/s);

      // The best value of each metric among the rows shown (acc, auc, f1 higher; loss lower), on exp-high.
      const high = async () => (await ui<Row[]>('experimentRows')).find((r) => r.name === 'exp-high')!;
      assert.deepEqual((await high()).best, ['0.8', '0.6', '0.13333', '0.4']);
      assert.deepEqual((await ui<Row[]>('experimentRows')).find((r) => r.name === 'main')!.best, []);
      // loss's direction flipped from its menu: main's 0.9 is the best loss now (kept where the metrics panel keeps it: checked after reopening).
      const mainBest = async () => (await ui<Row[]>('experimentRows')).find((r) => r.name === 'main')!.best;
      await menu('loss', '.menu-item[title="Higher is better"]');
      await waitFor('main has the best loss', async () => (JSON.stringify(await mainBest()) === JSON.stringify(['0.9']) ? true : undefined));

      // Hide epochs from its menu; move acc before lr by dragging; widen lr at its edge.
      await menu('epochs', '.menu-item[title="Hide column"]');
      await waitFor('epochs hidden', async () => (!(await leaves()).includes('epochs') ? true : undefined));
      assert.match(await ui<string>('webviewText', { selector: '.columns-button' }), /Columns \(1 hidden\)/);
      await ui('webviewDrag', { from: '.th.leaf[data-column$="acc"]', to: '.th.leaf[data-column$="lr"]' });
      await waitFor('acc moved before lr', async () => ((await leaves()).join(' ').startsWith('experiment created acc lr') ? true : undefined));
      const lrWidth = async () => (await ui<Found[]>('webviewQuery', { selector: '.th.leaf[data-column$="lr"]' }))[0].width;
      const narrow = await lrWidth();
      await ui('webviewDragBy', { selector: '.th.leaf[data-column$="lr"] .resize', dx: 80 });
      await waitFor('lr wider', async () => (Math.abs((await lrWidth()) - (narrow + 80)) <= 2 ? true : undefined));

      // Only changed columns: the deps (one hash in every row shown) go; the metrics stay.
      await ui('webviewClick', { selector: '.only-changed input' });
      await waitFor('only changed columns', async () => ((await leaves()).join(' ') === 'experiment created acc lr loss auc f1' ? true : undefined));

      // Precision: at most 2 significant digits.
      await ui('webviewFill', { selector: '.precision input', text: '2' });
      await waitFor('auc to 2 digits', async () => ((await high()).best.includes('0.13') ? true : undefined));

      // Selection: click, ctrl-click, shift-click and the arrow keys; each row carries its context for the menus.
      await ui('webviewClick', { selector: `.row[data-id="${idOf('main')}"] .name` });
      await waitFor('main selected', () => (JSON.stringify(panel.selection) === JSON.stringify([idOf('main')]) ? true : undefined));
      await ui('webviewClick', { selector: `.row[data-id="${idOf('exp-high')}"] .name`, modifiers: ['Control'] });
      await waitFor('main and exp-high selected', () => (panel.selection.length === 2 ? true : undefined));
      await ui('webviewClick', { selector: `.row[data-id="workspace"] .name`, modifiers: ['Shift'] });
      await waitFor('the range from exp-high up to the workspace', () => (JSON.stringify(panel.selection) === JSON.stringify(['workspace', idOf('main'), idOf('exp-high')]) ? true : undefined));
      await ui('webviewClick', { selector: `.row[data-id="workspace"] .name` });
      await ui('press', { key: 'ArrowDown' });
      await waitFor('the arrow key moved the selection to main', () => (JSON.stringify(panel.selection) === JSON.stringify([idOf('main')]) ? true : undefined));
      await ui('press', { key: 'Shift+ArrowDown' });
      await waitFor('shift-arrow extended it', () => (JSON.stringify(panel.selection) === JSON.stringify([idOf('main'), idOf('exp-high')]) ? true : undefined));
      const drawn = await ui<Row[]>('experimentRows');
      assert.deepEqual(drawn.filter((r) => r.selected).map((r) => r.name), ['main', 'exp-high']);
      assert.deepEqual(JSON.parse(drawn.find((r) => r.name === 'exp-high')!.context!), {
        webviewSection: 'experimentRow',
        rowId: idOf('exp-high'),
        rowActions: 'expApply expBranch expRename expRemove expPush expCompare expCopyMarkdown expCopyCsv modifyParamsAndRun registerExperimentVersion',
        preventDefaultContextMenuItems: true,
      });
      await screenshot('experiments-table-filtered');
      for (const [theme, name] of [['Default Dark Modern', 'dark'], ['Default High Contrast', 'high-contrast']]) {
        await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme, vscode.ConfigurationTarget.Global);
        await screenshot(`experiments-table-filtered-${name}`);
      }
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);

      // Closed and opened again (a new page: the state comes back from the workspace state).
      panel.dispose();
      await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      await rowsShown(['workspace', 'main', 'exp-high']);
      assert.equal((await leaves()).join(' '), 'experiment created acc lr loss auc f1');
      assert.ok(Math.abs((await lrWidth()) - (narrow + 80)) <= 2, 'lr keeps its width');
      assert.ok((await ui<Row[]>('experimentRows')).find((r) => r.name === 'exp-high')!.starred);
      assert.match(await ui<string>('webviewText', { selector: '.chips' }), /acc > 0\.5/);
      assert.equal((await ui<Found[]>('webviewQuery', { selector: '.precision input' }))[0].value, '2');
      assert.equal((await ui<Found[]>('webviewQuery', { selector: '.only-changed input' }))[0].checked, true);
      assert.match(await ui<string>('webviewText', { selector: '.th.leaf[data-column$="acc"]' }), /acc\s*↓/, 'the sort kept');
      assert.deepEqual(await mainBest(), ['0.9'], 'loss: higher is better, as set');
      await menu('loss', '.menu-item[title="Lower is better"]');
      await waitFor('exp-high has the best loss again', async () => ((await mainBest()).length === 0 ? true : undefined));

      // Back to every column and row, at 5 digits, for the next test.
      await ui('webviewClick', { selector: '.chip-remove' });
      await ui('webviewClick', { selector: '.only-changed input' });
      await ui('webviewFill', { selector: '.precision input', text: '5' });
      await ui('webviewClick', { selector: '.columns-button' });
      await ui('webviewFill', { selector: '.column-search', text: 'epochs' });
      await screenshot('experiments-column-picker');
      await ui('webviewClick', { selector: '.column-choice[data-column$="epochs"] input' });
      await waitFor('every column and row back', async () => ((await leaves()).includes('epochs') && (await names()).length === everyone.length ? true : undefined));
    });

    it(`reads ${EXPERIMENTS} experiments × ${PARAMS + METRICS} columns from refs in dvc's layout, and reports first paint and the worst frame while scrolling`, async () => {
      const panelBefore = await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      panelBefore.dispose();
      const baseline = makeManyExperiments(root);
      note(`made ${EXPERIMENTS} experiment refs under refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/ with git fast-import`);

      const started = Date.now();
      const panel = await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      const read = Date.now() - started;
      const render = await waitFor('the whole table drawn', () => panel.renders.find((r) => r.rows >= EXPERIMENTS), 60_000);
      const first = panel.renders[0];
      assert.ok(render.rows >= EXPERIMENTS + 4, `${render.rows} rows`);
      assert.ok(render.columns >= PARAMS + METRICS, `${render.columns} columns`);
      assert.ok(first.rows >= 60 && first.rows < EXPERIMENTS, `the newest experiments drawn first (${first.rows} rows)`);
      note(`experiments table ${render.rows} rows × ${render.columns} columns: first paint (top ${first.rows} rows) ${first.at - started} ms after the command, whole table ${render.at - started} ms (read in the core worker and posted: ${read} ms; the page's drawing: ${Math.round(first.ms)} ms, then ${Math.round(render.ms)} ms)`);
      const start = await ui<{ frameAt: number; workerAt: number } | undefined>('webviewStart');
      const worker = start ? `VS Code's webview start: its frame ${Math.round(start.frameAt - started)} ms, its service worker answering at ${Math.round(start.workerAt - started)} ms; ` : '';
      note(`experiments table opening: ${worker}the page ready at ${panel.host.readyAt[0] - started} ms; the first ${first.rows} rows read in the core at ${(panel.firstReadAt ?? NaN) - started} ms, drawn at ${first.at - started} ms`);
      await screenshot('experiments-table-2000');

      const scroll = async (what: string, dx: number, dy: number) => {
        const before = panel.lastScroll;
        await ui('scrollTable', { frames: 120, dx, dy });
        const frames = await waitFor(`the frame times of ${what}`, () => (panel.lastScroll !== before ? panel.lastScroll : undefined), 20_000);
        note(`scrolling ${what}: ${frames.frames} frames, worst ${Math.round(frames.worstFrameMs)} ms, median ${Math.round(frames.medianFrameMs)} ms; the page's longest draw ${Math.round(frames.worstDrawMs)} ms`);
        return frames;
      };
      const down = await scroll('down (240 px a frame)', 0, 240);
      const across = await scroll('across (120 px a frame)', 120, 0);
      const both = await scroll('diagonally', 90, 150);
      await screenshot('experiments-table-2000-scrolled');
      for (const f of [down, across, both]) assert.ok(f.frames >= 100, `${f.frames} frames`);
      const rows = await ui<Row[]>('experimentRows');
      assert.ok(rows.some((r) => /^exp-\d{4}$/.test(r.name)), 'generated experiments in view after scrolling');

      // Opened again: `exp show` reads back what it kept of each commit (.dvc/tmp/cairn/exp-show).
      panel.dispose();
      const again = Date.now();
      const reopened = await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      const readAgain = Date.now() - again;
      const whole = await waitFor('the table drawn again', () => reopened.renders.find((r) => r.rows >= EXPERIMENTS), 60_000);
      note(`experiments table opened again: first paint ${reopened.renders[0].at - again} ms after the command, whole table ${whole.at - again} ms (read and posted: ${readAgain} ms)`);
    });

    it('is drawn again when shown from behind another panel in its group (its page reloads and is sent the table)', async () => {
      const table = await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      await waitFor('the table drawn', () => table.renders.find((r) => r.rows >= EXPERIMENTS), 60_000);
      const dag = await vscode.commands.executeCommand<{ dispose(): void }>(COMMANDS.showDag.id);
      await ui('waitFor', { selector: '.tab.active[aria-label*="Pipeline"]' });
      const readyBefore = table.host.readyAt.length;
      const rendersBefore = table.renders.length;
      const shown = await vscode.commands.executeCommand<Panel>(COMMANDS.showExperiments.id);
      assert.equal(shown, table, 'the open table is shown, not a new one');
      await waitFor('the page loaded again and said ready', () => (table.host.readyAt.length > readyBefore ? true : undefined), 20_000);
      await waitFor('the table drawn again', () => table.renders.slice(rendersBefore).find((r) => r.rows >= EXPERIMENTS), 60_000);
      const rows = await ui<Row[]>('experimentRows');
      assert.equal(rows[0].name, 'workspace');
      await screenshot('experiments-table-shown-again');
      dag.dispose();
    });
  });
}

/**
 * A new commit on the current branch whose params file has PARAMS keys and metrics file METRICS,
 * and EXPERIMENTS experiments on it as dvc leaves them: a commit whose parent is the baseline, at
 * refs/exps/<sha[:2]>/<sha[2:]>/<name>, made with git fast-import. Returns the baseline's sha.
 */
function makeManyExperiments(root: string): string {
  const params = (i: number) => Array.from({ length: PARAMS }, (_, k) => `p${String(k).padStart(3, '0')}: ${((i * 7 + k) % 97) / 10}`).join('\n') + '\n';
  const metrics = (i: number) => JSON.stringify(Object.fromEntries(Array.from({ length: METRICS }, (_, k) => [`m${String(k).padStart(3, '0')}`, Number(Math.abs(Math.sin(i + k)).toFixed(6))]))) + '\n';
  const dvcYaml = fs.readFileSync(path.join(root, 'dvc.yaml'), 'utf8').replace('metrics: [eval/metrics.json]', 'metrics: [eval/metrics.json, big_metrics.json]\nparams: [big_params.yaml]');
  fs.writeFileSync(path.join(root, 'dvc.yaml'), dvcYaml);
  fs.writeFileSync(path.join(root, 'big_params.yaml'), params(0));
  fs.writeFileSync(path.join(root, 'big_metrics.json'), metrics(0));
  const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: root, input, encoding: 'utf8', maxBuffer: 1 << 30 });
  git(['add', 'dvc.yaml', 'big_params.yaml', 'big_metrics.json']);
  git(['commit', '-q', '-m', 'many params and metrics']);
  const baseline = git(['rev-parse', 'HEAD']).trim();
  const blob = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const stream: string[] = [];
  const time = Math.floor(Date.now() / 1000) - EXPERIMENTS;
  for (let i = 1; i <= EXPERIMENTS; i++) {
    const name = `exp-${String(i).padStart(4, '0')}`;
    stream.push(
      `commit refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}\n`,
      `committer Cairn Test <test@cairn.dev> ${time + i} +0000\n`,
      blob(`dvc: commit experiment ${i}`),
      `from ${baseline}\n`,
      `M 100644 inline big_params.yaml\n${blob(params(i))}`,
      `M 100644 inline big_metrics.json\n${blob(metrics(i))}\n`,
    );
  }
  git(['fast-import', '--quiet'], stream.join(''));
  return baseline;
}

/** Only in the multi-root run (`scenario: 'multiroot'`: two repositories, `first` and `second`, each with one experiment). */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario === 'multiroot') {
  describe('Experiments in a multi-root workspace', function () {
    this.timeout(120_000);

    it('asks which repository when no editor or row names one, and shows the one chosen — never silently the first', async () => {
      await vscode.extensions.getExtension('cairn.cairn')!.activate();
      assert.deepEqual(vscode.workspace.workspaceFolders!.map((f) => f.name), ['first', 'second']);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await ui('press', { key: 'F1' });
      await ui('waitFor', { selector: '.quick-input-widget input' });
      await ui('typeText', { text: 'Cairn: Show Experiments' });
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="Show Experiments"]' });
      await ui('press', { key: 'Enter' });
      // The repository quick pick: both, nothing opened yet.
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="second"]' });
      await ui('waitFor', { selector: '.quick-input-list .monaco-list-row[aria-label*="first"]' });
      await screenshot('repository-pick');
      await ui('typeText', { text: 'second' });
      await ui('press', { key: 'Enter' });
      const rows = await ui<Row[]>('experimentRows', { atLeast: 3 });
      assert.deepEqual(rows.map((r) => r.name), ['workspace', 'main', 'second-exp']);
      assert.equal(vscode.window.tabGroups.activeTabGroup.activeTab?.label, 'Experiments: second');
      assert.match(await ui<string>('webviewText', { selector: '.table-title' }), /^second: 2 revisions, 1 experiment, 8 columns$/);
      await screenshot('second-repository-table');
    });
  });
}
