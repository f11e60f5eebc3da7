import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, ChildProcess, spawnSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { provision, killGroup, VsCodeServer } from './provision';
import {
  CHANNEL_ENV,
  CHANNEL_SETTING_KEY,
  CHANNEL_SETTING_SECTION,
  RunInfo,
  SuiteResults,
  UiRequest,
  UiResponse,
  channelFiles,
  readJsonIfPresent,
  writeJsonAtomic,
} from './protocol';

/**
 * Runs a tests module inside a real VS Code: the VS Code server (from provision.ts) as its own
 * process group, headless Debian Chromium driven by playwright-core, the extension loaded from
 * source (extensionDevelopmentPath) and `testsModule` run by the real extension host
 * (extensionTestsPath). See /work/shared/notes/real-vscode-tests.md and test/e2e/README.md.
 *
 * UI steps: once a tests module's run() returns, VS Code stops the extension host, so the UI is
 * driven *while the tests run*: a test calls `ui('step', args)` / `screenshot('name')` from
 * suite/harness.ts, which writes a request file; this runner performs the step with Playwright
 * on the page (built-in steps below, or `options.uiSteps[step]`) and writes the response.
 */

export interface UiHelpers {
  page: Page;
  /** Saves a PNG of the page (or of `selector`) as <screenshotsDir>/<name>.png; returns its path. */
  screenshot(name: string, selector?: string): Promise<string>;
}

/** A UI step a test can request by name; its return value (JSON) goes back to the test. */
export type UiStep = (page: Page, args: any, helpers: UiHelpers) => Promise<unknown>;

export interface RunInVsCodeOptions {
  /** Folder opened in VS Code, or a `.code-workspace` file (a multi-root workspace). */
  workspace: string;
  /** Extension folder (with package.json), loaded as extensionDevelopmentPath. */
  extensionPath: string;
  /** Compiled JS module exporting `run(): Promise<void>`, run inside the extension host. */
  testsModule: string;
  /** Merged into User/settings.json (after `security.workspace.trust.enabled: false` etc.). */
  settings?: Record<string, unknown>;
  /** Where PNGs go (created). */
  screenshotsDir: string;
  /** Limit for the whole run after provisioning (server start → results); default 180 s. */
  timeoutMs?: number;
  /** Extra UI steps the tests can request, besides the built-ins screenshot, waitFor, click, press. */
  uiSteps?: Record<string, UiStep>;
  /** Run only in-VS-Code tests whose title matches (mocha grep). Defaults to $CAIRN_E2E_GREP. */
  grep?: string;
  /** Free-form data handed to the tests (harness `runInfo().data`). */
  data?: unknown;
  /** An already provisioned server; otherwise provision() is called (may take minutes once). */
  server?: VsCodeServer;
  /** Progress lines; default: stderr. */
  log?: (line: string) => void;
  /** Keep the run folder (logs, user data) even when the run passed. It is always kept on failure. */
  keepRunDir?: boolean;
  /** Browser viewport; default 1400×900. */
  viewport?: { width: number; height: number };
  /** Let the workbench show modal dialogs, which it refuses while extension tests run (see `showModalDialogs`); tests answer them with the `answerDialog` step. */
  modalDialogs?: boolean;
}

