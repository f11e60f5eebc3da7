import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { provision, VsCodeServer } from './provision';
import { runInVsCode, UiStep } from './runVsCode';
import { makeE2eWorkspace, makeRestrictedWorkspace, REPO_ROOT, SUITE_MODULE } from './workspace';
import { tempGitRepo } from '../support/fixtures';

const screenshotsDir = path.join(REPO_ROOT, 'test-output', 'screenshots');

/** Click `selector` inside a webview. */
const webviewClick: UiStep = async (page, args: { selector: string }) => {
  for (const frame of page.frames()) {
    const found = await frame.$(args.selector).catch(() => null);
    if (found) return found.click();
  }
  throw new Error(`no webview element matches ${args.selector}`);
};

/** Scroll a webview so that `selector` is at the top of its page. */
const webviewScroll: UiStep = async (page, args: { selector: string }) => {
  for (const frame of page.frames()) {
    const found = await frame.$(args.selector).catch(() => null);
    if (found) return found.evaluate((e) => e.scrollIntoView({ block: 'start' }));
  }
  throw new Error(`no webview element matches ${args.selector}`);
};

/** The text of `selector` inside a webview (webviews are nested iframes the extension host cannot see into). */
const webviewText: UiStep = async (page, args: { selector: string; timeoutMs?: number }) => {
  const deadline = Date.now() + (args.timeoutMs ?? 20_000);
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame.$(args.selector).catch(() => null);
      if (found) return found.evaluate((e) => ((e as { innerText?: string }).innerText ?? e.textContent ?? ''));
    }
    if (Date.now() > deadline) throw new Error(`no webview element matches ${args.selector}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** The first image matching `selector` inside a webview once loaded: its natural size (0 when the page could not load it). */
const webviewImage: UiStep = async (page, args: { selector: string; timeoutMs?: number }) => {
  const deadline = Date.now() + (args.timeoutMs ?? 20_000);
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame.$(args.selector).catch(() => null);
      // Run in the page: no names from here inside.
      const state = found && (await found.evaluate((e) => {
        const img = e as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
        return img.complete ? { width: img.naturalWidth, height: img.naturalHeight } : undefined;
      }));
      if (state) return state;
    }
    if (Date.now() > deadline) throw new Error(`no loaded webview image matches ${args.selector}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** The colour of a row's label (file decorations colour it: git greys ignored files). */
const labelColor: UiStep = async (page, args: { selector: string }) =>
  page.locator(`${args.selector} .label-name`).first().evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color);

describe('e2e: the extension in a real VS Code (VS Code server + headless Chromium)', function () {
  let server: VsCodeServer;

  before(async function () {
    // Installed before the tests by test/provisionPeers.ts; installed here when mocha runs this file alone.
    this.timeout(20 * 60_000);
    server = await provision();
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js')), 'dist/extension.js is missing: run `npm run build` first');
  });

  it('runs the in-host suite (test/e2e/suite) against the real vscode API and screenshots the workbench', async function () {
    this.timeout(4 * 60_000);
    const result = await runInVsCode({
      workspace: makeE2eWorkspace(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir,
      server,
      timeoutMs: 240_000,
      uiSteps: { webviewText, webviewScroll, webviewClick, webviewImage, labelColor },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.failed, 0);
    assert.ok(result.passed > 0, 'no test ran inside VS Code');
    const shot = path.join(screenshotsDir, 'workbench.png');
    assert.ok(result.screenshots.includes(shot) && fs.statSync(shot).size > 10_000, `no screenshot at ${shot}`);
  });

  it('shows the welcome view in a git folder that is not a repository, and its Initialize button works', async function () {
    this.timeout(4 * 60_000);
    const result = await runInVsCode({
      workspace: tempGitRepo(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'welcome'),
      server,
      timeoutMs: 180_000,
      data: { scenario: 'welcome' },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.ok(result.screenshots.some((s) => s.endsWith('welcome-initialized.png')), 'the welcome test did not run');
  });

  it('runs no git and no program of the repository in Restricted Mode, and reloads in full once trusted', async function () {
    this.timeout(4 * 60_000);
    const { workspace, marker } = makeRestrictedWorkspace();
    const result = await runInVsCode({
      workspace,
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'restricted'),
      server,
      timeoutMs: 180_000,
      // Trust on, no startup question: the folder opens untrusted. VS Code's own git extension is
      // off, so the hook can run only through Cairn once the folder is trusted.
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'git.enabled': false },
      data: { scenario: 'restricted', marker },
      grep: 'Restricted Mode',
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 2, 'the Restricted Mode tests did not run');
    assert.ok(result.screenshots.some((s) => s.endsWith('restricted-mode.png')));
  });
});
