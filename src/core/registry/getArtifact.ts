import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap } from 'yaml';
import { checkObjectSync } from '../cache/verifyObjects';
import { CairnError } from '../errors';
import { isObjectId } from '../hashing/objectId';
import { GitObjectReader } from '../metrics/gitObjectReader';
import { recordedOutputs } from '../outputs/recordedOutputs';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { fetch } from '../remotes/sync';
import { copyFileAtomicSync } from '../repo/atomicWrite';
import { outputPathProblem } from '../repo/outputPath';
import { Repo } from '../repo/repo';
import { readRegistryTags, RegistryTag } from './readTags';
import { compareSemVer, parseSemVer } from './semver';
import { assertArtifactName } from './tagNames';
import { parseShortcut } from './show';

export interface GetArtifactOptions {
  version?: string;
  stage?: string;
  /** Where to write it (default: the artifact's file name, in `cwd`). */
  out?: string;
  force?: boolean;
  cwd: string;
  signal?: AbortSignal;
}

export interface GotArtifact {
  name: string;
  /** The commit the version or stage names. */
  commit: string;
  /** The artifact's path in the repository at that commit. */
  path: string;
  md5: string;
  out: string;
}

/** dvc's spelling `sub/dvc.yaml:name` is GTO's `sub:name` (dvc: repo/artifacts.py `_reformat_name`). */
export function artifactName(name: string): string {
  const colon = name.lastIndexOf(':');
  if (colon < 0) return name;
  const dir = name.slice(0, colon);
  return dir === 'dvc.yaml' || dir.endsWith('/dvc.yaml') ? `${dir.slice(0, -'dvc.yaml'.length).replace(/\/$/, '')}:${name.slice(colon + 1)}`.replace(/^:/, '') : name;
}

/**
 * The commit `dvc artifacts get` takes (dvc: repo/artifacts.py `get_rev`): with a version or a
 * stage, the newest tag (by tagger time) of any action naming it; else the tag with the greatest
 * SemVer version.
 */
export function artifactCommit(tags: RegistryTag[], name: string, version?: string, stage?: string): string {
  const found = tags.filter((t) => t.parsed.name === name && (!version || t.parsed.version === version) && (!stage || t.parsed.stage === stage));
  const notFound = () => new CairnError('USAGE', `Unable to find artifact '${name}${stage || version ? ` @ ${stage || version}` : ''}'`);
  if (!found.length) throw notFound();
  if (version || stage) return found[found.length - 1].target;
  const versioned = found.filter((t) => t.parsed.version && parseSemVer(t.parsed.version));
  if (!versioned.length) throw notFound();
  const greatest = versioned.reduce((a, b) => (compareSemVer(parseSemVer(b.parsed.version!)!, parseSemVer(a.parsed.version!)!) > 0 ? b : a));
  return greatest.target;
}

/**
 * `cairn artifacts get <repo> <name>`: the artifact's file at the version or stage the registry
 * names, from the repository's cache or else its DVC remote, verified by its hash, written to
 * `out` through a temp file. The source is a local repository folder. A folder artifact is not
 * supported yet.
 */
export async function getArtifact(source: string, nameAsGiven: string, options: GetArtifactOptions): Promise<GotArtifact> {
  // Beyond dvc: gto's shortcuts name the version or stage in the name (`model@v1.2.0`, `model#prod`, `model@latest`).
  const shortcut = parseShortcut(nameAsGiven);
  const inName = shortcut.version ?? shortcut.stage ?? (shortcut.latest ? 'latest' : undefined);
  if (inName && (options.version || options.stage)) {
    throw new CairnError('USAGE', `'${nameAsGiven}' names its version or stage already: give it there or with --rev/--stage, not both.`);
  }
  options = { ...options, version: options.version ?? shortcut.version, stage: options.stage ?? shortcut.stage };
  if (options.version && options.stage) throw new CairnError('USAGE', 'Artifact version and stage are mutually exclusive.');
  const name = artifactName(shortcut.name);
  assertArtifactName(name);
  const sourceRoot = path.resolve(options.cwd, source);
  if (!fs.existsSync(path.join(sourceRoot, '.git'))) throw new CairnError('USAGE', `'${source}' is not a git repository folder.`, { hint: 'Give the root folder of a local clone (URLs are not supported yet).' });
  return Repo.using(sourceRoot, {}, async (repo) => {
    const reader = new GitObjectReader(sourceRoot);
    let commit: string;
    let artifactPath: string;
    try {
      commit = artifactCommit(await readRegistryTags(sourceRoot, reader), name, options.version, options.stage);
      const dir = name.includes(':') ? name.slice(0, name.lastIndexOf(':')) : '';
      const dvcYaml = path.posix.join(dir, 'dvc.yaml');
      const object = await reader.read(`${commit}:${dvcYaml}`);
      if (!object || object.type !== 'blob') throw new CairnError('USAGE', `Unable to find artifact '${nameAsGiven}': no ${dvcYaml} at ${commit.slice(0, 7)}.`);
      const doc = parseYamlDocument(object.data.toString('utf8'), dvcYaml);
      const entry = doc.getIn(['artifacts', name.slice(name.lastIndexOf(':') + 1)], true);
      const declared = isMap(entry) ? entry.get('path') : undefined;
      if (typeof declared !== 'string') throw new CairnError('USAGE', `Unable to find artifact '${nameAsGiven}' in ${dvcYaml} at ${commit.slice(0, 7)}.`, { file: dvcYaml });
      artifactPath = path.posix.normalize(path.posix.join(dir, declared));
      const problem = outputPathProblem(repo.root, path.resolve(repo.root, artifactPath));
      if (problem) throw new CairnError('UNSAFE_PATH', `artifact '${nameAsGiven}' path '${declared}' ${problem}.`, { file: dvcYaml });
    } finally {
      reader.close();
    }
    const output = (await recordedOutputs(repo, commit, { strict: true })).find((o) => o.rel === artifactPath);
    if (!output?.md5 || !isObjectId(output.md5)) throw new CairnError('NOT_TRACKED', `'${artifactPath}' of artifact '${nameAsGiven}' is not tracked by DVC at ${commit.slice(0, 7)}.`);
    if (output.md5.endsWith('.dir')) throw new CairnError('USAGE', `artifact '${nameAsGiven}' is a folder; cairn artifacts get takes files only for now.`, { hint: 'Use `dvc artifacts get` for folders.' });
    const out = path.resolve(options.cwd, options.out ?? path.posix.basename(artifactPath));
    if (fs.existsSync(out) && !options.force) throw new CairnError('USAGE', `'${options.out ?? path.basename(out)}' exists.`, { hint: 'To override it, re-run with --force.' });
    if (!repo.store.has(output.md5, output.hashName)) {
      await fetch(repo, { cwd: repo.root, targets: [artifactPath], revs: [commit], workspace: false, signal: options.signal });
    }
    const object = repo.store.pathOf(output.md5, output.hashName);
    const check = checkObjectSync({ path: object, name: output.md5, hashName: output.hashName });
    if (check.state !== 'good') {
      throw new CairnError('CORRUPT_OBJECT', `the object of '${artifactPath}' (${output.md5}) is ${check.state === 'missing' ? 'neither in the cache nor on the remote' : check.state === 'corrupt' ? 'corrupt' : 'unreadable'}.`, { hint: 'Push it from a repository that has it (cairn push).' });
    }
    copyFileAtomicSync(object, out);
    fs.chmodSync(out, 0o644); // a file of the user's, not a read-only cache object
    return { name, commit, path: artifactPath, md5: output.md5, out };
  });
}
