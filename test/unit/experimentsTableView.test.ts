import { strict as assert } from 'node:assert';
import { bestValues, changedColumns, metricKey, moveColumn, orderedColumns, searchColumns, stepOf } from '../../webview/experimentsColumns';
import { describeFilter, filterRows, parseFilter } from '../../webview/experimentsFilters';
import { NO_SELECTION, clickRow, moveSelection, selectRows, selectedInOrder, type Selection } from '../../webview/experimentsSelection';
import { DEFAULT_TABLE_STATE, parseTableState } from '../../webview/experimentsState';
import { CREATED_COLUMN, EXPERIMENT_COLUMN, cellText, headerPath } from '../../webview/experimentsTable';
import { checkMessage, FROM_EXPERIMENTS, type ExperimentColumn, type ExperimentRow, type TableFilter } from '../../webview/messages';
import { experimentsPayload } from '../../src/extension/experimentsSnapshot';
import type { ExpState } from '../../src/core/experiments/contract';

const column = (kind: ExperimentColumn['kind'], file: string, ...path: string[]): ExperimentColumn => ({ id: [kind, file, ...path].join('\u001f'), kind, file, path });
const LR = column('params', 'params.yaml', 'train', 'lr');
const OPT = column('params', 'params.yaml', 'optimizer');
const ACC = column('metrics', 'metrics.json', 'acc');
const LOSS = column('metrics', 'metrics.json', 'loss');
const STEP = column('metrics', 'metrics.json', 'step');
const TAGS = column('meta', 'Tags');
const COLUMNS = [LR, OPT, ACC, LOSS, STEP, TAGS];

function row(id: string, kind: ExperimentRow['kind'], created: string | null, values: ExperimentRow['values'], parent?: string): ExperimentRow {
  return { id, kind, label: id, parent, created, values };
}
const ROWS = [
  row('workspace', 'workspace', null, [0.1, 'adam', 0.2, 0.9, 3, null]),
  row('c1', 'commit', '2026-01-10T09:00:00', [0.1, 'adam', 0.2, 0.9, 3, null]),
  row('e1', 'experiment', '2026-01-31T23:59:00', [0.3, 'adam', 0.6, 0.5, 9, 'baseline, keep'], 'c1'),
  row('e2', 'experiment', '2026-02-01T00:10:00', [0.2, 'sgd', null, null, null, null], 'c1'),
  row('e3', 'experiment', '2026-02-03T10:00:00', [0.5, 'SGD-momentum', 0.9, 0.3, 12, 'best'], 'c1'),
];
const STARRED = new Set(['e3']);

/** The experiment ids the filters keep (the workspace and commits always stay). */
function kept(filters: TableFilter[]): string[] {
  return filterRows(ROWS, COLUMNS, filters, STARRED).rows.filter((r) => r.kind === 'experiment').map((r) => r.id);
}
function filter(columnId: string, op: TableFilter['op'], value = ''): TableFilter {
  const parsed = parseFilter(columnId, op, value);
  assert.equal(typeof parsed, 'object', String(parsed));
  return parsed as TableFilter;
}

