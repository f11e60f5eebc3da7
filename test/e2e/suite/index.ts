/**
 * The tests module VS Code loads as extensionTestsPath (compiled to out/test/e2e/suite/index.js).
 * It runs inside the real extension host, with the real `vscode` API and the workspace open:
 * every `*.test.js` file next to it, with mocha. (test/run.ts never loads suite/ folders: their
 * tests need the `vscode` module, which exists only in the extension host.) See ../README.md.
 */
import { runSuite } from './harness';

export async function run(): Promise<void> {
  await runSuite({ dir: __dirname });
}
