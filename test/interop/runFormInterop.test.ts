import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { cairnOk, tempGitRepo, writeFiles } from '../support/fixtures';
import { dvcApplyOverrides } from '../support/dvcApplyOverrides';
import { Repo } from '../../src/core/repo/repo';
import { runFormFields } from '../../src/extension/runFormSnapshot';
import { checkForm, fieldKey, type ParamField } from '../../webview/runForm';

/** Random strings for the comparison with dvc (FUZZ_RUNS raises it). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

/**
 * The "Modify Params and Run" form prefills each field with the row's value as `-S` text. Sent
 * as it is (the row's value differs from the workspace's), dvc's own `apply_overrides` (what
 * `dvc exp run -S` does, run in the dvc 3.67.1 peer) must set the very value, of the same type,
 * the row had: floats that are whole (`1.0`), strings that read as other types (`'5'`, `'true'`,
 * `'a,b'`, `null`), quotes and spaces, lists.
 */
const PARAMS_YAML = `train:
  lr: 0.001
  whole: 1.0
  tiny: 1.0e-05
  epochs: 10
  shuffle: false
  layers: [64, 32]
  names: [a, 'b c', '1']
text:
  plain: cnn
  number: '5'
  bool: 'true'
  none: 'null'
  comma: a,b
  spaced: x y
  quote: it's
  double: say "hi"
  empty: ''
  range: range(1,3)
  colon: 'a: b'
  brackets: '[1]'
`;

/** The same keys, every value 0: what the form's overrides are applied to. */
function zeroed(fields: ParamField[]): string {
  const root: Record<string, unknown> = {};
  for (const f of fields) {
    let node = root;
    for (const k of f.path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[f.path[f.path.length - 1]] = 0;
  }
  return JSON.stringify(root);
}

/** The form's arguments when every field is sent as the form prefilled it (the workspace holding other values). */
function prefilledOverrides(fields: ParamField[]): string[] {
  const asIfWorkspaceDiffered = fields.map((f) => ({ ...f, workspace: null }));
  const check = checkForm(asIfWorkspaceDiffered, fields.map((f) => f.value));
  assert.deepEqual(check.problems.filter(Boolean), [], 'the form refuses its own prefilled values');
  assert.equal(check.runs, 1);
  return check.setParams.map((s) => s.slice(s.indexOf(':') + 1));
}

describe('Modify Params and Run form: prefilled values set back by dvc (interop, dvc apply_overrides)', function () {
  this.timeout(180_000);

  it('sets every value of a YAML params file back, with its type, from the text the form prefills', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'params.yaml': PARAMS_YAML, 'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    params: [train, text]\n' });
    const { fields } = await Repo.using(root, {}, (repo) => runFormFields(repo, 'workspace'));
    assert.equal(fields.length, 19);
    const overrides = prefilledOverrides(fields);
    const [original, applied] = dvcApplyOverrides([
      { file: 'params.yaml', text: PARAMS_YAML, overrides: [] },
      { file: 'params.yaml', text: zeroed(fields), overrides },
    ]);
    assert.ok('values' in applied, `dvc refused the form's overrides: ${'error' in applied ? applied.error : ''}\n${overrides.join('\n')}`);
    assert.deepEqual(applied.values, (original as { values: unknown }).values);
  });

  it('sets random strings and numbers of a JSON params file back as they were', async () => {
    const root = tempGitRepo();
    cairnOk(root, 'init', '-q');
    writeFiles(root, { 'dvc.yaml': 'stages:\n  s:\n    cmd: echo\n    params: [{params.json: [v]}]\n' });
    const values = fc.sample(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('0x1F', '1_000', 'inf', 'NaN', '-', '~x', '+y', '@z', '\\', "'", '"', 'a\\\'b', ' lead', 'trail ', '='), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer()), { numRuns: RUNS, seed: 17 });
    const cases = [];
    const sent: string[][] = [];
    for (const value of values) {
      const text = JSON.stringify({ v: value });
      writeFiles(root, { 'params.json': text });
      const { fields } = await Repo.using(root, {}, (repo) => runFormFields(repo, 'workspace'));
      assert.deepEqual(fields.map(fieldKey), ['v']);
      const overrides = prefilledOverrides(fields);
      sent.push(overrides);
      cases.push({ file: 'params.json', text, overrides: [] }, { file: 'params.json', text: '{"v": 0}', overrides });
    }
    const results = dvcApplyOverrides(cases);
    const differ: string[] = [];
    for (let i = 0; i < values.length; i++) {
      const [original, applied] = [results[2 * i], results[2 * i + 1]];
      if (JSON.stringify(original) !== JSON.stringify(applied)) differ.push(`${JSON.stringify(values[i])} sent as ${JSON.stringify(sent[i])}: ${JSON.stringify(applied)}`);
    }
    assert.deepEqual(differ, []);
  });
});
