import { CairnError } from '../errors';
import { createTag, resolveCommit, tagNameFor, TagWriteOptions, WrittenTag } from './createTag';
import { readRegistry } from './registry';
import { semVerOf } from './semver';
import { assertArtifactName, assertStageName } from './tagNames';

/** GTO's `deprecate <name>`: the artifact marked deprecated at the commit of its newest event. */
export async function deprecateArtifact(gitRoot: string, name: string, options: TagWriteOptions = {}): Promise<WrittenTag> {
  assertArtifactName(name);
  const artifact = (await readRegistry(gitRoot)).artifact(name);
  if (!artifact.isActive) throw new CairnError('USAGE', 'Artifact was deprecated already');
  const newest = artifact.events()[0];
  const commit = newest ? newest.commitHexsha : await resolveCommit(gitRoot, 'HEAD');
  const tag = await tagNameFor(gitRoot, 'deprecate', name, '', options.simple ?? true);
  return createTag(gitRoot, tag, commit, options.message || `Deprecating artifact '${name}'`, !!options.push);
}

/** GTO's `deprecate <name> <version>`: the version deregistered (`name@v1.0.0!`). */
export async function deregister(gitRoot: string, name: string, version: string, options: TagWriteOptions = {}): Promise<WrittenTag> {
  assertArtifactName(name);
  semVerOf(version);
  const artifact = (await readRegistry(gitRoot)).artifact(name, true);
  const found = artifact.findVersion({ version });
  if (!found) throw new CairnError('USAGE', `No versions found for '${name}'`, { hint: `'${version}' is not a version of it.` });
  if (!found.isRegistered) throw new CairnError('USAGE', `The version at ref '${found.commitHexsha}' is not registered`);
  if (!found.isActive) throw new CairnError('USAGE', `The version at ref '${found.commitHexsha}' was deregistered already`);
  const tag = await tagNameFor(gitRoot, 'deregister', name, version, options.simple ?? true);
  return createTag(gitRoot, tag, found.commitHexsha, options.message || `Deregistering artifact ${name} version ${version}`, !!options.push);
}

/** GTO's `deprecate <name> <version> <stage>`: the stage taken from the version (`name#stage!#N`). */
export async function unassign(gitRoot: string, name: string, version: string, stage: string, options: TagWriteOptions = {}): Promise<WrittenTag> {
  assertArtifactName(name);
  assertStageName(stage);
  semVerOf(version);
  const artifact = (await readRegistry(gitRoot)).artifact(name);
  const found = artifact.findVersion({ version });
  if (!found) throw new CairnError('USAGE', `No versions found for '${name}'`, { hint: `'${version}' is not a version of it.` });
  if (!found.stages.has(stage)) throw new CairnError('USAGE', `Stage '${stage}' is not assigned to a version '${found.version}'`);
  const tag = await tagNameFor(gitRoot, 'unassign', name, stage, options.simple ?? false);
  return createTag(gitRoot, tag, found.commitHexsha, options.message || `Unassigning stage '${stage}' to artifact '${name}' version '${found.version}'`, !!options.push);
}
