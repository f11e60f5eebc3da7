import { strict as assert } from 'node:assert';
import { expTable, formatG } from '../../src/core/experiments/table';
import type { ExpData, ExpState } from '../../src/core/experiments/contract';

/** The table's formatting where dvc's own output cannot show every case: Python's `{:.5g}`, the Created column. */

function data(over: Partial<ExpData>): ExpData {
  return { rev: 'workspace', timestamp: null, params: {}, metrics: {}, deps: {}, outs: {}, meta: {}, ...over };
}

describe('exp show table', () => {
  it("floats as Python's f'{x:.5g}' writes them", () => {
    // Vectors printed by CPython 3.11.
    const vectors: [number, string][] = [
      [0.2, '0.2'], [0.123456789, '0.12346'], [123456.7, '1.2346e+05'], [1e-5, '1e-05'], [0.00012345678, '0.00012346'],
      [1234567.0, '1.2346e+06'], [-0.000001234, '-1.234e-06'], [99999.5, '1e+05'], [0.1 + 0.2, '0.3'], [1.5e300, '1.5e+300'],
      [12345.65, '12346'], [NaN, 'nan'], [-Infinity, '-inf'],
    ];
    for (const [x, text] of vectors) assert.equal(formatG(x, 5), text, String(x));
  });

  it('Created is a time today, a date otherwise, ISO in CSV; an unreadable file shows ! for its keys', () => {
    const now = new Date(2026, 11, 6, 15, 0, 0);
    const states: ExpState[] = [
      { rev: 'workspace', name: null, error: null, experiments: null, data: data({ metrics: { 'm.json': { error: { type: 'FileNotFoundError', msg: 'gone' } } } }) },
      {
        rev: 'a'.repeat(40), name: 'main', error: null,
        data: data({ rev: 'a'.repeat(40), timestamp: '2026-12-06T13:05:09', metrics: { 'm.json': { data: { acc: 0.5 } } } }),
        experiments: [{ name: 'exp-1', executor: null, revs: [{ rev: 'b'.repeat(40), name: 'exp-1', error: null, experiments: null, data: data({ rev: 'b'.repeat(40), timestamp: '2025-01-02T00:00:00', metrics: { 'm.json': { data: { acc: 0.25 } } } }) }] }],
      },
    ];
    const table = expTable(states, { fillValue: '-', precision: 5, isoTime: false, now });
    const column = (name: string) => table.rows.map((r) => r[table.columns.indexOf(name)]);
    assert.deepEqual(column('Created'), ['-', '01:05 PM', 'Jan 02, 2025']);
    assert.deepEqual(column('acc'), ['!', '0.5', '0.25']);
    assert.deepEqual(column('typ'), ['baseline', 'baseline', 'branch_base']);
    const csv = expTable(states, { fillValue: '', isoTime: true, now });
    assert.deepEqual(csv.rows.map((r) => r[csv.columns.indexOf('Created')]), ['', '2026-12-06T13:05:09', '2025-01-02T00:00:00']);
  });
});
