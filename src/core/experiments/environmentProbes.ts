import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { folderTrusted } from '../folderTrust';
import { cairnStateDir } from '../repo/repo';
import { writeFileAtomic } from '../repo/atomicWrite';
import type { Interpreter } from './environment';

/**
 * The costly parts of an environment capture, each cached under `.dvc/tmp/cairn/` by what
 * changes when its answer changes: an interpreter's `--version` by its file's mtime and size
 * (a program; a script such as a pyenv shim is asked each time),
 * a virtualenv's packages by its site-packages folder's mtime (installing, upgrading or
 * removing a package adds or removes a `*.dist-info` folder there). `pip freeze` takes 0.6 s;
 * a warm capture stats a few files and reads two small JSON files.
 */

const INTERPRETERS_CACHE = 'environment-interpreters.json';
const PACKAGES_CACHE = 'environment-packages.json';
/** Entries kept per cache file (the ones used now first): a few interpreters and virtualenvs a user switches between. */
const CACHE_ENTRIES = 32;
const CACHE_MAX_BYTES = 16 * 1024 * 1024;
const VERSION_TIMEOUT_MS = 5000;
/** A METADATA file's headers come first; a long description after them is never read. */
const METADATA_HEAD_BYTES = 64 * 1024;

interface Cached<T> {
  /** What the answer was computed from: mtime in ns and size of the file or folder. */
  stamp: string;
  value: T;
}

/**
 * The first `name` on PATH that is an executable file. Only absolute PATH entries are looked
 * in: a relative one (`.`, `node_modules/.bin`) would let the repository choose the program.
 */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        if (!fs.statSync(file).isFile()) continue;
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not there, or not executable
      }
    }
  }
  return undefined;
}

/** What `file args` prints (stdout, then stderr), or undefined when it fails, takes longer than `timeoutMs` or may not run here. */
export function runProbe(file: string, args: string[], timeoutMs: number, cwd?: string): Promise<string | undefined> {
  if (!folderTrusted()) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      resolve(err ? undefined : `${stdout}${stderr}`);
    });
  });
}

/**
 * Each interpreter with its version: `<path> --version` runs once per interpreter program (its
 * real path, mtime and size); later captures read the answer from the cache. A second name
 * for a file already listed (`python3` → the `python` before it) is left out.
 */
export async function interpreterVersions(root: string, found: { name: string; path: string }[], env: NodeJS.ProcessEnv = process.env): Promise<Interpreter[]> {
  const cache = await loadCache(root, INTERPRETERS_CACHE, (v): v is string | null => v === null || typeof v === 'string');
  const used = new Map<string, Cached<string | null>>();
  const seen = new Set<string>();
  const probes: Promise<Interpreter | undefined>[] = [];
  for (const { name, path: file } of found) {
    let real: string;
    let stamp: string | undefined;
    try {
      real = await fs.promises.realpath(file);
      stamp = stampOf(await fs.promises.stat(file, { bigint: true }));
    } catch {
      continue;
    }
    if (name !== 'virtualenv') {
      if (seen.has(real)) continue;
      seen.add(real);
    }
    // A script (a pyenv shim, a conda wrapper) picks the interpreter by more than its own file: a
    // pyenv shim's choice is known from pyenv's version files and variable, so it is cached by them
    // too; any other script is asked every time.
    if ((await readHead(real, 2)) === '#!') stamp = await pyenvStamp(real, stamp, root, env);
    // The questions are asked all at once (each is a process start, python's is ~0.1 s).
    probes.push(
      (async () => {
        const key = stamp ? real : undefined;
        let entry = key ? (used.get(key) ?? cache.get(key)) : undefined;
        if (!stamp || entry?.stamp !== stamp) entry = { stamp: stamp ?? '', value: versionIn(await runProbe(file, ['--version'], VERSION_TIMEOUT_MS, root)) };
        if (key) used.set(key, entry);
        return { name, path: file, version: entry.value };
      })(),
    );
  }
  const result = (await Promise.all(probes)).filter((i): i is Interpreter => !!i);
  await saveCache(root, INTERPRETERS_CACHE, cache, used);
  return result;
}

/**
 * What a pyenv shim (`<pyenv root>/shims/<name>`) runs is fixed by PYENV_VERSION, else the nearest
 * `.python-version` from the repository up, else `<pyenv root>/version`: those and the shim's own
 * stamp make its cache stamp. Undefined for any other script (never cached).
 */
async function pyenvStamp(real: string, stamp: string, root: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (path.basename(path.dirname(real)) !== 'shims') return undefined;
  const pyenvRoot = path.dirname(path.dirname(real));
  const read = (file: string) => fs.promises.readFile(file, 'utf8').catch(() => undefined);
  if (!fs.existsSync(path.join(pyenvRoot, 'libexec', 'pyenv')) && !fs.existsSync(path.join(pyenvRoot, 'bin', 'pyenv'))) return undefined;
  let local: string | undefined;
  for (let dir = path.resolve(root); local === undefined; dir = path.dirname(dir)) {
    local = await read(path.join(dir, '.python-version'));
    if (path.dirname(dir) === dir) break;
  }
  const chosen = env.PYENV_VERSION ?? local ?? (await read(path.join(pyenvRoot, 'version'))) ?? 'system';
  return `${stamp}:pyenv:${chosen.trim()}`;
}

