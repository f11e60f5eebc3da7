import { CairnError } from '../errors';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import * as path from 'node:path';
import { ProjectFileError } from './projectFileError';
import { revisionDvcFiles } from '../outputs/revisionDvcFiles';
import type { DvcFile } from '../outputs/dvcFile';
import { loadPipelines, Pipelines } from '../pipeline/load';
import { CachedOut, Declarations, declarationsOf } from './declarations';
import { isObjectId } from '../hashing/objectId';
import { isDict } from './flatten';
import { normalizeRel, RevisionSource } from './revisionSource';

/**
 * The metrics, params and plots a revision's dvc.yaml files declare, through the pipeline
 * loader run on the revision itself (nothing checked out), and the cached outputs its dvc.lock
 * and `.dvc` files record. A bad dvc.yaml or `.dvc` file is an error of the whole revision, as in DVC.
 */
export async function pipelineDeclarations(source: RevisionSource): Promise<Declarations> {
  const pipelines = await revisionPipelines(source);
  const declarations = await declarationsOf(pipelines, source);
  declarations.cachedOuts = new Map([...(await dvcFileOutputs(source)), ...(await lockedOutputs(pipelines, source))]);
  return declarations;
}

const pipelinesBySource = new WeakMap<RevisionSource, Promise<Pipelines>>();

/** A revision's pipelines, loaded once per source; a file that cannot be loaded is the revision's ProjectFileError. */
export function revisionPipelines(source: RevisionSource): Promise<Pipelines> {
  let loaded = pipelinesBySource.get(source);
  if (!loaded) {
    loaded = loadPipelines(source).catch((err) => {
      if (err instanceof CairnError) throw new ProjectFileError(err, source);
      throw err;
    });
    pipelinesBySource.set(source, loaded);
  }
  return loaded;
}

/**
 * The cached outputs the revision's `.dvc` files record (repo-relative path → hash). One file
 * DVC 3 refuses (an old `metric: false` output) fails the whole revision, as it fails DVC's index.
 */
async function dvcFileOutputs(source: RevisionSource): Promise<Map<string, CachedOut>> {
  const result = new Map<string, CachedOut>();
  for (const file of await sourceDvcFiles(source)) {
    for (const out of file.outs) {
      if (!out.cache || !out.md5 || !isObjectId(out.md5)) continue;
      result.set(path.relative(source.root, file.outPath(out)).split(path.sep).join('/'), { md5: out.md5, hashName: out.hashName });
    }
  }
  return result;
}

/**
 * Output hashes recorded in the dvc.lock beside each dvc.yaml (out paths relative to the stage's
 * wdir; a folder's hash ends in `.dir`). A lock that is missing or unreadable gives nothing: the outputs then read as missing.
 */
async function lockedOutputs(pipelines: Pipelines, source: RevisionSource): Promise<Map<string, CachedOut>> {
  const result = new Map<string, CachedOut>();
  for (const stage of pipelines.stages) {
    const entry = await lockedStage(source, stage);
    const outs = entry && Array.isArray(entry.outs) ? entry.outs : [];
    // dvc.lock records `cache: false` outputs too, and the run cache may hold their bytes, but DVC never reads them from there.
    const uncached = new Set(stage.outs.filter((o) => !o.cache).map((o) => o.path));
    for (const out of outs) {
      // A hash that is not an object id never names a cache file: the output then reads as missing.
      if (!isDict(out) || typeof out.path !== 'string' || !isObjectId(out.md5) || uncached.has(out.path)) continue;
      const rel = normalizeRel([stage.wdir, out.path].filter(Boolean).join('/'));
      if (rel) result.set(rel, { md5: out.md5, hashName: out.hash === 'md5' ? 'md5' : 'md5-dos2unix' });
    }
  }
  return result;
}

const dvcFilesBySource = new WeakMap<RevisionSource, Promise<DvcFile[]>>();

/** A revision's `.dvc` files (`revisionDvcFiles`), found and parsed once per source: its outputs and its data sources both read them. */
export function sourceDvcFiles(source: RevisionSource): Promise<DvcFile[]> {
  let files = dvcFilesBySource.get(source);
  if (!files) dvcFilesBySource.set(source, (files = revisionDvcFiles(source)));
  return files;
}

const locksBySource = new WeakMap<RevisionSource, Map<string, Promise<unknown>>>();

/**
 * What the dvc.lock beside a stage's dvc.yaml records for it, as plain data (entries unchecked:
 * callers check what they use), or undefined. A lock that is missing or unreadable records
 * nothing. Each lock is parsed once per source.
 */
export async function lockedStage(source: RevisionSource, stage: { file: string; name: string }): Promise<Record<string, unknown> | undefined> {
  const lockPath = stage.file.replace(/dvc\.yaml$/, 'dvc.lock');
  let locks = locksBySource.get(source);
  if (!locks) locksBySource.set(source, (locks = new Map()));
  let parsed = locks.get(lockPath);
  if (!parsed) {
    parsed = source.read(lockPath).then((text) => {
      try {
        const doc = text === undefined ? undefined : parseYamlDocument(text, lockPath);
        return doc && !doc.errors.length ? doc.toJS({ maxAliasCount: 100 }) : undefined;
      } catch {
        return undefined;
      }
    });
    locks.set(lockPath, parsed);
  }
  const lock = await parsed;
  const entry = isDict(lock) && isDict(lock.stages) ? lock.stages[stage.name] : undefined;
  return isDict(entry) ? entry : undefined;
}
