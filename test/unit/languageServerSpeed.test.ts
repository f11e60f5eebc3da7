import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { complete } from '../../src/server/completion';
import { ParamsFiles } from '../../src/server/paramsFile';
import { PipelineAnalysis } from '../../src/server/pipelineAnalysis';
import { PipelineSchemas } from '../../src/server/schemas';
import { schemaDiagnostics } from '../../src/server/schemaDiagnostics';
import { validateDocument } from '../../src/server/validateDocument';
import { YamlText } from '../../src/server/yamlText';
import { tempDir, writeFiles } from '../support/fixtures';

/** A chain of `n` stages, 9 lines each, using params and `${}`: stage i reads what stage i-1 wrote. */
export function generatedPipeline(n: number): string {
  const lines = ['stages:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  step${i}:`,
      `    cmd: python step.py --in out/${i - 1}.csv --out out/${i}.csv --lr \${train.lr}`,
      '    deps:',
      `      - ${i === 0 ? 'data/raw.csv' : `out/${i - 1}.csv`}`,
      '    params:',
      '      - train.lr',
      '    outs:',
      `      - out/${i}.csv`,
      `    desc: step ${i} of the chain`,
    );
  }
  return lines.join('\n') + '\n';
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeIt(runs: number, fn: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

describe('language server: speed on a 2,000-line dvc.yaml', function () {
  this.timeout(60_000);
  let dir: string;
  let text: string;
  const schemas = new PipelineSchemas();

  before(() => {
    dir = tempDir();
    text = generatedPipeline(222);
    writeFiles(dir, { 'dvc.yaml': text, 'params.yaml': 'train:\n  lr: 0.01\n', 'data/raw.csv': 'x\n' });
    fs.mkdirSync(path.join(dir, '.dvc'));
  });

  it('parses, checks the schema, lints and completes within a keystroke budget', async () => {
    assert.ok(text.split('\n').length >= 2000, `${text.split('\n').length} lines`);
    const file = path.join(dir, 'dvc.yaml');
    const params = new ParamsFiles();
    const analysis = new PipelineAnalysis((p) => (p === file ? text : undefined));
    // Warm up (JIT, ajv's compiled validator, the dvc.yaml list).
    const t0 = process.hrtime.bigint();
    const first = await validateDocument({ yaml: new YamlText(text), kind: 'pipeline', file, schemas, params, load: () => analysis.load(file) });
    const firstMs = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.deepEqual(first, [], 'the generated pipeline is valid');

    const parseMs = timeIt(9, () => new YamlText(text).value);
    const yaml = new YamlText(text);
    const schemaMs = timeIt(9, () => schemaDiagnostics(yaml, 'pipeline', schemas));
    const fullTimes: number[] = [];
    for (let i = 0; i < 9; i++) {
      const t = process.hrtime.bigint();
      await validateDocument({ yaml: new YamlText(text), kind: 'pipeline', file, schemas, params, load: () => analysis.load(file) });
      fullTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const fullMs = median(fullTimes);
    const position = yaml.position(text.indexOf('      - train.lr', text.length / 2) + 8);
    const completeMs = timeIt(9, () => complete({ yaml, kind: 'pipeline', file, position, schemas, params }));
    // eslint-disable-next-line no-console
    console.log(`      2,000-line dvc.yaml (median of 9): parse ${parseMs.toFixed(1)} ms, schema ${schemaMs.toFixed(1)} ms, full validation (parse + schema + pipeline lint) ${fullMs.toFixed(1)} ms (first, cold: ${firstMs.toFixed(0)} ms), completion ${completeMs.toFixed(1)} ms`);
    // Typing stays responsive: a validation runs 150 ms after the last keystroke and must not
    // take longer than a frame budget or so; generous bounds so a loaded CI machine passes.
    assert.ok(parseMs + schemaMs < 100, `parse + schema ${parseMs + schemaMs} ms`);
    assert.ok(fullMs < 250, `full validation ${fullMs} ms`);
    assert.ok(completeMs < 50, `completion ${completeMs} ms`);
  });
});
