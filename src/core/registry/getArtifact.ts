import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap } from 'yaml';
import { checkObjectSync } from '../cache/verifyObjects';
import { CairnError, throwIfAborted } from '../errors';
import { isObjectId } from '../hashing/objectId';
import { GitObjectReader } from '../metrics/gitObjectReader';
import { recordedOutputs } from '../outputs/recordedOutputs';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { remoteSection } from '../remotes/remoteConfig';
import { fetch } from '../remotes/sync';
import { copyFileBytesSync, joinClean, tempPathFor } from '../repo/atomicWrite';
import { outputPathProblem } from '../repo/outputPath';
import { Repo } from '../repo/repo';
import { readRegistryTags, RegistryTag } from './readTags';
import { compareSemVer, parseSemVer } from './semver';
import { assertArtifactName } from './tagNames';
import { parseShortcut } from './show';
import { openArtifactSource, writeCloneConfig } from './artifactSource';

export interface GetArtifactOptions {
  version?: string;
  stage?: string;
  /** Where to write it (default: the artifact's file name, in `cwd`). */
  out?: string;
  force?: boolean;
  /** dvc's `--remote`: the remote to use instead of the repository's default. */
  remote?: string;
  /** dvc's `--remote-config`: `key=value` options merged, for this run only, into that remote's config (credentials, endpointurl…). */
  remoteConfig?: string[];
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
  /** How many files were written (1 for a file artifact). */
  files: number;
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
 * `cairn artifacts get <repo> <name>`: the artifact at the version or stage the registry names,
 * from the repository's cache or else its DVC remote (a folder or S3), written to `out`. The
 * repository is a local clone, read in place, or a git URL, fetched into a temporary clone (see
 * `openArtifactSource`). A folder artifact comes through its `.dir` manifest. Every file is hashed
 * where it is written and must match its record before anything lands: the whole file or folder
 * is made under a temp name beside `out` and renamed into place, so a failure leaves nothing.
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
  const where = await openArtifactSource(source, options.cwd, options.signal);
  try {
    const reader = new GitObjectReader(where.root);
    let found: { commit: string; path: string };
    try {
      found = await locateArtifact(where.root, reader, name, nameAsGiven, options);
      if (where.cloned) await writeCloneConfig(where.root, reader, found.commit);
    } finally {
      reader.close();
    }
    return await Repo.using(where.root, {}, (repo) => download(repo, name, nameAsGiven, found, where.cloned, options));
  } finally {
    where.close();
  }
}

/** The commit the version or stage names, and the artifact's path there, from its dvc.yaml; a path leaving the repository is refused. */
async function locateArtifact(root: string, reader: GitObjectReader, name: string, nameAsGiven: string, options: GetArtifactOptions): Promise<{ commit: string; path: string }> {
  const commit = artifactCommit(await readRegistryTags(root, reader), name, options.version, options.stage);
  const dir = name.includes(':') ? name.slice(0, name.lastIndexOf(':')) : '';
  const dvcYaml = path.posix.join(dir, 'dvc.yaml');
  const object = await reader.read(`${commit}:${dvcYaml}`);
  if (!object || object.type !== 'blob') throw new CairnError('USAGE', `Unable to find artifact '${nameAsGiven}': no ${dvcYaml} at ${commit.slice(0, 7)}.`);
  const doc = parseYamlDocument(object.data.toString('utf8'), dvcYaml);
  const entry = doc.getIn(['artifacts', name.slice(name.lastIndexOf(':') + 1)], true);
  const declared = isMap(entry) ? entry.get('path') : undefined;
  if (typeof declared !== 'string') throw new CairnError('USAGE', `Unable to find artifact '${nameAsGiven}' in ${dvcYaml} at ${commit.slice(0, 7)}.`, { file: dvcYaml });
  const artifactPath = path.posix.normalize(path.posix.join(dir, declared));
  const problem = outputPathProblem(root, path.resolve(root, artifactPath));
  if (problem) throw new CairnError('UNSAFE_PATH', `artifact '${nameAsGiven}' path '${declared}' ${problem}.`, { file: dvcYaml });
  return { commit, path: artifactPath };
}

/** One file to write: its place under the output (empty for a file artifact) and its record. */
interface FileToWrite {
  rel: string;
  md5: string;
}

