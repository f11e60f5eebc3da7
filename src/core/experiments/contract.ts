/**
 * The shapes of `dvc exp show --json` (dvc: repo/experiments/serialize.py), which `cairn exp show
 * --json` prints as they are: a list of baselines, the workspace first, each with its
 * experiments. Field order follows dvc's dataclasses.
 */
import type { EncodedError, FileResult } from '../metrics/results';
import type { EnvironmentRecord } from './environment';

/** A dependency of a stage as dvc.lock records it (params files are not listed). */
export interface ExpDep {
  hash: string | null;
  size: number | null;
  nfiles: number | null;
}

/** An output (not a metrics or plots one): a stage's, or a `.dvc` file's (`is_data_source`). */
export interface ExpOut extends ExpDep {
  use_cache: boolean;
  is_data_source: boolean;
}

/** What one revision holds. */
export interface ExpData {
  rev: string;
  /** The commit's committer time as dvc prints it: local time, ISO, no zone (`2024-05-01T12:00:00`); null for the workspace. */
  timestamp: string | null;
  params: Record<string, FileResult>;
  metrics: Record<string, FileResult>;
  deps: Record<string, ExpDep>;
  outs: Record<string, ExpOut>;
  /** Always empty in dvc's output; Cairn adds `environment` for a commit with an environment note (`environmentNotes.ts`). */
  /** Cairn's own, beyond dvc (whose `meta` is always empty): the run's environment record, the user's tags and notes. */
  meta: { environment?: EnvironmentRecord; tags?: string[]; notes?: string[] };
}

/** A revision: a baseline (with its experiments) or one commit of an experiment. */
export interface ExpState {
  rev: string;
  name: string | null;
  data: ExpData | null;
  /** Why the revision could not be read; `{msg: 'Experiment run failed', type: ''}` for dvc's failed queue entries. */
  error: EncodedError | null;
  experiments: ExpRange[] | null;
}

export type ExecutorState = 'success' | 'queued' | 'running' | 'failed';

/** Where dvc's queue ran (or will run) an experiment; all null but `task_id` for a queued one. */
export interface LocalExecutor {
  root: string | null;
  log: string | null;
  pid: number | null;
  returncode: number | null;
  task_id: string | null;
}

export interface ExpExecutor {
  state: ExecutorState;
  /** `dvc-task` for dvc's queue, `workspace`/`tempdir` for runs in progress; null for a failed queue entry. */
  name: string | null;
  local: LocalExecutor | null;
}

/** One experiment: its commits, tip first (one commit since checkpoints are gone), and how it ran. */
export interface ExpRange {
  revs: ExpState[];
  /** null for an experiment that finished outside dvc's queue. */
  executor: ExpExecutor | null;
  name: string | null;
}
