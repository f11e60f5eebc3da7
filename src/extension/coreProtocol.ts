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
import type { RunFormFields } from './runFormSnapshot';
import type { RegistrySnapshot } from './registrySnapshot';
import type { LineageSnapshot } from './lineageSnapshot';
import type { WorkspaceRunStop } from '../core/experiments/stopWorkspaceRun';

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
  /**
   * `exp show` of the workspace and the last `commits` commits of the current branch, as the
   * experiments table's rows and columns; with `newest`, only that many finished experiments of
   * each commit (`pending`: how many were left out).
   */
  expShow: { args: { commits: number; branches?: string[]; newest?: number }; result: ExperimentsPayload };
  /** The plots of the workspace and of each run training in a temporary tree, as on disk now (live plots). */
  livePlots: { args: Record<string, never>; result: LivePlots };
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
  /** Experiment row actions; experiments are named by their full refs (`refs/exps/...`). */
  expApply: { args: { experiment: string; force: boolean }; result: { commit: string; stash?: string; restored: string[]; failed: string[] } };
  expBranch: { args: { experiment: string; branch?: string }; result: { branch: string } };
  expRename: { args: { experiment: string; newName: string }; result: void };
  /** `names`: refs of experiments, or names/task ids of Cairn queue entries; returns the names removed. */
  expRemove: { args: { names: string[] }; result: string[] };
  expPush: { args: { experiments: string[]; gitRemote: string; credentials: RemoteCredentials }; result: ExpSyncSummary };
  expPull: { args: { experiments: string[]; gitRemote: string; credentials: RemoteCredentials }; result: ExpSyncSummary };
  /** The experiment refs a git remote holds (`git ls-remote`: nothing fetched). */
  expRemoteList: { args: { gitRemote: string }; result: { ref: string; baseline: string; name: string }[] };
  /** The repository's git remotes by name. */
  gitRemotes: { args: Record<string, never>; result: string[] };
  /** Interrupt a running run of Cairn's queue (SIGINT, SIGKILL after 10 s; `force`: at once). */
  queueKill: { args: { id: string; force: boolean }; result: void };
  /** Interrupt the experiment dvc runs in the workspace, as Ctrl-C in its terminal (only a checked `dvc exp run` of this repository). */
  expStopWorkspace: { args: Record<string, never>; result: WorkspaceRunStop };
  /** The "Modify Params and Run" form's fields: the params of a table row (`runFormSnapshot.ts`). */
  runForm: { args: { row: string }; result: RunFormFields };
  /** `exp run --queue -S …` (a sweep queues one run per combination, all or none): the names queued. */
  enqueue: { args: { setParams: string[]; name?: string }; result: { names: string[] } };
  /** `queue start -j`: `cli` is how to start Cairn's CLI (the runtime and dist/cli.js). */
  queueStart: { args: { jobs: number; cli: string[] }; result: { started: number } };
  /** `queue stop` (`kill`: `--kill`): the names of the runs killed. */
  queueStop: { args: { kill: boolean }; result: { killed: string[] } };
  /** The queue at a glance, for the status bar. */
  queueState: { args: Record<string, never>; result: QueueSummary };
  /** The Model Registry view: GTO's registry with HEAD's declared artifacts, each version's metrics. */
  registry: { args: Record<string, never>; result: RegistrySnapshot };
  /** gto's register at `rev` (default HEAD); with `branch`, `exp branch` of that experiment first. */
  modelRegister: { args: { name: string; version: string; rev?: string; branch?: { experiment: string; name: string } }; result: { tag: string; version: string; branch?: string } };
  modelAssign: { args: { name: string; version: string; stage: string }; result: { tag: string } };
  modelUnassign: { args: { name: string; version: string; stage: string }; result: { tag: string } };
  /** A version deregistered (`name@v1!`). */
  modelDeregister: { args: { name: string; version: string }; result: { tag: string } };
  /** The artifact deprecated (`name@deprecated`). */
  modelDeprecate: { args: { name: string }; result: { tag: string } };
  /** An experiments-table row (`refs/exps/...` or a commit sha) as a commit to register, with the branches at it. */
  registrableRow: { args: { rowId: string }; result: { label: string; commit: string; experiment?: string; branches: string[] } };
  lineage: { args: { target: string }; result: LineageSnapshot };
  /** `git show --stat` of a commit, for the lineage panel's commit. */
  commitText: { args: { sha: string }; result: string };
}

/** What `exp push`/`exp pull` did, by experiment name; `cacheError`: the outputs could not all be moved (the refs were). */
export interface ExpSyncSummary {
  success: string[];
  up_to_date: string[];
  diverged: string[];
  cacheError?: string;
}

export interface QueueSummary {
  queued: number;
  running: number;
  /** Workers alive. */
  workers: number;
}
export type CoreOp = keyof CoreOps;

/**
 * The operations a worker of an untrusted folder runs: they read files (and hash them) and run
 * no git and no program. Every other one writes the workspace or reaches a remote the
 * repository names, and the worker refuses it until the folder is trusted.
 */
export const UNTRUSTED_OPS: ReadonlySet<CoreOp> = new Set<CoreOp>(['snapshot', 'runs', 'plots', 'livePlots', 'expShow', 'pipelines', 'remotes', 'runForm']);

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