async function download(repo: Repo, name: string, nameAsGiven: string, found: { commit: string; path: string }, cloned: boolean, options: GetArtifactOptions): Promise<GotArtifact> {
  const { commit, path: artifactPath } = found;
  const output = (await recordedOutputs(repo, commit, { strict: true })).find((o) => o.rel === artifactPath);
  if (!output?.md5 || !isObjectId(output.md5)) throw new CairnError('NOT_TRACKED', `'${artifactPath}' of artifact '${nameAsGiven}' is not tracked by DVC at ${commit.slice(0, 7)}.`);
  let shownOut = options.out ?? path.posix.basename(artifactPath);
  // As dvc: a folder given as the destination gets the artifact inside it, under its own name.
  if (options.out && fs.lstatSync(path.resolve(options.cwd, shownOut), { throwIfNoEntry: false })?.isDirectory()) shownOut = path.join(shownOut, path.posix.basename(artifactPath));
  const out = path.resolve(options.cwd, shownOut);
  const existing = fs.lstatSync(out, { throwIfNoEntry: false });
  if (existing && !options.force) {
    throw new CairnError('USAGE', `The ${existing.isDirectory() ? 'directory' : 'file'} '${shownOut}' already exists locally.`, { hint: "To override it, re-run with '--force'." });
  }
  const isFolder = output.md5.endsWith('.dir');
  applyRemoteOptions(repo, options);
  let fetchProblem: string | undefined;
  if (!(isFolder ? repo.store.hasAll(output.md5, output.hashName) : repo.store.has(output.md5, output.hashName))) {
    try {
      const fetched = await fetch(repo, { cwd: repo.root, targets: [artifactPath], revs: [commit], workspace: false, signal: options.signal });
      fetchProblem = fetched.failures[0]?.message;
    } catch (err) {
      // A clone has only what was committed: a remote set in the source's .dvc/config.local is not there.
      if (cloned && err instanceof CairnError && err.code === 'REMOTE' && err.message.startsWith('no remote specified')) {
        throw new CairnError('REMOTE', `the repository's .dvc/config at ${commit.slice(0, 7)} names no default remote, so '${artifactPath}' cannot be fetched.`, {
          hint: 'Commit one (`dvc remote add -d <name> <url>`); a remote in .dvc/config.local is not in a clone.',
        });
      }
      throw err;
    }
  }
  const missing = (what: string) =>
    new CairnError('NOT_IN_CACHE', fetchProblem ? `${what} of artifact '${nameAsGiven}' could not be fetched: ${fetchProblem}` : `${what} of artifact '${nameAsGiven}' is neither in the cache nor on the remote.`, {
      hint: cloned
        ? 'Push a good copy from a repository that has it (cairn push); a clone has no .dvc/config.local, so S3 credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) or your global DVC config.'
        : 'Push a good copy from a repository that has it (cairn push).',
    });
  let files: FileToWrite[] = [{ rel: '', md5: output.md5 }];
  if (isFolder) {
    const entries = repo.store.readDir(output.md5, output.hashName);
    if (!entries) throw missing(`the folder '${artifactPath}' (${output.md5})`);
    files = entries.map((e) => ({ rel: e.relpath, md5: e.md5 }));
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = tempPathFor(out);
  try {
    if (isFolder) fs.mkdirSync(staging);
    for (const file of files) {
      throwIfAborted(options.signal);
      const target = file.rel ? joinClean(staging, file.rel) : staging;
      if (file.rel) fs.mkdirSync(path.dirname(target), { recursive: true });
      const object = repo.store.pathOf(file.md5, output.hashName);
      if (!repo.store.has(file.md5, output.hashName)) throw missing(`'${path.posix.join(artifactPath, file.rel)}' (${file.md5})`);
      copyFileBytesSync(object, target, 0o644); // a file of the user's, not a read-only cache object
      const check = checkObjectSync({ path: target, name: file.md5, hashName: output.hashName });
      if (check.state !== 'good') {
        throw new CairnError('CORRUPT_OBJECT', `the object of '${path.posix.join(artifactPath, file.rel)}' (${file.md5}) ${check.state === 'corrupt' ? `hashes to ${check.md5}` : 'cannot be read'}; nothing written.`, {
          hint: 'Remove the corrupt object from the cache (cairn fetch verifies what it downloads) and push a good copy.',
        });
      }
    }
    placeOutput(staging, out, !!existing);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return { name, commit, path: artifactPath, md5: output.md5, out, files: files.length };
}

/**
 * dvc's `--remote` and `--remote-config`, in this run's config only (as if in `.dvc/config.local`;
 * nothing is written): a deployment passes an endpoint or credentials without touching the repository.
 */
function applyRemoteOptions(repo: Repo, options: GetArtifactOptions): void {
  const local = repo.config.levels.get('local');
  if (!local || (!options.remote && !options.remoteConfig?.length)) return;
  if (options.remote) local.set('core', 'remote', options.remote);
  const name = options.remote ?? repo.config.get('core', 'remote');
  for (const pair of options.remoteConfig ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CairnError('USAGE', `--remote-config takes <name>=<value>, got '${pair.replace(/=.*/, '=…')}'.`);
    if (!name) throw new CairnError('USAGE', '--remote-config needs a remote: the repository names no default one; give it with --remote.');
    local.set(remoteSection(name), pair.slice(0, eq), pair.slice(eq + 1));
  }
}

/** `staging` renamed to `out`; what was there (with --force) moved aside first and removed once the new one is in place. */
function placeOutput(staging: string, out: string, replacing: boolean): void {
  if (!replacing) {
    fs.renameSync(staging, out);
    return;
  }
  const aside = tempPathFor(out);
  fs.renameSync(out, aside);
  try {
    fs.renameSync(staging, out);
  } catch (err) {
    fs.renameSync(aside, out);
    throw err;
  }
  fs.rmSync(aside, { recursive: true, force: true });
}
