import { strict as assert } from 'node:assert';
import { parsePythonJson } from '../../src/core/metrics/dataFile';
import { cairnOk, dvcOk, git, tempGitRepo, writeFiles } from '../support/fixtures';
import { commitAll } from '../support/metricsJson';

/**
 * `cairn plots show/diff --json` against the real dvc (3.67.1): each plot's `content` is dvc's
 * template (every built-in one, and custom template files) filled as dvc-render fills it — the
 * colours of one and many revisions, stroke dash and shape by y file or field, titles, labels and
 * a custom x. Compared parsed (deepEqual) and as text: dvc's output parsed and printed again
 * compactly must be Cairn's output byte for byte, so keys come in dvc's order. (dvc prints with
 * Python's `, `/`: ` separators; Cairn's JSON is compact for every command.)
 */

function compare(root: string, ...args: string[]): Record<string, unknown> {
  const ours = cairnOk(root, ...args, '--json').trim();
  const theirs = parsePythonJson(dvcOk(root, ...args, '--json')) as Record<string, unknown>;
  assert.deepEqual(parsePythonJson(ours), theirs, `cairn ${args.join(' ')} --json differs from dvc`);
  assert.equal(ours, JSON.stringify(theirs), `cairn ${args.join(' ')} --json prints keys in another order than dvc`);
  return theirs;
}

