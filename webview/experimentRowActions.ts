import type { ExperimentRow } from './messages';

/**
 * Which of the experiments table's row actions fit a row, as plain data shared by the page and
 * the extension. The page lists a row's actions in its `data-vscode-context` (`rowActions`), so
 * its `webview/context` menu offers only those (package.json's `when`: `rowActions =~ /\bexpApply\b/`),
 * and the extension refuses a row an action does not fit with the same rules (a palette pick, a
 * selection of several rows, a programmatic call).
 */

/** A finished experiment of this repository: it has a git ref here. */
export const isFinished = (r: ExperimentRow): boolean => r.kind === 'experiment' && !!r.ref && !r.remoteOnly;
/** A run of Cairn's queue (queued, running or failed). */
export const isQueueRun = (r: ExperimentRow): boolean => r.kind === 'experiment' && !!r.queueId;

/** Each row action (its key in src/extension/commandIds.ts) and the rows it fits. */
export const ROW_ACTIONS = {
  expApply: isFinished,
  expBranch: isFinished,
  expRename: isFinished,
  expRemove: (r: ExperimentRow) => isFinished(r) || (isQueueRun(r) && r.state === 'queued'),
  expPush: isFinished,
  expPull: (r: ExperimentRow) => r.kind === 'experiment' && !!r.remoteOnly,
  expShowLogs: (r: ExperimentRow) => isQueueRun(r) || (r.kind === 'experiment' && r.state === 'running'),
  // A queued run is not stopped but taken out of the queue: Remove.
  expStop: (r: ExperimentRow) => r.kind === 'experiment' && r.state === 'running',
  expCompare: (r: ExperimentRow) => !r.remoteOnly && (r.kind !== 'experiment' || isFinished(r)),
  expCopyMarkdown: () => true,
  expCopyCsv: () => true,
  // The run form reads the params of the row's revision: none for a row only on the git remote.
  modifyParamsAndRun: (r: ExperimentRow) => !r.remoteOnly,
  // A version tags a commit: a baseline's, or a finished experiment's.
  registerExperimentVersion: (r: ExperimentRow) => r.kind === 'commit' || isFinished(r),
} satisfies Record<string, (row: ExperimentRow) => boolean>;

export type RowActionKey = keyof typeof ROW_ACTIONS;

/** The keys of the actions that fit `row`, space-separated: the `rowActions` of its `data-vscode-context`. */
export function rowActions(row: ExperimentRow): string {
  return (Object.keys(ROW_ACTIONS) as RowActionKey[]).filter((key) => ROW_ACTIONS[key](row)).join(' ');
}