describe('experiments table filters (webview/experimentsFilters)', () => {
  it('compares numbers as numbers with = ≠ < ≤ > ≥; a row without the value matches none of them', () => {
    assert.deepEqual(kept([filter(ACC.id, '>', '0.6')]), ['e3']);
    assert.deepEqual(kept([filter(ACC.id, '≥', '0.6')]), ['e1', 'e3']);
    assert.deepEqual(kept([filter(ACC.id, '<', '0.9')]), ['e1']);
    assert.deepEqual(kept([filter(ACC.id, '≤', '0.9')]), ['e1', 'e3']);
    assert.deepEqual(kept([filter(ACC.id, '=', '0.60')]), ['e1'], '0.60 is the number 0.6');
    assert.deepEqual(kept([filter(ACC.id, '≠', '0.6')]), ['e3']);
    assert.deepEqual(kept([filter(ACC.id, '>', 'high')]), [], 'a number is not ordered against a word');
  });

  it('finds text with contains (any case), missing values, starred rows, and combines filters with AND', () => {
    assert.deepEqual(kept([filter(OPT.id, 'contains', 'sgd')]), ['e2', 'e3']);
    assert.deepEqual(kept([filter(OPT.id, '=', 'sgd')]), ['e2']);
    assert.deepEqual(kept([filter(ACC.id, 'missing')]), ['e2']);
    assert.deepEqual(kept([filter('', 'starred')]), ['e3']);
    assert.deepEqual(kept([filter(OPT.id, 'contains', 'sgd'), filter(ACC.id, '>', '0.5')]), ['e3']);
    assert.deepEqual(kept([filter(TAGS.id, 'contains', 'keep')]), ['e1'], 'tags are filterable');
    assert.deepEqual(kept([filter(EXPERIMENT_COLUMN, 'contains', 'E2')]), ['e2']);
    const { rows, filteredOut } = filterRows(ROWS, COLUMNS, [filter(ACC.id, '>', '0.6')], STARRED);
    assert.deepEqual(rows.map((r) => r.id), ['workspace', 'c1', 'e3']);
    assert.equal(filteredOut, 2);
  });

  it('takes date ranges on Created by the part of the time given: ≤ a day takes that whole day', () => {
    assert.deepEqual(kept([filter(CREATED_COLUMN, '≤', '2026-01-31')]), ['e1']);
    assert.deepEqual(kept([filter(CREATED_COLUMN, '≥', '2026-02-01'), filter(CREATED_COLUMN, '≤', '2026-02-02')]), ['e2']);
    assert.deepEqual(kept([filter(CREATED_COLUMN, '>', '2026-02-01 00:05')]), ['e2', 'e3']);
    assert.deepEqual(kept([filter(CREATED_COLUMN, '=', '2026-02')]), ['e2', 'e3']);
  });

  it('refuses a filter without a value, or a date that is not one, in a line saying what to type', () => {
    assert.match(String(parseFilter(ACC.id, '>', '  ')), /Type a value/);
    assert.match(String(parseFilter(CREATED_COLUMN, '≥', 'last week')), /YYYY-MM-DD.*"last week"/);
    assert.deepEqual(parseFilter(ACC.id, 'missing', 'ignored'), { column: ACC.id, op: 'missing', value: '' });
    assert.equal(describeFilter(filter(CREATED_COLUMN, '≥', '2026-02-01 10:00'), 'Created'), 'Created ≥ 2026-02-01 10:00');
    assert.equal(describeFilter(filter(ACC.id, 'missing'), 'acc'), 'acc missing');
  });
});

describe('experiments table columns (webview/experimentsColumns)', () => {
  it('orders columns as the user placed them; a new column follows its neighbour in the data', () => {
    const ids = (order: number[]) => order.map((i) => COLUMNS[i].id);
    assert.deepEqual(ids(orderedColumns(COLUMNS, [])), COLUMNS.map((c) => c.id));
    const moved = moveColumn(COLUMNS.map((c) => c.id), ACC.id, LR.id);
    assert.deepEqual(moved, [ACC.id, LR.id, OPT.id, LOSS.id, STEP.id, TAGS.id]);
    assert.deepEqual(ids(orderedColumns(COLUMNS, moved)), moved);
    // Saved before OPT and STEP existed, and naming a column gone since.
    assert.deepEqual(ids(orderedColumns(COLUMNS, [ACC.id, 'gone', LR.id, LOSS.id, TAGS.id])), [ACC.id, LR.id, OPT.id, LOSS.id, STEP.id, TAGS.id]);
  });

  it('keeps only the columns whose value changes between the rows shown', () => {
    const all = COLUMNS.map((_, i) => i);
    assert.deepEqual(changedColumns(all, ROWS), all);
    assert.deepEqual(changedColumns(all, ROWS.slice(0, 2)), [], 'the workspace and its commit agree everywhere');
    assert.deepEqual(changedColumns(all, [ROWS[0], ROWS[3]]), [0, 1, 2, 3, 4]);
    assert.deepEqual(changedColumns(all, [ROWS[0]]), all, 'one row changes nothing, hides nothing');
  });

  it('marks the best value of each metric by its direction (loss lower, the rest higher, the user’s choice first); a counter has none', () => {
    const all = COLUMNS.map((_, i) => i);
    assert.deepEqual([...bestValues(COLUMNS, all, ROWS, {})], [[2, 0.9], [3, 0.3]]);
    assert.deepEqual([...bestValues(COLUMNS, all, ROWS, { [metricKey(ACC)]: 'lower' })], [[2, 0.2], [3, 0.3]]);
    assert.equal(metricKey(LR), 'params.yaml:train.lr');
  });

  it('finds columns by every word of a search, in their header path', () => {
    assert.deepEqual(searchColumns(COLUMNS, 'train LR', headerPath), [0]);
    assert.deepEqual(searchColumns(COLUMNS, 'metrics', headerPath), [2, 3, 4]);
    assert.deepEqual(searchColumns(COLUMNS, '', headerPath), [0, 1, 2, 3, 4, 5]);
  });

  it('reads DVCLive’s step for a running row’s counter', () => {
    assert.equal(stepOf(COLUMNS, ROWS[4]), 12);
    assert.equal(stepOf(COLUMNS, ROWS[3]), undefined);
    assert.equal(stepOf([LR], ROWS[4]), undefined);
  });

  it('writes numbers with as many significant digits as they need, at most the precision set', () => {
    assert.equal(cellText(0.123456789, 'metrics'), '0.12346');
    assert.equal(cellText(0.5, 'metrics'), '0.5');
    assert.equal(cellText(0.123456789, 'metrics', 3), '0.123');
    assert.equal(cellText(0.123456789, 'metrics', 8), '0.12345679');
    assert.equal(cellText(1200, 'metrics', 2), '1200', 'an integer stays whole');
    assert.equal(cellText(2.25, 'params', 1), '2');
  });
});

