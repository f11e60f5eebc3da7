import { strict as assert } from 'node:assert';
import { CREATED_COLUMN, cellText, columnWidth, headerDepth, headerRow, nextSort, shownRows } from '../../webview/experimentsTable';
import { checkMessage, FROM_EXPERIMENTS, FROM_METRICS, type ExperimentColumn, type ExperimentRow } from '../../webview/messages';
import { experimentsPayload } from '../../src/extension/experimentsSnapshot';
import type { ExpState } from '../../src/core/experiments/contract';

const column = (kind: ExperimentColumn['kind'], file: string, ...path: string[]): ExperimentColumn => ({ id: [kind, file, ...path].join('\u001f'), kind, file, path });
const COLUMNS = [column('params', 'params.yaml', 'train', 'lr'), column('params', 'params.yaml', 'train', 'epochs'), column('params', 'params.yaml', 'seed'), column('metrics', 'metrics.json', 'acc'), column('deps', 'data.txt')];

function row(id: string, kind: ExperimentRow['kind'], values: ExperimentRow['values'], parent?: string): ExperimentRow {
  return { id, kind, label: id, parent, created: null, values };
}

const ROWS = [
  row('workspace', 'workspace', [0.1, 3, 1, 0.2, 'aa']),
  row('c1', 'commit', [0.1, 3, 1, 0.2, 'aa']),
  row('e1', 'experiment', [0.3, 3, 1, 0.6, 'aa'], 'c1'),
  row('e2', 'experiment', [0.2, 3, 1, null, 'aa'], 'c1'),
  row('e3', 'experiment', [0.5, 5, 1, 0.9, 'aa'], 'c1'),
  row('c0', 'commit', [0.1, 3, 1, 0.1, 'bb']),
  row('e4', 'experiment', [0.9, 3, 1, 0.05, 'bb'], 'c0'),
];
const ids = (shown: { row: ExperimentRow }[]) => shown.map((s) => s.row.id);

