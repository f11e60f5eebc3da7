import { CairnError } from '../core/errors';
import type { Repo } from '../core/repo/repo';
import type { GitObjectReader } from '../core/metrics/gitObjectReader';
import type { RevisionReader } from '../core/metrics/revisions';
import { withReader } from '../core/metrics/show';
import type { FileResult } from '../core/metrics/results';
import { ExpRevisions } from '../core/experiments/revisionData';
import { SETTABLE_EXTENSIONS } from '../core/experiments/setParams';
import { parseParamsText } from '../core/pipeline/paramsFile';
import { isPlainObject } from '../core/pipeline/values';
import type { RevisionSource } from '../core/metrics/revisionSource';
import { kindOf, valueText, type ParamField } from '../../webview/runForm';

/**
 * The fields of the "Modify Params and Run" form: the params of a revision (the workspace, a
 * commit or an experiment, read as `exp show` reads them), each leaf a field, with the
 * workspace's value beside it (a field left at the workspace's value sets nothing). Runs in the
 * core worker. No vscode import: plain data.
 */
export interface RunFormFields {
  /** The revision read: `workspace` or a full sha. */
  rev: string;
  fields: ParamField[];
  /** Params files `-S` cannot change (`.py`) or that could not be read, one line each. */
  skipped: string[];
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * `row` is an experiments table row id (`workspace`, a baseline's sha, `<baseline>:<name>:<tip sha>`)
 * or an experiment ref (`refs/exps/...`); anything else is refused, so no text of the page
 * reaches git as a revision.
 */
export async function runFormFields(repo: Repo, row: string): Promise<RunFormFields> {
  const rev = await revisionOf(repo, row);
  return withReader(repo, {}, async (reader) => {
    const revisions = new ExpRevisions(reader as RevisionReader & { objects: GitObjectReader });
    const workspace = await revisions.state(undefined);
    const chosen = rev === 'workspace' ? workspace : await revisions.state(rev);
    if (chosen.error) throw new CairnError('USAGE', `the params of ${rev === 'workspace' ? 'the workspace' : rev.slice(0, 7)} could not be read: ${chosen.error.msg}`);
    const source = (sha: string) => reader.source(sha === 'workspace' ? { name: sha } : { name: sha, commit: sha });
    const current = leaves(await typed(workspace.data?.params ?? {}, source('workspace'))).values;
    const { values, skipped } = leaves(await typed(chosen.data.params, source(rev)));
    const fields = [...values].map(([id, { file, path, value }]): ParamField => {
      const there = current.get(id);
      return { file, path, kind: kindOf(value), value: valueText(value), workspace: there ? valueText(there.value) : null };
    });
    return { rev, fields, skipped };
  });
}

async function revisionOf(repo: Repo, row: string): Promise<string> {
  if (row === 'workspace') return row;
  const tip = row.includes(':') ? row.slice(row.lastIndexOf(':') + 1) : row;
  if (SHA.test(tip)) return tip;
  if (row.startsWith('refs/exps/') && repo.scm) {
    const sha = await repo.scm.revParse(row).catch(() => '');
    if (SHA.test(sha)) return sha;
  }
  throw new CairnError('USAGE', `'${row}' is not a row of the experiments table.`, { hint: 'Choose the workspace, a commit or an experiment.' });
}

/**
 * The params files read again as params (`parseParamsText`), so a whole float stays a float
 * (`1.0`, which `exp show`'s JSON-like values make `1`) and the form sets it back as one; a file
 * not in git or the workspace (a cached output) keeps the values `exp show` read.
 */
async function typed(params: Record<string, FileResult>, source: RevisionSource): Promise<Record<string, FileResult>> {
  const out: Record<string, FileResult> = {};
  for (const [file, result] of Object.entries(params)) {
    out[file] = result;
    if (result.error || !SETTABLE_EXTENSIONS.includes(file.slice(file.lastIndexOf('.')).toLowerCase())) continue;
    const text = await source.read(file).catch(() => undefined);
    if (text === undefined) continue;
    try {
      out[file] = { data: parseParamsText(text, file) };
    } catch {
      // exp show read it; keep what it read.
    }
  }
  return out;
}

type Leaf = { file: string; path: string[]; value: unknown };

/** Each file's values down to their leaves (a list is one leaf), by `file` + key path; files -S cannot change set aside. */
function leaves(params: Record<string, FileResult>): { values: Map<string, Leaf>; skipped: string[] } {
  const values = new Map<string, Leaf>();
  const skipped: string[] = [];
  for (const [file, result] of Object.entries(params)) {
    if (!SETTABLE_EXTENSIONS.includes(file.slice(file.lastIndexOf('.')).toLowerCase())) {
      skipped.push(`${file}: -S changes only .yaml, .yml, .json and .toml params files`);
      continue;
    }
    if (result.error) {
      skipped.push(`${file}: ${result.error.msg}`);
      continue;
    }
    const walk = (value: unknown, path: string[]) => {
      if (isPlainObject(value) && !(path.length && Object.keys(value).length === 0)) {
        for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      } else if (path.length) values.set(JSON.stringify([file, ...path]), { file, path, value });
    };
    walk(result.data, []);
  }
  return { values, skipped };
}
