import * as path from 'node:path';
import { CairnError } from '../errors';
import { Git, runGit } from '../scm/git';
import { GitObjectReader } from './gitObjectReader';
import type { DvcIgnore } from '../repo/dvcignore';
import type { OutputCache } from './cachedOutputs';
import { CommitSource, RevisionSource, WorkspaceSource } from './revisionSource';

/** The workspace, as a revision name. */
export const WORKSPACE_REV = 'workspace';

/** A revision to read: a display name (DVC joins names of one commit with ','), and its commit. */
export interface NamedRevision {
  name: string;
  /** Undefined for the workspace. */
  commit?: string;
}

/** A ref as `git for-each-ref` lists it. */
export interface GitRef {
  ref: string;
  /** The object the ref names (a tag object for an annotated tag). */
  sha: string;
  /** What an annotated tag names, else `sha`. */
  commit: string;
  /** Whether HEAD is this branch. */
  head: boolean;
}

/**
 * Opens revisions of one repository for reading: the workspace, any name `git rev-parse` knows
 * (HEAD, HEAD~1, a branch, a tag, a sha, `refs/exps/...`) and DVC experiment names. All git reads
 * of all revisions go through one `git cat-file --batch`; call close() when done.
 */
export class RevisionReader {
  readonly objects: GitObjectReader | undefined;
  /** The DVC root inside the git work tree ('' when they are the same folder). */
  private readonly prefix: string;
  private readonly sources = new Map<string, RevisionSource>();
  private allRefs: Promise<GitRef[]> | undefined;

  /**
   * `ignore`: the workspace's .dvcignore rules (a commit is read with its own); `cache`: where
   * outputs a revision's dvc.lock records are read (git does not hold them).
   */
  constructor(
    readonly root: string,
    readonly gitRoot: string | undefined,
    private readonly ignore?: DvcIgnore,
    readonly cache?: OutputCache,
  ) {
    this.objects = gitRoot ? new GitObjectReader(gitRoot) : undefined;
    this.prefix = gitRoot ? path.relative(gitRoot, root).split(path.sep).join('/') : '';
  }

  close(): void {
    this.objects?.close();
  }

  private async git(args: string[]): Promise<string> {
    if (!this.gitRoot) throw new CairnError('USAGE', 'this repository has no git: only the workspace can be read.');
    return runGit(this.gitRoot, args);
  }

  /**
   * Every branch, tag, remote branch and `refs/exps/` ref, from one `git for-each-ref` (each caller
   * of `exp show` would otherwise run its own).
   */
  refs(): Promise<GitRef[]> {
    this.allRefs ??= this.gitRoot
      ? this.git(['for-each-ref', '--format=%(HEAD)%09%(objectname)%09%(*objectname)%09%(refname)', 'refs/heads/', 'refs/tags/', 'refs/remotes/', 'refs/exps/']).then((out) =>
          out
            .split('\n')
            .map((line) => line.split('\t'))
            .filter((parts) => parts.length === 4)
            .map(([head, sha, peeled, ref]) => ({ ref, sha, commit: peeled || sha, head: head === '*' })),
        )
      : Promise.resolve([]);
    return this.allRefs;
  }

  /** Experiment refs as DVC writes them: `refs/exps/<sha[:2]>/<sha[2:]>/<name>`. */
  async experimentRefs(): Promise<{ ref: string; sha: string }[]> {
    return (await this.refs()).filter((r) => r.ref.startsWith('refs/exps/') && r.ref.split('/').length === 5).map(({ ref, sha }) => ({ ref, sha }));
  }

  /** The commit `rev` names, or undefined. An experiment's name works too (`exp-1a2b3`). */
  async resolve(rev: string): Promise<string | undefined> {
    if (!this.objects || !rev || rev.startsWith('-')) return undefined;
    const commit = await this.objects.resolveCommit(rev);
    if (commit) return commit;
    const matches = (await this.experimentRefs()).filter((r) => r.ref.endsWith(`/${rev}`));
    if (matches.length === 1) return matches[0].sha;
    if (matches.length > 1) {
      throw new CairnError('USAGE', `experiment name '${rev}' is ambiguous.`, { hint: `Use one of: ${matches.map((m) => m.ref).join(', ')}.` });
    }
    return undefined;
  }