const csv = (rows: (string | number)[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';
const runs = (k: number) => ({
  'runs/a.csv': csv([['step', 'acc', 'loss'], [0, 0.1 * k, 0.9], [1, 0.2 * k, 0.5], [2, 0.3 * k, 0.2]]),
  'runs/b.csv': csv([['step', 'acc', 'loss'], [0, 0.15 * k, 0.8], [1, 0.25 * k, 0.6], [2, 0.35 * k, 0.1]]),
  'eval/cm.csv': csv([['actual', 'predicted'], ['cat', 'dog'], ['dog', 'dog'], ['cat', 'cat'], ['bird', k % 2 ? 'cat' : 'bird']]),
  'eval/bars.json': JSON.stringify({ rows: [{ name: 'a.b', score: 0.1 * k }, { name: 'c[0]', score: 0.3 }] }),
});

const BUILT_IN = `plots:
- lin:
    x: step
    y:
      runs/a.csv: acc
      runs/b.csv: acc
- multi:
    template: simple
    title: Both runs
    x_label: Step
    y_label: Value
    x: step
    y:
      runs/a.csv: [acc, loss]
      runs/b.csv: [acc]
- runs/a.csv:
    template: smooth
    y: [acc, loss]
- runs/b.csv:
    x: step
    y: loss
- sc:
    template: scatter
    x: loss
    y:
      runs/a.csv: acc
      runs/b.csv: acc
- jit:
    template: scatter_jitter
    x: loss
    y:
      runs/a.csv: acc
- eval/cm.csv:
    template: confusion
    x: actual
    y: predicted
- cmn:
    template: confusion_normalized
    title: Normalized
    x: actual
    y:
      eval/cm.csv: predicted
- eval/bars.json:
    template: bar_horizontal
    x: score
    y: name
- bs:
    template: bar_horizontal_sorted
    x: score
    y:
      eval/bars.json: name
- xs:
    x:
      runs/a.csv: step
      runs/b.csv: loss
    y:
      runs/a.csv: acc
      runs/b.csv: acc
`;

describe('interop: plots templates against dvc', function () {
  this.timeout(300_000);

  it('every built-in template, for one revision, two and the workspace, and more revisions than colours', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': BUILT_IN, ...runs(1) });
    commitAll(root, 'one');
    git(root, 'tag', 'v1');
    writeFiles(root, runs(2));
    commitAll(root, 'two');
    git(root, 'tag', 'v2');
    writeFiles(root, runs(3));

    const shown = compare(root, 'plots', 'show') as { data: Record<string, unknown[]> };
    assert.equal(Object.keys(shown.data).length, 11, 'every plot drawn');
    const diffed = compare(root, 'plots', 'diff', 'v1', 'v2', 'workspace') as { data: Record<string, { revisions: string[] }[]> };
    assert.deepEqual(diffed.data.lin[0].revisions, ['workspace', 'v1', 'v2'], 'the workspace first, as dvc orders them');
    compare(root, 'plots', 'diff', 'v1');

    // Properties of a plot differing between revisions: each key from the first revision that declares it.
    writeFiles(root, { 'dvc.yaml': BUILT_IN.replace('- lin:\n', '- lin:\n    y_label: Accuracy\n    title: Then\n') });
    commitAll(root, 'labels');
    git(root, 'tag', 'v3');
    writeFiles(root, { 'dvc.yaml': BUILT_IN.replace('- lin:\n', '- lin:\n    title: Now\n') });
    const labelled = compare(root, 'plots', 'diff', 'v3') as { data: Record<string, { content: { title: { text: string }; layer: { encoding: { y: { title: string } } }[] } }[]> };
    assert.equal(labelled.data.lin[0].content.title.text, 'Now');
    assert.equal(labelled.data.lin[0].content.layer[1].encoding.y.title, 'Accuracy');

    // Eight revisions: the colour range starts again after its seven colours.
    for (let k = 4; k <= 8; k++) {
      writeFiles(root, runs(k));
      commitAll(root, `run ${k}`);
      git(root, 'tag', `v${k}`);
    }
    const many = compare(root, 'plots', 'diff', 'v1', 'v2', 'v4', 'v5', 'v6', 'v7', 'v8', 'workspace') as {
      data: Record<string, { content: { encoding: { color: { scale: { range: string[] } } } } }[]>;
    };
    const range = many.data.lin[0].content.encoding.color.scale.range;
    assert.equal(range.length, 8);
    assert.equal(range[7], range[0]);
  });

  it('custom templates: a file of .dvc/plots by name, a path in the repository, one in place of linear, one without optional anchors', () => {
    const root = tempGitRepo();
    dvcOk(root, 'init', '-q');
    writeFiles(root, {
      ...runs(1),
      // dvc-render fills anchors inside longer strings too, and keeps filename/field when a template has no optional anchor.
      '.dvc/plots/plain.json': JSON.stringify({ data: { values: '<DVC_METRIC_DATA>' }, note: '<DVC_METRIC_X> vs <DVC_METRIC_Y> in <DVC_METRIC_TITLE>', labels: ['<DVC_METRIC_X_LABEL>', ['<DVC_METRIC_Y_LABEL>']] }),
      'tpl/colored.json': JSON.stringify({
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        data: { values: '<DVC_METRIC_DATA>' },
        mark: 'line',
        encoding: { x: { field: '<DVC_METRIC_X>' }, y: { field: '<DVC_METRIC_Y>' }, color: '<DVC_METRIC_COLOR>', strokeDash: '<DVC_METRIC_STROKE_DASH>', shape: '<DVC_METRIC_SHAPE>' },
        tooltip: '<DVC_METRIC_TOOLTIP>',
      }),
      'dvc.yaml': `plots:
- named:
    template: plain
    y:
      runs/a.csv: acc
      runs/b.csv: [acc, loss]
- bypath:
    template: tpl/colored.json
    x: step
    y:
      runs/a.csv: [acc, loss]
- runs/b.csv:
    x: step
    y: acc
- dotted.csv:
    x: step
    y: m.acc[0]
`,
      // A field with '.', '[' or ']' is escaped where the template names it as a field, as vega-lite reads those.
      'dotted.csv': 'step,m.acc[0]\n0,0.1\n1,0.2\n',
    });
    commitAll(root, 'one');
    writeFiles(root, runs(2));
    compare(root, 'plots', 'show');
    compare(root, 'plots', 'diff', 'HEAD');

    // A linear.json in .dvc/plots draws every plot that names no template.
    writeFiles(root, { '.dvc/plots/linear.json': JSON.stringify({ data: { values: '<DVC_METRIC_DATA>' }, title: '<DVC_METRIC_TITLE>', c: '<DVC_METRIC_COLOR>' }) });
    const shown = compare(root, 'plots', 'show') as { data: Record<string, { content: Record<string, unknown> }[]> };
    assert.deepEqual(Object.keys(shown.data['runs/b.csv'][0].content), ['data', 'title', 'c']);
  });
});
