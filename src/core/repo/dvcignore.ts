import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { readRepoFileSync } from './readRepoFile';

/** One line of a `.dvcignore` (gitignore syntax), compiled. */
interface IgnoreRule {
  base: string; // repo-relative folder of the .dvcignore ('' for the root)
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

/** DVC always ignores these, whatever .dvcignore says. */
const DEFAULT_PATTERNS = ['.hg/', '.git/', '.git', '.dvc/'];

/** A gitignore-style glob as a regular expression body (`*`, `?`, `[..]`, `**`). */
export function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches any number of folders; a trailing `**` matches everything inside.
          if (i + 2 === glob.length) re += '.*';
          else re += '(?:.*/)?';
          i += 2;
          continue;
        }
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      re += escapeRegex(glob[++i]);
    } else re += escapeRegex(c);
  }
  return re;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? '\\' + c : c;
}

export function compileIgnoreLine(line: string, base: string): IgnoreRule | undefined {
  let pattern = line.replace(/(?<!\\)\s+$/, '');
  if (pattern === '' || pattern.startsWith('#')) return undefined;
  let negate = false;
  if (pattern.startsWith('!')) {
    negate = true;
    pattern = pattern.slice(1);
  } else if (pattern.startsWith('\\!') || pattern.startsWith('\\#')) pattern = pattern.slice(1);
  let dirOnly = false;
  if (pattern.endsWith('/')) {
    dirOnly = true;
    pattern = pattern.slice(0, -1);
  }
  const anchored = pattern.includes('/');
  if (pattern.startsWith('/')) pattern = pattern.slice(1);
  const body = globToRegex(pattern);
  const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
  return { base, regex, negate, dirOnly };
}

/**
 * The `.dvcignore` files of a repository; `isIgnored` answers for repo-relative posix paths.
 * A folder holding its own `.dvc/` folder is another DVC project (a nested repository): as in
 * dvc, everything inside it is ignored here, so no reader of this repository sees into it.
 */
export class DvcIgnore {
  private rulesByBase = new Map<string, IgnoreRule[]>();
  /** Whether any .dvcignore has a rule: without any, matching is a name check. */
  private hasUserRules = false;
  /** Folders found to be nested DVC repositories (repo-relative). */
  private nestedRepos = new Set<string>();

  /**
   * `root`: the folder whose `.dvcignore` files (and nested repositories) are read from disk as
   * paths are asked about. Without it nothing is read: a git revision's rules are given by
   * `addRules` and `addNestedRepo` from its own tree, as dvc reads a revision's `.dvcignore`.
   */
  constructor(private readonly root?: string) {
    this.rulesByBase.set('', DEFAULT_PATTERNS.map((p) => compileIgnoreLine(p, '')!));
    this.loadFile('');
  }

  private loadFile(base: string): void {
    if (this.root === undefined) return;
    if (base !== '' && isDirectory(path.join(this.root, base, '.dvc'))) this.nestedRepos.add(base);
    const file = path.join(this.root, base, '.dvcignore');
    let text: string;
    try {
      text = readRepoFileSync(file, path.posix.join(base, '.dvcignore')).toString('utf8');
    } catch (err) {
      if (err instanceof CairnError) throw err;
      return;
    }
    this.addRules(base, text);
  }

  /** The rules of the `.dvcignore` in folder `base` (repo-relative; '' for the root). Parents' rules must be added first. */
  addRules(base: string, text: string): void {
    const rules = this.rulesByBase.get(base) ?? [];
    for (const line of text.split(/\r?\n/)) {
      const rule = compileIgnoreLine(line, base);
      if (rule) rules.push(rule);
    }
    // Only folders that have rules are kept: each is checked for every path.
    if (rules.length > 0) this.rulesByBase.set(base, rules);
    if (rules.length > (base === '' ? DEFAULT_PATTERNS.length : 0)) this.hasUserRules = true;
  }

  /** Folder `base` holds its own `.dvc/`: another DVC project, ignored as a whole. */
  addNestedRepo(base: string): void {
    if (base !== '') this.nestedRepos.add(base);
  }

  /** Folders whose .dvcignore has been looked for (present or not). */
  private loadedDirs = new Set<string>(['']);

