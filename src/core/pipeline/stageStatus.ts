import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import type { HashName } from '../hashing/hashNames';
import { hashOutputs, OutState, OutTarget } from '../outputs/workspaceState';
import { pathFromCwd } from '../outputs/status';
import type { Progress } from '../progress';
import { LockFile, LockStage } from './lockFile';
import { parseParamsText, selectKey } from './paramsFile';
import type { Stage, StageParamDep } from './stage';
import { ParamValue, sameValue } from './values';

export type EntryStatus = 'modified' | 'deleted' | 'new' | 'not in cache';
export type ParamsStatus = EntryStatus | Record<string, 'modified' | 'deleted' | 'new'>;

/** DVC's `status --json` list for one stage. */
export type StageStatusItem =
  | { 'changed deps': Record<string, EntryStatus | ParamsStatus> }
  | { 'changed outs': Record<string, EntryStatus> }
  | 'always changed'
  | 'changed command';

/** A stage checked against its dvc.lock entry. */
export interface StageState {
  stage: Stage;
  lock: LockStage | undefined;
  lockFile: LockFile;
  status: StageStatusItem[];
  /** Current params values per file (relative to wdir), as dvc.lock would record them. */
  params: Record<string, Record<string, ParamValue>>;
  /** Whether repro would run it (without --force). */
  changed: boolean;
  /** The file deps as hashed now (in `stage.deps` order, by the hash their dvc.lock entry uses: plain md5 unless a DVC 2 entry). */
  depHashes: { hashName: HashName; state: OutState }[];
}

