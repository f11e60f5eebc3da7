import { strict as assert } from 'node:assert';
import { RefreshQueue } from '../../src/extension/refreshQueue';

describe('RefreshQueue (the extension\'s one-refresh-at-a-time rule)', () => {
  it('runs one refresh at a time; requests during a run share the one run after it, which sees their change', async () => {
    let state = 0;
    const seen: number[] = [];
    let release!: () => void;
    const queue = new RefreshQueue(async () => {
      const snapshot = state;
      await new Promise<void>((r) => (release = r));
      seen.push(snapshot);
    });
    const first = queue.request();
    state = 1; // a change while the first run is under way
    const second = queue.request();
    const third = queue.request();
    assert.equal(second, third, 'requests during a run share one queued run');
    release();
    await first;
    assert.deepEqual(seen, [0]);
    await new Promise((r) => setImmediate(r));
    release();
    await second;
    assert.deepEqual(seen, [0, 1], 'the queued run saw the change');
  });
});
