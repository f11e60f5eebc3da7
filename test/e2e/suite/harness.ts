/**
 * The extension-host side of the e2e harness: runs a mocha suite inside VS Code's extension host,
 * reports to the runner through the channel folder (see ../protocol.ts), and lets tests ask the
 * runner to drive the UI with Playwright (`ui`, `screenshot`) while the extension host is alive.
 * Only loaded inside VS Code (it imports `vscode`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import Mocha from 'mocha';
import {
  CHANNEL_ENV,
  CHANNEL_SETTING_KEY,
  CHANNEL_SETTING_SECTION,
  RunInfo,
  SuiteResults,
  UiResponse,
  channelFiles,
  readJsonIfPresent,
  writeJsonAtomic,
} from '../protocol';

interface Channel {
  dir: string;
  source: 'env' | 'setting';
}

let found: Channel | null | undefined;

/** The runner's channel folder, or undefined when no runner set one (then nothing is reported). */
export function channel(): Channel | undefined {
  if (found === undefined) {
    const fromEnv = process.env[CHANNEL_ENV];
    const fromSetting = vscode.workspace.getConfiguration(CHANNEL_SETTING_SECTION).get<string>(CHANNEL_SETTING_KEY);
    if (fromEnv && fs.existsSync(fromEnv)) found = { dir: fromEnv, source: 'env' };
    else if (fromSetting && fs.existsSync(fromSetting)) found = { dir: fromSetting, source: 'setting' };
    else found = null;
  }
  return found ?? undefined;
}

/** Poll `probe` until it gives a truthy value (tests wait for conditions, never sleep). */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A line for the runner's live log (a measurement, say), shown as `[host] note …`. */
export function note(line: string): void {
  const c = channel();
  if (c) fs.appendFileSync(channelFiles(c.dir).progress, `note ${line.replace(/\n/g, ' ')}\n`);
}

/** What the runner told the tests: the workspace it opened, the extension path, grep, data. */
export function runInfo(): RunInfo | undefined {
  const c = channel();
  return c ? readJsonIfPresent<RunInfo>(channelFiles(c.dir).run) : undefined;
}

/** True when a Playwright page serves UI steps (runVsCode.ts), false under runElectron.ts. */
export function uiAvailable(): boolean {
  return runInfo()?.ui === true;
}

let nextRequest = 1;

/**
 * Asks the runner to perform a UI step with Playwright and waits for it. Built-in steps:
 * `screenshot {name, selector?}`, `waitFor {selector, state?, timeoutMs?}`, `click {selector, button?}`,
 * `press {key}`; others come from runInVsCode's `uiSteps`. Throws when the step failed or no UI runs.
 */
export async function ui<T = unknown>(step: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
  const c = channel();
  if (!c || !uiAvailable()) throw new Error(`UI step "${step}" needs the Playwright runner (runVsCode.ts); none is attached.`);
  const files = channelFiles(c.dir);
  const id = nextRequest++;
  writeJsonAtomic(path.join(files.requests, `${id}.json`), { id, step, args });
  const responseFile = path.join(files.responses, `${id}.json`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = readJsonIfPresent<UiResponse>(responseFile);
    if (r) {
      if (!r.ok) {
        // A failed wait is easier to explain with the screen it saw.
        const shot = step === 'waitFor' ? await screenshot(`failed-wait-${id}`).catch(() => undefined) : undefined;
        throw new Error(`UI step "${step}" failed: ${r.error}${shot ? ` (screen: ${shot})` : ''}`);
      }
      return r.value as T;
    }
    if (Date.now() > deadline) throw new Error(`UI step "${step}" got no answer within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * Dismisses every notification, so a toast a test waits for is not held back behind older ones
 * (VS Code shows only a few toasts at once; error toasts stay until dismissed).
 */
export async function clearNotifications(): Promise<void> {
  await vscode.commands.executeCommand('notifications.clearAll');
}

/** Saves a PNG of the workbench (or of `selector`) under the runner's screenshotsDir; its path, or undefined without UI. */
export async function screenshot(name: string, selector?: string): Promise<string | undefined> {
  if (!uiAvailable()) return undefined;
  return ui<string>('screenshot', { name, selector });
}

/**
 * Runs every `*.test.js` file in `dir` with mocha in this extension host, writes results.json
 * (and a progress line per test) to the channel, and rejects when any test failed — so the
 * exit code is right under @vscode/test-electron too.
 */
export async function runSuite(opts: { dir: string; pattern?: RegExp; timeoutMs?: number }): Promise<void> {
  const started = Date.now();
  const c = channel();
  const files = c ? channelFiles(c.dir) : undefined;
  const progress = (line: string) => {
    if (files) fs.appendFileSync(files.progress, line.replace(/\n/g, ' ') + '\n');
  };
  const results: SuiteResults = { passed: 0, failed: 0, pending: 0, failures: [], durationMs: 0, channelSource: c?.source };
  const finish = () => {
    results.durationMs = Date.now() - started;
    if (files) writeJsonAtomic(files.results, results);
  };
  try {
    const grep = runInfo()?.grep;
    const mocha = new Mocha({ ui: 'bdd', color: false, timeout: opts.timeoutMs ?? 60_000, reporter: 'spec', ...(grep ? { grep } : {}) });
    const pattern = opts.pattern ?? /\.test\.js$/;
    for (const name of fs.readdirSync(opts.dir).sort()) if (pattern.test(name)) mocha.addFile(path.join(opts.dir, name));
    progress(`mocha in the extension host (VS Code ${vscode.version}, channel via ${c?.source ?? 'none'})`);
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (t) => {
        results.passed++;
        progress(`ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`);
      });
      runner.on('pending', (t) => {
        results.pending++;
        progress(`skip ${t.fullTitle()}`);
      });
      runner.on('fail', (t, err: Error) => {
        results.failed++;
        results.failures.push({ title: t.fullTitle(), error: err?.stack ?? String(err) });
        progress(`FAIL ${t.fullTitle()}: ${err?.message ?? err}`);
      });
    });
  } catch (e) {
    // A test file that throws while loading, or mocha itself failing.
    results.failed++;
    results.failures.push({ title: 'loading the e2e suite', error: e instanceof Error ? e.stack ?? e.message : String(e) });
    progress(`FAIL loading the e2e suite: ${e}`);
  }
  finish();
  if (results.failed > 0) throw new Error(`${results.failed} e2e test(s) failed`);
}
