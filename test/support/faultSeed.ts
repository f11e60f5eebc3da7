import { md5 } from './fixtures';

/**
 * The seed of the fault-injection tests: random each run, printed by the tests, and replayed
 * with CAIRN_FAULT_SEED=<n>. Each test draws from its own stream (by its name), so one test can
 * be replayed alone.
 */
export const SEED = process.env.CAIRN_FAULT_SEED ? Number(process.env.CAIRN_FAULT_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;

/** mulberry32: a small seeded PRNG giving numbers in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export const streamFor = (name: string) => prng(SEED ^ Number.parseInt(md5(name).slice(0, 8), 16));
export const intIn = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
