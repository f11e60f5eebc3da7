import { CairnError } from '../errors';
import { createTag, resolveCommit, tagNameFor, TagWriteOptions, WrittenTag } from './createTag';
import { readRegistry } from './registry';
import { Bump, bumpSemVer, FIRST_VERSION, parseSemVer, semVerOf } from './semver';
import { assertArtifactName } from './tagNames';

export interface RegisterOptions extends TagWriteOptions {
  /** The version to register; else the greatest registered one bumped (`bump`, patch by default), or v0.0.1. */
  version?: string;
  bump?: Bump;
}

/**
 * `gto register`: tags `rev` (default HEAD) as a version of `name`, as gto does: one version per
 * commit (unless `force`), a version name used once, the next version bumped from the greatest registered one.
 */
export async function register(gitRoot: string, name: string, rev: string | undefined, options: RegisterOptions = {}): Promise<WrittenTag & { version: string }> {
  assertArtifactName(name);
  if (options.version && options.bump) throw new CairnError('USAGE', 'Need to specify either version or single bump argument');
  if (options.version) semVerOf(options.version);
  const commit = await resolveCommit(gitRoot, rev ?? 'HEAD');
  const artifact = (await readRegistry(gitRoot)).artifact(name, true);
  const atCommit = artifact.findVersion({ commit });
  let version = options.version;
  if (atCommit) {
    if (!options.force && atCommit.isRegistered && atCommit.isActive) throw new CairnError('USAGE', `'${name}' is already registered in this commit with version '${atCommit.version}'`);
    if (!version) version = atCommit.version;
    else if (atCommit.version !== version) throw new CairnError('USAGE', `For this REF you can only register ${atCommit.version}`);
  }
  if (version) {
    if (artifact.findVersion({ version }) !== atCommit) throw new CairnError('USAGE', `Version '${version}' already was registered.`);
  } else {
    const latest = artifact.latestVersion(true);
    if (latest) version = bumpSemVer(parseSemVer(latest.version)!, options.bump ?? 'patch');
    else if (options.bump) throw new CairnError('USAGE', "Can't apply bump, because this is the first version being registered");
    else version = FIRST_VERSION;
  }
  const tag = await tagNameFor(gitRoot, 'register', name, version, options.simple ?? true);
  const written = await createTag(gitRoot, tag, commit, options.message || `Registering artifact ${name} version ${version}`, !!options.push);
  return { ...written, version };
}
