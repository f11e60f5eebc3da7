import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, isSeq, Node } from 'yaml';
import { CairnError } from '../errors';
import { parseYamlDocument } from '../pipeline/yamlDocument';
import { readRepoFileSync } from '../repo/readRepoFile';
import { isGtoName } from './tagNames';

/** gto's registry config (gto 1.10: config.py `RegistryConfig`), from `.gto` at the root of the git work tree. */
export interface GtoConfig {
  /** The stages `assign` and `deprecate <name> <version> <stage>` accept; undefined: any. */
  stages?: string[];
  /** The types an artifact may be declared with; undefined: any. */
  types?: string[];
}

export const GTO_CONFIG_FILE = '.gto';

/** gto's settings (keys read case-insensitively, as pydantic-settings reads them) and what each must be; any other key makes the file wrong. */
const KEYS: Record<string, 'names' | 'bool' | 'string' | 'optional string' | 'enrichments'> = {
  types: 'names',
  stages: 'names',
  emojis: 'bool',
  debug: 'bool',
  autoload_enrichments: 'bool',
  log_level: 'string',
  index: 'string',
  config_file_name: 'optional string',
  enrichments: 'enrichments',
};

/** pydantic's lax booleans. */
const BOOL_WORDS = /^(0|1|true|false|yes|no|on|off|t|f|y|n)$/i;

/**
 * `.gto` as gto reads it: absent (or empty), no restriction; a file gto would refuse — not YAML,
 * not a mapping, a key gto does not know, `stages:`/`types:` not a list of valid names — is
 * refused with gto's words, `Wrong config file '<path>'`, and what is wrong. Read only when a
 * regular file. gto's GTO_* environment variables are not read.
 */
export function readGtoConfig(gitRoot: string): GtoConfig {
  const file = path.join(gitRoot, GTO_CONFIG_FILE);
  if (!fs.statSync(file, { throwIfNoEntry: false })) return {};
  return parseGtoConfig(readRepoFileSync(file, GTO_CONFIG_FILE).toString('utf8'), file);
}

/** The text of a `.gto` file (at `file`, named in gto's message) read as gto reads it, or gto's refusal. */
export function parseGtoConfig(text: string, file: string): GtoConfig {
  const wrong = (what: string) => new CairnError('BAD_FILE', `Wrong config file '${file}'`, { hint: `${what}.` });
  let doc;
  try {
    doc = parseYamlDocument(text, GTO_CONFIG_FILE);
  } catch (err) {
    if (err instanceof CairnError && err.code === 'LIMIT_EXCEEDED') throw err;
    throw wrong(`it is not YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc.errors.length) throw wrong(`it is not YAML (${doc.errors[0].message.split('\n')[0]})`);
  const config: GtoConfig = {};
  const top = doc.contents;
  if (top === null || (isScalar(top) && top.value === null)) return config;
  if (!isMap(top)) throw wrong('it is not a mapping of settings');
  for (const pair of top.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const kind = KEYS[key.toLowerCase()];
    if (!kind) throw wrong(`'${key}' is not one of gto's settings (${Object.keys(KEYS).join(', ')})`);
    const value = pair.value as Node | null;
    const isNull = value === null || (isScalar(value) && value.value === null);
    const problem = valueProblem(kind, value, isNull);
    if (problem) throw wrong(`'${key}' ${problem}`);
    if ((key.toLowerCase() === 'stages' || key.toLowerCase() === 'types') && !isNull) {
      config[key.toLowerCase() as 'stages' | 'types'] = (value as unknown as { items: { value: string }[] }).items.map((i) => i.value);
    }
  }
  return config;
}

function valueProblem(kind: (typeof KEYS)[string], value: Node | null, isNull: boolean): string | undefined {
  switch (kind) {
    case 'names':
      if (isNull) return undefined;
      if (!isSeq(value) || !value.items.every((i) => isScalar(i) && typeof i.value === 'string')) return 'must be a list of names';
      for (const item of value.items) if (!isGtoName(String((item as { value: string }).value))) return `has '${(item as { value: string }).value}', which is not a valid name`;
      return undefined;
    case 'bool':
      return isScalar(value) && (typeof value.value === 'boolean' || value.value === 0 || value.value === 1 || (typeof value.value === 'string' && BOOL_WORDS.test(value.value))) ? undefined : 'must be true or false';
    case 'string':
      return isScalar(value) && typeof value.value === 'string' ? undefined : 'must be a string';
    case 'optional string':
      return isNull || (isScalar(value) && typeof value.value === 'string') ? undefined : 'must be a string';
    case 'enrichments':
      return isSeq(value) && value.items.every((i) => isMap(i) && typeof i.get('type') === 'string' && (i.get('config') === undefined || isMap(i.get('config', true)))) ? undefined : 'must be a list of {type, config}';
  }
}

/** Python's repr of a list of names (gto prints its allowed stages and types so): `['dev', 'prod']`. */
const pythonList = (names: string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;

/** gto's check of a stage against `.gto`'s `stages:` (after the name's own check). */
export function assertAllowedStage(config: GtoConfig, stage: string): void {
  if (config.stages && !config.stages.includes(stage)) {
    throw new CairnError('USAGE', `Allowed stages are: '${pythonList(config.stages)}'`, { hint: `Use one of them, or add '${stage}' to 'stages:' in ${GTO_CONFIG_FILE}.` });
  }
}

/** gto's check of an artifact type against `.gto`'s `types:`. */
export function assertAllowedType(config: GtoConfig, type: string): void {
  if (config.types && !config.types.includes(type)) {
    throw new CairnError('USAGE', `Allowed types are: '${pythonList(config.types)}'`, { hint: `Use one of them, or add '${type}' to 'types:' in ${GTO_CONFIG_FILE}.` });
  }
}
