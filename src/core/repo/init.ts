import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../errors';
import { Git } from '../scm/git';
import { DVC_DIR } from './repo';
import { writeFileAtomic } from './atomicWrite';

const DVC_GITIGNORE = '/config.local\n/tmp\n/cache\n';
const DVCIGNORE =
  '# Add patterns of files dvc should ignore, which could improve\n' +
  '# the performance. Learn more at\n' +
  '# https://dvc.org/doc/user-guide/dvcignore\n';

export interface InitResult {
  root: string;
  /** Files written, repo-relative. */
  files: string[];
  staged: boolean;
}

/** `dvc init`: the same files DVC writes, staged in git (or `core.no_scm` without git). */
export async function init(dir: string, options: { noScm?: boolean; force?: boolean } = {}): Promise<InitResult> {
  const root = path.resolve(dir);
  const dvcDir = path.join(root, DVC_DIR);
  if (fs.existsSync(dvcDir) && !options.force) {
    throw new CairnError('ALREADY_INITIALIZED', `'${DVC_DIR}' exists in ${root}.`, { hint: 'Use `-f` to initialize again.' });
  }
  const gitRoot = Git.findRoot(root);
  if (!options.noScm && gitRoot !== root) {
    throw new CairnError('NOT_A_REPO', gitRoot
      ? `${root} is inside the git repository ${gitRoot}, not at its top.`
      : `${root} is not tracked by git.`, {
      hint: gitRoot ? 'Run `cairn init` at the top of the git repository.' : 'Run `git init` first, or use `--no-scm` to work without git.',
    });
  }
  if (options.force) {
    for (const f of ['config', '.gitignore']) fs.rmSync(path.join(dvcDir, f), { force: true });
  }
  fs.mkdirSync(path.join(dvcDir, 'tmp'), { recursive: true });
  const files: string[] = [];
  const write = async (rel: string, text: string) => {
    await writeFileAtomic(path.join(root, rel), text);
    files.push(rel);
  };
  if (options.noScm) {
    await write('.dvc/config', '[core]\n    no_scm = True\n');
  } else {
    await write('.dvc/config', '');
    await write('.dvc/.gitignore', DVC_GITIGNORE);
  }
  if (!fs.existsSync(path.join(root, '.dvcignore'))) await write('.dvcignore', DVCIGNORE);
  if (!options.noScm) await new Git(root).add(files.map((f) => path.join(root, f)));
  return { root, files, staged: !options.noScm };
}