export interface RunInVsCodeResult {
  passed: number;
  failed: number;
  /** "title: error" per failed test, plus harness errors (timeout, crash). */
  failures: string[];
  /** Absolute paths of PNGs saved during the run. */
  screenshots: string[];
  /** Folder with server.log, browser.log and the channel files (removed after a clean pass unless keepRunDir). */
  runDir: string;
  durationMs: number;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const DEFAULT_SETTINGS: Record<string, unknown> = {
  // The trust dialog is refused in test mode; tests need a trusted workspace.
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
  'window.commandCenter': false,
};

export async function runInVsCode(options: RunInVsCodeOptions): Promise<RunInVsCodeResult> {
  const started = Date.now();
  const log = options.log ?? ((l: string) => process.stderr.write(`[e2e] ${l}\n`));
  const server = options.server ?? (await provision({ log }));
  const timeoutMs = options.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;

  const workspace = path.resolve(options.workspace);
  const extensionPath = path.resolve(options.extensionPath);
  const testsModule = path.resolve(options.testsModule);
  const screenshotsDir = path.resolve(options.screenshotsDir);
  for (const [what, p] of [['workspace', workspace], ['extensionPath', path.join(extensionPath, 'package.json')], ['testsModule', testsModule]]) {
    if (!fs.existsSync(p)) throw new Error(`runInVsCode: ${what} ${p} does not exist.`);
  }
  fs.mkdirSync(screenshotsDir, { recursive: true });

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-e2e-run-'));
  const userData = path.join(runDir, 'user-data');
  const channel = path.join(runDir, 'channel');
  const files = channelFiles(channel);
  for (const d of [path.join(userData, 'User'), path.join(userData, 'srv'), path.join(userData, 'ext'), files.requests, files.responses]) {
    fs.mkdirSync(d, { recursive: true });
  }
  const settings = { ...DEFAULT_SETTINGS, ...(options.settings ?? {}), [`${CHANNEL_SETTING_SECTION}.${CHANNEL_SETTING_KEY}`]: channel };
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const info: RunInfo = { workspace, extensionPath, grep: options.grep ?? process.env.CAIRN_E2E_GREP, ui: true, data: options.data };
  writeJsonAtomic(files.run, info);

  const failures: string[] = [];
  const screenshots: string[] = [];
  let serverProc: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const serverLog = path.join(runDir, 'server.log');
  const browserLog = fs.openSync(path.join(runDir, 'browser.log'), 'a');
  // If the mocha process ends (crash, Ctrl-C, kill) the server group must not outlive it; on a
  // signal, end the server group and the browser, then exit as the signal would have (130, 143…).
  // (On a plain exit Playwright's own 'exit' handler kills the browser.)
  const onExit = () => killGroup(serverProc?.pid);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const onSignal = (sig: NodeJS.Signals) => {
    killGroup(serverProc?.pid);
    const closing = browser ? browser.close().catch(() => undefined) : Promise.resolve();
    void Promise.race([closing, sleep(5000)]).then(() => process.exit(128 + (os.constants.signals[sig] ?? 1)));
  };
  process.once('exit', onExit);
  for (const s of signals) process.on(s, onSignal);

  const shoot = async (name: string, selector?: string): Promise<string> => {
    if (!page) throw new Error('no page');
    const file = path.join(screenshotsDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    if (selector) await page.locator(selector).first().screenshot({ path: file, timeout: 15_000 });
    else await page.screenshot({ path: file, timeout: 15_000 });
    screenshots.push(file);
    return file;
  };
  const remaining = () => Math.max(0, deadline - Date.now());

  let results: SuiteResults | undefined;
  try {
    // 1. The server, in its own process group (it forks file watchers that would outlive it).
    const srv = await startServer(server, userData, channel, serverLog, Math.min(remaining(), 60_000));
    serverProc = srv.proc;
    const port = srv.port;
    log(`VS Code ${server.vscodeVersion} server on 127.0.0.1:${port} (pgid ${serverProc.pid}); run folder ${runDir}`);

    // 2. The browser.
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: server.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: Math.min(remaining(), 60_000),
      // Signals are handled above (server group first, then the browser).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    page = await context.newPage();
    let hostExitCode: number | undefined;
    // The workbench calls window.codeAutomationExit(code) when the extension-tests host ends.
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      hostExitCode = code;
    });
    const writeLog = (line: string) => {
      try {
        fs.writeSync(browserLog, line + '\n');
      } catch {
        /* closed at teardown */
      }
    };
    // The workbench's console carries the extension host's log and errors too.
    page.on('console', (m) => writeLog(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => writeLog(`[pageerror] ${e.stack ?? e.message}`));
    page.on('crash', () => writeLog('[crash] page crashed'));

    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${encodeURI(p)}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extensionPath)],
      ['extensionTestsPath', remote(testsModule)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    const opened = workspace.endsWith('.code-workspace') ? 'workspace' : 'folder';
    const url = `http://127.0.0.1:${port}/?${opened}=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    if (options.modalDialogs) await showModalDialogs(page, (problem) => failures.push(problem));
    await page.goto(url, { timeout: Math.min(remaining(), 60_000), waitUntil: 'domcontentloaded' });

    // 3. Serve UI requests until the results arrive, the host ends, or time runs out.
    const builtins: Record<string, UiStep> = {
      screenshot: async (_p, a: { name: string; selector?: string }, h) => h.screenshot(a.name, a.selector),
      waitFor: async (p, a: { selector: string; state?: 'attached' | 'detached' | 'visible' | 'hidden'; timeoutMs?: number }) => {
        await p.waitForSelector(a.selector, { state: a.state ?? 'visible', timeout: a.timeoutMs ?? 20_000 });
        return true;
      },
      click: async (p, a: { selector: string; button?: 'left' | 'right'; timeoutMs?: number }) => {
        await p.locator(a.selector).first().click({ button: a.button ?? 'left', timeout: a.timeoutMs ?? 20_000 });
        return true;
      },
      press: async (p, a: { key: string }) => {
        await p.keyboard.press(a.key);
        return true;
      },
    };
    const steps = { ...builtins, ...(options.uiSteps ?? {}) };
    const helpers: UiHelpers = { page, screenshot: shoot };
    const handled = new Set<string>();
    let progressOffset = 0;
    let exitSeenAt: number | undefined;
    for (;;) {
      progressOffset = forwardProgress(files.progress, progressOffset, log);
      for (const name of listRequests(files.requests)) {
        if (handled.has(name)) continue;
        handled.add(name);
        const req = readJsonIfPresent<UiRequest>(path.join(files.requests, name));
        if (!req) continue;
        const resp: UiResponse = { id: req.id, ok: true };
        const before = screenshots.length;
        try {
          const step = steps[req.step];
          if (!step) throw new Error(`unknown UI step "${req.step}" (known: ${Object.keys(steps).join(', ')})`);
          resp.value = await withTimeout(step(page, req.args ?? {}, helpers), Math.max(1000, remaining()), `UI step ${req.step}`);
        } catch (e) {
          resp.ok = false;
          resp.error = (e instanceof Error ? e.message : String(e)).replace(/\u001b\[[0-9;]*m/g, '');
        }
        resp.screenshots = screenshots.slice(before);
        writeJsonAtomic(path.join(files.responses, `${req.id}.json`), resp);
      }
      results = readJsonIfPresent<SuiteResults>(files.results);
      if (results) break;
      if (serverProc.exitCode !== null || serverProc.signalCode !== null) {
        failures.push(`VS Code server exited (${serverProc.exitCode ?? serverProc.signalCode}) before the tests ended; see ${serverLog}`);
        break;
      }
      if (hostExitCode !== undefined) {
        // Give the results file a moment: it is written just before run() returns.
        exitSeenAt ??= Date.now();
        if (Date.now() - exitSeenAt > 3000) {
          failures.push(`The extension host ended (exit code ${hostExitCode}) without writing results; see ${path.join(runDir, 'browser.log')} and ${serverLog}${lastErrors(path.join(runDir, 'browser.log'))}`);
          break;
        }
      }
      if (Date.now() > deadline) {
        failures.push(`Timed out after ${timeoutMs / 1000} s waiting for the tests in VS Code; progress so far:\n${readText(files.progress) || `(none: the tests module never reported; see ${runDir}/browser.log and server.log)`}${lastErrors(path.join(runDir, 'browser.log'))}`);
        break;
      }
      await sleep(100);
    }
    forwardProgress(files.progress, progressOffset, log);
    if (results?.channelSource) log(`tests found the channel via ${results.channelSource}`);
  } catch (e) {
    failures.push(`e2e harness error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  } finally {
    if (page && (failures.length || (results && results.failed > 0))) {
      await shoot(`failure-${path.basename(runDir)}`).catch(() => undefined);
    }
    await teardown(serverProc, browser, log);
    process.removeListener('exit', onExit);
    for (const s of signals) process.removeListener(s, onSignal);
    fs.closeSync(browserLog);
  }

