import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { ensureDvc } from './peers';

/** The bundled CLI exactly as users run it. */
export const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');

const tempRoots: string[] = [];

/**
 * The folder test/run.ts makes for the run's temp folders: its mocha workers (other processes)
 * make theirs there too, and it removes the whole folder at the end.
 */
export const TEMP_ROOT_ENV = 'CAIRN_TEST_TEMP_ROOT';

/** A fresh temp folder, removed after the test run. */
export function tempDir(prefix = 'cairn-test-'): string {
  const dir = fs.mkdtempSync(path.join(process.env[TEMP_ROOT_ENV] ?? os.tmpdir(), prefix));
  tempRoots.push(dir);
  return dir;
}

/** Removes the temp folders this process made so far. */
export function cleanupTempDirs(): void {
  for (const d of tempRoots.splice(0)) removeTempTree(d);
}

/** Removes a folder of test files, read-only cache objects included. */
export function removeTempTree(dir: string): void {
  // Cache objects are read-only; make them writable so the folder can go.
  spawnSync('chmod', ['-R', 'u+w', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A temp folder holding a git repository with an identity set (no DVC yet). */
export function tempGitRepo(): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@cairn.dev');
  git(dir, 'config', 'user.name', 'Cairn Test');
  git(dir, 'config', 'commit.gpgsign', 'false');
  return dir;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function result(r: SpawnSyncReturns<string>): RunResult {
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cairn(cwd: string, ...args: string[]): RunResult {
  return result(spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' }));
}

/** Run the CLI and fail the test, with its output, unless it exits 0. */
export function cairnOk(cwd: string, ...args: string[]): string {
  const r = cairn(cwd, ...args);
  if (r.status !== 0) throw new Error(`cairn ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export function dvc(cwd: string, ...args: string[]): RunResult {
  return result(spawnSync(ensureDvc(), args, { cwd, encoding: 'utf8', env: { ...process.env, DVC_NO_ANALYTICS: '1' } }));
}

export function dvcOk(cwd: string, ...args: string[]): string {
  const r = dvc(cwd, ...args);
  if (r.status !== 0) throw new Error(`dvc ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Write files given as {relpath: content}, making folders. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(root, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }
}

export function md5(data: string | Buffer): string {
  return crypto.createHash('md5').update(data).digest('hex');
}

/**
 * Every entry under a folder with its kind, mode and content (or link target), keyed by
 * '/'-separated relative path, links never followed: equal snapshots mean untouched. `skip`
 * leaves out a path and all below it.
 */
export function folderSnapshot(root: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o777).toString(8)}`;
        visit(abs, r);
      } else out[r] = `file ${(st.mode & 0o777).toString(8)} ${md5(fs.readFileSync(abs))}`;
    }
  };
  visit(root, '');
  return out;
}

/** Every file under a folder → its md5, keyed by '/'-separated relative path. */
export function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path.join(dir, e.name), childRel);
      else out[childRel] = md5(fs.readFileSync(path.join(dir, e.name)));
    }
  };
  visit(root, '');
  return out;
}

/** Check every object of a DVC cache against the hash its name says (`.dir` objects too). */
export function corruptCacheObjects(cacheDir: string): string[] {
  const bad: string[] = [];
  const objects = path.join(cacheDir, 'files', 'md5');
  if (!fs.existsSync(objects)) return bad;
  for (const prefix of fs.readdirSync(objects)) {
    const dir = path.join(objects, prefix);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const name of fs.readdirSync(dir)) {
      const expected = prefix + name.replace(/\.dir$/, '');
      if (md5(fs.readFileSync(path.join(dir, name))) !== expected) bad.push(`${prefix}/${name}`);
    }
  }
  return bad;
}

/** The object files under a cache or remote folder (DVC 3's files/md5 layout or the bare one), sorted. */
export function storeObjects(root: string): string[] {
  const out: string[] = [];
  const visit = (d: string, rel: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) visit(path.join(d, e.name), r);
      else if (/^(files\/md5\/)?[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(r)) out.push(r);
    }
  };
  visit(root, '');
  return out.sort();
}

/** A git clone of `dir` in a fresh temp folder, with its .dvc/config.local (remote credentials) when it has one: no cache, no data. */
export function cloneOf(dir: string): string {
  const clone = path.join(tempDir(), 'clone');
  git(path.dirname(clone), 'clone', '-q', dir, clone);
  const local = path.join(dir, '.dvc', 'config.local');
  if (fs.existsSync(local)) fs.copyFileSync(local, path.join(clone, '.dvc', 'config.local'));
  return clone;
}
