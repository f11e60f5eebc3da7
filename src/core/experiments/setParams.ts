import { CairnError } from '../errors';
import { DEFAULT_PARAMS_FILE } from '../pipeline/paramsFile';
import { isSweep, Override, overrideKeyElement, OverrideSyntaxError, parseOverride, printOverride, sweepElements } from './overrideGrammar';

/**
 * The `-S/--set-param` arguments of `exp run`, as dvc reads them (`dvc/utils/cli_parse.py
 * to_path_overrides`): `[<file>:]<override>`, `params.yaml` by default; a `:` names a file only
 * when it comes before the first `=` (`lr=a:b` sets `lr` in params.yaml). Each override is in
 * Hydra's grammar (`overrideGrammar.ts`).
 */

/** The overrides of one params file, in the order given. */
export interface ParamsFileOverrides {
  /** The file as given (relative to the repository root), e.g. `params.yaml`, `conf/train.json`. */
  file: string;
  overrides: Override[];
}

/** The params file types `-S` can change. (dvc also rewrites `.py` files; Cairn refuses them, see `applyParamOverrides`.) */
export const SETTABLE_EXTENSIONS = ['.yaml', '.yml', '.json', '.toml'];

const GRAMMAR_HINT = 'Write -S [<file>:]<key>=<value> (`+key=value` adds a key, `~key` deletes one); values follow https://hydra.cc/docs/advanced/override_grammar/basic/.';

/**
 * Parse `-S` arguments into overrides grouped by file (files in the order first named). A
 * malformed argument is a CairnError naming it and what is wrong.
 */
export function parseSetParams(args: readonly string[]): ParamsFileOverrides[] {
  const byFile = new Map<string, Override[]>();
  for (const arg of args) {
    const { file, override } = splitFile(arg);
    const ext = file.slice(file.lastIndexOf('.')).toLowerCase();
    if (file === '' || !SETTABLE_EXTENSIONS.includes(ext)) {
      throw new CairnError('USAGE', `-S '${arg}': '${file}' is not a params file Cairn can change`, {
        hint: ext === '.py' ? 'Cairn does not rewrite Python params files; keep these params in a .yaml, .json or .toml file.' : 'Name a .yaml, .yml, .json or .toml file before the `:`.',
      });
    }
    let parsed: Override;
    try {
      parsed = parseOverride(override);
    } catch (err) {
      if (!(err instanceof OverrideSyntaxError)) throw err;
      throw new CairnError('USAGE', `-S '${arg}' is not a valid override: ${err.message}`, { hint: GRAMMAR_HINT });
    }
    checkApplicable(arg, parsed);
    const list = byFile.get(file) ?? [];
    list.push(parsed);
    byFile.set(file, list);
  }
  return [...byFile].map(([file, overrides]) => ({ file, overrides }));
}

/** Whether any override is a sweep (`a,b`, `choice()`, `range()`…): dvc runs those only through its queue. */
export function hasSweep(groups: readonly ParamsFileOverrides[]): boolean {
  return groups.some((g) => g.overrides.some((o) => isSweep(o.value)));
}

/**
 * The overrides one sweep stands for, as dvc queues them (Hydra's BasicSweeper): `key=<value>`
 * per value of a choice or range, in order; an override that is not a sweep is itself. A glob
 * is refused as dvc refuses it, and an interval as Hydra's sweeper refuses it.
 */
export function sweepOverrides(override: Override): Override[] {
  if (!isSweep(override.value)) return [override];
  if (override.value?.kind === 'glob') {
    throw new CairnError('USAGE', `Glob override '${override.input}' is not supported.`, { hint: 'List the values with a comma or choice().' });
  }
  let elements;
  try {
    elements = sweepElements(override.value!);
  } catch (err) {
    if (!(err instanceof OverrideSyntaxError)) throw err;
    throw new CairnError('USAGE', `-S '${override.input}': ${err.message}`, { hint: 'Sweep with a comma list, choice() or range().' });
  }
  return elements.map((element) => {
    const input = printOverride(override, element);
    return { ...parseOverride(input), input };
  });
}

/**
 * The runs a sweep stands for, as dvc queues them (`dvc/utils/hydra.py get_hydra_sweeps`): in each
 * file, one list per key (a later override of the same key replaces an earlier one in its place),
 * and the cartesian product of those lists, then of the files, the first varying slowest. Each run
 * is a list of `-S` arguments naming their file.
 */
export function sweepRuns(groups: readonly ParamsFileOverrides[]): string[][] {
  const lists: string[][] = [];
  for (const group of groups) {
    const byKey = new Map<string, string[]>();
    for (const override of group.overrides) byKey.set(overrideKeyElement(override), sweepOverrides(override).map((o) => `${group.file}:${o.input}`));
    lists.push(...byKey.values());
  }
  return lists.reduce<string[][]>((runs, list) => runs.flatMap((run) => list.map((arg) => [...run, arg])), [[]]);
}

function splitFile(arg: string): { file: string; override: string } {
  const beforeEqual = arg.split('=', 1)[0];
  const colon = beforeEqual.indexOf(':');
  if (colon === -1) return { file: DEFAULT_PARAMS_FILE, override: arg };
  return { file: arg.slice(0, colon), override: arg.slice(colon + 1) };
}

/** What dvc only finds out while applying, said at once: an empty key, a config group. */
function checkApplicable(arg: string, override: Override): void {
  if (override.key === '') {
    throw new CairnError('USAGE', `-S '${arg}' names no key`, { hint: GRAMMAR_HINT });
  }
  if (override.package !== undefined) {
    throw new CairnError('USAGE', `-S '${arg}': Override ${override.input} looks like a config group override, but config group '${override.key}' does not exist.`, {
      hint: 'Params files have no config groups; drop the `@...` part.',
    });
  }
}