  const passed = results?.passed ?? 0;
  const failed = (results?.failed ?? 0) + (failures.length ? 1 : 0);
  const all = [...(results?.failures ?? []).map((f) => `${f.title}: ${f.error}`), ...failures];
  if (all.length === 0 && !options.keepRunDir) rmrf(runDir);
  else log(`run folder kept: ${runDir}`);
  return { passed, failed, failures: all, screenshots, runDir, durationMs: Date.now() - started };
}

/**
 * The test in VS Code's DialogService that refuses modal dialogs while extension tests run (`confirm`
 * answers yes unseen, `prompt` — an extension's modal message — throws, so the extension gets no
 * answer), as it stands in the minified workbench.js of the VS Code this harness installs.
 */
const SKIP_DIALOGS = /(\w+)\(\)\{return this\.(\w+)\.isExtensionDevelopment&&this\.\2\.extensionTestsLocationURI\?!0:!!this\.\2\.enableSmokeTestDriver\}(async confirm\(\w+\)\{return this\.\1\(\)\?\(this\.\w+\.trace\("DialogService: refused)/;

/**
 * Serve the workbench with that one test answering "not in tests", so modal dialogs open as they
 * do for a user (HTML: `.monaco-dialog-box`); nothing else of VS Code changes. A workbench where the
 * test is not found (another VS Code version) is reported as a failure of the run.
 */
async function showModalDialogs(page: Page, fail: (problem: string) => void): Promise<void> {
  await page.route('**/out/vs/code/browser/workbench/workbench.js', async (route) => {
    const response = await route.fetch();
    const code = await response.text();
    const patched = code.replace(SKIP_DIALOGS, '$1(){return!1}$3');
    if (patched === code) fail(`modalDialogs: the DialogService's test for extension tests was not found in ${route.request().url()}; update SKIP_DIALOGS in runVsCode.ts for this VS Code`);
    await route.fulfill({ response, body: patched });
  });
}

const WATCHDOG = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, process.argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
const end = () => { try { process.kill(-process.pid, 'SIGKILL'); } catch {} process.exit(1); };
process.stdin.on('end', end);
process.stdin.on('close', end);
process.stdin.on('error', end);
process.stdin.resume();
process.on('SIGTERM', () => { child.kill('SIGTERM'); });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`;

async function startServer(server: VsCodeServer, userData: string, channel: string, logFile: string, timeoutMs: number): Promise<{ proc: ChildProcess; port: number }> {
  const args = [
    server.serverMain,
    '--host', '127.0.0.1',
    '--port', '0', // the server picks a free port and prints it
    '--without-connection-token',
    '--accept-server-license-terms',
    '--user-data-dir', userData,
    '--server-data-dir', path.join(userData, 'srv'),
    '--extensions-dir', path.join(userData, 'ext'),
    '--disable-telemetry',
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, [CHANNEL_ENV]: channel };
  // Not inherited from a mocha/npm parent: they would change how the host loads modules.
  delete env.NODE_OPTIONS;
  delete env.ELECTRON_RUN_AS_NODE;
  const out = fs.openSync(logFile, 'a');
  // The group leader is a small watchdog that starts the server and, when its stdin (a pipe from
  // this process) closes — this process ended, even by SIGKILL — ends the whole group.
  const proc = spawn(server.node, ['-e', WATCHDOG, ...args], { cwd: os.tmpdir(), env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  return await new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer) => {
      fs.writeSync(out, b);
      text += b.toString();
      const m = /Extension host agent listening on (\d+)/.exec(text);
      if (m) {
        done();
        resolve({ proc, port: Number(m[1]) });
      }
    };
    const timer = setTimeout(() => {
      done();
      killGroup(proc.pid);
      reject(new Error(`The VS Code server did not start within ${timeoutMs / 1000} s:\n${text}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`The VS Code server exited (${code}) while starting:\n${text}`));
    };
    const done = () => {
      clearTimeout(timer);
      proc.removeListener('exit', onExit);
      // Keep logging after start, without holding the event loop.
      proc.stdout!.removeListener('data', onData);
      proc.stderr!.removeListener('data', onData);
      const keep = (b: Buffer) => {
        try {
          fs.writeSync(out, b);
        } catch {
          /* log closed */
        }
      };
      proc.stdout!.on('data', keep);
      proc.stderr!.on('data', keep);
      proc.once('exit', () => fs.closeSync(out));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', (e) => {
      done();
      reject(e);
    });
  });
}

