import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../repo/atomicWrite';

/** Escape gitignore's special characters as DVC does (pathspec's `GitWildMatchPattern.escape`). */
export function gitignoreEntryFor(name: string): string {
  return '/' + name.replace(/[[\]!*#?]/g, (c) => '\\' + c);
}

/**
 * Add `/<name>` to the `.gitignore` beside the data, as `dvc add` does: once, after a
 * newline if the file lacks one at its end. Returns the .gitignore path.
 */
export async function addToGitignore(absPath: string): Promise<string> {
  const gitignore = path.join(path.dirname(absPath), '.gitignore');
  const entry = gitignoreEntryFor(path.basename(absPath));
  let text = '';
  try {
    text = await fs.promises.readFile(gitignore, 'utf8');
  } catch {
    // no .gitignore yet
  }
  if (text.split('\n').includes(entry)) return gitignore;
  const prefix = text === '' || text.endsWith('\n') ? '' : '\n';
  await writeFileAtomic(gitignore, `${text}${prefix}${entry}\n`);
  return gitignore;
}

/** Remove the entry again (`dvc remove`); a .gitignore left empty is deleted. Returns it when changed. */
export async function removeFromGitignore(absPath: string): Promise<string | undefined> {
  const gitignore = path.join(path.dirname(absPath), '.gitignore');
  const entry = gitignoreEntryFor(path.basename(absPath));
  let text: string;
  try {
    text = await fs.promises.readFile(gitignore, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  if (!lines.includes(entry)) return undefined;
  const kept = lines.filter((l) => l !== entry).join('\n');
  if (kept.trim() === '') await fs.promises.rm(gitignore);
  else await writeFileAtomic(gitignore, kept);
  return gitignore;
}
