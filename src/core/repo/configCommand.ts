import * as path from 'node:path';
import { CairnError } from '../errors';
import { ConfigFile, ConfigLevel } from './config';
import type { Repo } from './repo';

/** `section.key` → [section, key]; a remote's section is `remote "name"` (`remote.name.url`). */
export function splitConfigName(name: string): [string, string] {
  const parts = name.split('.');
  if (parts.length === 2 && parts[0] && parts[1]) return [parts[0], parts[1]];
  if (parts.length === 3 && (parts[0] === 'remote' || parts[0] === 'db') && parts[1] && parts[2]) return [`${parts[0]} "${parts[1]}"`, parts[2]];
  throw new CairnError('USAGE', `'${name}' is not a config option name.`, { hint: 'Use `section.option`, e.g. `core.autostage`, or `remote.<name>.<option>`.' });
}

/** `dvc config`: read, set or unset one option at one level (repo by default, `local` for secrets). */
export async function configOption(
  repo: Repo,
  name: string,
  value: string | undefined,
  options: { unset?: boolean; level?: Exclude<ConfigLevel, 'system' | 'global'> } = {},
): Promise<string | undefined> {
  const [section, key] = splitConfigName(name);
  if (value === undefined && !options.unset) {
    const current = options.level ? repo.config.levels.get(options.level)?.get(section, key) : repo.config.get(section, key);
    if (current === undefined) throw new CairnError('USAGE', `option '${name}' is not set.`);
    return current;
  }
  const file = ConfigFile.read(path.join(repo.dvcDir, options.level === 'local' ? 'config.local' : 'config'));
  if (options.unset) {
    if (file.get(section, key) === undefined) throw new CairnError('USAGE', `option '${name}' is not set in ${path.basename(file.file)}.`);
    file.unset(section, key);
  } else file.set(section, key, value!);
  await file.write();
  return undefined;
}
