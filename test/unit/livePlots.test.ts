import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempRunTrees } from '../../src/core/experiments/liveRuns';
import { Repo } from '../../src/core/repo/repo';
import { mergeLivePlots } from '../../src/extension/livePoints';
import { livePlotsSnapshot } from '../../src/extension/plotsSnapshot';
import { metricCells, withLiveMetrics } from '../../src/extension/experimentsSnapshot';
import { checkMessage, FROM_METRICS, type PlotData } from '../../webview/messages';
import { dragRange, lttb, paramScatter, parallelCoordinates, positiveOnly, smooth, varyingNumericKeys, visiblePoints, zoomRange } from '../../webview/plotShaping';
import { runColor, runColors } from '../../webview/runColors';
import { cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

const plot = (id: string, points: Record<string, unknown>[], over: Partial<PlotData> = {}): PlotData => ({
  id, title: id, template: 'linear', x: 'step', y: 'acc', xLabel: 'step', yLabel: 'acc', revisions: [...new Set(points.map((p) => String(p.rev)))], points, ...over,
});
const steps = (rev: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ rev, step: String(from + i), acc: String((from + i) / 10) }));

describe('live plots: what a run going on adds (src/extension/livePoints, plotsSnapshot)', () => {
  it('sends only the points a series gained, and keeps the other revisions\' points', () => {
    const shown = [plot('acc.tsv', [...steps('c1', 5), ...steps('workspace', 2)])];
    const { plots, appends } = mergeLivePlots(shown, [plot('acc.tsv', steps('workspace', 4))]);
    assert.deepEqual(appends, [plot('acc.tsv', steps('workspace', 2, 2))]);
    assert.equal(plots[0].points.filter((p) => p.rev === 'c1').length, 5);
    assert.deepEqual(plots[0].points.filter((p) => p.rev === 'workspace'), steps('workspace', 4));
    assert.equal(shown[0].points.length, 7, 'the shown plots are not changed in place');
  });

  it('tells series of one revision apart by their source, and a new revision\'s series is all new', () => {
    const src = (rev: string, filename: string, n: number, from = 0) => steps(rev, n, from).map((p) => ({ ...p, filename }));
    const shown = [plot('dvclive/plots/metrics', [...src('workspace', 'acc.tsv', 3), ...src('workspace', 'loss.tsv', 3)], { sourceField: 'filename' })];
    const live = plot('dvclive/plots/metrics', [...src('workspace', 'acc.tsv', 4), ...src('workspace', 'loss.tsv', 3), ...src('running:tmpabcdef', 'acc.tsv', 1)], { sourceField: 'filename' });
    const { appends } = mergeLivePlots(shown, [live]);
    assert.deepEqual(appends?.[0].points, [...src('workspace', 'acc.tsv', 1, 3), ...src('running:tmpabcdef', 'acc.tsv', 1)]);
  });

  it('asks for the whole payload when a series shrank (a file rewritten, a run restarted) or a plot appeared', () => {
    assert.equal(mergeLivePlots([plot('acc.tsv', steps('workspace', 5))], [plot('acc.tsv', steps('workspace', 2))]).appends, undefined);
    const appeared = mergeLivePlots([], [plot('loss.tsv', steps('workspace', 2))]);
    assert.equal(appeared.appends, undefined);
    assert.equal(appeared.plots.length, 1);
    assert.deepEqual(mergeLivePlots([plot('acc.tsv', steps('workspace', 2))], [plot('acc.tsv', steps('workspace', 2))]).appends, [], 'nothing new: nothing sent');
  });

  it('reads the workspace\'s plots and each temporary tree\'s as `running:<tree>`, and follows no link there', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    const files = (n: number) => ({ 'dvc.yaml': 'plots:\n- acc.tsv:\n    x: step\n    y: acc\n', 'acc.tsv': `step\tacc\n${Array.from({ length: n }, (_, i) => `${i}\t${i / 10}`).join('\n')}\n` });
    writeFiles(root, files(2));
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'plots');
    const tree = path.join(root, '.dvc', 'tmp', 'exps', 'tmpab12cd');
    fs.mkdirSync(path.join(tree, '.dvc'), { recursive: true });
    writeFiles(tree, files(3));
    // A link named like a tree (a repository may bring one): not read.
    fs.symlinkSync(tree, path.join(root, '.dvc', 'tmp', 'exps', 'tmpzz99zz'));
    // Nor a tree whose repository folder is reached through a link on the way (the repository a subfolder of its git repository).
    const sub = tempGitRepo();
    writeFiles(sub, { 'a/project/.dvc/config': '' });
    const exps = path.join(sub, 'a', 'project', '.dvc', 'tmp', 'exps');
    const elsewhere = path.join(sub, 'elsewhere');
    fs.mkdirSync(path.join(elsewhere, 'project', '.dvc'), { recursive: true });
    fs.mkdirSync(path.join(exps, 'tmpcc33dd'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(exps, 'tmpcc33dd', 'a'));
    fs.mkdirSync(path.join(exps, 'tmpee44ff', 'a', 'project', '.dvc'), { recursive: true });
    const subRepo = Repo.open(path.join(sub, 'a', 'project'));
    try {
      assert.deepEqual(tempRunTrees(subRepo).map((t) => [t.name, path.relative(exps, t.root)]), [['tmpee44ff', path.join('tmpee44ff', 'a', 'project')]]);
    } finally {
      await subRepo.close();
    }
    const repo = Repo.open(root);
    try {
      assert.deepEqual(tempRunTrees(repo).map((t) => t.name), ['tmpab12cd']);
      const live = await livePlotsSnapshot(repo);
      assert.deepEqual(live.runs, [{ id: 'workspace', label: 'workspace', metrics: {} }, { id: 'running:tmpab12cd', label: 'running (tmpab12cd)' }]);
      const byRev = (rev: string) => live.plots.filter((p) => p.id === 'acc.tsv').flatMap((p) => p.points).filter((p) => p.rev === rev).map((p) => p.step);
      assert.deepEqual(byRev('workspace'), ['0', '1']);
      assert.deepEqual(byRev('running:tmpab12cd'), ['0', '1', '2']);
    } finally {
      await repo.close();
    }
  });

  it('reads the workspace\'s metrics, named as the experiment a workspace run records (dvc\'s record, its process alive)', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': 'metrics:\n- eval/metrics.json\n', 'eval/metrics.json': '{"acc": 0.25, "step": 4}' });
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'metrics');
    const cell = (key: string) => ['metrics', 'eval/metrics.json', key].join('\u001f');
    const repo = Repo.open(root);
    try {
      assert.deepEqual((await livePlotsSnapshot(repo)).runs, [{ id: 'workspace', label: 'workspace', metrics: { [cell('acc')]: 0.25, [cell('step')]: 4 } }]);
      const baseline = git(root, 'rev-parse', 'HEAD').trim();
      writeFiles(root, {
        '.dvc/tmp/exps/run/workspace/workspace.run': JSON.stringify({ baseline_rev: baseline, location: 'workspace', name: 'in-workspace', status: 2 }),
        '.dvc/tmp/exps/run/workspace/workspace.json': JSON.stringify({ pid: process.pid }),
      });
      assert.equal((await livePlotsSnapshot(repo)).runs[0].experiment, 'in-workspace');
    } finally {
      await repo.close();
    }
  });

  it('accepts the page\'s `appended` report only as its spec says', () => {
    assert.ok(checkMessage(FROM_METRICS, { type: 'appended', plotId: 'acc.tsv', revision: 'workspace', points: 3 }));
    assert.equal(checkMessage(FROM_METRICS, { type: 'appended', plotId: 'acc.tsv', revision: 'workspace', points: '3' }), undefined);
    assert.equal(checkMessage(FROM_METRICS, { type: 'appended', plotId: 'acc.tsv', revision: 'workspace', points: 3, extra: 1 }), undefined);
  });
});

