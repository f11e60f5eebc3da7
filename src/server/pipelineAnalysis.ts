import * as fs from 'node:fs';
import * as path from 'node:path';
import { findPipelineFiles, loadPipelines, Pipelines, PipelineSource } from '../core/pipeline/load';
import { workspaceSource } from '../core/pipeline/workspaceSource';
import { DvcIgnore } from '../core/repo/dvcignore';

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
 * dvc.yaml files is remembered per repository until `forgetFileList` (a dvc.yaml was created
 * or deleted), so a keystroke never walks the tree.
 */
export class PipelineAnalysis {
  private readonly fileLists = new Map<string, string[]>();

  constructor(private readonly openTexts: OpenTexts) {}

  async load(file: string): Promise<{ root: string; relFile: string; pipelines: Pipelines }> {
    const root = repositoryRoot(file);
    const relFile = toRepoPath(root, file);
    const source = this.source(root);
    let files = this.fileLists.get(root);
    if (!files) {
      files = await findPipelineFiles(source);
      this.fileLists.set(root, files);
    }
    if (!files.includes(relFile)) files = [...files, relFile];
    const pipelines = await loadPipelines(source, { strict: false, files });
    return { root, relFile, pipelines };
  }

  forgetFileList(): void {
    this.fileLists.clear();
  }

  private source(root: string): PipelineSource {
    const disk = workspaceSource(root, new DvcIgnore(root));
    return {
      read: async (rel) => this.openTexts(path.join(root, ...rel.split('/'))) ?? disk.read(rel),
      // Folders tracked by a `.dvc` file beside them are data, never pipelines: not walked
      // (a 100k-file dataset must not slow the first validation down).
      list: async (dir) => {
        const entries = await disk.list(dir);
        const names = new Set(entries.map((e) => e.name));
        return entries.filter((e) => !(e.isDir && names.has(`${e.name}.dvc`)));
      },
    };
  }
}

/**
 * Whether a repo-relative path is there for a stage to read: on disk, or tracked by a `.dvc`
 * file (itself or a folder above it) whose data may simply not be pulled.
 */
export function pathProvided(root: string, repoPath: string): boolean {
  const abs = path.join(root, ...repoPath.split('/'));
  if (fs.existsSync(abs)) return true;
  for (let p = abs; p.length > root.length; p = path.dirname(p)) if (fs.existsSync(`${p}.dvc`)) return true;
  return false;
}
