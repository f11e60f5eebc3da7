import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Repo } from '../repo/repo';
import { DvcFile, OutEntry } from './dvcFile';
import { CairnError } from '../errors';
import { globToRegex } from '../repo/dvcignore';
import { setAsideUnreadable } from './unreadableFiles';

/**
 * Workspace files whose name matches one of `names` (file-name globs: `dvc.yaml`, `*.dvc`), at any
 * depth, repo-relative and sorted: present and not .dvcignore'd. With git, git's list (tracked or
 * untracked-but-not-ignored), which skips ignored data fast. Without git (none, `core.no_scm`, or
 * a folder where git may not run) a walk of the disk that never enters `.git`, `.dvc`, folders a
 * `.dvc` file beside them tracks, or linked folders, so big tracked folders are never walked.
 */
export async function listWorkspaceFiles(repo: Repo, names: string[]): Promise<string[]> {
  if (!repo.scm) return walkWorkspaceFiles(repo, names);
  const prefix = path.relative(repo.scm.root, repo.root).split(path.sep).join('/');
  const pathspecs = names.flatMap((name) => [name, `*/${name}`]).map((p) => (prefix ? `${prefix}/${p}` : p));
  const listed = await repo.scm.listWorktreeFiles(pathspecs);
  return listed
    .map((p) => (prefix ? p.slice(prefix.length + 1) : p))
    .filter((rel) => !rel.startsWith('.dvc/') && fs.existsSync(path.join(repo.root, rel)) && !repo.ignore.isIgnored(rel, false))
    .sort();
}

function walkWorkspaceFiles(repo: Repo, names: string[]): string[] {
  const wanted = new RegExp(`^(?:${names.map(globToRegex).join('|')})$`);
  const found: string[] = [];
  const visit = (abs: string, rel: string) => {
    const entries = fs.readdirSync(abs, { withFileTypes: true });
    const present = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (repo.ignore.isIgnored(childRel, e.isDirectory())) continue;
      if (e.isDirectory()) {
        if (!present.has(`${e.name}.dvc`)) visit(path.join(abs, e.name), childRel);
      } else if (wanted.test(e.name)) found.push(childRel);
    }
  };
  visit(repo.root, '');
  return found.sort();
}

/**
 * Every readable `.dvc` file of the workspace (git's view when there is git); the others are set
 * aside, or with `strict` the first is an error.
 */
export async function collectDvcFiles(repo: Repo, options: ReadOptions = {}): Promise<DvcFile[]> {
  const rels = await listWorkspaceFiles(repo, ['*.dvc']);
  return readEach(repo, rels, (rel) => DvcFile.load(path.join(repo.root, rel), rel, repo.root), options);
}

interface ReadOptions {
  /** Throw the first file that cannot be read instead of setting it aside. */
  strict?: boolean;
  /** How messages name the revision (default: as asked for). */
  revName?: string;
}

/** Each file read by `read`; one that cannot be is set aside (`unreadableFiles`) and the rest are read. */
async function readEach(repo: Repo, rels: string[], read: (rel: string) => DvcFile | Promise<DvcFile>, options: ReadOptions): Promise<DvcFile[]> {
  const files: DvcFile[] = [];
  for (const rel of rels) {
    try {
      files.push(await read(rel));
    } catch (err) {
      if (!(err instanceof CairnError) || options.strict) throw err;
      setAsideUnreadable(repo, err);
    }
  }
  return files;
}

/** The workspace, as a "revision". */
export const WORKSPACE = 'workspace';

/** The readable `.dvc` files of a git revision (read from git, no checkout), or of the workspace; the others are set aside (see collectDvcFiles). */
export async function dvcFilesAt(repo: Repo, rev: string, options: ReadOptions = {}): Promise<DvcFile[]> {
  if (rev === WORKSPACE) return collectDvcFiles(repo, options);
  if (!repo.scm) throw new CairnError('USAGE', `cannot read revision '${rev}' without git.`);
  const commit = await repo.scm.revParse(rev).catch(() => '');
  if (!commit) throw new CairnError('USAGE', `unknown revision '${rev}'.`, { hint: 'Use a commit, branch or tag name that `git rev-parse` knows.' });
  const prefix = path.relative(repo.scm.root, repo.root).split(path.sep).join('/');
  const rels: string[] = [];
  for (const name of await repo.scm.listFiles(commit)) {
    if (!name.endsWith('.dvc') || (prefix && !name.startsWith(prefix + '/'))) continue;
    const rel = prefix ? name.slice(prefix.length + 1) : name;
    if (rel.startsWith('.dvc/') || repo.ignore.isIgnored(rel, false)) continue;
    rels.push(rel);
  }
  return readEach(repo, rels, async (rel) => {
    const text = await repo.scm!.show(commit, prefix ? `${prefix}/${rel}` : rel);
    try {
      return DvcFile.parse(text, path.join(repo.root, rel), rel, repo.root);
    } catch (err) {
      // Said with the revision: the workspace's copy may be fine.
      if (err instanceof CairnError) throw new CairnError(err.code, `${err.message} (at ${options.revName ?? rev})`, err.options);
      throw err;
    }
  }, options);
}

/** An output together with the file that declares it. */
export interface TrackedOutput {
  dvcFile: DvcFile;
  index: number;
  out: OutEntry;
  abs: string;
  /** Repo-relative path of the output. */
  rel: string;
}

export function outputsOf(repo: Repo, files: DvcFile[]): TrackedOutput[] {
  return files.flatMap((dvcFile) =>
    dvcFile.outs.map((out, index) => {
      const abs = dvcFile.outPath(out);
      return { dvcFile, index, out, abs, rel: repo.rel(abs) };
    }),
  );
}

/**
 * The outputs named by `targets` (a `.dvc` file, or a tracked path), or all outputs when
 * there are none. An unknown target is an error that says what is tracked instead.
 */
export async function selectOutputs(repo: Repo, targets: string[], cwd: string): Promise<TrackedOutput[]> {
  const all = outputsOf(repo, await collectDvcFiles(repo));
  if (targets.length === 0) return all;
  const chosen: TrackedOutput[] = [];
  for (const target of targets) {
    const abs = repo.resolveInside(target, cwd);
    const matches = all.filter((o) => o.dvcFile.file === abs || o.abs === abs || o.abs.startsWith(abs + path.sep));
    if (matches.length === 0) {
      if (abs.endsWith('.dvc') && fs.existsSync(abs)) {
        // Present but not collected (e.g. ignored): load it directly so its errors surface.
        const file = DvcFile.load(abs, repo.rel(abs), repo.root);
        chosen.push(...outputsOf(repo, [file]));
        continue;
      }
      throw new CairnError('NOT_TRACKED', `'${target}' is not tracked by any .dvc file.`, {
        hint: fs.existsSync(abs) ? `Track it with \`cairn add ${target}\`.` : 'Check the path; `cairn ls` lists what is tracked.',
      });
    }
    for (const m of matches) if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}
