import { strict as assert } from 'node:assert';
import { phaseClock, progressFraction, progressText } from '../../src/core/progress';

describe('progress text (CLI bar and VS Code notification)', () => {
  it('shows counts, bytes of the total, speed and time left from bytes when their total is known', () => {
    const p = { done: 832, total: 20001, unit: 'objects' as const, bytes: 2 * 2 ** 20, totalBytes: 50 * 2 ** 20 };
    assert.equal(progressText(p, 2), '832/20001 objects · 2.0 MiB/50.0 MiB · 1.0 MiB/s · 48 s left');
    // Without a byte total, time left comes from the count.
    assert.equal(progressText({ done: 100, total: 400, unit: 'files' }, 60), '100/400 files · 3 min 0 s left');
    // Too early for a speed; nothing left at the end.
    assert.equal(progressText({ ...p, done: 64 }, 0.2), '64/20001 objects · 2.0 MiB/50.0 MiB');
    assert.equal(progressText({ done: 3 * 2 ** 30, total: 3 * 2 ** 30, unit: 'bytes', message: '1 file' }, 10), '3.0 GiB/3.0 GiB · 1 file · 307.2 MiB/s');
    // An estimated total (a directory's files) that proves short: never shown below what is done, no time left.
    assert.equal(progressText({ done: 3, total: 4, unit: 'files', bytes: 2.5 * 2 ** 20, totalBytes: 2 * 2 ** 20 }, 1), '3/4 files · 2.5 MiB/2.5 MiB · 2.5 MiB/s');
  });

  it('measures how far along by bytes when their total is known (one big object), else by count', () => {
    // A push of one 2 GiB object, 1.5 GiB copied: 75 %, not the 0 % its object count says.
    assert.equal(progressFraction({ done: 0, total: 1, unit: 'objects', bytes: 1.5 * 2 ** 30, totalBytes: 2 * 2 ** 30 }), 0.75);
    assert.equal(progressFraction({ done: 100, total: 400, unit: 'files' }), 0.25);
    assert.equal(progressFraction({ done: 5, total: 10, unit: 'bytes' }), 0.5);
    assert.equal(progressFraction({ done: 0, total: 0, unit: 'files' }), 0);
  });

  it('starts a new phase when the unit or total changes (pull: fetch, then checkout)', async () => {
    const seconds = phaseClock();
    const fetch = { done: 1, total: 10, unit: 'objects' as const };
    assert.ok(seconds(fetch) < 0.05);
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(seconds(fetch) >= 0.1);
    assert.ok(seconds({ done: 1, total: 10, unit: 'files' }) < 0.05);
  });
});