describe('experiments table (webview/experimentsTable)', () => {
  it('shows each commit followed by its experiments, none of a collapsed commit', () => {
    assert.deepEqual(ids(shownRows(ROWS, COLUMNS, [], new Set())), ['workspace', 'c1', 'e1', 'e2', 'e3', 'c0', 'e4']);
    const shown = shownRows(ROWS, COLUMNS, [], new Set(['c1']));
    assert.deepEqual(ids(shown), ['workspace', 'c1', 'c0', 'e4']);
    assert.deepEqual(shown.map((s) => [s.depth, s.children, s.collapsed]), [[0, 0, false], [0, 3, true], [0, 1, false], [1, 0, false]]);
  });

  it('sorts experiments under their commit by a metric, missing values last in either direction; commits keep their order', () => {
    const acc = COLUMNS[3].id;
    assert.deepEqual(ids(shownRows(ROWS, COLUMNS, [{ column: acc, descending: false }], new Set())), ['workspace', 'c1', 'e1', 'e3', 'e2', 'c0', 'e4']);
    assert.deepEqual(ids(shownRows(ROWS, COLUMNS, [{ column: acc, descending: true }], new Set())), ['workspace', 'c1', 'e3', 'e1', 'e2', 'c0', 'e4']);
  });

  it('breaks ties by the next sort key', () => {
    const [lr, epochs] = [COLUMNS[0].id, COLUMNS[1].id];
    const sort = [{ column: epochs, descending: false }, { column: lr, descending: true }];
    assert.deepEqual(ids(shownRows(ROWS, COLUMNS, sort, new Set())), ['workspace', 'c1', 'e1', 'e2', 'e3', 'c0', 'e4']);
    const created = shownRows([row('c', 'commit', []), { ...row('x', 'experiment', [], 'c'), created: '2026-01-02T00:00:00' }, { ...row('y', 'experiment', [], 'c'), created: '2026-01-01T00:00:00' }], [], [{ column: CREATED_COLUMN, descending: false }], new Set());
    assert.deepEqual(ids(created), ['c', 'y', 'x']);
  });

  it('cycles a header click through ascending, descending, unsorted; shift adds, flips and drops keys', () => {
    let sort = nextSort([], 'a', false);
    assert.deepEqual(sort, [{ column: 'a', descending: false }]);
    sort = nextSort(sort, 'a', false);
    assert.deepEqual(sort, [{ column: 'a', descending: true }]);
    assert.deepEqual(nextSort(sort, 'a', false), []);
    sort = nextSort(sort, 'b', true);
    assert.deepEqual(sort, [{ column: 'a', descending: true }, { column: 'b', descending: false }]);
    assert.deepEqual(nextSort(sort, 'b', true), [{ column: 'a', descending: true }, { column: 'b', descending: true }]);
    assert.deepEqual(nextSort(nextSort(sort, 'b', true), 'b', true), [{ column: 'a', descending: true }]);
    assert.deepEqual(nextSort(sort, 'c', false), [{ column: 'c', descending: false }], 'a plain click starts over');
  });

  it('nests headers by kind, file and key path, merging neighbours under one group, leaves on the last row', () => {
    const depth = headerDepth(COLUMNS);
    assert.equal(depth, 4);
    const all = COLUMNS.map((_, i) => i);
    const labels = (level: number, visible = all) => headerRow(COLUMNS, visible, level, depth).map((c) => `${c.label}[${c.first}-${c.last}]`);
    assert.deepEqual(labels(0), ['Params[0-2]', 'Metrics[3-3]', 'Deps[4-4]']);
    assert.deepEqual(labels(1), ['params.yaml[0-2]', 'metrics.json[3-3]', '[4-4]']);
    assert.deepEqual(labels(2), ['train[0-1]', '[2-2]', '[3-3]', '[4-4]']);
    assert.deepEqual(labels(3), ['lr[0-0]', 'epochs[1-1]', 'seed[2-2]', 'acc[3-3]', 'data.txt[4-4]']);
    assert.equal(headerRow(COLUMNS, all, 3, depth)[3].column, COLUMNS[3].id, 'a leaf sorts by its column');
    // Only the columns in view: a group begins at the first one shown.
    assert.deepEqual(labels(2, [1, 2]), ['train[1-1]', '[2-2]']);
  });

  it('writes floats to 5 significant digits, a dep hash short, a missing value as -', () => {
    assert.equal(cellText(0.123456789, 'metrics'), '0.12346');
    assert.equal(cellText(3, 'params'), '3');
    assert.equal(cellText(null, 'metrics'), '-');
    assert.equal(cellText('0123456789abcdef', 'deps'), '01234567');
  });

  it('sizes a column to its label or its longest text, within bounds', () => {
    const lr = COLUMNS[0];
    assert.ok(columnWidth(lr, ['0.123456789']) > columnWidth(lr, ['1']), 'a longer value widens it');
    assert.equal(columnWidth(column('params', 'p.yaml', 'a'), ['1']), 64, 'never narrower than 64 px');
    assert.equal(columnWidth(column('metrics', 'm.json', 'acc'), ['1']), 78.5, 'room for its label, sort mark and menu button');
    assert.equal(columnWidth(lr, ['x'.repeat(500)]), 240, 'never wider than 240 px');
    assert.ok(columnWidth(column('metrics', 'm.json', 'a_very_long_metric_name'), ['1']) > columnWidth(column('metrics', 'm.json', 'acc'), ['1']));
  });
});

describe('experiments table data (src/extension/experimentsSnapshot)', () => {
  const data = (params: unknown, metrics: unknown, timestamp: string | null = '2026-12-01T10:00:00') => ({
    rev: '',
    timestamp,
    params: { 'params.yaml': { data: params } },
    metrics: { 'metrics.json': { data: metrics } },
    deps: { 'data.txt': { hash: 'd'.repeat(32), size: 2, nfiles: null } },
    outs: {},
    meta: {},
  });
  const sha = (c: string) => c.repeat(40);
  const states: ExpState[] = [
    { rev: 'workspace', name: null, data: data({ train: { lr: 0.1 } }, { acc: 0.2 }, null), error: null, experiments: null },
    {
      rev: sha('a'),
      name: 'main',
      data: data({ train: { lr: 0.1 } }, { acc: 0.2 }),
      error: null,
      experiments: [
        { name: 'exp-one', executor: null, revs: [{ rev: sha('b'), name: 'exp-one', data: data({ train: { lr: 0.3, layers: [1, 2] } }, { acc: 0.6, extra: { f1: 0.5 } }), error: null, experiments: null }] },
        { name: 'queued-one', executor: { state: 'queued', name: 'dvc-task', local: null }, revs: [{ rev: sha('c'), name: 'queued-one', data: null, error: null, experiments: null }] },
        { name: 'broken', executor: { state: 'failed', name: null, local: null }, revs: [{ rev: sha('e'), name: 'broken', data: null, error: { type: '', msg: 'Experiment run failed' }, experiments: null }] },
      ],
    },
  ];

  it('gives the workspace, the baseline and its experiments with their states, params before metrics before deps', () => {
    const payload = experimentsPayload(states, 'repo');
    assert.deepEqual(payload.columns.map((c) => [c.kind, c.file, c.path.join('.')]), [
      ['params', 'params.yaml', 'train.lr'],
      ['params', 'params.yaml', 'train.layers'],
      ['metrics', 'metrics.json', 'acc'],
      ['metrics', 'metrics.json', 'extra.f1'],
      ['deps', 'data.txt', ''],
    ]);
    assert.deepEqual(payload.rows.map((r) => [r.kind, r.label, r.state, r.parent]), [
      ['workspace', 'workspace', undefined, undefined],
      ['commit', 'main', undefined, undefined],
      ['experiment', 'exp-one', 'success', sha('a')],
      ['experiment', 'queued-one', 'queued', sha('a')],
      ['experiment', 'broken', 'failed', sha('a')],
    ]);
    assert.deepEqual(payload.rows[2].values, [0.3, '[1, 2]', 0.6, 0.5, 'd'.repeat(32)]);
    assert.deepEqual(payload.rows[1].values, [0.1, null, 0.2, null, 'd'.repeat(32)]);
    assert.deepEqual(payload.rows[3].values, [null, null, null, null, null]);
    assert.equal(payload.rows[4].error, 'Experiment run failed');
    assert.equal(payload.rows[1].rev, 'aaaaaaa');
  });
});

