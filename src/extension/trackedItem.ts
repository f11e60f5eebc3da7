import type { ListedOutput } from '../core/outputs/list';

/** One tracked output as the extension shows it; computed in the model worker, plain data. */
export interface TrackedItem extends ListedOutput {
  status: ItemStatus;
}

export type ItemStatus = 'in sync' | 'modified' | 'deleted' | 'not in cache' | 'new';

/** What the model worker answers for one repository. */
export type ModelSnapshot = { ok: true; items: TrackedItem[] } | { ok: false; error: string };
