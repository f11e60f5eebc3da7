/**
 * The language server's validation of pipeline files, without a connection: `cairn lint`
 * reports exactly what the editor shows (syntax, schema, the lock's hint, the pipeline lint,
 * params), for the files on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from 'vscode-languageserver';
import { CairnError } from '../core/errors';
import { inPipelineOrder, PIPELINE_FILE } from '../core/pipeline/load';
import { workspaceSource } from '../core/pipeline/workspaceSource';
import { sharingParsedYaml } from '../core/pipeline/yamlDocument';
import { DvcIgnore } from '../core/repo/dvcignore';
import { Git } from '../core/scm/git';
import { ParamsFiles } from './paramsFile';
import { PipelineAnalysis, toRepoPath } from './pipelineAnalysis';
import { pipelineFileKind } from './pipelineFileKind';
import { PipelineSchemas } from './schemas';
import { validateDocument, validationInput, ValidationServices } from './validateDocument';
import { YamlText } from './yamlText';

export interface LintFilesOptions {
  /** Where relative `files` are resolved from (the CLI's working folder); `root` by default. */
  cwd?: string;
  /** Schemas and params files already loaded (the tests share them). */
  services?: ValidationServices;
}

export interface FileDiagnostics {
  /** Repo-relative, `/`-separated. */
  file: string;
  /** As the language server publishes them (0-based LSP ranges). */
  diagnostics: Diagnostic[];
}

/**
 * Validates pipeline files of the repository at `root` as the language server does (with
 * syntax and schema checks): `files` (absolute, or relative to `options.cwd`), or every dvc.yaml,
 * dvc.lock and `.dvc` file of the repository when there are none. One entry per file, sorted
 * by path. A file that is not a pipeline file, does not exist or is outside `root` is a CairnError.
 */
export async function lintFiles(root: string, files: string[] = [], options: LintFilesOptions = {}): Promise<FileDiagnostics[]> {
  // Each file is parsed for its own checks and again when the pipelines load: once is enough.
  return sharingParsedYaml(() => lintRepository(path.resolve(root), files, options));
}

async function lintRepository(root: string, files: string[], options: LintFilesOptions): Promise<FileDiagnostics[]> {
  const ignore = new DvcIgnore(root);
  const found = await repositoryPipelineFiles(root, ignore);
  const targets = files.length ? [...new Set(files.map((f) => checkedTarget(root, options.cwd ?? root, f)))] : found.all;
  const analysis = new PipelineAnalysis(() => undefined);
  // The repository's lists come from git (when there is git): the analysis never walks data folders.
  if (found.fromGit) analysis.knowFiles(root, found.pipelines, found.dvcFiles);
  const svc = options.services ?? { schemas: new PipelineSchemas(), params: new ParamsFiles() };
  // The files are read from disk, not edited: the pipelines are loaded once for all of them.
  let loading: ReturnType<PipelineAnalysis['load']> | undefined;
  const load = async (file: string) => {
    loading ??= analysis.load(file);
    const loaded = await loading;
    const relFile = toRepoPath(root, file);
    // A dvc.yaml the first load did not take is loaded with it; any other file shares the first load.
    return loaded.pipelines.files.some((f) => f.path === relFile) || pipelineFileKind(file) !== 'pipeline' ? { ...loaded, relFile } : analysis.load(file);
  };
  const result: FileDiagnostics[] = [];
  for (const rel of [...targets].sort()) {
    const file = path.join(root, ...rel.split('/'));
    const kind = pipelineFileKind(file)!;
    const yaml = new YamlText(fs.readFileSync(file, 'utf8'), rel);
    const diagnostics = await validateDocument(validationInput({ yaml, kind, file }, svc, { schemaChecks: true, load: () => load(file) }));
    result.push({ file: rel, diagnostics });
  }
  return result;
}

/** A file argument as a repo-relative path, or a one-line error saying what `cairn lint` takes. */
function checkedTarget(root: string, cwd: string, file: string): string {
  const abs = path.resolve(cwd, file);
  const rel = toRepoPath(root, abs);
  if (rel.startsWith('../') || rel === '..' || path.isAbsolute(rel)) {
    throw new CairnError('PATH_OUTSIDE_REPO', `'${file}' is outside the repository at '${root}'.`, { hint: 'Lint files of this repository, or run `cairn lint` in the other one.' });
  }
  if (!pipelineFileKind(abs)) {
    throw new CairnError('USAGE', `'${file}' is not a pipeline file.`, { hint: '`cairn lint` checks dvc.yaml, dvc.lock and *.dvc files; run it without arguments to check all of them.' });
  }
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) {
    throw new CairnError('MISSING_PATH', `'${file}' does not exist.`, { hint: 'Check the path, or run `cairn lint` without arguments to check every pipeline file.' });
  }
  return rel;
}

/**
 * The repository's dvc.yaml, dvc.lock and `.dvc` files (repo-relative): git's list (tracked or
 * not ignored) when there is git, as `core/outputs/collect` does, so tracked data folders are
 * never walked; otherwise a walk that skips folders tracked by a `.dvc` file beside them.
 */
async function repositoryPipelineFiles(root: string, ignore: DvcIgnore): Promise<{ all: string[]; pipelines: string[]; dvcFiles: string[]; fromGit: boolean }> {
  let rels: string[];
  const gitRoot = Git.findRoot(root);
  if (gitRoot) {
    const prefix = toRepoPath(gitRoot, root);
    const under = (p: string) => (prefix ? `${prefix}/${p}` : p);
    const listed = await new Git(gitRoot).listWorktreeFiles([PIPELINE_FILE, `*/${PIPELINE_FILE}`, 'dvc.lock', '*/dvc.lock', '*.dvc'].map(under));
    rels = listed.filter((p) => !prefix || p.startsWith(`${prefix}/`)).map((p) => (prefix ? p.slice(prefix.length + 1) : p));
  } else {
    rels = await walkPipelineFiles(root, ignore);
  }
  const all = rels
    .filter((rel) => pipelineFileKind(rel) && !rel.startsWith('.dvc/') && !ignore.isIgnored(rel, false) && fs.existsSync(path.join(root, ...rel.split('/'))))
    .sort();
  const pipelines = inPipelineOrder(all.filter((rel) => pipelineFileKind(rel) === 'pipeline'));
  return { all, pipelines, dvcFiles: all.filter((rel) => pipelineFileKind(rel) === 'dvc'), fromGit: !!gitRoot };
}

async function walkPipelineFiles(root: string, ignore: DvcIgnore): Promise<string[]> {
  const source = workspaceSource(root, ignore);
  const found: string[] = [];
  const visit = async (dir: string) => {
    const entries = await source.list(dir);
    const names = new Set(entries.map((e) => e.name));
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDir) {
        if (e.name !== 'node_modules' && !names.has(`${e.name}.dvc`)) await visit(rel);
      } else if (pipelineFileKind(e.name)) found.push(rel);
    }
  };
  await visit('');
  return found;
}
