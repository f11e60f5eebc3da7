import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { openRemote } from './openRemote';
import { objectKey } from './remote';
import { remoteHas } from './remoteIndex';
import { expandObjects } from './transfer';
import { groupByRemote } from './sync';
import { UsedOptions, UsedOutput, usedOutputs } from './usedObjects';
import { pathFromCwd } from '../outputs/status';

/**
 * Where an object is: `synced` (cache and remote), `new` (cache only: not pushed),
 * `deleted` (remote only: not fetched), `missing` (neither).
 */
export type CloudState = 'synced' | 'new' | 'deleted' | 'missing';

/** The remote state of one output (a directory's is the worst of its `.dir` and files). */
export interface OutputCloudStatus {
  /** Repo-relative output path. */
  path: string;
  rev: string;
  remote: string;
  state: CloudState;
  /** The state of the output's own object (a file's content, a directory's `.dir`). */
  object: CloudState;
  /** For a directory: files inside it that are not `synced`, by relpath. */
  files: Record<string, Exclude<CloudState, 'synced'>>;
}

const stateOf = (inCache: boolean, onRemote: boolean): CloudState => (inCache ? (onRemote ? 'synced' : 'new') : onRemote ? 'deleted' : 'missing');

/**
 * `dvc status -c`: compare the cache with the remote for the chosen outputs. As DVC does, a
 * directory's `.dir` object found only on the remote is brought into the cache (verified) so
 * its files can be listed.
 */
export async function cloudStatus(repo: Repo, options: UsedOptions & { jobs?: number; signal?: AbortSignal }): Promise<OutputCloudStatus[]> {
  // As dvc: outputs with `push: false` are not expected on a remote, so not compared.
  const outputs = await usedOutputs(repo, { ...options, forPush: true });
  const statuses: OutputCloudStatus[] = [];
  for (const [name, outs] of groupByRemote(repo, outputs, options.remote, 'status')) {
    const remote = openRemote(repo, name, 'status');
    try {
      const jobs = options.jobs ?? remote.defaultJobs;
      // Manifests only the remote has: download them into the cache (verified), as dvc does;
      // one that is not on the remote either is reported as missing below.
      const manifests = outs.filter((o) => o.md5.endsWith('.dir') && !repo.store.has(o.md5, o.hashName));
      await remote.getAll(
        manifests.map((o) => ({ key: objectKey(o.md5, o.hashName), name: o.md5, hashName: o.hashName, objectsDir: repo.store.objectsDirFor(o.hashName) })),
        repo.store.stagingDir,
        { jobs, signal: options.signal },
      );
      // As dvc does, a directory whose `.dir` is on the remote counts as complete there (cairn's
      // push sends a `.dir` only after all its files, so for what cairn pushed this holds).
      const dirKeys = outs.filter((o) => o.md5.endsWith('.dir')).map((o) => objectKey(o.md5, o.hashName));
      const dirsOnRemote = await remoteHas(remote, dirKeys, { jobs, signal: options.signal });
      const { refs } = expandObjects(outs, (o) => (dirsOnRemote.has(objectKey(o.md5, o.hashName)) ? [] : repo.store.readDir(o.md5, o.hashName)));
      const onRemote = await remoteHas(remote, [...refs.keys()].filter((k) => !dirsOnRemote.has(k)), { jobs, signal: options.signal });
      for (const o of outs) {
        if (!dirsOnRemote.has(objectKey(o.md5, o.hashName))) continue;
        onRemote.add(objectKey(o.md5, o.hashName));
        for (const e of repo.store.readDir(o.md5, o.hashName) ?? []) onRemote.add(objectKey(e.md5, o.hashName));
      }
      const inCache = (md5: string, o: UsedOutput) => repo.store.has(md5, o.hashName);
      for (const o of outs) {
        const key = objectKey(o.md5, o.hashName);
        const files: OutputCloudStatus['files'] = {};
        const object = o.within ? 'synced' : stateOf(inCache(o.md5, o), onRemote.has(key));
        let state = object;
        for (const e of o.md5.endsWith('.dir') ? repo.store.readDir(o.md5, o.hashName) ?? [] : []) {
          if (o.within && e.relpath !== o.within && !e.relpath.startsWith(o.within + '/')) continue;
          const s = stateOf(inCache(e.md5, o), onRemote.has(objectKey(e.md5, o.hashName)));
          if (s !== 'synced') files[e.relpath] = s;
        }
        if (state === 'synced') state = (Object.values(files)[0] as CloudState | undefined) ?? 'synced';
        statuses.push({ path: o.rel, rev: o.rev, remote: name, state, object, files });
      }
    } finally {
      remote.close();
    }
  }
  return statuses;
}

/** DVC's `status -c --json` shape: `{path: "new"|"deleted"|"missing"}` for outputs and files in directories (paths from `cwd`). */
export function cloudStatusReport(repo: Repo, statuses: OutputCloudStatus[], cwd: string): Record<string, Exclude<CloudState, 'synced'>> {
  const report: Record<string, Exclude<CloudState, 'synced'>> = {};
  const abs = (rel: string) => path.join(repo.root, ...rel.split('/'));
  for (const s of statuses) {
    if (s.object !== 'synced') report[pathFromCwd(abs(s.path), cwd)] = s.object;
    for (const [rel, state] of Object.entries(s.files)) report[pathFromCwd(abs(`${s.path}/${rel}`), cwd)] = state;
  }
  return report;
}
