import { CairnError } from '../errors';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import * as path from 'node:path';
import { ProjectFileError } from './projectFileError';
import { revisionDvcFiles } from '../outputs/revisionDvcFiles';
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
  let pipelines: Pipelines;
  try {
    pipelines = await loadPipelines(source);
  } catch (err) {
    if (err instanceof CairnError) throw new ProjectFileError(err, source);
    throw err;
  }
  const declarations = await declarationsOf(pipelines, source);
  declarations.cachedOuts = new Map([...(await dvcFileOutputs(source)), ...(await lockedOutputs(pipelines, source))]);
  return declarations;
}

/**
 * The cached outputs the revision's `.dvc` files record (repo-relative path → hash). One file
 * DVC 3 refuses (an old `metric: false` output) fails the whole revision, as it fails DVC's index.
 */
async function dvcFileOutputs(source: RevisionSource): Promise<Map<string, CachedOut>> {
  const result = new Map<string, CachedOut>();
  for (const file of await revisionDvcFiles(source)) {
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
  const locks = new Map<string, unknown>();
  for (const stage of pipelines.stages) {
    const lockPath = stage.file.replace(/dvc\.yaml$/, 'dvc.lock');
    if (!locks.has(lockPath)) {
      const text = await source.read(lockPath);
      let parsed: unknown;
      try {
        const doc = text === undefined ? undefined : parseYamlDocument(text, lockPath);
        parsed = doc && !doc.errors.length ? doc.toJS({ maxAliasCount: 100 }) : undefined;
      } catch {
        parsed = undefined;
      }
      locks.set(lockPath, parsed);
    }
    const lock = locks.get(lockPath);
    const entry = isDict(lock) && isDict(lock.stages) ? lock.stages[stage.name] : undefined;
    const outs = isDict(entry) && Array.isArray(entry.outs) ? entry.outs : [];
    for (const out of outs) {
      // A hash that is not an object id never names a cache file: the output then reads as missing.
      if (!isDict(out) || typeof out.path !== 'string' || !isObjectId(out.md5)) continue;
      const rel = normalizeRel([stage.wdir, out.path].filter(Boolean).join('/'));
      if (rel) result.set(rel, { md5: out.md5, hashName: out.hash === 'md5' ? 'md5' : 'md5-dos2unix' });
    }
  }
  return result;
}
