import type { Progress } from '../core/progress';
import type { CairnErrorCode } from '../core/errors';
import type { AddResult } from '../core/outputs/add';
import type { CommitResult } from '../core/outputs/commit';
import type { CheckoutResult } from '../core/outputs/checkout';
import type { RemoveResult } from '../core/outputs/remove';
import type { TrackedItem } from './trackedItem';
import type { RunsSnapshot } from './runsSnapshot';
import type { ExperimentsPayload, LivePlots, PlotData, PlotImage } from '../../webview/messages';
import type { PipelinesSnapshot } from './pipelinesSnapshot';
import type { TransferResult } from '../core/remotes/transfer';
import type { RemoteListing } from '../core/remotes/remoteConfig';

/** Where an output's data is, against its remote (the worst of its files for a directory). */
export type RemoteState = 'on remote' | 'not pushed' | 'only on remote' | 'missing';
export interface RemoteStates {
  /** The default remote's name; undefined when none is set (then `states` is empty). */
  remote?: string;
  /** Repo-relative output path → where its data is. */
  states: Record<string, RemoteState>;
  error?: string;
}
/** Credentials kept by VS Code (SecretStorage), handed to one operation, never written by it. */
export interface RemoteCredentials {
  [remote: string]: { access_key_id: string; secret_access_key: string };
}

/**
 * The messages between the extension host and the core worker (dist/coreWorker.js), where
 * every operation that walks or writes the workspace runs, so the UI thread never does.
 */
export interface CoreOps {
  /** `unreadable`: the files set aside as unreadable (one line each), their outputs missing from `items`. */
  snapshot: { args: Record<string, never>; result: { items: TrackedItem[]; unreadable: string[] } };
  add: { args: { paths: string[]; stageInGit: boolean }; result: AddResult };
  commit: { args: { targets: string[]; force: boolean }; result: CommitResult };
  checkout: { args: { targets: string[]; force: boolean }; result: CheckoutResult };
  remove: { args: { dvcFiles: string[] }; result: RemoveResult };
  runs: { args: { historyLimit: number; branches: string[] }; result: RunsSnapshot };
  plots: { args: { revs: string[] }; result: { plots: PlotData[]; images: PlotImage[]; errors: string[] } };
  /** The plots of the workspace and of each run training in a temporary tree, as on disk now (live plots). */
  livePlots: { args: Record<string, never>; result: LivePlots };
  /** `exp show` of the workspace and the last `commits` commits of the current branch, as the experiments table's rows and columns. */
  expShow: { args: { commits: number }; result: ExperimentsPayload };
  pipelines: { args: Record<string, never>; result: PipelinesSnapshot };
  remoteStates: { args: { credentials: RemoteCredentials }; result: RemoteStates };
  push: { args: { targets: string[]; credentials: RemoteCredentials }; result: TransferResult };
  fetch: { args: { targets: string[]; credentials: RemoteCredentials }; result: TransferResult };
  pull: { args: { targets: string[]; force: boolean; credentials: RemoteCredentials }; result: { fetch: TransferResult; checkout: CheckoutResult } };
  remotes: { args: Record<string, never>; result: RemoteListing[] };
  remoteAdd: { args: { name: string; url: string; makeDefault: boolean }; result: void };
  remoteModify: { args: { name: string; option: string; value?: string; local: boolean }; result: void };
  remoteRemove: { args: { name: string }; result: void };
  remoteDefault: { args: { name: string }; result: void };
}
export type CoreOp = keyof CoreOps;

/**
 * The operations a worker of an untrusted folder runs: they read files (and hash them) and run
 * no git and no program. Every other one writes the workspace or reaches a remote the
 * repository names, and the worker refuses it until the folder is trusted.
 */
export const UNTRUSTED_OPS: ReadonlySet<CoreOp> = new Set<CoreOp>(['snapshot', 'runs', 'plots', 'livePlots', 'expShow', 'pipelines', 'remotes']);

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