async function teardown(proc: ChildProcess | undefined, browser: Browser | undefined, log: (l: string) => void): Promise<void> {
  if (proc?.pid) {
    const exited = proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => proc.once('exit', () => r()));
    killGroup(proc.pid, 'SIGTERM');
    const ok = await Promise.race([exited.then(() => true), limit(3000).then(() => false)]);
    // The whole group (file watchers, extension host, pty host) goes, whether or not the server left.
    killGroup(proc.pid, 'SIGKILL');
    if (!ok) await Promise.race([exited, limit(2000)]);
    proc.stdin?.destroy();
    proc.stdout?.destroy();
    proc.stderr?.destroy();
    const left = groupMembers(proc.pid);
    if (left.length) log(`warning: processes left in group ${proc.pid}: ${left.join(', ')}`);
  }
  if (browser) {
    const closed = await Promise.race([browser.close().then(() => true, () => true), limit(10_000).then(() => false)]);
    if (!closed) log('warning: the browser did not close within 10 s');
  }
}

function groupMembers(pgid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=,stat=', '-g', String(pgid)], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, stat]) => pid && stat && !stat.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

function listRequests(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => /^\d+\.json$/.test(n))
      .sort((a, b) => parseInt(a) - parseInt(b));
  } catch {
    return [];
  }
}

