import { CairnError } from '../errors';
import { SEMVER_PATTERN } from './semver';

/**
 * GTO's names and tag names (gto: constants.py, tag.py). An artifact in a sub-folder's dvc.yaml
 * is `sub/dir:name`; in a tag the `:` is `=` (`sub/dir=name@v1.0.0`), which `dvc artifacts get` finds.
 */
const NAME = '[a-zA-Z0-9](?:[a-zA-Z0-9/_-]*[a-zA-Z0-9])?';
const DIRNAME = '[a-zA-Z0-9_./-]+';
const NAME_RE = new RegExp(`^${NAME}$`);
const FULLNAME_RE = new RegExp(`^(?:${DIRNAME}:)?${NAME}$`);
const TAG_RE = new RegExp(
  `^(?<artifact>(?:${DIRNAME}=)?${NAME})(?:(?:#(?<stage>${NAME})|@(?<version>${SEMVER_PATTERN}))(?<cancel>!?)|@(?<event>deprecated|created))(?:#(?<counter>[0-9]+))?$`,
);

export type TagAction = 'register' | 'deregister' | 'assign' | 'unassign' | 'deprecate' | 'create';

/** What a GTO tag name says. */
export interface ParsedTag {
  /** The artifact's name (`sub/dir:name` for a nested one). */
  name: string;
  action: TagAction;
  version?: string;
  stage?: string;
  /** The `#N` suffix of a tag written with `--simple false`. */
  counter?: number;
}

/** A tag name parsed as GTO parses it, or undefined when it is none of GTO's (then it is ignored, as gto does). */
export function parseTagName(tag: string): ParsedTag | undefined {
  const g = TAG_RE.exec(tag)?.groups;
  if (!g) return undefined;
  const name = g.artifact.split('=').join(':');
  const counter = g.counter !== undefined ? Number(g.counter) : undefined;
  const withCounter = (p: ParsedTag): ParsedTag => (counter === undefined ? p : { ...p, counter });
  if (g.stage) return withCounter({ name, action: g.cancel === '!' ? 'unassign' : 'assign', stage: g.stage });
  if (g.version) return withCounter({ name, action: g.cancel === '!' ? 'deregister' : 'register', version: g.version });
  return withCounter({ name, action: g.event === 'deprecated' ? 'deprecate' : 'create' });
}

const NAME_RULE = "Only letters, numbers, '_', '-', '/' are allowed. Value must be of len >= 2 and must start and end with a letter or a number.";

/** A name gto accepts for a stage, a type or an artifact without a folder. */
export const isGtoName = (value: string): boolean => NAME_RE.test(value);

/** An artifact name GTO accepts (`name` or `sub/dir:name`), else a usage error; nothing is written. */
export function assertArtifactName(name: string): void {
  if (!FULLNAME_RE.test(name)) throw new CairnError('USAGE', `Invalid value '${name}'. ${NAME_RULE}`);
}

/** A stage name GTO accepts, else a usage error. */
export function assertStageName(stage: string): void {
  if (!NAME_RE.test(stage)) throw new CairnError('USAGE', `Invalid value '${stage}'. ${NAME_RULE}`);
}

/** The artifact's part of a tag: `sub/dir:name` → `sub/dir=name`. */
export const nameInTag = (name: string): string => name.split(':').join('=');

/** A tag's name before any `#N` counter (gto: tag.py templates). */
export function baseTagName(action: Exclude<TagAction, 'create'>, name: string, detail = ''): string {
  const artifact = nameInTag(name);
  switch (action) {
    case 'register':
      return `${artifact}@${detail}`;
    case 'deregister':
      return `${artifact}@${detail}!`;
    case 'assign':
      return `${artifact}#${detail}`;
    case 'unassign':
      return `${artifact}#${detail}!`;
    case 'deprecate':
      return `${artifact}@deprecated`;
  }
}
