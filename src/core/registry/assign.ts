import { CairnError } from '../errors';
import { createTag, resolveCommit, tagNameFor, TagWriteOptions, WrittenTag } from './createTag';
import { register } from './register';
import { readRegistry } from './registry';
import { semVerOf } from './semver';
import { assertAllowedStage, readGtoConfig } from './gtoConfig';
import { assertArtifactName, assertStageName } from './tagNames';

export interface AssignOptions extends TagWriteOptions {
  /** The registered version to assign (then no `rev`). */
  version?: string;
  /** With `rev`: the version to register there first when none is (GTO's `--version` with a ref). */
  registerAs?: string;
  /** GTO's `--skip-registration`: a commit with no version gets the stage unregistered, its version named by the commit's hash. */
  skipRegistration?: boolean;
}

/**
 * `gto assign`: gives `stage` to a version of `name` — the registered `version`, or the one at
 * `rev` (registered first, as gto does, when the commit has none). A version already in the stage
 * is refused unless
 * `force`; a stage `.gto` does not allow is refused.
 */
export async function assign(gitRoot: string, name: string, stage: string, rev: string | undefined, options: AssignOptions = {}): Promise<WrittenTag & { version: string; registered?: WrittenTag }> {
  assertArtifactName(name);
  assertStageName(stage);
  assertAllowedStage(readGtoConfig(gitRoot), stage);
  if (options.version) semVerOf(options.version);
  if (options.registerAs) semVerOf(options.registerAs);
  if (options.registerAs && options.skipRegistration) throw new CairnError('USAGE', 'You either need to supply version name or skip registration');
  if (options.version && rev !== undefined) throw new CairnError('USAGE', 'One and only one of (version, rev) must be specified.');
  const artifact = (await readRegistry(gitRoot)).artifact(name, true);
  let commit: string;
  let version: string;
  let registered: WrittenTag | undefined;
  if (options.version) {
    const found = artifact.findVersion({ version: options.version });
    if (!found) throw new CairnError('USAGE', `Version '${options.version}' is not registered`);
    commit = found.commitHexsha;
    version = found.version;
  } else {
    commit = await resolveCommit(gitRoot, rev ?? 'HEAD');
    const found = artifact.findVersion({ commit });
    if (found && options.registerAs) throw new CairnError('USAGE', `Can't register '${options.registerAs}', since '${found.version}' is registered already at this ref`);
    if (found) version = found.version;
    else if (options.skipRegistration) {
      // As gto: the version is the commit, new to the registry, so it is in no stage yet.
      const tag = await tagNameFor(gitRoot, 'assign', name, stage, options.simple ?? false);
      return { ...(await createTag(gitRoot, tag, commit, options.message || `Assigning stage ${stage} to artifact ${name} version ${commit}`, !!options.push)), version: commit };
    } else {
      const made = await register(gitRoot, name, commit, { version: options.registerAs, simple: true, push: options.push });
      registered = made;
      version = made.version;
    }
  }
  const current = (await readRegistry(gitRoot)).artifact(name, true).findVersion({ version, commit });
  if (!options.force && current?.activeStages().some((s) => s.stage === stage)) {
    throw new CairnError('USAGE', `Version '${version}' is already in stage '${stage}'. Use the '--force' flag to create a new Git tag nevertheless.`);
  }
  const tag = await tagNameFor(gitRoot, 'assign', name, stage, options.simple ?? false);
  const written = await createTag(gitRoot, tag, commit, options.message || `Assigning stage ${stage} to artifact ${name} version ${version}`, !!options.push);
  return { ...written, version, ...(registered ? { registered } : {}) };
}
