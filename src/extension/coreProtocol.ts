import type { Progress } from '../core/progress';
import type { CairnErrorCode } from '../core/errors';
import type { AddResult } from '../core/outputs/add';
import type { CommitResult } from '../core/outputs/commit';
import type { CheckoutResult } from '../core/outputs/checkout';
import type { RemoveResult } from '../core/outputs/remove';
import type { TrackedItem } from './trackedItem';
import type { RunsSnapshot } from './runsSnapshot';
import type { PlotData } from '../../webview/messages';
import type { PipelinesSnapshot } from './pipelinesSnapshot';

/**
 * The messages between the extension host and the core worker (dist/coreWorker.js), where
 * every operation that walks or writes the workspace runs, so the UI thread never does.
 */
export interface CoreOps {
  snapshot: { args: Record<string, never>; result: TrackedItem[] };
  add: { args: { paths: string[]; stageInGit: boolean }; result: AddResult };
  commit: { args: { targets: string[]; force: boolean }; result: CommitResult };
  checkout: { args: { targets: string[]; force: boolean }; result: CheckoutResult };
  remove: { args: { dvcFiles: string[] }; result: RemoveResult };
  runs: { args: { historyLimit: number; branches: string[] }; result: RunsSnapshot };
  plots: { args: { revs: string[] }; result: { plots: PlotData[]; errors: string[] } };
  pipelines: { args: Record<string, never>; result: PipelinesSnapshot };
}
export type CoreOp = keyof CoreOps;

export type ToWorker =
  | { id: number; op: CoreOp; root: string; hashJobs?: number; args: unknown }
  | { id: number; abort: true }
  /** The answer to a `confirm` question (commit asks before recording changed outputs). */
  | { id: number; confirmed: boolean };

export interface SerializedError {
  code?: CairnErrorCode;
  message: string;
  options?: { file?: string; line?: number; hint?: string; paths?: string[] };
}

export type FromWorker =
  | { id: number; progress: Progress }
  | { id: number; confirm: { outputs: string[]; dvcFile: string } }
  | { id: number; result: unknown }
  | { id: number; error: SerializedError };
