import { strict as assert } from 'node:assert';
import { isExpRunEvent } from '../../src/core/experiments/runEvents';

describe('exp run events for an IPC parent (src/core/experiments/runEvents)', () => {
  it('takes a phase with its experiment name or a stage, and nothing else', () => {
    assert.ok(isExpRunEvent({ type: 'phase', phase: 'preparing', name: 'cut' }));
    assert.ok(isExpRunEvent({ type: 'phase', phase: 'committing', name: 'cut' }));
    assert.ok(isExpRunEvent({ type: 'stage', stage: 'train@1' }));
    for (const bad of [null, 'stage', [], { type: 'phase', phase: 'done', name: 'cut' }, { type: 'phase', phase: 'running' }, { type: 'stage', stage: 3 }, { type: 'step', step: 1 }]) {
      assert.equal(isExpRunEvent(bad), false, JSON.stringify(bad));
    }
  });
});