describe('experiments table state (webview/experimentsState)', () => {
  const full = {
    sort: [{ column: ACC.id, descending: true }],
    filters: [{ column: ACC.id, op: '>', value: '0.5' }, { column: '', op: 'starred', value: '' }],
    starred: ['e3'],
    hidden: [LOSS.id],
    order: [ACC.id, LR.id],
    widths: { [ACC.id]: 120 },
    precision: 3,
    onlyChanged: true,
    collapsed: ['c0'],
  };

  it('reads back a state the page sent, and the default', () => {
    assert.deepEqual(parseTableState(JSON.stringify(full)), full);
    assert.deepEqual(parseTableState(JSON.stringify(DEFAULT_TABLE_STATE)), DEFAULT_TABLE_STATE);
    assert.ok(checkMessage(FROM_EXPERIMENTS, { type: 'saveState', root: '/repo', state: JSON.stringify(full) }));
  });

  it('refuses anything else: not JSON, missing or extra fields, wrong kinds, unknown filter ops, out-of-range numbers, overlong lists', () => {
    const bad = (change: Record<string, unknown>) => JSON.stringify({ ...full, ...change });
    for (const text of [
      'not json',
      '[]',
      JSON.stringify({ ...full, extra: 1 }),
      JSON.stringify({ ...full, precision: undefined }),
      bad({ precision: 0 }),
      bad({ precision: 2.5 }),
      bad({ precision: 99 }),
      bad({ widths: { [ACC.id]: 5 } }),
      bad({ widths: { [ACC.id]: '120' } }),
      bad({ filters: [{ column: ACC.id, op: 'like', value: 'x' }] }),
      bad({ filters: [{ column: ACC.id, op: '>', value: 1 }] }),
      bad({ sort: [{ column: ACC.id, descending: 'yes' }] }),
      bad({ starred: [1] }),
      bad({ hidden: new Array(10_001).fill('x') }),
      bad({ onlyChanged: 'true' }),
    ]) assert.equal(parseTableState(text), undefined, text.slice(0, 120));
    assert.equal(checkMessage(FROM_EXPERIMENTS, { type: 'saveState', root: '/repo', state: full }), undefined, 'the state travels as text');
  });
});

describe('experiments table tags and notes (src/extension/experimentsSnapshot)', () => {
  it('makes a Tags and a Notes column, first, when any revision has some; filterable as text', () => {
    const data = (meta: { tags?: string[]; notes?: string[] }) => ({ rev: '', timestamp: null, params: { 'params.yaml': { data: { lr: 0.1 } } }, metrics: {}, deps: {}, outs: {}, meta });
    const payload = experimentsPayload(
      [
        { rev: 'workspace', name: null, data: data({}), error: null, experiments: null },
        {
          rev: 'a'.repeat(40),
          name: 'main',
          data: data({}),
          error: null,
          experiments: [
            { name: 'exp-one', revs: [{ rev: 'b'.repeat(40), name: 'exp-one', data: data({ tags: ['best', 'v2'], notes: ['lr too high?'] }), error: null, experiments: null }], executor: null },
            { name: 'exp-two', revs: [{ rev: 'c'.repeat(40), name: 'exp-two', data: data({ notes: ['baseline rerun'] }), error: null, experiments: null }], executor: null },
          ],
        },
      ] as ExpState[],
      'repo',
    );
    assert.deepEqual(payload.columns.map((c) => headerPath(c).filter(Boolean).join('/')), ['Tags', 'Notes', 'Params/params.yaml/lr']);
    assert.deepEqual(payload.rows.map((r) => r.values.slice(0, 2)), [[null, null], [null, null], ['best, v2', 'lr too high?'], [null, 'baseline rerun']]);
    const kept = filterRows(payload.rows, payload.columns, [filter(payload.columns[0].id, 'contains', 'BEST')], new Set()).rows;
    assert.deepEqual(kept.map((r) => r.label), ['workspace', 'main', 'exp-one']);
  });
});