export interface StageStatusOptions {
  cwd: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

const paramsCache = new WeakMap<Repo, Map<string, { stamp: string; data: Record<string, ParamValue> }>>();

/**
 * Read a params file of the workspace; undefined when missing. Parsed again only when its
 * inode, size or mtime changed: thousands of stages share one params.yaml.
 */
export function readParamsFile(repo: Repo, repoPath: string): Record<string, ParamValue> | undefined {
  const abs = path.join(repo.root, repoPath);
  let stamp: string;
  let text: string;
  try {
    const st = fs.statSync(abs, { bigint: true });
    stamp = `${st.ino}:${st.size}:${st.mtimeNs}`;
    const hit = paramsCache.get(repo)?.get(repoPath);
    if (hit?.stamp === stamp) return hit.data;
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
  const data = parseParamsText(text, repoPath);
  let byPath = paramsCache.get(repo);
  if (!byPath) paramsCache.set(repo, (byPath = new Map()));
  byPath.set(repoPath, { stamp, data });
  return data;
}

/** The values dvc.lock records for a params dependency (keys sorted; the whole file's top-level keys sorted). */
export function paramsValues(dep: StageParamDep, data: Record<string, ParamValue>): { values: Record<string, ParamValue>; missing: string[] } {
  const values: Record<string, ParamValue> = {};
  const missing: string[] = [];
  const keys = dep.keys ?? Object.keys(data);
  for (const k of [...keys].sort()) {
    const found = dep.keys ? selectKey(data, k) : { found: true, value: data[k] };
    if (found.found) values[k] = found.value!;
    else missing.push(k);
  }
  return { values, missing };
}

const lockCache = new WeakMap<Repo, Map<string, LockFile>>();

/** The dvc.lock beside a dvc.yaml (cached per repo for one status/repro run). */
export async function lockFor(repo: Repo, pipelineFile: string, fresh = false): Promise<LockFile> {
  let m = lockCache.get(repo);
  if (!m) lockCache.set(repo, (m = new Map()));
  const rel = LockFile.lockPathFor(pipelineFile);
  if (fresh || !m.has(rel)) m.set(rel, await LockFile.load(repo.root, rel));
  return m.get(rel)!;
}

/** Check stages against dvc.lock and the workspace, as `dvc status` does. */
export async function stageStates(repo: Repo, stages: Stage[], options: StageStatusOptions): Promise<StageState[]> {
  const abs = (repoPath: string) => path.join(repo.root, ...repoPath.split('/'));
  // How a path is named in the report, once per path: in a chain or fan-in, each is named by several stages.
  const names = new Map<string, string>();
  const nameOf = (repoPath: string) => names.get(repoPath) ?? names.set(repoPath, pathFromCwd(abs(repoPath), options.cwd)).get(repoPath)!;
  const hashNameOf = (e?: { hash?: string; md5?: string }): HashName => (e && e.md5 && e.hash !== 'md5' ? 'md5-dos2unix' : 'md5');
  const checks = [];
  for (const stage of stages) {
    const lockFile = await lockFor(repo, stage.file);
    const lock = lockFile.stage(stage.name);
    const lockDep = new Map((lock?.deps ?? []).map((d) => [d.path, d]));
    const lockOut = new Map((lock?.outs ?? []).map((d) => [d.path, d]));
    const fileDeps = stage.deps.filter((d) => d.repoPath !== undefined);
    const targets = [
      ...fileDeps.map((d) => ({ abs: abs(d.repoPath!), rel: d.repoPath!, hashName: hashNameOf(lockDep.get(d.path)), recorded: lockDep.get(d.path)?.md5 })),
      ...stage.outs.map((o) => ({ abs: abs(o.repoPath), rel: o.repoPath, hashName: hashNameOf(lockOut.get(o.path)), recorded: lockOut.get(o.path)?.md5 })),
    ];
    checks.push({ stage, lockFile, lock, lockDep, lockOut, fileDeps, targets });
  }
  // Every stage's deps and outputs hashed in one call (the worker pool's round trips are per
  // call), each path once: in a chain, each stage's output is the next one's dependency.
  const keyOf = (t: OutTarget) => `${t.hashName}:${t.rel}`;
  const unique = new Map<string, OutTarget>();
  for (const c of checks) for (const t of c.targets) if (!unique.has(keyOf(t))) unique.set(keyOf(t), t);
  const hashedOnce = await hashOutputs(repo, [...unique.values()], { signal: options.signal, onProgress: options.onProgress });
  const hashedByKey = new Map([...unique.keys()].map((key, i) => [key, hashedOnce[i]]));
  const states: StageState[] = [];
  for (const { stage, lockFile, lock, lockDep, lockOut, fileDeps, targets } of checks) {
    const hashed = targets.map((t) => hashedByKey.get(keyOf(t))!);
    const status: StageStatusItem[] = [];
    const params: Record<string, Record<string, ParamValue>> = {};

    const depStatus: Record<string, EntryStatus | ParamsStatus> = {};
    fileDeps.forEach((d, i) => {
      const st = hashed[i];
      const rec = lockDep.get(d.path);
      const name = nameOf(d.repoPath!);
      if (!st.exists) depStatus[name] = 'deleted';
      else if (!rec?.md5 || rec.md5 !== st.md5) depStatus[name] = 'modified';
    });
    for (const p of stage.params) {
      const name = nameOf(p.repoPath);
      const data = readParamsFile(repo, p.repoPath);
      if (data) params[p.file] = paramsValues(p, data).values;
      const recorded = lock?.params[p.file];
      if (!data) {
        depStatus[name] = 'deleted';
        continue;
      }
      if (!recorded) {
        depStatus[name] = 'new';
        continue;
      }
      const keys = p.keys ?? [...new Set([...Object.keys(data), ...Object.keys(recorded)])];
      const changes: Record<string, 'modified' | 'deleted' | 'new'> = {};
      for (const k of keys) {
        const actual = p.keys ? selectKey(data, k) : { found: k in data, value: data[k] };
        if (!actual.found) changes[k] = 'deleted';
        else if (!(k in recorded)) changes[k] = 'new';
        else if (!sameValue(actual.value, recorded[k])) changes[k] = 'modified';
      }
      if (Object.keys(changes).length) depStatus[name] = changes;
    }
    if (!stage.frozen && Object.keys(depStatus).length) status.push({ 'changed deps': depStatus });

    const outStatus: Record<string, EntryStatus> = {};
    stage.outs.forEach((o, i) => {
      const st = hashed[fileDeps.length + i];
      const rec = lockOut.get(o.path);
      const name = nameOf(o.repoPath);
      if (rec?.md5 && o.cache && !repo.store.hasAll(rec.md5, hashNameOf(rec), repo.statIndex)) outStatus[name] = 'not in cache';
      else if (!st.exists) outStatus[name] = 'deleted';
      else if (!rec?.md5 || rec.md5 !== st.md5) outStatus[name] = 'modified';
    });
    if (Object.keys(outStatus).length) status.push({ 'changed outs': outStatus });
    if (stage.alwaysChanged) status.push('always changed');
    const cmdChanged = lock !== undefined && !sameValue(lock.cmd as ParamValue, stage.cmd as ParamValue);
    if (cmdChanged) status.push('changed command');
    const depsChanged = Object.keys(depStatus).length > 0;
    const changed = !lock || cmdChanged || (!stage.frozen && (stage.alwaysChanged || depsChanged)) || Object.keys(outStatus).length > 0;
    const depHashes = fileDeps.map((_, i) => ({ hashName: targets[i].hashName, state: hashed[i] }));
    states.push({ stage, lock, lockFile, status, params, changed, depHashes });
  }
  return states;
}

/** DVC's `status --json` entries for stages: `{addr: [...]}`, clean stages left out. */
export function stageStatusReport(states: StageState[], repo: Repo, cwd: string): Record<string, StageStatusItem[]> {
  const report: Record<string, StageStatusItem[]> = {};
  for (const s of states) {
    if (s.status.length === 0) continue;
    report[stageAddress(s.stage, repo, cwd)] = s.status;
  }
  return report;
}

/** How DVC names a stage relative to where the command runs: `name`, or `sub/dvc.yaml:name`. */
export function stageAddress(stage: Stage, repo: Repo, cwd: string): string {
  const file = pathFromCwd(path.join(repo.root, ...stage.file.split('/')), cwd);
  return file === 'dvc.yaml' ? stage.name : `${file}:${stage.name}`;
}

