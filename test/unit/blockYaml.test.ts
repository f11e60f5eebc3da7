import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument, stringify } from 'yaml';
import { writePipeline } from '../../bench/pipelineShapes';
import { parseBlockYaml } from '../../src/core/pipeline/blockYaml';
import { tempDir } from '../support/fixtures';

/**
 * The fast block-YAML reader against the yaml package's parser it stands in for: whenever it
 * answers, its document must be the parser's (node classes, values, types, sources, ranges, line
 * starts), and it must never answer for a text the parser reports an error or warning in.
 */

/** Everything of a document that a reader can see, as plain data. */
function snapshot(doc: Document, lineCounter: LineCounter): unknown {
  const node = (n: unknown): unknown => {
    if (isScalar(n)) {
      const v = n.value;
      const value = typeof v === 'number' ? (Object.is(v, -0) ? '-0' : String(v)) : v;
      return { scalar: value, js: typeof v, type: n.type, source: n.source, range: n.range, format: n.format };
    }
    if (isMap(n)) return { map: n.items.map((p) => [node(p.key), node(p.value)]), range: n.range, flow: !!n.flow };
    if (isSeq(n)) return { seq: n.items.map(node), range: n.range, flow: !!n.flow };
    return { other: String(n) };
  };
  return { contents: node(doc.contents), range: doc.range, lineStarts: lineCounter.lineStarts };
}

/** Compares the two readers on one text; true when the fast one answered. */
function compare(text: string): boolean {
  const fastLines = new LineCounter();
  const fast = parseBlockYaml(text, fastLines);
  if (!fast) {
    assert.deepEqual(fastLines.lineStarts, [], 'a text not read leaves the line counter as it was');
    return false;
  }
  const fullLines = new LineCounter();
  const full = parseDocument(text, { lineCounter: fullLines, uniqueKeys: false });
  assert.deepEqual(full.errors.map((e) => e.message), [], `read a text the parser finds wrong: ${JSON.stringify(text)}`);
  assert.deepEqual(full.warnings.map((e) => e.message), [], `read a text the parser warns about: ${JSON.stringify(text)}`);
  assert.deepEqual(snapshot(fast, fastLines), snapshot(full, fullLines), JSON.stringify(text));
  return true;
}

/** Lines and pieces that have told the two parsers apart, or could. */
const TOKENS = [
  ' # c', '#', ' ', '  ', '\n', '\n\n', '\n# note\n', '- ', '-', ': ', ':', "'", "''", '"', '\\', '? ', '&a ', '*a', '!!str ', '|', '>', '[', ']', '{', '}',
  ',', '%', '@', '`', '---', '...', '~', 'null', 'True', 'FALSE', '0x1F', '0o17', '-0', '1.50', '.5', '1e3', '-.inf', '.NaN', '1_000', '99999999999999999999',
  '\t', '\r\n', '\ufeff', '\u2028', 'é', '${item}', 'http://x:1/y', 'a:b', '<<: ', 'x'.repeat(1100),
];

type Mutation = { at: number; insert: string } | { at: number; remove: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), insert: fc.constantFrom(...TOKENS) }),
  fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.integer({ min: 1, max: 4 }) }),
);
function mutate(text: string, m: Mutation): string {
  const at = Math.floor(m.at * text.length);
  return 'insert' in m ? text.slice(0, at) + m.insert + text.slice(at) : text.slice(0, at) + text.slice(at + m.remove);
}

/** Nested mappings and lists of scalars of every kind, written by the yaml package in its block styles. */
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('a b', 'x #y', 'x# y', "it's", 'say "hi"', 'a: b', 'a:', '-x', '- x', '?', 'null', 'yes', '0x1F', '1.0', '007', '', ' lead', 'trail '),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const tree = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('map'), tie('list')),
  map: fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_.]{0,8}$/) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), tie('value'), { minKeys: 1, maxKeys: 4 }),
  list: fc.array(tie('value'), { minLength: 1, maxLength: 4 }),
})).map;
const written = fc.tuple(tree, fc.boolean()).map(([data, indentSeq]) => stringify(data, { indentSeq, lineWidth: 0 }));

describe('block YAML reader', function () {
  this.timeout(120_000);

  it('reads pipelines, lock files and params as the parser does', () => {
    const texts = [
      'stages:\n  train:\n    cmd: python train.py --lr ${train.lr}  # train it\n    deps:\n    - data\n    - src/train.py\n    params:\n    - train\n    outs:\n    - model.pkl:\n        cache: false\n\n# plots below\nplots:\n  - eval/roc.json:\n      x: fpr\n      y: tpr\n',
      "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data\n      hash: md5\n      md5: 734ba86cc7be9e6c2d8b8062ed9da41c.dir\n      size: 18\n      nfiles: 3\n    params:\n      params.yaml:\n        train.lr: 0.01\n        seed: 7\n    outs:\n    - path: model.pkl\n      hash: md5\n      md5: b1946ac92492d2347c6235b4d2611184\n      size: 6\n      isexec: true\n",
      'train:\n  lr: 1.0e-3\n  epochs: 10\n  layers:\n    - 64\n    - 32\n  name: "resnet"\n  tag: \'v1\'\n  dropout: .5\n  seed: ~\nflag: True\n',
      'outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: data\n',
      'a:\nb: 1\nc:\n- - x\n  - y\n-\n',
    ];
    let read = 0;
    for (const text of texts) if (compare(text)) read++;
    assert.equal(read, 4, 'all but the last (a null list item, left to the parser) are read here');
    assert.equal(compare('a: [1, 2]\n'), false, 'flow collections are left to the parser');
  });

  it('reads the benchmark pipelines (every shape) as the parser does', () => {
    const root = tempDir();
    for (const shape of ['chain', 'fan', 'mixed'] as const) {
      const dir = path.join(root, shape);
      writePipeline(dir, shape, 300, { outputs: true });
      const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => /(^|\/)(dvc\.yaml|params\.yaml)$/.test(f));
      assert.ok(files.length > 1);
      for (const f of files) assert.ok(compare(fs.readFileSync(path.join(dir, f), 'utf8')), `${shape}/${f} is read here`);
    }
  });

  it('agrees with the parser on generated and mutated YAML', () => {
    let generatedRead = 0;
    let mutatedRead = 0;
    let mutatedNot = 0;
    fc.assert(
      fc.property(written, (text) => {
        if (compare(text)) generatedRead++;
      }),
      { seed: 20261206, numRuns: 1500 },
    );
    fc.assert(
      fc.property(written, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, ms) => {
        if (compare(ms.reduce(mutate, text))) mutatedRead++;
        else mutatedNot++;
      }),
      { seed: 20261207, numRuns: 3000 },
    );
    // Not vacuous: most written files and many mutated ones are read here, the rest left to the parser.
    assert.ok(generatedRead > 750, `${generatedRead} of 1500 written files read here`);
    assert.ok(mutatedRead > 500 && mutatedNot > 500, `mutated: ${mutatedRead} read here, ${mutatedNot} left to the parser`);
  });
});