/** `3.11.4` of `Python 3.11.4`, `20.11.1` of `v20.11.1`. */
function versionIn(text: string | undefined): string | null {
  return /(\d+(?:\.\d+)+[^\s]*)/.exec(text ?? '')?.[1] ?? null;
}

/**
 * The packages installed in the virtualenv at `venv`: Name and Version of each
 * `site-packages/*.dist-info/METADATA`, cached by the site-packages folder's mtime.
 */
export async function virtualenvPackages(root: string, venv: string): Promise<Record<string, string>> {
  const cache = await loadCache(root, PACKAGES_CACHE, isStringRecord);
  const used = new Map<string, Cached<Record<string, string>>>();
  const packages: Record<string, string> = {};
  for (const dir of await sitePackagesFolders(venv)) {
    let real: string;
    let stamp: string;
    try {
      real = await fs.promises.realpath(dir);
      stamp = stampOf(await fs.promises.stat(dir, { bigint: true }));
    } catch {
      continue;
    }
    let entry = cache.get(real);
    if (entry?.stamp !== stamp) entry = { stamp, value: await readDistInfos(dir) };
    used.set(real, entry);
    Object.assign(packages, entry.value);
  }
  await saveCache(root, PACKAGES_CACHE, cache, used);
  return sortedRecord(packages);
}

/** `lib/python3.X/site-packages` (POSIX) or `Lib/site-packages` (Windows) of a virtualenv. */
async function sitePackagesFolders(venv: string): Promise<string[]> {
  if (process.platform === 'win32') return [path.join(venv, 'Lib', 'site-packages')];
  const lib = path.join(venv, 'lib');
  const names = await fs.promises.readdir(lib).catch(() => [] as string[]);
  return names
    .filter((n) => /^python\d/.test(n))
    .sort()
    .map((n) => path.join(lib, n, 'site-packages'))
    .filter((dir) => fs.existsSync(dir));
}

/** Name → Version of every `*.dist-info/METADATA` in `dir`. */
async function readDistInfos(dir: string): Promise<Record<string, string>> {
  const infos = (await fs.promises.readdir(dir)).filter((n) => n.endsWith('.dist-info')).sort();
  const packages: Record<string, string> = {};
  const BATCH = 64;
  for (let i = 0; i < infos.length; i += BATCH) {
    const heads = await Promise.all(infos.slice(i, i + BATCH).map((n) => readHead(path.join(dir, n, 'METADATA'), METADATA_HEAD_BYTES)));
    for (const head of heads) {
      const fields = head === undefined ? undefined : metadataFields(head);
      if (fields?.name && fields.version) packages[fields.name] = fields.version;
    }
  }
  return packages;
}

/** The Name and Version headers of a core-metadata file (RFC 822 headers, ended by a blank line). */
export function metadataFields(text: string): { name?: string; version?: string } {
  const end = text.search(/\r?\n\r?\n/);
  const fields: { name?: string; version?: string } = {};
  for (const line of (end < 0 ? text : text.slice(0, end)).split(/\r?\n/)) {
    const m = /^(Name|Version):\s*(.*?)\s*$/i.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase() as 'name' | 'version';
    fields[key] ??= m[2];
  }
  return fields;
}

/** The first `max` bytes of a regular file (never a FIFO or device), or undefined. */
async function readHead(file: string, max: number): Promise<string | undefined> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) return undefined;
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, max, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

export function isStringRecord(v: unknown): v is Record<string, string> {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

function stampOf(st: fs.BigIntStats): string {
  return `${st.mtimeNs}:${st.size}`;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A cache file's entries; one that cannot be read or is malformed is an empty cache (it only saves time). */
async function loadCache<T>(root: string, name: string, isValue: (v: unknown) => v is T): Promise<Map<string, Cached<T>>> {
  const entries = new Map<string, Cached<T>>();
  try {
    const text = await readHead(path.join(cairnStateDir(root), name), CACHE_MAX_BYTES);
    if (!text) return entries;
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return entries;
    for (const [key, entry] of Object.entries(parsed)) {
      if (entry && typeof entry === 'object' && typeof entry.stamp === 'string' && isValue(entry.value)) entries.set(key, { stamp: entry.stamp, value: entry.value });
    }
  } catch {
    // rewritten below
  }
  return entries;
}

/** Write the entries used now, then as many older ones as fit, unless nothing changed. */
async function saveCache<T>(root: string, name: string, before: Map<string, Cached<T>>, used: Map<string, Cached<T>>): Promise<void> {
  if ([...used].every(([key, entry]) => before.get(key) === entry)) return;
  const kept = new Map(used);
  for (const [key, entry] of before) if (kept.size < CACHE_ENTRIES && !kept.has(key)) kept.set(key, entry);
  try {
    await writeFileAtomic(path.join(cairnStateDir(root), name), JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // A cache that cannot be written (a read-only folder) only costs the next capture time.
  }
}
