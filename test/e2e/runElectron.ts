import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { cleanupTempDirs } from '../support/fixtures';
import { CHANNEL_ENV, CHANNEL_SETTING_KEY, CHANNEL_SETTING_SECTION, RunInfo, SuiteResults, channelFiles, readJsonIfPresent, writeJsonAtomic } from './protocol';
import { VSCODE_VERSION } from './provision';
import { makeE2eWorkspace, REPO_ROOT, SUITE_MODULE } from './workspace';

/**
 * The same in-VS-Code suite (test/e2e/suite) run by @vscode/test-electron in desktop VS Code,
 * for machines with internet access (it downloads VS Code from update.code.visualstudio.com into
 * .vscode-test/). Not part of `npm test`: the CI machines cannot download VS Code, they use the
 * VS Code server + Chromium path (runVsCode.ts). UI steps (screenshots) are skipped here.
 *
 *   npm run build && node out/test/e2e/runElectron.js            # VS Code 1.103.2, as the server path
 *   CAIRN_E2E_VSCODE_VERSION=stable node out/test/e2e/runElectron.js
 *
 * On a Linux machine without a display, run it under xvfb: `xvfb-run -a node out/test/e2e/runElectron.js`.
 */
export interface ElectronRunOptions {
  workspace: string;
  extensionPath?: string;
  testsModule?: string;
  /** A VS Code version to download ("stable", "insiders", "1.103.2"); default the server path's. */
  version?: string;
  /** An installed VS Code to use instead of downloading one. */
  vscodeExecutablePath?: string;
  settings?: Record<string, unknown>;
  grep?: string;
}

export async function runInElectron(options: ElectronRunOptions): Promise<SuiteResults> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-e2e-electron-'));
  const userData = path.join(runDir, 'user-data');
  const channel = path.join(runDir, 'channel');
  const files = channelFiles(channel);
  for (const d of [path.join(userData, 'User'), path.join(runDir, 'extensions'), files.requests, files.responses]) fs.mkdirSync(d, { recursive: true });
  const extensionPath = path.resolve(options.extensionPath ?? REPO_ROOT);
  const info: RunInfo = { workspace: path.resolve(options.workspace), extensionPath, grep: options.grep ?? process.env.CAIRN_E2E_GREP, ui: false };
  writeJsonAtomic(files.run, info);
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none', [`${CHANNEL_SETTING_SECTION}.${CHANNEL_SETTING_KEY}`]: channel, ...(options.settings ?? {}) }, null, 2),
  );
  try {
    await runTests({
      ...(options.vscodeExecutablePath ? { vscodeExecutablePath: options.vscodeExecutablePath } : { version: options.version ?? process.env.CAIRN_E2E_VSCODE_VERSION ?? VSCODE_VERSION }),
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: path.resolve(options.testsModule ?? SUITE_MODULE),
      extensionTestsEnv: { [CHANNEL_ENV]: channel },
      // runTests adds --disable-workspace-trust, --skip-welcome, --skip-release-notes, --disable-updates.
      launchArgs: [
        info.workspace,
        '--disable-extensions', // every other extension
        `--user-data-dir=${userData}`,
        `--extensions-dir=${path.join(runDir, 'extensions')}`,
      ],
    });
  } catch (e) {
    // runTests rejects when VS Code exits non-zero (a test failed: the results say which), or
    // when it could not download or start VS Code (no results: nothing worth keeping).
    if (!readJsonIfPresent<SuiteResults>(files.results)) {
      fs.rmSync(runDir, { recursive: true, force: true });
      throw e;
    }
  }
  const results = readJsonIfPresent<SuiteResults>(files.results);
  if (!results) throw new Error(`VS Code ended without writing ${files.results} (run folder kept: ${runDir})`);
  if (results.failed === 0) fs.rmSync(runDir, { recursive: true, force: true });
  else process.stderr.write(`run folder kept: ${runDir}\n`);
  return results;
}

if (require.main === module) {
  (async () => {
    let code = 1;
    try {
      const results = await runInElectron({ workspace: makeE2eWorkspace() });
      for (const f of results.failures) process.stdout.write(`\nFAIL ${f.title}\n${f.error}\n`);
      process.stdout.write(`\n${results.passed} passed, ${results.failed} failed\n`);
      code = results.failed > 0 || results.passed === 0 ? 1 : 0;
    } catch (e) {
      process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : e}\n`);
    } finally {
      cleanupTempDirs();
    }
    process.exit(code);
  })();
}
