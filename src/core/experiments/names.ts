import { randomInt } from 'node:crypto';
import { CairnError } from '../errors';
import { runGit } from '../scm/git';

/** Words for experiment names: `<adjective>-<noun>`, short and easy to say, as dvc names its experiments. */
const ADJECTIVES = [
  'amber', 'ample', 'azure', 'balmy', 'bold', 'brave', 'brisk', 'broad', 'calm', 'chief', 'civil', 'clean', 'clear', 'cool',
  'cozy', 'crisp', 'curly', 'dark', 'deep', 'dense', 'eager', 'early', 'easy', 'exact', 'fair', 'fancy', 'fast', 'fine',
  'firm', 'first', 'fleet', 'fluid', 'fresh', 'fuzzy', 'giant', 'glad', 'grand', 'great', 'green', 'happy', 'hardy', 'hazel',
  'hefty', 'humid', 'ivory', 'jolly', 'juicy', 'keen', 'kind', 'large', 'lean', 'level', 'light', 'lively', 'loyal', 'lucid',
  'lucky', 'lunar', 'major', 'merry', 'mild', 'minty', 'misty', 'modal', 'moody', 'muted', 'neat', 'noble', 'north', 'novel',
  'olive', 'open', 'outer', 'pale', 'perky', 'plain', 'plush', 'polar', 'prime', 'proud', 'quick', 'quiet', 'rapid', 'rare',
  'ready', 'regal', 'rich', 'rocky', 'rosy', 'round', 'royal', 'ruby', 'rural', 'rusty', 'sandy', 'sharp', 'shiny', 'silky',
  'sleek', 'slim', 'smart', 'snowy', 'solar', 'solid', 'sonic', 'spicy', 'stark', 'steady', 'still', 'stout', 'sunny', 'super',
  'sweet', 'swift', 'tall', 'tidal', 'tidy', 'timid', 'tiny', 'topaz', 'tough', 'urban', 'vast', 'vivid', 'vocal', 'warm',
  'wavy', 'white', 'whole', 'wide', 'wild', 'windy', 'wise', 'witty', 'young', 'zesty', 'zonal',
];
const NOUNS = [
  'acorn', 'anvil', 'apex', 'arch', 'atlas', 'atom', 'axle', 'bark', 'basin', 'bay', 'beam', 'bell', 'birch', 'bison', 'bloom',
  'bolt', 'brook', 'cabin', 'cairn', 'canal', 'cape', 'cedar', 'chalk', 'cliff', 'cloud', 'comet', 'coral', 'cove', 'crane',
  'creek', 'crest', 'crow', 'dawn', 'delta', 'dune', 'eagle', 'elm', 'ember', 'fern', 'field', 'finch', 'fjord', 'flame',
  'flint', 'fox', 'frost', 'gale', 'glade', 'glen', 'grove', 'gull', 'harbor', 'hawk', 'heath', 'heron', 'hill', 'isle',
  'ivy', 'jay', 'kelp', 'kite', 'lake', 'lark', 'leaf', 'ledge', 'lily', 'lynx', 'maple', 'marsh', 'mesa', 'mill', 'mint',
  'moon', 'moss', 'moth', 'oak', 'oasis', 'orbit', 'otter', 'owl', 'peak', 'pearl', 'pine', 'plume', 'pond', 'quail',
  'quartz', 'rain', 'raven', 'reed', 'ridge', 'river', 'robin', 'rock', 'sage', 'sand', 'shore', 'slate', 'sloth', 'snow',
  'spark', 'spruce', 'star', 'stone', 'storm', 'swan', 'thorn', 'tide', 'trail', 'trout', 'tulip', 'vale', 'wave', 'willow',
  'wind', 'wolf', 'wren', 'yak', 'zebra',
];

/** A random `adjective-noun`; the caller draws again while the name is taken. */
export function randomExpName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}`;
}

/** The ref of experiment `name` of `baseline` (a full sha): `refs/exps/<b[0:2]>/<b[2:]>/<name>`, dvc's layout. */
export function experimentRef(baseline: string, name: string): string {
  return `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${name}`;
}

/**
 * An experiment name must make a valid ref (git check-ref-format, as dvc checks) in one path
 * component, and must not read as an option; else one line saying so, nothing changed.
 */
export async function assertValidExpName(cwd: string, name: string): Promise<void> {
  const bad = () =>
    new CairnError('USAGE', `invalid experiment name '${name}': it must be one valid git ref component (no '/', spaces, '..', '~^:?*[\\', control characters, nor a leading '-' or '.').`, {
      hint: 'Pick another name with -n, e.g. -n lr-0.2.',
    });
  if (!name || name.includes('/') || name.startsWith('-') || name.length > 200) throw bad();
  try {
    await runGit(cwd, ['check-ref-format', `refs/exps/00/${'0'.repeat(38)}/${name}`]);
  } catch {
    throw bad();
  }
}
