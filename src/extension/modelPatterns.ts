import { globToRegex } from '../core/repo/dvcignore';
import type { TrackedItem } from './trackedItem';

let compiled: { source: string; regexes: RegExp[] } | undefined;

/**
 * A model is an output with `type: model`, or one whose path (a `.dvc` output or a stage
 * output, repo-relative) matches one of `patterns` (`cairn.modelPatterns`, whose default list
 * lives in package.json); one with another `type:` is a dataset. No `vscode` here: the caller
 * reads the setting, and the rule is unit-tested with the default list.
 */
export function isModel(item: { path: string; type?: TrackedItem['type'] }, patterns: string[]): boolean {
  if (item.type === 'model') return true;
  if (item.type) return false;
  const source = JSON.stringify(patterns);
  if (compiled?.source !== source) compiled = { source, regexes: patterns.map((p) => new RegExp(`^${globToRegex(p.replace(/^\//, ''))}$`)) };
  return compiled.regexes.some((r) => r.test(item.path) || r.test(`${item.path}/`));
}
