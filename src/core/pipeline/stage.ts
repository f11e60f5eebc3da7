import type { CairnError } from '../errors';
import type { ParamValue } from './values';

/** A place in a pipeline file: 1-based lines and columns, `end` just past the last character. */
export interface SourcePos {
  line: number;
  col: number;
}
export interface SourceRange {
  /** Repo-relative, '/'-separated. */
  file: string;
  start: SourcePos;
  end: SourcePos;
}

/** One `${...}` as resolved for a stage or a top-level entry. */
export interface Interpolation {
  /** The text between `${` and `}`. */
  expression: string;
  /** Normalized key (`a[0]` -> `a.0`). */
  key: string;
  value: ParamValue;
  /** Where its top-level name is defined: a repo-relative params/vars file, `vars[0]`, `item` or `key`. */
  definedIn?: string;
  range: SourceRange;
}

export interface StageDep {
  /** As written (after interpolation), relative to the stage's wdir. */
  path: string;
  /** Repo-relative, '/'-separated; undefined for an external dependency (URL, or outside the repository). */
  repoPath?: string;
  range?: SourceRange;
}

/** The params a stage reads from one file (DVC's ParamsDependency). */
export interface StageParamDep {
  /** As written (or `params.yaml`), relative to the stage's wdir. */
  file: string;
  repoPath: string;
  /** The keys (dotted), sorted as written; null: the whole file (`- file.yaml:`). */
  keys: string[] | null;
  /** Where each key (or the `file:` entry) is written. */
  entries: { key: string | null; range?: SourceRange }[];
}

export type OutKind = 'outs' | 'metrics' | 'plots';

export interface StageOut {
  path: string;
  repoPath: string;
  kind: OutKind;
  cache: boolean;
  persist: boolean;
  push: boolean;
  remote?: string;
  desc?: string;
  type?: string;
  labels?: string[];
  meta?: ParamValue;
  /** Plot properties (template, x, y, x_label, y_label, title, header) of a plots output, in file order. */
  plot?: Record<string, ParamValue>;
  /** Every option as written, in file order (what `dvc.yaml` round-trips). */
  options: Record<string, ParamValue>;
  range?: SourceRange;
}

export interface Stage {
  /** `train`, or a generated name: `build@us`, `mat@x-1`. */
  name: string;
  /** How commands name it: `train` in the root dvc.yaml, `sub/dvc.yaml:train` elsewhere. */
  addr: string;
  /** Repo-relative dvc.yaml path. */
  file: string;
  /** Repo-relative folder of the dvc.yaml ('' for the root). */
  dir: string;
  /** Repo-relative working directory ('' for the root). */
  wdir: string;
  /** The `wdir:` as written (relative to the dvc.yaml's folder), if any. */
  wdirAsWritten?: string;
  cmd: string | string[];
  deps: StageDep[];
  params: StageParamDep[];
  outs: StageOut[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  meta?: ParamValue;
  /** For foreach/matrix stages: the group's name, the generated key, and the kind. */
  generatedFrom?: { name: string; key: string; kind: 'foreach' | 'matrix' };
  /** The whole definition (for generated stages: the group's), and its name key. */
  range?: SourceRange;
  nameRange?: SourceRange;
  /** Ranges of each stage key (`cmd`, `deps`...) as written. */
  keyRanges: Record<string, SourceRange>;
  interpolations: Interpolation[];
}

/** A path listed at the top level (`params:`, `metrics:`). */
export interface TopPath {
  path: string;
  repoPath: string;
  range?: SourceRange;
}

/** A top-level `plots:` entry: a path, or `{id: {x, y, template...}}`. */
export interface TopPlot {
  id: string;
  props: Record<string, ParamValue> | null;
  /** Files the plot reads: the `y:` file keys when given, else the id as a path (repo-relative). */
  repoPaths: string[];
  range?: SourceRange;
}

export interface Artifact {
  name: string;
  path: string;
  /** Repo-relative; undefined for a URL. */
  repoPath?: string;
  type?: string;
  desc?: string;
  labels?: string[];
  meta?: ParamValue;
  range?: SourceRange;
}

/** One dvc.yaml, resolved. */
export interface PipelineFile {
  /** Repo-relative path (`dvc.yaml`, `sub/dvc.yaml`). */
  path: string;
  dir: string;
  stages: Stage[];
  params: TopPath[];
  metrics: TopPath[];
  plots: TopPlot[];
  artifacts: Artifact[];
  /** Files read for `${}` values (params.yaml by default, vars files), repo-relative. */
  varsFiles: string[];
  /** Ranges of the stage definitions as written (before foreach/matrix expansion), by name. */
  definitions: Record<string, { range?: SourceRange; nameRange?: SourceRange; generated: string[] }>;
  /** Errors found in this file (only filled when loading with `strict: false`). */
  errors: CairnError[];
  /**
   * Stage definitions (by name) whose outputs could not all be resolved (only with `strict: false`):
   * a path no loaded stage produces may be theirs.
   */
  unresolvedOutputs: string[];
}

/** Every pipeline of a repository (or revision). */
export interface Pipelines {
  files: PipelineFile[];
  /** All stages, file by file in path order, each file's in definition order. */
  stages: Stage[];
  /** Errors of all files (only with `strict: false`; otherwise the first is thrown). */
  errors: CairnError[];
}