function forwardProgress(file: string, offset: number, log: (l: string) => void): number {
  let text: string;
  try {
    const buf = fs.readFileSync(file);
    if (buf.length <= offset) return offset;
    const end = buf.lastIndexOf(0x0a) + 1; // whole lines only
    if (end <= offset) return offset;
    text = buf.subarray(offset, end).toString('utf8');
    offset = end;
  } catch {
    return offset;
  }
  for (const line of text.split('\n')) if (line) log(`  [host] ${line}`);
  return offset;
}

/** The last errors the workbench logged (the extension host's errors are forwarded there), minus offline noise. */
function lastErrors(browserLog: string, max = 8): string {
  const noise = /Failed to load resource|ServiceWorker|ENOTFOUND|ERR_NAME_NOT_RESOLVED|bad HTTP response code/;
  const lines = readText(browserLog)
    .split('\n')
    .filter((l) => /^\[(error|pageerror)\]/.test(l) && !noise.test(l))
    .map((l) => l.replace('%c  ERR color: #f33 ', ''));
  return lines.length ? `\nlast errors in the workbench:\n${lines.slice(-max).join('\n')}` : '';
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A sleep that does not keep the process alive: for time limits raced against real work. */
function limit(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function rmrf(dir: string): void {
  spawnSync('chmod', ['-R', 'u+w', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
}
