import type { ListedOutput } from '../core/outputs/list';
import type { ChangedFile } from '../core/outputs/status';

/** One tracked output as the extension shows it; computed in the core worker, plain data. */
export interface TrackedItem extends ListedOutput {
  status: ItemStatus;
  /** For a modified directory: its files that differ from the recorded manifest. */
  changedFiles?: ChangedFile[];
  /** For an output of a pipeline stage (recorded in dvc.lock, declared in `dvcFile`, a dvc.yaml): the stage. */
  stage?: string;
}

export type ItemStatus = 'in sync' | 'modified' | 'deleted' | 'not in cache' | 'new';
