import { strict as assert } from 'node:assert';
import { CairnError } from '../../src/core/errors';
import { parseDataFile, parseDelimited, parsePlotFile, DataFileError } from '../../src/core/metrics/dataFile';
import { extractMetrics, flatten, formatLists, pyNumber, pyRepr } from '../../src/core/metrics/flatten';
import { diffResults } from '../../src/core/metrics/diff';
import { selectKeys } from '../../src/core/metrics/readFiles';

const badFile = (file: string, line: number, words: RegExp) => (e: unknown) =>
  e instanceof DataFileError && e instanceof CairnError && e.file === file && e.line === line && words.test(e.oneLine()) && e.oneLine().startsWith(`${file}:${line}: `);

describe('metrics: data files', () => {
  it('reads JSON, YAML and TOML by suffix, other suffixes as YAML', () => {
    assert.deepEqual(parseDataFile('{"a": {"b": 1.5}, "c": [1, 2]}', 'm.json'), { a: { b: 1.5 }, c: [1, 2] });
    assert.deepEqual(parseDataFile('a:\n  b: 2\nname: x\n', 'p.yaml'), { a: { b: 2 }, name: 'x' });
    assert.deepEqual(parseDataFile('seed = 1\n[data]\nsplit = 0.2\nnames = ["a", "b"]\n', 'c.toml'), { seed: 1, data: { split: 0.2, names: ['a', 'b'] } });
    assert.deepEqual(parseDataFile('loss: 1\n', 'summary.metrics'), { loss: 1 });
    // A falsy document is an empty dict, as DVC reads it.
    assert.deepEqual(parseDataFile('', 'm.json'), {});
    assert.deepEqual(parseDataFile('null\n', 'm.yaml'), {});
  });

  it('reads NaN, Infinity and -Infinity in JSON as Python does, and leaves them alone inside strings', () => {
    const roc = parsePlotFile('{"roc": [{"fpr": 0.0, "threshold": Infinity}, {"fpr": 1e-5, "threshold": -Infinity}, {"fpr": -1, "threshold": NaN}]}', 'roc.json');
    assert.deepEqual(roc, { roc: [{ fpr: 0, threshold: Infinity }, { fpr: 1e-5, threshold: -Infinity }, { fpr: -1, threshold: NaN }] });
    assert.deepEqual(parseDataFile('{"NaN": "Infinity \\" NaN", "x": [NaN]}', 'm.json'), { NaN: 'Infinity " NaN', x: [NaN] });
    assert.throws(() => parseDataFile('{\n  "a": Infinity,\n  "b": nan\n}', 'm.json'), badFile('m.json', 3, /JSON/));
  });

  it('names the file and line of bad JSON, YAML and TOML', () => {
    assert.throws(() => parseDataFile('{\n  "a": 1,\n  "b": }\n', 'metrics.json'), badFile('metrics.json', 3, /JSON/));
    assert.throws(() => parseDataFile('a: 1\nb: [1, 2\nc: 3\n', 'params.yaml'), badFile('params.yaml', 3, /YAML/));
    assert.throws(() => parseDataFile('a: 1\na: 2\n', 'dup.yaml'), badFile('dup.yaml', 2, /YAML/));
    assert.throws(() => parseDataFile('a = 1\n[b\nc = 2\n', 'config.toml'), badFile('config.toml', 2, /TOML/));
  });

  it('reads CSV and TSV as row lists, like csv.DictReader', () => {
    assert.deepEqual(parseDelimited('step,loss\n0,2.0\n\n1,"1,5"\n2\n', 'loss.csv', ','), [
      { step: '0', loss: '2.0' },
      { step: '1', loss: '1,5' },
      { step: '2', loss: null },
    ]);
    assert.deepEqual(parsePlotFile('step\tacc\r\n0\t0.1\r\n', 'acc.tsv'), [{ step: '0', acc: '0.1' }]);
    assert.deepEqual(parsePlotFile('1,2\n3,4\n', 'raw.csv', { header: false }), [
      { 0: '1', 1: '2' },
      { 0: '3', 1: '4' },
    ]);
    assert.deepEqual(parseDelimited('a,b\n"x ""q""\nline",2\n', 'q.csv', ','), [{ a: 'x "q"\nline', b: '2' }]);
    assert.throws(() => parseDelimited('a,b\n1,2\n"open,3\n4,5\n', 'bad.csv', ','), badFile('bad.csv', 3, /quote/));
    assert.throws(() => parsePlotFile('x', 'plot.txt'), (e: unknown) => e instanceof DataFileError && e.file === 'plot.txt' && /plot data format/.test(e.message));
  });
});

