import { strict as assert } from 'node:assert';
import { compareRows, defaultDirection, formatValue, keyLabels, toCsv, toMarkdown } from '../../webview/metricsTable';
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

  it('takes lower as better for losses and errors by the tokens of their names, the user\'s choice winning; DVCLive\'s step gets none', () => {
    const lower = ['m.json:loss', 'm.json:test.loss', 'm.json:val_rmse', 'm.json:trainLoss', 'm.json:eval/mae', 'm.json:word-error', 'm.json:wer', 'm.json:cer', 'm.json:logloss', 'm.json:perplexity', 'm.json:p95_latency', 'm.json:train.time', 'm.json:test.mse', 'm.json:err', 'eval/metrics.json:avg_prec.err'];
    for (const key of lower) assert.equal(defaultDirection(key), 'lower', key);
    const higher = ['m.json:acc', 'm.json:answer', 'm.json:cancer', 'm.json:timeline_score', 'm.json:errata_count', 'loss.json:auc', 'm.json:roc_auc'];
    for (const key of higher) assert.equal(defaultDirection(key), 'higher', key);
    assert.equal(defaultDirection('dvclive/metrics.json:step'), undefined);

    const rising = payload({
      metrics: { ['a'.repeat(40)]: { 'm.json:test.loss': 0.3, 'm.json:step': 4, 'm.json:val_rmse': 2 }, workspace: { 'm.json:test.loss': 0.4, 'm.json:step': 9, 'm.json:val_rmse': 3 } },
      metricKeys: ['m.json:test.loss', 'm.json:step', 'm.json:val_rmse'],
      directions: { 'm.json:val_rmse': 'higher' },
    });
    const rows = compareRows(rising);
    const row = (key: string) => rows.find((r) => r.key === key)!;
    assert.equal(row('m.json:test.loss').cells[1].better, false, 'a rising loss is worse (it was shown green)');
    assert.equal(row('m.json:step').direction, undefined);
    assert.equal(row('m.json:step').cells[1].better, undefined, 'a step counter is not coloured');
    assert.equal(row('m.json:step').cells[1].deltaText, '+5');
    assert.equal(row('m.json:val_rmse').direction, 'higher', "the user's choice wins over the default");
    assert.equal(row('m.json:val_rmse').cells[1].better, true);
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
