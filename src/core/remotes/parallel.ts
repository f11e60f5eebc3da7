import { abortedError } from '../errors';

/**
 * Run `fn` over `items` with at most `jobs` at once. A failing item does not stop the others
 * (`fn` reports its own failures); an abort stops starting new items and rejects once the
 * running ones have settled, so nothing is left running behind the caller's back.
 */
export async function forEachParallel<T>(items: T[], jobs: number, fn: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted) return;
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  if (failure !== undefined) throw failure;
  if (signal?.aborted) throw abortedError();
}

/** `fn` over `items`, `jobs` at once: each item's error (or undefined) in its slot; an abort rejects, as forEachParallel. */
export async function settleEach<T>(items: T[], jobs: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<(Error | undefined)[]> {
  const errors: (Error | undefined)[] = new Array(items.length).fill(undefined);
  await forEachParallel(items, jobs, async (item, i) => {
    try {
      await fn(item);
    } catch (err) {
      if (signal?.aborted) throw err;
      errors[i] = err as Error;
    }
  }, signal);
  return errors;
}

/**
 * A bound on the bytes that transfers hold in memory at once: `hold` waits, in turn, until
 * there is room (one transfer alone always has room, however big), and frees it when done.
 */
export class MemoryBudget {
  private used = 0;
  private readonly waiting: { bytes: number; go: () => void }[] = [];

  constructor(readonly limit: number) {}

  async hold<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
    if (this.waiting.length === 0 && this.fits(bytes)) this.used += bytes;
    else await new Promise<void>((go) => this.waiting.push({ bytes, go }));
    try {
      return await fn();
    } finally {
      this.release(bytes);
    }
  }

  private release(bytes: number): void {
    this.used -= bytes;
    while (this.waiting.length > 0 && this.fits(this.waiting[0].bytes)) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.go();
    }
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }
}
