import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeDemoProject } from './demo';
import { cairn, cairnOk, tempDir } from '../support/fixtures';

/** `npm start`'s project: what each view of the extension reads is there on first open. */
describe('npm start: the demo project', function () {
  this.timeout(120_000);

  it('has tracked data, a pipeline with params, metrics with history and plots, a model, a pushed remote and one change', () => {
    const dir = path.join(tempDir(), 'cairn-demo');
    makeDemoProject(dir);
    const json = (...args: string[]) => JSON.parse(cairnOk(dir, ...args, '--json'));
    // Pipelines view and its graph.
    const stages = json('stage', 'list') as { stage: string; outs: string[] }[];
    assert.deepEqual(stages.map((s) => s.stage), ['prepare', 'train', 'evaluate']);
    // Runs view and metrics panel: the workspace and three commits, each with its metrics.
    const metrics = json('metrics', 'show', '-A');
    assert.equal(Object.keys(metrics).length, 4);
    for (const rev of Object.values(metrics) as { data: Record<string, { data: { test: { loss: number } } }> }[]) assert.equal(typeof rev.data['eval/metrics.json'].data.test.loss, 'number');
    assert.deepEqual(Object.keys(json('params', 'diff')), ['params.yaml'], 'the uncommitted params change');
    // Plots in the metrics panel.
    assert.deepEqual(Object.keys(json('plots', 'diff').data).sort(), ['dvclive/plots/metrics/train/loss.tsv', 'eval/plots/confusion.json', 'eval/plots/roc.json']);
    // Data & Models: a dataset (modified) and the pipeline's model; Remotes: the default remote holds everything.
    assert.ok(stages[1].outs.includes('models/classifier.pkl') && fs.existsSync(path.join(dir, 'models', 'classifier.pkl')));
    assert.match(cairnOk(dir, 'status'), /data\.dvc:\n\tchanged outs:\n\t\tmodified:\s+data/);
    assert.match(cairnOk(dir, 'remote', 'list'), /^storage .*\(default\)$/m);
    assert.deepEqual(json('status', '-c'), {});
    assert.ok(fs.readdirSync(`${dir}-remote`).length > 0);
    assert.equal(cairn(dir, 'lint').status, 0);
  });
});
