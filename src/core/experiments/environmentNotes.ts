import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { CairnError } from '../errors';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { cairnStateDir } from '../repo/repo';
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

const COMMIT_ID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** The record as the note holds it: two-space JSON, keys sorted at every level, a final newline. */
export function environmentJson(record: EnvironmentRecord): string {
  return `${JSON.stringify(sortedKeys(record), null, 2)}\n`;
}

/** Attach `record` to `commit` (replacing any note there), through the core's git writer: no hooks, nothing signed. */
export async function writeEnvironmentNote(root: string, commit: string, record: EnvironmentRecord): Promise<void> {
  if (!COMMIT_ID.test(commit)) throw new CairnError('USAGE', `'${commit}' is not a commit id; the environment note is written on the experiment's commit.`);
  const file = path.join(cairnStateDir(root), `environment-note.${process.pid}.${crypto.randomBytes(4).toString('hex')}.json`);
  // A new file of a random name ('wx': never through a link someone left there).
  fs.writeFileSync(file, environmentJson(record), { flag: 'wx' });
  try {
    await gitWrite(gitWriter(root, { what: 'git notes' }), ['notes', `--ref=${ENVIRONMENT_NOTES_REF}`, 'add', '-f', '-F', file, commit]);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/**
 * The environment records of those of `commits` that have a note: one `git ls-tree` of the
 * notes ref (which also gives each note's size, so a huge one is never read) and the notes
 * through the reader's `cat-file --batch`. Nothing runs when the ref does not exist.
 */
export async function readEnvironmentNotes(
  reader: { gitRoot: string | undefined; objects: GitObjectReader | undefined },
  commits: Iterable<string>,
  onWarning?: (line: string) => void,
): Promise<Map<string, EnvironmentRecord>> {
  const records = new Map<string, EnvironmentRecord>();
  const wanted = new Set([...commits].filter((c) => COMMIT_ID.test(c)));
  if (!wanted.size || !reader.gitRoot || !reader.objects) return records;
  if ((await reader.objects.read(ENVIRONMENT_NOTES_REF))?.type !== 'commit') return records;
  const listing = await runGit(reader.gitRoot, ['ls-tree', '-r', '-l', '-z', '--full-tree', ENVIRONMENT_NOTES_REF]);
  const notes: { commit: string; blob: string; size: number }[] = [];
  for (const line of listing.split('\0')) {
    // <mode> blob <id> <size>\t<path>; a note's path is its commit's id, maybe split into folders (`ab/cdef…`).
    const m = /^\d+ blob ([0-9a-f]{40}|[0-9a-f]{64}) +(\d+)\t(.*)$/s.exec(line);
    const commit = m?.[3].replace(/\//g, '');
    if (m && commit && wanted.has(commit)) notes.push({ commit, blob: m[1], size: Number(m[2]) });
  }
  await Promise.all(
    notes.map(async ({ commit, blob, size }) => {
      const ignored = (why: string) => onWarning?.(`${ENVIRONMENT_NOTES_REF}: the note on ${commit.slice(0, 7)} ${why}; ignored.`);
      if (size > MAX_NOTE_BYTES) return ignored(`is ${size} bytes, more than the ${MAX_NOTE_BYTES} an environment record may be`);
      const obj = await reader.objects!.read(blob);
      if (obj?.type !== 'blob') return ignored('could not be read');
      try {
        records.set(commit, parseEnvironmentRecord(obj.data.toString('utf8')));
      } catch (err) {
        ignored(`is not an environment record (${(err as Error).message})`);
      }
    }),
  );
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
