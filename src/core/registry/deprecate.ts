import { CairnError } from '../errors';
import { createTag, deleteTags, DeletedTags, resolveCommit, tagNameFor, TagWriteOptions, WrittenTag } from './createTag';
import { assertAllowedStage, readGtoConfig } from './gtoConfig';
import { readRegistry } from './registry';
import { semVerOf } from './semver';
import type { RegistryEvent } from './state';
import { assertArtifactName, assertStageName } from './tagNames';

/** What the three forms of `deprecate` take beside the tag options: gto's `--delete`, the tags removed instead of a new one written. */
export interface DeprecateOptions extends TagWriteOptions {
  delete?: boolean;
}

/** The distinct tags of `events`, in their order (gto's `distinct`). */
const tagsOf = (events: RegistryEvent[]): string[] => [...new Set(events.flatMap((e) => (e.tag ? [e.tag] : [])))];

/**
 * GTO's `deprecate <name>`: the artifact marked deprecated at the commit of its newest event; with
 * `force` again (a `#N` tag, never `--simple true`); with `delete`, every tag of the artifact removed.
 */
export async function deprecateArtifact(gitRoot: string, name: string, options: DeprecateOptions = {}): Promise<WrittenTag | DeletedTags> {
  assertArtifactName(name);
  let simple = options.simple;
  if (options.force) {
    if (simple) throw new CairnError('USAGE', "Can't use 'force' with 'simple=True'");
    simple = false;
  } else if (!(await readRegistry(gitRoot)).artifact(name).isActive) throw new CairnError('USAGE', 'Artifact was deprecated already');
  const artifact = (await readRegistry(gitRoot)).artifact(name, !options.delete);
  if (options.delete) return deleteTags(gitRoot, tagsOf(artifact.events(true)), !!options.push);
  const newest = artifact.events()[0];
  const commit = newest ? newest.commitHexsha : await resolveCommit(gitRoot, 'HEAD');
  const tag = await tagNameFor(gitRoot, 'deprecate', name, '', simple ?? true);
  return createTag(gitRoot, tag, commit, options.message || `Deprecating artifact '${name}'`, !!options.push);
}

/** GTO's `deprecate <name> <version>`: the version deregistered (`name@v1.0.0!`); with `delete`, every tag of the version removed. */
export async function deregister(gitRoot: string, name: string, version: string, options: DeprecateOptions = {}): Promise<WrittenTag | DeletedTags> {
  assertArtifactName(name);
  semVerOf(version);
  const artifact = (await readRegistry(gitRoot)).artifact(name, true);
  const found = artifact.findVersion({ version });
  if (!options.force) {
    if (!found) throw new CairnError('USAGE', `No versions found for '${name}'`, { hint: `'${version}' is not a version of it.` });
    if (!found.isRegistered) throw new CairnError('USAGE', `The version at ref '${found.commitHexsha}' is not registered`);
    if (!found.isActive) throw new CairnError('USAGE', `The version at ref '${found.commitHexsha}' was deregistered already`);
  }
  if (!found) throw new CairnError('USAGE', "Can't deregister a version that have no git tags");
  if (options.delete) return deleteTags(gitRoot, tagsOf(found.events(true)), !!options.push);
  const tag = await tagNameFor(gitRoot, 'deregister', name, version, options.simple ?? true);
  return createTag(gitRoot, tag, found.commitHexsha, options.message || `Deregistering artifact ${name} version ${version}`, !!options.push);
}

/** GTO's `deprecate <name> <version> <stage>`: the stage taken from the version (`name#stage!#N`); with `delete`, the version's tags of that stage removed. */
export async function unassign(gitRoot: string, name: string, version: string, stage: string, options: DeprecateOptions = {}): Promise<WrittenTag | DeletedTags> {
  assertArtifactName(name);
  assertStageName(stage);
  assertAllowedStage(readGtoConfig(gitRoot), stage);
  semVerOf(version);
  const artifact = (await readRegistry(gitRoot)).artifact(name);
  const found = artifact.findVersion({ version });
  if (!found) throw new CairnError('USAGE', `No versions found for '${name}'`, { hint: `'${version}' is not a version of it.` });
  if (!options.force && !found.stages.has(stage)) throw new CairnError('USAGE', `Stage '${stage}' is not assigned to a version '${found.version}'`);
  if (options.delete) return deleteTags(gitRoot, tagsOf(found.events(true).filter((e) => e.stage === stage)), !!options.push);
  const tag = await tagNameFor(gitRoot, 'unassign', name, stage, options.simple ?? false);
  return createTag(gitRoot, tag, found.commitHexsha, options.message || `Unassigning stage '${stage}' to artifact '${name}' version '${found.version}'`, !!options.push);
}