describe('experiments table data: odd files', () => {
  it('takes a file that is not a mapping as one column at the file, and names a file that could not be read', () => {
    const state: ExpState = {
      rev: 'workspace',
      name: null,
      error: null,
      experiments: null,
      data: {
        rev: 'workspace',
        timestamp: null,
        params: { 'params.yaml': { data: { empty: {}, list: [1, { a: 2 }] } } },
        metrics: { 'score.json': { data: 0.5 }, 'broken.json': { error: { type: 'JSONDecodeError', msg: 'broken.json:1: not JSON' } } },
        deps: {},
        outs: {},
        meta: {},
      },
    };
    const payload = experimentsPayload([state], 'repo');
    assert.deepEqual(payload.columns.map((c) => [c.kind, c.file, c.path]), [
      ['params', 'params.yaml', ['empty']],
      ['params', 'params.yaml', ['list']],
      ['metrics', 'score.json', []],
    ]);
    assert.deepEqual(payload.rows[0].values, ['{}', "[1, {'a': 2}]", 0.5]);
    assert.equal(payload.rows[0].error, 'broken.json: broken.json:1: not JSON');
  });
});

describe('webview messages are checked against their panel\'s spec', () => {
  it('takes a well-formed message and drops anything else', () => {
    assert.deepEqual(checkMessage(FROM_EXPERIMENTS, { type: 'ready' }), { type: 'ready' });
    assert.deepEqual(checkMessage(FROM_EXPERIMENTS, { type: 'rendered', ms: 12, rows: 3, columns: 4 }), { type: 'rendered', ms: 12, rows: 3, columns: 4 });
    assert.deepEqual(checkMessage(FROM_EXPERIMENTS, { type: 'selection', ids: ['workspace', 'refs/exps/ab/cd/exp-1'] }), { type: 'selection', ids: ['workspace', 'refs/exps/ab/cd/exp-1'] });
    assert.deepEqual(checkMessage(FROM_METRICS, { type: 'setDirection', key: 'a', direction: 'lower' }), { type: 'setDirection', key: 'a', direction: 'lower' });
    for (const bad of [
      null,
      'ready',
      [],
      { type: 'unknown' },
      { type: 'toString' },
      { type: '__proto__' },
      { type: 'rendered', ms: '12', rows: 3, columns: 4 },
      { type: 'rendered', ms: Number.NaN, rows: 3, columns: 4 },
      { type: 'rendered', ms: 1, rows: 3 },
      { type: 'rendered', ms: 1, rows: 3, columns: 4, extra: true },
      { type: 'scrolled', frames: 3, worstFrameMs: 20, medianFrameMs: 16 },
      { type: 'ready', then: 'x' },
      { type: 'selection', ids: 'workspace' },
      { type: 'selection', ids: ['workspace', 3] },
      { type: 'selection', ids: Array.from({ length: 10_001 }, () => 'x') },
    ]) assert.equal(checkMessage(FROM_EXPERIMENTS, bad), undefined, JSON.stringify(bad));
    assert.equal(checkMessage(FROM_METRICS, { type: 'setDirection', key: 'a', direction: 'sideways' }), undefined);
    assert.equal(checkMessage(FROM_METRICS, { type: 'export', format: 'exe', suggestedName: 'x', data: '' }), undefined);
  });
});