describe('plots panel shaping (webview/plotShaping, webview/runColors)', () => {
  const xy = (...ys: number[]) => ys.map((y, x) => ({ x, y }));

  it('smooths as a debiased moving average: weight 0 is the series itself, a constant stays constant, a jump is followed gradually', () => {
    assert.deepEqual(smooth(xy(1, 5, 2), 0), xy(1, 5, 2));
    assert.deepEqual(smooth(xy(3, 3, 3), 0.9).map((p) => Number(p.y.toFixed(9))), [3, 3, 3]);
    const jump = smooth(xy(0, 10, 10, 10), 0.5).map((p) => p.y);
    assert.equal(jump[0], 0);
    assert.ok(jump[1] > 0 && jump[1] < jump[2] && jump[2] < jump[3] && jump[3] < 10, String(jump));
    assert.ok(Number.isNaN(smooth([{ x: 0, y: NaN }, { x: 1, y: 4 }], 0.5)[0].y));
    assert.equal(smooth([{ x: 0, y: NaN }, { x: 1, y: 4 }], 0.5)[1].y, 4, 'a gap does not pull the average');
  });

  it('zooms x around the cursor, never past the data, and a drag selects a range', () => {
    assert.deepEqual(zoomRange([0, 100], [0, 100], 50, -1), [10, 90]);
    assert.deepEqual(zoomRange([0, 100], [0, 100], 0, -1), [0, 80]);
    assert.deepEqual(zoomRange([10, 90], [0, 100], 50, 1), [0, 100]);
    assert.deepEqual(zoomRange([80, 100], [0, 100], 100, 1), [75, 100]);
    assert.deepEqual(dragRange(70, 20, [0, 100]), [20, 70]);
    assert.equal(dragRange(50, 50.01, [0, 100]), undefined, 'a click is no zoom');
    assert.deepEqual(positiveOnly(xy(0, 1, -2, 3)), [{ x: 1, y: 1 }, { x: 3, y: 3 }]);
  });

  it('gives a metric-versus-param point per run with both numbers, and parallel coordinates scaled per axis', () => {
    const runs = [
      { id: 'a', values: { 'params.yaml:lr': 0.1, 'params.yaml:epochs': 3, 'metrics.json:acc': 0.5 } },
      { id: 'b', values: { 'params.yaml:lr': 0.3, 'params.yaml:epochs': 3, 'metrics.json:acc': 0.9 } },
      { id: 'c', values: { 'params.yaml:lr': 0.2, 'params.yaml:epochs': 3, 'metrics.json:acc': null } },
      { id: 'd', values: { 'params.yaml:lr': 'high', 'params.yaml:epochs': 3, 'metrics.json:acc': 0.7 } },
    ];
    assert.deepEqual(paramScatter(runs, 'params.yaml:lr', 'metrics.json:acc'), [{ id: 'a', x: 0.1, y: 0.5 }, { id: 'b', x: 0.3, y: 0.9 }]);
    assert.deepEqual(varyingNumericKeys(runs, ['params.yaml:lr', 'params.yaml:epochs', 'metrics.json:acc']), ['params.yaml:lr', 'metrics.json:acc']);
    const { axes, lines } = parallelCoordinates(runs, ['params.yaml:lr', 'params.yaml:epochs', 'metrics.json:acc']);
    assert.deepEqual(axes.map((a) => [a.min, a.max]), [[0.1, 0.3], [3, 3], [0.5, 0.9]]);
    const round = (v: number | null) => (v === null ? null : Number(v.toFixed(9)));
    assert.deepEqual(lines.map((l) => [l.id, l.y.map(round)]), [
      ['a', [0, 0.5, 0]],
      ['b', [1, 0.5, 1]],
      ['c', [0.5, 0.5, null]],
      ['d', [null, 0.5, 0.5]],
    ]);
  });

  it('colours runs by their order: the theme\'s six, then distinct hues for any number more (no cap)', () => {
    const palette = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    const ids = Array.from({ length: 40 }, (_, i) => `exp-${i}`);
    const colors = runColors([...ids, 'exp-3'], palette);
    assert.equal(colors.size, 40);
    assert.deepEqual([...colors.values()].slice(0, 6), palette);
    assert.equal(new Set(colors.values()).size, 40, 'every run its own colour');
    assert.equal(colors.get('exp-7'), runColor(7, palette), 'the same function gives the table the same colour');
  });
});

