import { strict as assert } from 'node:assert';
import { parsePythonJson } from '../../src/core/metrics/dataFile';
import { cairnOk, dvcOk, git } from './fixtures';

/**
 * `--json` output of cairn and dvc side by side, for the metrics, params and plots interop tests.
 * Read as Python's json reads it: dvc prints `NaN` and `Infinity` for such floats, and so does Cairn.
 */

function parse(stdout: string, what: string): unknown {
  try {
    return parsePythonJson(stdout);
  } catch {
    throw new Error(`${what} did not print JSON: ${JSON.stringify(stdout)}`);
  }
}

export const cairnJson = (cwd: string, ...args: string[]) => parse(cairnOk(cwd, ...args, '--json'), `cairn ${args.join(' ')}`);
export const dvcJson = (cwd: string, ...args: string[]) => parse(dvcOk(cwd, ...args, '--json'), `dvc ${args.join(' ')}`);

/** Error entries compared by type only: the messages are each tool's own words. */
export function errorTypesOnly(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(errorTypesOnly);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('error' in o && o.error && typeof o.error === 'object') return { error: { type: (o.error as { type: unknown }).type } };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, errorTypesOnly(x)]));
  }
  return v;
}

/** `cairn <args> --json` equals `dvc <args> --json`, errors compared by type; Cairn's output is returned. */
export function same(root: string, ...args: string[]): unknown {
  const ours = cairnJson(root, ...args);
  const theirs = dvcJson(root, ...args);
  assert.deepEqual(errorTypesOnly(ours), errorTypesOnly(theirs), `cairn ${args.join(' ')} --json differs from dvc`);
  return ours;
}

export function commitAll(root: string, message: string): void {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
}