  /** Read the `.dvcignore` of every folder from the root down to `relDir` (once each). */
  loadAncestors(relDir: string): void {
    if (this.loadedDirs.has(relDir)) return;
    const parts = relDir === '' ? [] : relDir.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const base = parts.slice(0, i).join('/');
      if (this.loadedDirs.has(base)) continue;
      this.loadedDirs.add(base);
      this.loadFile(base);
    }
  }

  isIgnored(relPath: string, isDir: boolean): boolean {
    const slash = relPath.lastIndexOf('/');
    // A folder is looked into too: it may be a nested repository.
    this.loadAncestors(isDir ? relPath : slash < 0 ? '' : relPath.slice(0, slash));
    return this.matches(relPath, isDir);
  }

  /** Whether the path is a nested repository or inside one. */
  private inNestedRepo(relPath: string): boolean {
    for (let end = relPath.length; end > 0; end = relPath.lastIndexOf('/', end - 1)) {
      if (this.nestedRepos.has(relPath.slice(0, end))) return true;
    }
    return false;
  }

  /** `isIgnored` for a path whose folders' .dvcignore files (and nested repositories) are already loaded. */
  matches(relPath: string, isDir: boolean): boolean {
    if (this.nestedRepos.size > 0 && this.inNestedRepo(relPath)) return true;
    if (!this.hasUserRules) {
      // Only DVC's defaults apply: `.git` anywhere, `.hg/` and `.dvc/` folders.
      const name = relPath.slice(relPath.lastIndexOf('/') + 1);
      return name === '.git' || (isDir && (name === '.hg' || name === '.dvc'));
    }
    let ignored = false;
    for (const [base, rules] of this.rulesByBase) {
      if (base !== '' && !relPath.startsWith(base + '/')) continue;
      const rel = base === '' ? relPath : relPath.slice(base.length + 1);
      for (const rule of rules) {
        if (rule.dirOnly && !isDir) continue;
        if (rule.regex.test(rel)) ignored = !rule.negate;
      }
    }
    return ignored;
  }
}

function isDirectory(abs: string): boolean {
  try {
    return fs.lstatSync(abs).isDirectory();
  } catch {
    return false;
  }
}

export interface WalkedFile {
  relpath: string; // relative to the walked directory, '/'-separated
  abs: string;
  /** A link to a file outside the repository and the cache: hashed for status, never stored. */
  linkOutside?: boolean;
}

/**
 * Every file under `absDir`, minus what .dvcignore excludes. A `.dvcignore` inside the
 * tracked directory is an error, as in DVC: its rules would change what the directory holds.
 * Links to folders are not followed, as DVC's walk does not (no loops, no folders outside);
 * links to files are, marked when they leave the repository (`linkReadable`).
 */
export function walkTrackedDir(absDir: string, relDir: string, ignore: DvcIgnore, linkReadable: (abs: string) => boolean): WalkedFile[] {
  const files: WalkedFile[] = [];
  ignore.loadAncestors(relDir);
  const visit = (abs: string, rel: string) => {
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const childAbs = abs + path.sep + entry.name;
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let isDir = entry.isDirectory();
      let linkOutside = false;
      if (entry.isSymbolicLink()) {
        try {
          isDir = fs.statSync(childAbs).isDirectory();
        } catch {
          continue; // a dangling link holds no data
        }
        if (isDir) continue;
        linkOutside = !linkReadable(childAbs);
      }
      if (entry.name === '.dvcignore') {
        throw new CairnError('DVCIGNORE_IN_TRACKED_DIR', `.dvcignore file should not be in a tracked directory ('${relDir}').`, {
          file: path.posix.join(relDir, childRel),
          hint: 'Move its rules to the .dvcignore of a parent folder.',
        });
      }
      // Folders inside a tracked directory have no .dvcignore of their own (that is an error above).
      if (ignore.matches(relDir === '' ? childRel : `${relDir}/${childRel}`, isDir)) continue;
      if (isDir) visit(childAbs, childRel);
      else files.push(linkOutside ? { relpath: childRel, abs: childAbs, linkOutside } : { relpath: childRel, abs: childAbs });
    }
  };
  visit(absDir, '');
  return files;
}
