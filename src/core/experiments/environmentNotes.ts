import { CairnError } from '../errors';
import { readNotes, writeNote } from '../scm/gitNotes';
import type { GitObjectReader } from '../metrics/gitObjectReader';
import type { EnvironmentRecord, Gpu, Interpreter, StageRun } from './environment';
import { isStringRecord } from './environmentProbes';

/**
 * Environment records as git notes on experiment commits, in a notes ref of Cairn's own (dvc
 * never reads it, so its output is unchanged). A note is JSON with sorted keys. A note comes
 * from whoever pushed it: it is data, read within a size limit and kept only as far as it is
 * an environment record; anything else is ignored with one line.
 */
export const ENVIRONMENT_NOTES_REF = 'refs/notes/cairn';
/** A record with a thousand packages is about 40 KB. */
export const MAX_NOTE_BYTES = 1024 * 1024;


/** The record as the note holds it: two-space JSON, keys sorted at every level, a final newline. */
export function environmentJson(record: EnvironmentRecord): string {
  return `${JSON.stringify(sortedKeys(record), null, 2)}\n`;
}

/** Attach `record` to `commit` (replacing any note there), through the core's git writer: no hooks, nothing signed. */
export async function writeEnvironmentNote(root: string, commit: string, record: EnvironmentRecord): Promise<void> {
  await writeNote(root, ENVIRONMENT_NOTES_REF, commit, environmentJson(record));
}

/** The environment records of those of `commits` that have a note; a note that is too big or not a record is ignored with one line. */
export async function readEnvironmentNotes(
  reader: { gitRoot: string | undefined; objects: GitObjectReader | undefined },
  commits: Iterable<string>,
  onWarning?: (line: string) => void,
): Promise<Map<string, EnvironmentRecord>> {
  const ignored = (commit: string, why: string) => onWarning?.(`${ENVIRONMENT_NOTES_REF}: the note on ${commit.slice(0, 7)} ${why}; ignored.`);
  const texts = await readNotes(reader, ENVIRONMENT_NOTES_REF, commits, { maxBytes: MAX_NOTE_BYTES, what: 'an environment record', onIgnored: ignored });
  const records = new Map<string, EnvironmentRecord>();
  for (const [commit, text] of texts) {
    try {
      records.set(commit, parseEnvironmentRecord(text));
    } catch (err) {
      ignored(commit, `is not an environment record (${(err as Error).message})`);
    }
  }
  return records;
}

/**
 * A note's text as an environment record, keeping only the fields a record has with the
 * types they have (so no deep or odd structure reaches a reader); a CairnError says why not.
 */
export function parseEnvironmentRecord(text: string): EnvironmentRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) fail('not a JSON object');
  if (value.schema !== 1) fail(`schema ${JSON.stringify(value.schema)?.slice(0, 20)} is not one this version reads`);
  const list = <T>(v: unknown, what: string, item: (x: unknown) => T | undefined): T[] => {
    if (!Array.isArray(v)) fail(`'${what}' is not a list`);
    return v.map((x) => item(x) ?? fail(`an item of '${what}' is malformed`));
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const interpreters = list(value.interpreters, 'interpreters', (x): Interpreter | undefined =>
    isObject(x) && str(x.name) !== undefined && str(x.path) !== undefined && (x.version === null || str(x.version) !== undefined)
      ? { name: x.name as string, path: x.path as string, version: x.version as string | null }
      : undefined,
  );
  const gpus = list(value.gpus, 'gpus', (x): Gpu | undefined =>
    isObject(x) && [x.name, x.driver_version, x.memory_total].every((f) => typeof f === 'string')
      ? { name: x.name as string, driver_version: x.driver_version as string, memory_total: x.memory_total as string }
      : undefined,
  );
  const stages = list(value.stages, 'stages', (x): StageRun | undefined =>
    isObject(x) && str(x.name) !== undefined && Array.isArray(x.cmd) && x.cmd.every((c) => typeof c === 'string') && typeof x.duration === 'number' && (x.exit_code === null || Number.isInteger(x.exit_code))
      ? { name: x.name as string, cmd: x.cmd as string[], duration: x.duration, exit_code: x.exit_code as number | null }
      : undefined,
  );
  if (!isStringRecord(value.lockfiles)) fail("'lockfiles' is not a map of paths to hashes");
  const venv = value.virtualenv;
  if (venv !== null && !(isObject(venv) && typeof venv.path === 'string' && isStringRecord(venv.packages))) fail("'virtualenv' is malformed");
  const osInfo = value.os;
  if (!(isObject(osInfo) && [osInfo.platform, osInfo.release, osInfo.arch].every((f) => typeof f === 'string'))) fail("'os' is malformed");
  const cpu = value.cpu;
  if (!(isObject(cpu) && typeof cpu.model === 'string' && typeof cpu.count === 'number')) fail("'cpu' is malformed");
  return {
    schema: 1,
    interpreters,
    lockfiles: { ...value.lockfiles },
    virtualenv: venv === null ? null : { path: venv.path as string, packages: { ...(venv.packages as Record<string, string>) } },
    os: { platform: osInfo.platform as string, release: osInfo.release as string, arch: osInfo.arch as string },
    cpu: { model: cpu.model, count: cpu.count },
    gpus,
    stages,
  };
}

function fail(why: string): never {
  throw new CairnError('BAD_FILE', why);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** A copy with every object's keys in code-point order (arrays keep theirs). */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((k) => [k, sortedKeys(value[k])]),
  );
}