describe('metrics: flatten and Python text', () => {
  it('flattens nested dicts with dots, keeps lists as leaves', () => {
    assert.deepEqual(flatten({ a: { b: { c: 1 } }, d: [1, { e: 2 }], f: {} }), { 'a.b.c': 1, d: [1, { e: 2 }] });
  });

  it('keeps numbers, strings and booleans of metrics; drops lists, nulls and empty dicts', () => {
    assert.deepEqual(extractMetrics({ acc: 0.5, n: { f1: 0.4, l: [1], s: 's', b: true, z: null, e: {} }, only: { l: [] } }), {
      acc: 0.5,
      n: { f1: 0.4, s: 's', b: true },
    });
    assert.deepEqual(extractMetrics([1, 2]), {});
    assert.equal(extractMetrics(0.9), 0.9);
  });

  it('prints values as Python does', () => {
    assert.equal(pyRepr(['a', 1, 0.5, true, null, { k: "it's" }]), `['a', 1, 0.5, True, None, {'k': "it's"}]`);
    assert.equal(pyNumber(1e-5), '1e-05');
    assert.equal(pyNumber(0.0001), '0.0001');
    assert.equal(pyNumber(1.5e16), '1.5e+16');
    assert.equal(pyNumber(123.25), '123.25');
    assert.deepEqual(formatLists({ a: { names: ['a', 'b'] } }), { a: { names: "['a', 'b']" } });
  });
});

describe('metrics: diff', () => {
  const files = (data: Record<string, unknown>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, { data: v }]));

  it('reports changed values with their difference, unchanged ones only with all', () => {
    const old = files({ 'm.json': { acc: 0.5, n: { f1: 0.4, s: 'a', b: true }, same: 3 } });
    const now = files({ 'm.json': { acc: 0.8, n: { f1: 0.5, s: 'b', b: false }, same: 3 } });
    assert.deepEqual(diffResults(old, now), {
      'm.json': {
        acc: { old: 0.5, new: 0.8, diff: 0.8 - 0.5 },
        'n.b': { old: true, new: false, diff: -1 },
        'n.f1': { old: 0.4, new: 0.5, diff: 0.5 - 0.4 },
        'n.s': { old: 'a', new: 'b' },
      },
    });
    assert.deepEqual(diffResults(old, now, true)['m.json'].same, { old: 3, new: 3, diff: 0 });
  });

  it('treats a missing or unreadable file as empty, and lists as their Python text', () => {
    const old = files({ 'p.yaml': { names: ['a', 'b'], lr: 0.1 } });
    const now = { 'p.yaml': { error: { type: 'YAMLFileCorruptedError', msg: 'bad' } } };
    assert.deepEqual(diffResults(old, now), { 'p.yaml': { names: { old: "['a', 'b']", new: null }, lr: { old: 0.1, new: null } } });
    assert.deepEqual(diffResults({}, files({ 'x.json': { a: 1 } })), { 'x.json': { a: { old: null, new: 1 } } });
    assert.deepEqual(diffResults(files({ 's.yaml': 1 }), files({ 's.yaml': 2 })), { 's.yaml': { '': { old: 1, new: 2, diff: 1 } } });
    // 1 == True in Python: not a change.
    assert.deepEqual(diffResults(files({ 'b.json': { a: 1 } }), files({ 'b.json': { a: true } })), {});
  });

  it('selects dotted params keys, nested as in the file', () => {
    const data = { lr: 0.1, model: { depth: 3, name: 'r' }, opt: { beta: 0.9 } };
    assert.deepEqual(selectKeys(data, ['lr', 'model.depth', 'missing.key']), { lr: 0.1, model: { depth: 3 } });
    assert.deepEqual(selectKeys(data, ['model', 'model.depth']), { model: { depth: 3, name: 'r' } });
  });
});
