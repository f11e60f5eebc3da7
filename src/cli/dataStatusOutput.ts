import type { DataChanges, DataStatus } from '../core/outputs/dataStatus';

export type DataStatusSection = 'not_in_cache' | 'not_in_remote' | 'committed' | 'uncommitted' | 'untracked' | 'unchanged';
export type DataStatusSections = Partial<Record<DataStatusSection, string[] | DataChanges>>;

/** What `data status` shows, in dvc's order: the non-empty sections (untracked and unchanged files only when asked for). */
export function dataStatusSections(status: DataStatus, show: { untracked: boolean; unchanged: boolean }): DataStatusSections {
  const all: DataStatusSections = {
    not_in_cache: status.not_in_cache,
    not_in_remote: status.not_in_remote,
    committed: status.committed,
    uncommitted: status.uncommitted,
    ...(show.untracked && { untracked: status.untracked }),
    ...(show.unchanged && { unchanged: status.unchanged }),
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => (Array.isArray(v) ? v.length : Object.keys(v).length) > 0));
}

const DATA_STATUS_LABELS: Record<DataStatusSection, string> = {
  not_in_cache: 'Not in cache',
  not_in_remote: 'Not in remote',
  committed: 'DVC committed changes',
  uncommitted: 'DVC uncommitted changes',
  untracked: 'Untracked files',
  unchanged: 'DVC unchanged files',
};
const DATA_STATUS_HINTS: Record<DataStatusSection, string[]> = {
  not_in_cache: ['use "cairn fetch <file>..." to download files'],
  not_in_remote: ['use "cairn push <file>..." to upload files'],
  committed: ['git commit the corresponding dvc files to update the repo'],
  uncommitted: ['use "cairn commit <file>..." to track changes', 'use "cairn checkout <file>..." to discard changes'],
  untracked: ['use "git add <file> ..." or "cairn add <file>..." to commit to git or to dvc'],
  unchanged: [],
};

/** `data status` as dvc prints it (its hints naming cairn's commands): a section per kind of change, then whether git has other changes. */
export function dataStatusText(sections: DataStatusSections, git: DataStatus['git']): string {
  const lines: string[] = [];
  const names = Object.keys(sections) as DataStatusSection[];
  if (names.length === 0) lines.push(git.isEmpty ? 'No changes in an empty git repo.' : 'No changes.');
  names.forEach((name, i) => {
    if (i > 0) lines.push('');
    lines.push(`${DATA_STATUS_LABELS[name]}:`, ...DATA_STATUS_HINTS[name].map((h) => `  (${h})`));
    const value = sections[name];
    const items = Array.isArray(value)
      ? value
      : Object.entries(value ?? {}).flatMap(([state, changes]) =>
          (changes as (string | { old: string; new: string })[]).map((c) => `${state}: ${typeof c === 'string' ? c : `${c.old} -> ${c.new}`}`),
        );
    lines.push(...items.map((item) => `        ${item}`));
  });
  if (git.isDirty) lines.push(`(there are ${names.length ? 'other ' : ''}changes not tracked by dvc, use "git status" to see)`);
  return lines.join('\n');
}