describe('experiments table selection (webview/experimentsSelection)', () => {
  const ids = ['workspace', 'c1', 'e1', 'e2', 'e3'];
  const plain = { toggle: false, range: false };
  const after = (...steps: ((s: Selection) => Selection)[]) => selectedInOrder(steps.reduce((s, step) => step(s), NO_SELECTION), ids);

  it('selects one row on a click, adds or removes one with ctrl/cmd, takes the range from the anchor with shift', () => {
    assert.deepEqual(after((s) => clickRow(s, ids, 'e1', plain)), ['e1']);
    assert.deepEqual(after((s) => clickRow(s, ids, 'e1', plain), (s) => clickRow(s, ids, 'workspace', { toggle: true, range: false })), ['workspace', 'e1']);
    assert.deepEqual(after((s) => clickRow(s, ids, 'e1', plain), (s) => clickRow(s, ids, 'e1', { toggle: true, range: false })), []);
    assert.deepEqual(after((s) => clickRow(s, ids, 'e3', plain), (s) => clickRow(s, ids, 'c1', { toggle: false, range: true })), ['c1', 'e1', 'e2', 'e3']);
    // Ctrl+shift adds the range to what is selected; a plain shift-click replaces it.
    const base = (s: Selection) => clickRow(clickRow(s, ids, 'workspace', plain), ids, 'e2', { toggle: true, range: false });
    assert.deepEqual(after(base, (s) => clickRow(s, ids, 'e3', { toggle: true, range: true })), ['workspace', 'e2', 'e3']);
    assert.deepEqual(after(base, (s) => clickRow(s, ids, 'e3', { toggle: false, range: true })), ['e2', 'e3']);
    assert.deepEqual(after((s) => clickRow(s, ids, 'e2', { toggle: false, range: true })), ['e2'], 'no anchor yet: shift-click selects the one row');
  });

  it('moves with the arrow keys from the last row clicked or moved to, within the rows; shift extends from the anchor', () => {
    assert.deepEqual(after((s) => moveSelection(s, ids, 1, false)), ['workspace'], 'nothing selected: the first row');
    assert.deepEqual(after((s) => clickRow(s, ids, 'c1', plain), (s) => moveSelection(s, ids, 1, false)), ['e1']);
    assert.deepEqual(after((s) => clickRow(s, ids, 'c1', plain), (s) => moveSelection(s, ids, -1, false), (s) => moveSelection(s, ids, -1, false)), ['workspace']);
    assert.deepEqual(after((s) => clickRow(s, ids, 'e3', plain), (s) => moveSelection(s, ids, 1, false)), ['e3'], 'the last row stays');
    assert.deepEqual(after((s) => clickRow(s, ids, 'c1', plain), (s) => moveSelection(s, ids, 1, true), (s) => moveSelection(s, ids, 1, true)), ['c1', 'e1', 'e2']);
    assert.deepEqual(after((s) => clickRow(s, ids, 'c1', plain), (s) => moveSelection(s, ids, 1, true), (s) => moveSelection(s, ids, -1, true), (s) => moveSelection(s, ids, -1, true)), ['workspace', 'c1']);
  });

  it("selects the rows another view chose, those shown, the first as where the arrow keys and shift-clicks start", () => {
    const chosen = selectRows(['e3', 'gone', 'c1'], ids);
    assert.deepEqual(selectedInOrder(chosen, ids), ['c1', 'e3']);
    assert.equal(chosen.cursor, 'c1');
    assert.deepEqual(selectedInOrder(moveSelection(chosen, ids, 1, false), ids), ['e1']);
    assert.deepEqual(selectedInOrder(selectRows(['gone'], ids), ids), []);
  });

  it('reports only the selected rows still shown, in table order', () => {
    const selection = clickRow(clickRow(NO_SELECTION, ids, 'e3', plain), ids, 'c1', { toggle: true, range: false });
    assert.deepEqual(selectedInOrder(selection, ids), ['c1', 'e3']);
    assert.deepEqual(selectedInOrder(selection, ['workspace', 'c1']), ['c1']);
  });
});
