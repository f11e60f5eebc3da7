import * as path from 'node:path';
import { cairnOk, git, tempGitRepo, writeFiles } from '../support/fixtures';

/** The repository root (this file runs from out/test/e2e/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The tests module VS Code loads as extensionTestsPath: runs every suite/*.test.js in the extension host. */
export const SUITE_MODULE = path.join(REPO_ROOT, 'out', 'test', 'e2e', 'suite', 'index.js');

/**
 * The workspace the in-VS-Code suite (test/e2e/suite) expects: a temp git repository with
 * `cairn init` run by the bundled CLI, `data/` (3 files: images/cat.png, images/dog.png,
 * labels.csv) and `models/model.pkl` tracked with `cairn add`, everything committed.
 * Removed by cleanupTempDirs() (test/run.ts calls it at the end).
 */
export function makeE2eWorkspace(): string {
  const workspace = tempGitRepo();
  cairnOk(workspace, 'init');
  writeFiles(workspace, {
    'data/labels.csv': 'name,label\ncat,1\ndog,2\n',
    'data/images/cat.png': Buffer.alloc(700, 1),
    'data/images/dog.png': Buffer.alloc(900, 2),
    'models/model.pkl': Buffer.alloc(1500, 3),
  });
  cairnOk(workspace, 'add', 'data', 'models/model.pkl');
  git(workspace, 'add', '-A');
  git(workspace, 'commit', '-q', '-m', 'Track data and model');
  return workspace;
}
