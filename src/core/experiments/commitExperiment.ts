import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors';
import { runGit } from '../scm/git';
import { gitWrite, gitWriter } from '../scm/gitWrites';
import { experimentRef } from './names';

export interface ExperimentTreeOptions {
  /** The main repository's git work tree (its `.git` gets the objects). */
  gitRoot: string;
  /** The tree the experiment ran in: the main work tree, or a temporary one. */
  workTree: string;
  /**
   * What the experiment's index starts from: `'index'`, a copy of the main repository's index
   * (the user's staged changes are part of the experiment, as in dvc's stash); or a tree object
   * (a temporary run's starting files).
   */
  start: 'index' | { tree: string };
  /** Files to add beyond the tracked ones (`git add -u`): stage files, untracked deps, top-level metrics... (work-tree-relative, '/'). */
  paths: string[];
}

export interface CommitExperimentOptions extends ExperimentTreeOptions {
  /** The commit the experiment starts from (full sha): the single parent. */
  baseline: string;
  name: string;
  message: string;
  /** Replace an experiment of the same name that has other files (else that is an error). */
  force: boolean;
}

export interface CommittedExperiment {
  sha: string;
  ref: string;
  /** The existing experiment of that name already had exactly these files: its commit is kept. */
  reused: boolean;
}

const ZERO = '0'.repeat(40);

/**
 * The tree of an experiment's files, written to the main repository's object store: the work
 * tree's tracked files (`git add -u` over `start`) and `paths`. Built in a temporary index of its
 * own, so the user's index is never touched.
 */
export async function experimentTree(options: ExperimentTreeOptions): Promise<string> {
  const gitDir = await gitDirOf(options.gitRoot);
  const index = path.join(gitDir, `cairn-exp-index-${randomBytes(6).toString('hex')}`);
  try {
    // Run from the work tree (paths are relative to it) with the main repository's git folder.
    const env = { GIT_DIR: gitDir, GIT_INDEX_FILE: index, GIT_WORK_TREE: options.workTree };
    const git = gitWriter(options.workTree, { what: 'git add (experiment)', env });
    const userIndex = path.join(gitDir, 'index');
    if (options.start === 'index' && fs.existsSync(userIndex)) {
      await fs.promises.copyFile(userIndex, index);
      // The copy keeps the index's mtime: git tells a file changed within the second the index was
      // written ("racy") by comparing with it; a newer copy would make such a file look unchanged.
      const { atime, mtime } = await fs.promises.stat(userIndex);
      await fs.promises.utimes(index, atime, mtime);
    }
    else await gitWrite(git, ['read-tree', options.start === 'index' ? 'HEAD' : options.start.tree]);
    // Which of `paths` git would add is known from the tracked files, which `add -u` does not change for a file that exists: both at once.
    const [, paths] = await Promise.all([gitWrite(git, ['add', '-u']), addablePaths(options.workTree, env, options.paths)]);
    if (paths.length) await gitWrite(git, ['add', '--', ...paths.map((p) => `:(literal)${p}`)]);
    return (await gitWrite(git, ['write-tree'])).trim();
  } finally {
    await fs.promises.rm(index, { force: true });
    await fs.promises.rm(`${index}.lock`, { force: true });
  }
}

/**
 * `baseTree` with some files' contents replaced or added (`files`: paths relative to the git
 * root, `/`-separated), written to the object store; built in a temporary index of its own.
 */
export async function treeWithFiles(gitRoot: string, baseTree: string, files: readonly { path: string; content: string }[]): Promise<string> {
  if (!files.length) return baseTree;
  const gitDir = await gitDirOf(gitRoot);
  const index = path.join(gitDir, `cairn-exp-index-${randomBytes(6).toString('hex')}`);
  try {
    const git = gitWriter(gitRoot, { what: 'git write-tree (queue)', env: { GIT_INDEX_FILE: index } });
    await gitWrite(git, ['read-tree', baseTree]);
    for (const file of files) {
      const blob = (await gitWrite(git, ['hash-object', '-w', '--stdin'], { input: file.content })).trim();
      const mode = (await gitWrite(git, ['ls-files', '-s', '--', `:(literal)${file.path}`])).split(' ')[0] || '100644';
      if (mode !== '100644' && mode !== '100755') throw new CairnError('USAGE', `'${file.path}' is not a regular file in git (mode ${mode}): Cairn cannot write its new contents into a queued run.`, { file: file.path, hint: 'Replace the link by the file itself.' });
      await gitWrite(git, ['update-index', '--add', '--cacheinfo', `${mode},${blob},${file.path}`]);
    }
    return (await gitWrite(git, ['write-tree'])).trim();
  } finally {
    await fs.promises.rm(index, { force: true });
    await fs.promises.rm(`${index}.lock`, { force: true });
  }
}

/**
 * Record an experiment as dvc does: a commit of its files (`experimentTree`) whose single parent
 * is the baseline, at `refs/exps/<b[0:2]>/<b[2:]>/<name>`. HEAD and branches are never touched;
 * no hook runs and nothing is signed. The ref is written last, in one step: killed before,
 * nothing points at the new commit.
 */
export async function commitExperiment(options: CommitExperimentOptions): Promise<CommittedExperiment> {
  const ref = experimentRef(options.baseline, options.name);
  // The ref is looked up while the tree is built; update-ref below checks it is still what was seen.
  const [tree, existing] = await Promise.all([
    experimentTree(options),
    runGit(options.gitRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowedExitCodes: [1] }).then((out) => out.trim()),
  ]);
  if (existing && !options.force) {
    const existingTree = (await runGit(options.gitRoot, ['rev-parse', `${existing}^{tree}`])).trim();
    if (existingTree === tree) return { sha: existing, ref, reused: true };
    throw experimentExists(options.name);
  }
  const git = gitWriter(options.gitRoot, { what: 'git commit (experiment)' });
  const sha = (await gitWrite(git, ['commit-tree', tree, '-p', options.baseline, '-m', options.message])).trim();
  // Create-only unless replacing what we just saw: a name taken meanwhile by another run is not overwritten.
  await gitWrite(git, ['update-ref', '-m', `cairn: experiment ${options.name}`, ref, sha, existing || ZERO]);
  return { sha, ref, reused: false };
}

/** The git folder of a work tree (absolute). */
export async function gitDirOf(gitRoot: string): Promise<string> {
  return path.resolve(gitRoot, (await runGit(gitRoot, ['rev-parse', '--git-dir'])).trim());
}

/** dvc's refusal to replace an experiment (dvc: ExperimentExistsError), on one line. */
export function experimentExists(name: string): CairnError {
  return new CairnError('USAGE', `Experiment conflicts with existing experiment '${name}'.`, {
    hint: `To overwrite the existing experiment run it again with -f; or pick another name with -n.`,
  });
}

/** Of `paths`, those that exist in the work tree and that git would add without force (not ignored, unless already tracked). */
async function addablePaths(workTree: string, env: Record<string, string>, paths: string[]): Promise<string[]> {
  const existing = [...new Set(paths)].filter((p) => fs.existsSync(path.join(workTree, ...p.split('/'))));
  if (existing.length === 0) return [];
  const input = existing.map((p) => `${p}\0`).join('');
  const ignored = new Set((await runGit(workTree, ['check-ignore', '-z', '--stdin'], { allowedExitCodes: [1], input, env })).split('\0').filter(Boolean));
  return existing.filter((p) => !ignored.has(p));
}
