import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { readProblem } from '../repo/pathGuard';
import { readRepoFile } from '../repo/readRepoFile';
import { writeFileAtomic } from '../repo/atomicWrite';
import type { Repo } from '../repo/repo';
import { parseParamsText } from '../pipeline/paramsFile';
import { ParamValue } from '../pipeline/values';
import { Override } from './overrideGrammar';
import { overrideParams } from './overrideParams';
import { paramsEdits } from './paramsEdits';
import { ParamsFileOverrides } from './setParams';
import { editJsonText } from './jsonEdits';
import { editTomlText } from './tomlEdits';
import { editYamlText } from './yamlEdits';

/**
 * `exp run -S`: apply one params file's overrides (from `parseSetParams`) to the file in the
 * workspace, as dvc does before it runs the experiment, keeping the file's comments and
 * formatting. The file must be in the repository (its folders and, if it is a link, its target
 * too); it is written through a temp file and a rename, with its mode kept; a missing file is
 * made, as dvc makes it (`+key=value`). Nothing is written
 * when an override fails or changes nothing. The caller holds the repository lock.
 */
export async function applyParamOverrides(repo: Repo, group: ParamsFileOverrides): Promise<ApplyParamOverridesResult> {
  const shown = group.file;
  const abs = repo.resolveInside(group.file, repo.root);
  const target = await writableTarget(repo, abs, shown);
  let text: string;
  let mode: number | undefined;
  try {
    text = (await readRepoFile(target, shown)).toString('utf8');
    mode = (await fs.promises.stat(target)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // As dvc: a missing file holds no values (so `+key=value` makes it).
    text = path.extname(target).toLowerCase() === '.json' ? '{}' : '';
  }
  const { text: newText, values, changed } = overrideParamsText(text, shown, group.overrides);
  if (changed) await writeFileAtomic(target, newText, mode);
  return { file: shown, values, changed };
}

/**
 * Every group's overrides tried on its file as it is now, nothing written: the first that cannot
 * apply throws, so a run with several params files changes none of them when one is wrong.
 */
export async function checkParamOverrides(repo: Repo, groups: readonly ParamsFileOverrides[]): Promise<void> {
  for (const group of groups) {
    const abs = repo.resolveInside(group.file, repo.root);
    const text = fs.existsSync(abs) ? (await readRepoFile(abs, group.file)).toString('utf8') : path.extname(abs).toLowerCase() === '.json' ? '{}' : '';
    overrideParamsText(text, group.file, group.overrides);
  }
}

export interface ApplyParamOverridesResult {
  file: string;
  /** The file's values after the overrides. */
  values: Record<string, ParamValue>;
  /** Whether the file changed (an override may set a value it already has). */
  changed: boolean;
}

/**
 * The text of a params file (YAML, JSON or TOML by `file`'s extension) after `overrides`: only
 * the changed values' text differs. The result is read back and must hold exactly the values
 * the overrides give, else nothing is written.
 */
export function overrideParamsText(text: string, file: string, overrides: readonly Override[]): { text: string; values: Record<string, ParamValue>; changed: boolean } {
  const before = parseParamsText(text, file);
  const after = overrideParams(before, overrides, file);
  const edits = paramsEdits(before, after);
  if (edits.length === 0) return { text, values: after, changed: false };
  const ext = path.extname(file).toLowerCase();
  const newText = ext === '.json' ? editJsonText(text, edits, file) : ext === '.toml' ? editTomlText(text, edits, after, file) : editYamlText(text, edits, file);
  let reread: Record<string, ParamValue> | undefined;
  try {
    reread = parseParamsText(newText, file);
  } catch {
    reread = undefined;
  }
  if (!reread || paramsEdits(reread, after).length > 0) {
    throw new CairnError('BAD_FILE', `could not change the values of '${file}' in place without changing others`, {
      file,
      hint: 'Please report this file to Cairn; meanwhile set the values by hand.',
    });
  }
  return { text: newText, values: after, changed: true };
}

/**
 * The file to write: `abs` itself, or the target of a link there when it stays in the
 * repository (dvc writes through the link too; one leading out of the repository is refused).
 */
async function writableTarget(repo: Repo, abs: string, shown: string): Promise<string> {
  repo.assertWritable(abs);
  const st = await fs.promises.lstat(abs).catch(() => undefined);
  if (!st?.isSymbolicLink()) return abs;
  const problem = await readProblem(repo.root, abs);
  if (problem) {
    throw new CairnError('UNSAFE_PATH', `refusing to change params file '${shown}': it ${problem}.`, { file: shown, hint: 'Replace the link by the file itself.' });
  }
  const real = await fs.promises.realpath(abs);
  const inside = path.join(repo.root, path.relative(await fs.promises.realpath(repo.root), real));
  repo.assertWritable(inside);
  return inside;
}
