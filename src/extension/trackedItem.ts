/** One tracked output as the extension shows it; computed in the model worker, plain data. */
export interface TrackedItem {
  /** Repo-relative, '/'-separated. */
  path: string;
  dvcFile: string;
  isDir: boolean;
  md5: string | null;
  size: number | null;
  nfiles: number | null;
  /** `type:` of the .dvc entry (e.g. `model`), if any. */
  type: string | null;
  desc: string | null;
  status: ItemStatus;
}

export type ItemStatus = 'in sync' | 'modified' | 'deleted' | 'not in cache' | 'new';

/** What the model worker answers for one repository. */
export type ModelSnapshot = { ok: true; items: TrackedItem[] } | { ok: false; error: string };
