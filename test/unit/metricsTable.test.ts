import { strict as assert } from 'node:assert';
import { compareRows, formatValue, keyLabels, toCsv, toMarkdown } from '../../webview/metricsTable';
import type { MetricsPayload } from '../../webview/messages';

function payload(over: Partial<MetricsPayload> = {}): MetricsPayload {
  return {
    runs: [
      { id: 'a'.repeat(40), label: 'aaaaaaa', kind: 'commit' },
      { id: 'workspace', label: 'workspace', kind: 'workspace' },
    ],
    metrics: {
      ['a'.repeat(40)]: { 'metrics.json:acc': 0.9, 'metrics.json:loss': 0.3, 'metrics.json:note': 'x,"y"' },
      workspace: { 'metrics.json:acc': 0.95, 'metrics.json:loss': 0.35 },
    },
    params: { ['a'.repeat(40)]: { 'params.yaml:lr': 0.1 }, workspace: { 'params.yaml:lr': 0.1 } },
    metricKeys: ['metrics.json:acc', 'metrics.json:loss', 'metrics.json:note'],
    paramKeys: ['params.yaml:lr'],
    history: ['a'.repeat(40), 'workspace'],
    selected: ['a'.repeat(40), 'workspace'],
    directions: { 'metrics.json:loss': 'lower' },
    plots: [],
    plotImages: [],
    plotErrors: [],
    ...over,
  };
}

describe('metrics panel table (webview/metricsTable)', () => {
  it('gives deltas against the baseline, better or worse by each metric\'s direction, none where nothing changed', () => {
    const rows = compareRows(payload());
    const acc = rows.find((r) => r.key === 'metrics.json:acc')!;
    assert.equal(acc.cells[1].deltaText, '+0.05');
    assert.equal(acc.cells[1].better, true);
    const loss = rows.find((r) => r.key === 'metrics.json:loss')!;
    assert.equal(loss.direction, 'lower');
    assert.equal(loss.cells[1].deltaText, '+0.05');
    assert.equal(loss.cells[1].better, false, 'a higher loss is worse');
    const lr = rows.find((r) => r.key === 'params.yaml:lr')!;
    assert.equal(lr.kind, 'param');
    assert.equal(lr.cells[1].deltaText, undefined, 'no delta for an unchanged value');
    const note = rows.find((r) => r.key === 'metrics.json:note')!;
    assert.equal(note.cells[1].text, '—', 'missing in the workspace');
  });

  it('labels keys without their file unless two files have a key of that name', () => {
    assert.deepEqual([...keyLabels(['m.json:a', 'm.json:b.c']).values()], ['a', 'b.c']);
    assert.deepEqual([...keyLabels(['m.json:a', 'n.yaml:a', 'n.yaml:b']).values()], ['m.json:a', 'n.yaml:a', 'b']);
  });

  it('formats numbers without float noise', () => {
    assert.equal(formatValue(0.1 + 0.2), '0.3');
    assert.equal(formatValue(12), '12');
    assert.equal(formatValue(null), 'null');
    assert.equal(formatValue(undefined), '—');
  });

  it('exports CSV with RFC 4180 quoting and markdown with deltas', () => {
    assert.equal(
      toCsv(payload()),
      'type,name,aaaaaaa,workspace\nmetric,metrics.json:acc,0.9,0.95\nmetric,metrics.json:loss,0.3,0.35\nmetric,metrics.json:note,"x,""y""",\nparam,params.yaml:lr,0.1,0.1\n',
    );
    assert.equal(
      toMarkdown(payload()),
      '|  | aaaaaaa | workspace |\n|---|---|---|\n| acc | 0.9 | 0.95 (+0.05) |\n| loss | 0.3 | 0.35 (+0.05) |\n| note | x,"y" | — |\n| lr | 0.1 | 0.1 |\n',
    );
  });
});
