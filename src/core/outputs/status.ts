import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { selectOutputs, TrackedOutput } from './collect';
import { hashOutputs, WorkspaceFile } from './workspaceState';
import { compareCodePoints, DirEntry } from '../hashing/dirManifest';
import type { Progress } from '../progress';

export type OutStatus = 'modified' | 'deleted' | 'new' | 'not in cache';

/** DVC's `status --json` shape: per .dvc file, a list of `{"changed outs": {path: status}}`. */
export type StatusReport = Record<string, Array<{ 'changed outs': Record<string, OutStatus> }>>;

export interface StatusOptions {
  cwd: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** One output's status against its `.dvc` entry, in DVC's order of precedence. */
export interface OutputStatus {
  output: TrackedOutput;
  status: OutStatus | undefined; // undefined: in sync
  /** For a modified directory: the files in it that differ from its recorded manifest. */
  changedFiles?: ChangedFile[];
  /** Why the output's path is not read at all (a folder on the way leads outside the repository). */
  unsafe?: string;
}

export interface ChangedFile {
  relpath: string; // inside the directory
  status: 'modified' | 'deleted' | 'new';
}

export async function outputStatuses(repo: Repo, targets: string[], options: StatusOptions): Promise<OutputStatus[]> {
  const outputs = (await selectOutputs(repo, targets, options.cwd)).filter((o) => o.out.cache || o.out.md5);
  const states = await hashOutputs(
    repo,
    outputs.map((o) => ({ abs: o.abs, rel: o.rel, hashName: o.out.hashName, recorded: o.out.md5 })),
    { signal: options.signal, onProgress: options.onProgress },
  );
  return outputs.map((output, i) => {
    const { out } = output;
    const state = states[i];
    let status: OutStatus | undefined;
    if (out.md5 && out.cache && !repo.store.hasAll(out.md5, out.hashName, repo.statIndex)) status = 'not in cache';
    else if (!state.exists) status = 'deleted';
    else if (!out.md5) status = 'new';
    else if (state.md5 !== out.md5) status = 'modified';
    const changedFiles = status === 'modified' && state.isDir ? filesChanged(repo.store.readDir(out.md5!, out.hashName) ?? [], state.files) : undefined;
    return { output, status, changedFiles, ...(state.unsafe && { unsafe: state.unsafe }) };
  });
}

export function filesChanged(recorded: DirEntry[], now: WorkspaceFile[]): ChangedFile[] {
  const recordedHash = new Map(recorded.map((e) => [e.relpath, e.md5]));
  const changed: ChangedFile[] = [];
  for (const f of now) {
    const was = recordedHash.get(f.relpath);
    if (was === undefined) changed.push({ relpath: f.relpath, status: 'new' });
    else if (was !== f.md5) changed.push({ relpath: f.relpath, status: 'modified' });
    recordedHash.delete(f.relpath);
  }
  for (const relpath of recordedHash.keys()) changed.push({ relpath, status: 'deleted' });
  return changed.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

export async function status(repo: Repo, targets: string[], options: StatusOptions): Promise<StatusReport> {
  return statusReport(await outputStatuses(repo, targets, options), options.cwd);
}

/** Per-output statuses in DVC's `status --json` shape (in-sync outputs left out). */
export function statusReport(statuses: OutputStatus[], cwd: string): StatusReport {
  const report: StatusReport = {};
  for (const { output, status } of statuses) {
    if (!status) continue;
    const key = pathFromCwd(output.dvcFile.file, cwd);
    const list = (report[key] ??= []);
    let entry = list.find((e) => e['changed outs']);
    if (!entry) list.push((entry = { 'changed outs': {} }));
    entry['changed outs'][pathFromCwd(output.abs, cwd)] = status;
  }
  return report;
}

/** DVC names files relative to where the command runs. */
export function pathFromCwd(abs: string, cwd: string): string {
  return path.relative(cwd, abs).split(path.sep).join('/');
}
