import * as vscode from 'vscode';
import { globToRegex } from '../core/repo/dvcignore';
import type { TrackedItem } from './trackedItem';


let compiled: { source: string; regexes: RegExp[] } | undefined;

/** A model is an output with `type: model`, or one whose path matches `cairn.modelPatterns`. */
export function isModel(item: TrackedItem): boolean {
  if (item.type === 'model') return true;
  if (item.type) return false;
  // The default list lives in package.json (`cairn.modelPatterns`), which VS Code supplies here.
  const patterns = vscode.workspace.getConfiguration('cairn').get<string[]>('modelPatterns') ?? [];
  const source = JSON.stringify(patterns);
  if (compiled?.source !== source) compiled = { source, regexes: patterns.map((p) => new RegExp(`^${globToRegex(p.replace(/^\//, ''))}$`)) };
  return compiled.regexes.some((r) => r.test(item.path) || r.test(`${item.path}/`));
}
