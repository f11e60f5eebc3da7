import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackedPath } from '../core/pipeline/graph';
import { findPipelineFiles, loadPipelines, PIPELINE_FILE, Pipelines, PipelineSource, repoPathOf } from '../core/pipeline/load';
import { workspaceSource } from '../core/pipeline/workspaceSource';
import { DvcIgnore } from '../core/repo/dvcignore';
import { parseYamlDocument } from '../core/pipeline/yamlDocument';

/** The texts of documents open in the editor, by absolute path: they win over the disk. */
export type OpenTexts = (absPath: string) => string | undefined;

/** The repository a file belongs to: the nearest folder above it with `.dvc/` (or `.git`), else its own folder. */
export function repositoryRoot(file: string): string {
  const start = path.dirname(file);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.dvc')) && fs.statSync(path.join(dir, '.dvc')).isDirectory()) return dir;
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

export function toRepoPath(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

/**
 * Loads the pipelines of a repository with `src/core/pipeline` (all its dvc.yaml files, since
 * stages of one file may feed another), reading open documents from the editor. The list of
 * dvc.yaml files, and the outputs of the `.dvc` files seen on the way, are remembered per
 * repository until `forgetFileList` (a dvc.yaml or .dvc file changed), so a keystroke never
 * walks the tree.
 */
export class PipelineAnalysis {
  private readonly fileLists = new Map<string, { files: string[]; tracked: TrackedPath[] }>();

  constructor(private readonly openTexts: OpenTexts) {}

  async load(file: string): Promise<{ root: string; relFile: string; pipelines: Pipelines; tracked: TrackedPath[] }> {
    const root = repositoryRoot(file);
    const relFile = toRepoPath(root, file);
    const dvcFiles: string[] = [];
    const source = this.source(root, dvcFiles);
    let known = this.fileLists.get(root);
    if (!known) {
      const files = await findPipelineFiles(source);
      known = { files, tracked: trackedOutputs(root, dvcFiles) };
      this.fileLists.set(root, known);
    }
    // A dvc.yaml not found yet (just created) is loaded too; a `.dvc` or lock file asks only for the repository's.
    const files = known.files.includes(relFile) || path.posix.basename(relFile) !== PIPELINE_FILE ? known.files : [...known.files, relFile];
    const pipelines = await loadPipelines(source, { strict: false, files });
    return { root, relFile, pipelines, tracked: known.tracked };
  }

  /**
   * Tells the repository's dvc.yaml and `.dvc` files (repo-relative), found elsewhere (git's
   * list, for `cairn lint`): `load` then never walks the tree.
   */
  knowFiles(root: string, pipelineFiles: string[], dvcFiles: string[]): void {
    this.fileLists.set(root, { files: pipelineFiles, tracked: trackedOutputs(root, dvcFiles) });
  }

  forgetFileList(): void {
    this.fileLists.clear();
  }

  /** `dvcFiles` collects the `.dvc` files the walk for dvc.yaml files passes. */
  private source(root: string, dvcFiles: string[]): PipelineSource {
    const disk = workspaceSource(root, new DvcIgnore(root));
    return {
      read: async (rel) => this.openTexts(path.join(root, ...rel.split('/'))) ?? disk.read(rel),
      // Folders tracked by a `.dvc` file beside them are data, never pipelines: not walked
      // (a 100k-file dataset must not slow the first validation down).
      list: async (dir) => {
        const entries = await disk.list(dir);
        const names = new Set(entries.map((e) => e.name));
        for (const e of entries) if (!e.isDir && e.name.endsWith('.dvc')) dvcFiles.push(dir ? `${dir}/${e.name}` : e.name);
        return entries.filter((e) => !(e.isDir && names.has(`${e.name}.dvc`)));
      },
    };
  }
}

/**
 * Whether a repo-relative path is there for a stage to read: on disk, or tracked by a `.dvc`
 * file (itself or a folder above it: one of `tracked`, or a `.dvc` file beside it) whose data
 * may simply not be pulled.
 */
export function pathProvided(root: string, repoPath: string, tracked: TrackedPath[] = []): boolean {
  const abs = path.join(root, ...repoPath.split('/'));
  if (fs.existsSync(abs)) return true;
  if (tracked.some((t) => repoPath === t.repoPath || repoPath.startsWith(`${t.repoPath}/`))) return true;
  for (let p = abs; p.length > root.length; p = path.dirname(p)) if (fs.existsSync(`${p}.dvc`)) return true;
  return false;
}

/** The outputs of `.dvc` files (repo-relative): producers for the graph, which stage outputs may not overlap. */
function trackedOutputs(root: string, dvcFiles: string[]): TrackedPath[] {
  const tracked: TrackedPath[] = [];
  for (const file of dvcFiles) {
    try {
      const data = parseYamlDocument(fs.readFileSync(path.join(root, ...file.split('/')), 'utf8'), file).toJS({ maxAliasCount: 100 }) as { wdir?: unknown; outs?: { path?: unknown }[] } | null;
      // Output paths are relative to the file's folder joined with its `wdir:` (`wdir: ../..` is common).
      const fileDir = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
      const dir = typeof data?.wdir === 'string' ? repoPathOf(fileDir, data.wdir) : fileDir;
      if (dir === undefined) continue;
      for (const out of data?.outs ?? []) {
        const repoPath = typeof out?.path === 'string' ? repoPathOf(dir, out.path) : undefined;
        if (repoPath) tracked.push({ repoPath, file });
      }
    } catch {
      /* an unreadable .dvc file tracks nothing here; its own diagnostics say why */
    }
  }
  return tracked;
}
