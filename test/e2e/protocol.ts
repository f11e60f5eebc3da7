/**
 * The file protocol between the runner (runVsCode.ts, in the mocha process) and the tests module
 * (suite/index.ts, inside VS Code's extension host). No `vscode` import here: both sides use it.
 *
 * The runner makes a fresh "channel" folder per run and tells the extension host where it is in
 * two ways (the host uses the first it finds):
 *   1. the environment variable CAIRN_E2E_CHANNEL of the VS Code server process, which the remote
 *      extension host inherits (also how runElectron.ts passes it, via extensionTestsEnv);
 *   2. the user setting `cairnE2E.channel` in the run's User/settings.json (not a contributed
 *      setting; `workspace.getConfiguration('cairnE2E').get('channel')` still reads it).
 *
 * Layout of the channel folder:
 *   run.json           runner → host   RunInfo: workspace, extension path, grep, whether UI steps work
 *   progress.log       host → runner   one line per test as it ends ("ok title" / "FAIL title: msg")
 *   results.json       host → runner   SuiteResults, written once (atomically) when mocha ends
 *   requests/N.json    host → runner   UiRequest: run a UI step with Playwright (screenshot, click…)
 *   responses/N.json   runner → host   UiResponse to request N
 * Every file is written to a temp name and renamed, so a reader never sees half a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CHANNEL_ENV = 'CAIRN_E2E_CHANNEL';
export const CHANNEL_SETTING_SECTION = 'cairnE2E';
export const CHANNEL_SETTING_KEY = 'channel';

export interface RunInfo {
  workspace: string;
  extensionPath: string;
  /** Only tests whose full title matches run (mocha grep). */
  grep?: string;
  /** False when no Playwright page drives the UI (runElectron.ts): UI steps are then skipped. */
  ui: boolean;
  /** Free-form data from the caller for the tests. */
  data?: unknown;
}

export interface SuiteResults {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
  durationMs: number;
  /** Where the host found the channel: "env" or "setting". */
  channelSource?: string;
}

export interface UiRequest {
  id: number;
  step: string;
  args?: unknown;
}

export interface UiResponse {
  id: number;
  ok: boolean;
  error?: string;
  /** Whatever the step returned (JSON). */
  value?: unknown;
  /** Absolute paths of PNGs the step saved. */
  screenshots?: string[];
}

export const channelFiles = (channel: string) => ({
  run: path.join(channel, 'run.json'),
  progress: path.join(channel, 'progress.log'),
  results: path.join(channel, 'results.json'),
  requests: path.join(channel, 'requests'),
  responses: path.join(channel, 'responses'),
});

let tmpCounter = 0;
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2));
  fs.renameSync(tmp, file);
}

export function readJsonIfPresent<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