describe('decimation (webview/plotShaping lttb, visiblePoints)', () => {
  const series = (n: number, y: (i: number) => number) => Array.from({ length: n }, (_, i) => ({ x: i, y: y(i) }));

  it('keeps a short series as it is, and a long one as `samples` points: the ends, in order, its peaks', () => {
    assert.deepEqual(lttb(series(5, (i) => i), 10), series(5, (i) => i));
    const long = series(100_000, (i) => Math.sin(i / 5000) + (i === 31_337 ? 50 : 0) + (i === 77_777 ? -50 : 0));
    const kept = lttb(long, 1000);
    assert.equal(kept.length, 1000);
    assert.deepEqual([kept[0], kept[kept.length - 1]], [long[0], long[long.length - 1]]);
    assert.ok(kept.every((p, i) => i === 0 || p.x > kept[i - 1].x), 'in x order, no point twice');
    assert.ok(kept.some((p) => p.x === 31_337) && kept.some((p) => p.x === 77_777), 'a spike survives');
    assert.deepEqual(lttb([{ x: 0, y: 1 }, { x: 1, y: NaN }, { x: 2, y: 3 }], 10), [{ x: 0, y: 1 }, { x: 2, y: 3 }]);
  });

  it('takes the points of a zoomed range, one beyond each end', () => {
    const s = series(100, (i) => i);
    assert.equal(visiblePoints(s, undefined), s);
    assert.deepEqual(visiblePoints(s, [10.5, 20]).map((p) => p.x), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    assert.deepEqual(visiblePoints(s, [-5, 2]).map((p) => p.x), [0, 1, 2, 3]);
  });
});

describe('the experiments table follows a run going on (src/extension/experimentsSnapshot metricCells, withLiveMetrics)', () => {
  const id = (...parts: string[]) => parts.join('\u001f');

  it('gives a running experiment\'s row the metrics its files hold now, only in the columns the table has', () => {
    const cells = metricCells({ 'eval/metrics.json': { data: { acc: 0.4, step: 3, nested: { f1: 0.5 } } }, 'bad.json': {} });
    assert.deepEqual(cells, { [id('metrics', 'eval/metrics.json', 'acc')]: 0.4, [id('metrics', 'eval/metrics.json', 'step')]: 3, [id('metrics', 'eval/metrics.json', 'nested', 'f1')]: 0.5 });
    const columns = [
      { id: id('params', 'params.yaml', 'lr'), kind: 'params' as const, file: 'params.yaml', path: ['lr'] },
      { id: id('metrics', 'eval/metrics.json', 'acc'), kind: 'metrics' as const, file: 'eval/metrics.json', path: ['acc'] },
    ];
    const row = (label: string, state: 'running' | 'success', values: (number | null)[]) => ({ id: `b:${label}:c`, kind: 'experiment' as const, label, parent: 'b', state, created: null, values });
    const payload = { repository: 'r', pending: 0, columns, rows: [row('live-exp', 'running', [0.2, null]), row('done', 'success', [0.1, 0.9]), row('other', 'running', [0.3, null])] };
    const shown = withLiveMetrics(payload, { experiments: new Map([['live-exp', cells], ['done', cells]]) });
    assert.deepEqual(shown.rows.map((r) => r.values), [[0.2, 0.4], [0.1, 0.9], [0.3, null]], 'a finished row keeps its recorded values');
    assert.deepEqual(shown.rows.map((r, i) => r === payload.rows[i]), [false, true, true], 'a row the live metrics do not change stays the same object');
    assert.equal(withLiveMetrics(payload, { experiments: new Map() }), payload);
    assert.equal(withLiveMetrics(payload, { experiments: new Map([['live-exp', { [id('metrics', 'eval/metrics.json', 'acc')]: null }]]) }).rows[0], payload.rows[0], 'the same values: the same row');
  });

  it('gives the workspace row the metrics the workspace\'s files hold now', () => {
    const columns = [{ id: id('metrics', 'm.json', 'step'), kind: 'metrics' as const, file: 'm.json', path: ['step'] }];
    const workspace = { id: 'workspace', kind: 'workspace' as const, label: 'workspace', created: null, values: [2] };
    const commit = { id: 'c1', kind: 'commit' as const, label: 'main', created: null, values: [2] };
    const shown = withLiveMetrics({ repository: 'r', pending: 0, columns, rows: [workspace, commit] }, { workspace: { [id('metrics', 'm.json', 'step')]: 5 }, experiments: new Map() });
    assert.deepEqual(shown.rows.map((r) => r.values), [[5], [2]]);
  });
});