  /** The commit `rev` names; an unknown name is an error. */
  async resolveOrThrow(rev: string): Promise<string> {
    const commit = await this.resolve(rev);
    if (!commit) {
      throw new CairnError('USAGE', `unknown revision '${rev}'.`, {
        hint: 'Use a commit, branch, tag or experiment name.',
      });
    }
    return commit;
  }

  /** A source for the workspace or a git revision (the same object for the same commit). */
  async open(rev: string): Promise<RevisionSource> {
    if (rev === WORKSPACE_REV) return this.source({ name: WORKSPACE_REV });
    return this.source({ name: rev, commit: await this.resolveOrThrow(rev) });
  }

  source(rev: NamedRevision): RevisionSource {
    if (!rev.commit) {
      let ws = this.sources.get('');
      if (!ws) this.sources.set('', (ws = new WorkspaceSource(this.root, this.ignore, this.gitRoot ? new Git(this.gitRoot) : undefined)));
      return ws;
    }
    const key = `${rev.commit}\0${rev.name}`;
    let src = this.sources.get(key);
    if (!src) {
      if (!this.objects) throw new CairnError('USAGE', 'this repository has no git: only the workspace can be read.');
      this.sources.set(key, (src = new CommitSource(rev.name, rev.commit, this.root, this.objects, this.prefix)));
    }
    return src;
  }

  /**
   * The revisions to show, as DVC's `--all-branches/--all-tags/--all-commits` and explicit
   * revisions choose them: names of one commit joined with ',' (first-seen order), the workspace first.
   */
  async select(options: { revs?: string[]; allBranches?: boolean; allTags?: boolean; allCommits?: boolean; workspace?: boolean }): Promise<NamedRevision[]> {
    const names: { name: string; commit: string }[] = [];
    const explicit = (options.revs ?? []).filter((r) => r !== WORKSPACE_REV);
    for (const rev of explicit) names.push({ name: rev, commit: await this.resolveOrThrow(rev) });
    if (options.allCommits) {
      // `--exclude` applies to the `--all` after it: experiments' commits are not listed, as in dvc.
      const out = await this.git(['rev-list', '--exclude=refs/exps/*', '--exclude=refs/stash', '--all']);
      for (const sha of out.split('\n').filter(Boolean)) names.push({ name: sha, commit: sha });
    } else {
      const refs = [...(options.allBranches ? ['refs/heads/'] : []), ...(options.allTags ? ['refs/tags/'] : [])];
      if (refs.length) {
        const out = await this.git(['for-each-ref', '--format=%(objectname) %(*objectname) %(refname:short)', ...refs]);
        for (const line of out.split('\n').filter(Boolean)) {
          const [sha, peeled, ...rest] = line.split(' ');
          const name = rest.join(' ');
          const commit = peeled || sha;
          // A tag of something other than a commit has no files to read.
          if (await this.objects?.resolveCommit(commit)) names.push({ name, commit });
        }
      }
    }
    const byCommit = new Map<string, string[]>();
    for (const { name, commit } of names) {
      const list = byCommit.get(commit) ?? [];
      if (!list.includes(name)) list.push(name);
      byCommit.set(commit, list);
    }
    const result: NamedRevision[] = [];
    if (options.workspace !== false) result.push({ name: WORKSPACE_REV });
    for (const [commit, list] of byCommit) if (await this.holdsProject(commit)) result.push({ name: list.join(','), commit });
    return result;
  }

  /** Whether a commit has the DVC root's folder; one from before a DVC project in a sub-folder was made is left out, as in dvc. */
  private async holdsProject(commit: string): Promise<boolean> {
    return !this.prefix || (await this.objects?.read(`${commit}:${this.prefix}`))?.type === 'tree';
  }

  /** Whether the repository has any commit (DVC's diffs are empty without one). */
  async hasCommits(): Promise<boolean> {
    return !!this.objects && !!(await this.objects.resolveCommit('HEAD'));
  }

  /** The branch HEAD is on, or undefined when detached (or no git). */
  async activeBranch(): Promise<string | undefined> {
    if (!this.gitRoot) return undefined;
    try {
      return (await this.git(['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}
