import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DvcIgnore } from '../repo/dvcignore';
import type { PipelineSource } from './load';
import { readProblem } from '../repo/pathGuard';
import { readRepoFile } from '../repo/readRepoFile';
import { CairnError } from '../errors';

/** The workspace as a PipelineSource: files under `root`, minus .dvcignore'd ones, `.git` and `.dvc`. */
export function workspaceSource(root: string, ignore?: DvcIgnore): PipelineSource {
  return {
    async read(relPath) {
      if (ignore?.isIgnored(relPath, false)) return undefined;
      const abs = path.join(root, ...relPath.split('/'));
      const unsafe = await readProblem(root, abs);
      if (unsafe) throw new CairnError('UNSAFE_PATH', `'${relPath}' ${unsafe}; not read.`, { file: relPath, hint: 'Replace the link by the file itself.' });
      try {
        return (await readRepoFile(abs, relPath)).toString('utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw err;
      }
    },
    async list(dirRelPath) {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(path.join(root, ...dirRelPath.split('/').filter(Boolean)), { withFileTypes: true });
      } catch {
        return [];
      }
      const out: { name: string; isDir: boolean }[] = [];
      for (const e of entries) {
        if (e.name === '.git' || e.name === '.dvc') continue;
        const rel = dirRelPath ? `${dirRelPath}/${e.name}` : e.name;
        let isDir = e.isDirectory();
        if (e.isSymbolicLink()) isDir = false; // DVC does not follow links into folders for dvc.yaml files
        if (ignore?.isIgnored(rel, isDir)) continue;
        out.push({ name: e.name, isDir });
      }
      return out;
    },
  };
}
