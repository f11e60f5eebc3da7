import type { Repo } from '../core/repo/repo';
import { CairnError } from '../core/errors';
import { runGit } from '../core/scm/git';
import { parseExperimentRef } from '../core/experiments/refs';
import { expBranch } from '../core/experiments/branch';
import { register } from '../core/registry/register';
import { assign } from '../core/registry/assign';
import { deprecateArtifact, deregister, unassign } from '../core/registry/deprecate';
import type { DeletedTags, WrittenTag } from '../core/registry/createTag';
import { semVerOf } from '../core/registry/semver';
import { assertArtifactName } from '../core/registry/tagNames';
import type { CoreOps } from './coreProtocol';

type ModelOp = 'modelRegister' | 'modelAssign' | 'modelUnassign' | 'modelDeregister' | 'modelDeprecate' | 'registrableRow' | 'commitText';

function gitRootOf(repo: Repo): string {
  const root = repo.scm?.root;
  if (!root) throw new CairnError('USAGE', 'the model registry needs git: this repository has no git work tree.', { hint: 'Run `git init` and commit first.' });
  return root;
}

const isSha = (text: string) => /^[0-9a-f]{40}$/.test(text);

/** The core worker's registry writes (GTO's tags, as `cairn model` writes them) and what they need to read first. */
export const modelHandlers: { [K in ModelOp]: (args: CoreOps[K]['args'], ctx: { repo: Repo }) => Promise<CoreOps[K]['result']> } = {
  async modelRegister({ name, version, rev, branch }, { repo }) {
    const gitRoot = gitRootOf(repo);
    // Checked before the branch is made: bad input writes nothing.
    assertArtifactName(name);
    semVerOf(version);
    const made = branch ? await expBranch(repo, branch.experiment, branch.name) : undefined;
    const written = await register(gitRoot, name, rev, { version });
    return { tag: written.tag, version: written.version, ...(made ? { branch: made.branch } : {}) };
  },
  async modelAssign({ name, version, stage }, { repo }) {
    return { tag: (await assign(gitRootOf(repo), name, stage, undefined, { version })).tag };
  },
  async modelUnassign({ name, version, stage }, { repo }) {
    return { tag: tagOf(await unassign(gitRootOf(repo), name, version, stage)) };
  },
  async modelDeregister({ name, version }, { repo }) {
    return { tag: tagOf(await deregister(gitRootOf(repo), name, version)) };
  },
  async modelDeprecate({ name }, { repo }) {
    return { tag: tagOf(await deprecateArtifact(gitRootOf(repo), name)) };
  },
  async registrableRow({ rowId }, { repo }) {
    const gitRoot = gitRootOf(repo);
    let commit: string;
    let experiment: string | undefined;
    if (rowId.startsWith('refs/exps/')) {
      // `--end-of-options`: the id came from a page; git reads it as a ref, never an option.
      const sha = (await runGit(gitRoot, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rowId}^{commit}`], { allowedExitCodes: [1] })).trim();
      const ref = isSha(sha) ? parseExperimentRef(rowId, sha) : undefined;
      if (!ref) throw new CairnError('USAGE', `experiment '${rowId}' was not found.`, { hint: 'Refresh the experiments table.' });
      commit = sha;
      experiment = ref.name;
    } else if (isSha(rowId)) {
      commit = rowId;
    } else {
      throw new CairnError('USAGE', 'only a finished experiment or a commit can be registered as a model version.', { hint: 'Run or save the experiment first.' });
    }
    const branches = (await runGit(gitRoot, ['for-each-ref', '--format=%(refname:short)', '--points-at', commit, 'refs/heads'])).split('\n').filter(Boolean);
    return { label: experiment ?? commit.slice(0, 7), commit, ...(experiment ? { experiment: rowId } : {}), branches };
  },
  async commitText({ sha }, { repo }) {
    if (!isSha(sha)) throw new CairnError('USAGE', `'${sha}' is not a commit id.`);
    return runGit(gitRootOf(repo), ['show', '--stat', '--format=fuller', '--no-color', sha]);
  },
};

/** The tag a deprecation wrote (without `delete`, which the view never asks for, it writes one). */
function tagOf(result: WrittenTag | DeletedTags): string {
  if (!('tag' in result)) throw new Error(`tags deleted, none written: ${result.deleted.join(', ')}`);
  return result.tag;
}
