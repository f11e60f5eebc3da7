import { strict as assert } from 'node:assert';
import { CairnError } from '../../src/core/errors';
import { resolveExperimentNames } from '../../src/core/experiments/selectExperiments';
import { parseExperimentRef } from '../../src/core/experiments/refs';

/** Names to experiment refs as dvc's `resolve_name` picks them (exp push/pull; the interop tests cover the single-baseline cases). */

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ref = (baseline: string, name: string) => parseExperimentRef(`refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`, 'c'.repeat(40))!;
const refs = [ref(A, 'shared'), ref(B, 'shared'), ref(A, 'only-a'), ref(B, 'lonely')];

function failure(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CairnError);
    return err;
  }
  assert.fail('expected a CairnError');
}

describe('exp push/pull: experiment names', () => {
  it('a name two baselines share is the one of HEAD, else ambiguous with the full refs to use', () => {
    assert.deepEqual(resolveExperimentNames(refs, ['shared'], B).map((r) => r.ref), [ref(B, 'shared').ref]);
    const err = failure(() => resolveExperimentNames(refs, ['shared'], 'd'.repeat(40)));
    assert.match(err.message, /^Ambiguous name 'shared' refers to multiple experiments\.$/);
    assert.equal(err.hint, `Use one of the following full refnames instead: ${ref(A, 'shared').ref}, ${ref(B, 'shared').ref}.`);
  });

  it('a full refs/exps/... ref names itself; names that match nothing fail together, the first with a "did you mean"', () => {
    assert.deepEqual(resolveExperimentNames(refs, [ref(A, 'shared').ref, 'lonely'], undefined).map((r) => r.name), ['shared', 'lonely']);
    const err = failure(() => resolveExperimentNames(refs, ['only-b', 'nothing-like-it'], A));
    assert.equal(err.message, "'only-b; nothing-like-it' are not valid experiment names.");
    assert.equal(err.hint, "Did you mean 'only-a'?");
    assert.deepEqual(err.suggestion, { from: 'only-b', to: 'only-a' });
    const remote = failure(() => resolveExperimentNames(refs, ['zzz'], A, 'origin'));
    assert.equal(remote.message, "'zzz' is not a valid experiment name.");
    assert.equal(remote.hint, '`cairn exp list origin -A` lists the experiments.');
    assert.equal(failure(() => resolveExperimentNames(refs, [`${ref(A, 'gone').ref}`], A)).message, `'${ref(A, 'gone').ref}' is not a valid experiment name.`);
  });
});
