import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { provision, VsCodeServer } from './provision';
import { runInVsCode, UiStep } from './runVsCode';
import { menuSteps } from './menuSteps';
import { makeE2eWorkspace, makeExperimentActionsWorkspace, makeExperimentsWorkspace, makeLivePlotsWorkspace, makeModelsWorkspace, makeRestrictedWorkspace, makeRunFormWorkspace, makeTwoRepositoryWorkspace, REPO_ROOT, SUITE_MODULE } from './workspace';
import { tempGitRepo } from '../support/fixtures';
import { ensureDvc, ensureGto } from '../support/peers';

const screenshotsDir = path.join(REPO_ROOT, 'test-output', 'screenshots');

/** Click `selector` inside a webview (with `modifiers`: shift-click and the like; `button: 'right'` opens its context menu). */
const webviewClick: UiStep = async (page, args: { selector: string; modifiers?: ('Shift' | 'Control' | 'Alt')[]; button?: 'left' | 'right' }) => {
  for (const frame of page.frames()) {
    const found = await frame.$(args.selector).catch(() => null);
    // A locator, not the handle: a row the page redraws meanwhile is found again.
    if (found) return frame.locator(args.selector).first().click({ modifiers: args.modifiers, button: args.button });
  }
  throw new Error(`no webview element matches ${args.selector}`);
};

/** Turn the mouse wheel over the middle of `selector` inside a webview; returns its `data-x-range` after (a zoomed chart's x range). */
const webviewWheel: UiStep = async (page, args: { selector: string; deltaY: number }) => {
  for (const frame of page.frames()) {
    const found = await frame.$(args.selector).catch(() => null);
    if (!found) continue;
    const box = (await found.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, args.deltaY);
    await page.waitForTimeout(200);
    return found.getAttribute('data-x-range');
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

/** Type text where the keyboard focus is (the command palette's input, say). */
const typeText: UiStep = async (page, args: { text: string }) => page.keyboard.type(args.text);

/**
 * The rows of the experiments table as drawn, top to bottom: the Experiment cell's name, the
 * state icon's state, and every cell's text. Waits until at least `atLeast` rows are drawn.
 */
const experimentRows: UiStep = async (page, args: { atLeast?: number; timeoutMs?: number }) => {
  const deadline = Date.now() + (args.timeoutMs ?? 20_000);
  for (;;) {
    for (const frame of page.frames()) {
      // Run in the page: no names from here inside.
      const rows = await frame
        .$$eval('.body .row', (nodes) =>
          nodes
            .map((n) => {
              const e = n as unknown as { style: { transform: string }; querySelector(s: string): { textContent: string | null; getAttribute(a: string): string | null } | null; querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> };
              return {
                y: Number(/translateY\(([-\d.]+)px\)/.exec(e.style.transform)?.[1] ?? 0),
                name: e.querySelector('.name')?.textContent ?? '',
                state: e.querySelector('svg.state')?.getAttribute('data-state') ?? null,
                cells: Array.from(e.querySelectorAll('.td')).map((c) => c.textContent ?? ''),
                best: Array.from(e.querySelectorAll('.td.best')).map((c) => c.textContent ?? ''),
                selected: (n as unknown as { classList: { contains(c: string): boolean } }).classList.contains('selected'),
                starred: e.querySelector('.star.on') !== null,
                context: (n as unknown as { getAttribute(a: string): string | null }).getAttribute('data-vscode-context'),
              };
            })
            .sort((a, b) => a.y - b.y),
        )
        .catch(() => []);
      if (rows.length >= (args.atLeast ?? 1)) return rows;
    }
    if (Date.now() > deadline) throw new Error('no experiments table rows drawn');
    await new Promise((r) => setTimeout(r, 100));
  }
};

/**
 * Mark every row line of the experiments table drawn now (`mark: true`), or list the names of the
 * rows drawn whose line is not marked: lines made since (drawn again), not the same elements.
 */
const probeRows: UiStep = async (page, args: { mark?: boolean }) => {
  for (const frame of page.frames()) {
    if (!(await frame.$('.body .row').catch(() => null))) continue;
    // Run in the page: no names from here inside.
    return frame.$$eval(
      '.body .row',
      (nodes, mark) =>
        nodes.flatMap((n) => {
          const e = n as unknown as { dataset: Record<string, string | undefined>; querySelector(s: string): { textContent: string | null } | null };
          if (mark) e.dataset.probe = '1';
          return mark || e.dataset.probe ? [] : [e.querySelector('.name')?.textContent ?? ''];
        }),
      args.mark === true,
    );
  }
  throw new Error('no experiments table rows drawn');
};

/** Scroll the experiments table by (dx, dy) on each of `frames` animation frames, as a user dragging fast would. */
const scrollTable: UiStep = async (page, args: { frames: number; dx: number; dy: number }) => {
  for (const frame of page.frames()) {
    const scroller = await frame.$('.scroller').catch(() => null);
    if (!scroller) continue;
    // Run in the page: no names from here inside.
    return scroller.evaluate(async (s, a) => {
      const el = s as unknown as { scrollTop: number; scrollLeft: number };
      const raf = (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame;
      for (let i = 0; i < a.frames; i++) {
        await new Promise<void>((resolve) => raf(() => resolve()));
        el.scrollTop += a.dy;
        el.scrollLeft += a.dx;
      }
      return { top: el.scrollTop, left: el.scrollLeft };
    }, args);
  }
  throw new Error('no experiments table in a webview');
};

/**
 * Post `messages` from the experiments table's page as the page itself would (through the webview's
 * own channel, `acquireVsCodeApi().postMessage`'s path): what a compromised page could send.
 */
const webviewPostRaw: UiStep = async (page, args: { messages: unknown[] }) => {
  for (const frame of page.frames()) {
    if (!(await frame.$('.scroller').catch(() => null))) continue;
    // The page's channel lives in the webview frame around it (what acquireVsCodeApi calls). Run there: no names from here inside.
    const outer = frame.parentFrame();
    if (!outer) throw new Error('the experiments page has no webview frame around it');
    return outer.evaluate((messages) => {
      const post = (globalThis as unknown as Record<string, (channel: string, data: unknown) => void>).__vscode_post_message__;
      for (const message of messages) post('onmessage', { message });
      return messages.length;
    }, args.messages);
  }
  throw new Error('no experiments table in a webview');
};

/** Post `message` from the run form's page as the page itself would: what a compromised page could send. */
const runFormPost: UiStep = async (page, args: { message: unknown }) => {
  for (const frame of page.frames()) {
    if (!(await frame.$('form .actions').catch(() => null))) continue;
    const outer = frame.parentFrame();
    if (!outer) throw new Error('the run form has no webview frame around it');
    // Run in the page: no names from here inside.
    return outer.evaluate((message) => {
      (globalThis as unknown as Record<string, (channel: string, data: unknown) => void>).__vscode_post_message__('onmessage', { message });
      return true;
    }, args.message);
  }
  throw new Error('no run form in a webview');
};

/**
 * When the experiments page's frame started loading, when the service worker VS Code gives each
 * webview first answered for it (the frame waits for that), and when the page's document was
 * written (DOMContentLoaded); epoch milliseconds, to compare with the extension host's clock.
 */
const webviewStart: UiStep = async (page) => {
  for (const frame of page.frames()) {
    if (!(await frame.$('.scroller').catch(() => null))) continue;
    const outer = frame.parentFrame();
    if (!outer) throw new Error('the experiments page has no webview frame around it');
    return outer.evaluate(() => {
      const perf = (globalThis as unknown as { performance: { timeOrigin: number; getEntriesByType(t: string): { name: string; startTime: number; workerStart: number }[] } }).performance;
      const fake = perf.getEntriesByType('resource').filter((e) => /\/fake\.html\?/.test(e.name)).at(-1);
      return fake && { frameAt: perf.timeOrigin + fake.startTime, workerAt: perf.timeOrigin + fake.workerStart };
    });
  }
  throw new Error('no experiments table in a webview');
};

/** The first webview frame that has `selector`, and that element. */
async function webviewElement(page: Parameters<UiStep>[0], selector: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame.$(selector).catch(() => null);
      if (found) return { frame, found };
    }
    if (Date.now() > deadline) throw new Error(`no webview element matches ${selector}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Type `text` into a webview input (its old text replaced) and commit it as a user leaving the field would (`change`). */
const webviewFill: UiStep = async (page, args: { selector: string; text: string }) => {
  const { found } = await webviewElement(page, args.selector);
  await found.fill(args.text);
  await found.dispatchEvent('change');
  return true;
};

/** Choose `value` in a webview `<select>`. */
const webviewSelect: UiStep = async (page, args: { selector: string; value: string }) => {
  const { found } = await webviewElement(page, args.selector);
  await found.selectOption(args.value);
  return true;
};

/** Drag one webview element onto another with the mouse (HTML drag and drop, as a user does). */
const webviewDrag: UiStep = async (page, args: { from: string; to: string }) => {
  const { frame } = await webviewElement(page, args.from);
  await frame.dragAndDrop(args.from, args.to);
  return true;
};

/** Press the mouse on a webview element, move it by `dx` pixels in steps, and let go (a resize handle's drag). */
const webviewDragBy: UiStep = async (page, args: { selector: string; dx: number }) => {
  const { found } = await webviewElement(page, args.selector);
  const box = await found.boundingBox();
  if (!box) throw new Error(`${args.selector} is not shown`);
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + args.dx, y, { steps: 8 });
  await page.mouse.up();
  return true;
};

/** Every webview element matching `selector`: its text, classes, `data-column` and width in pixels. */
const webviewQuery: UiStep = async (page, args: { selector: string; timeoutMs?: number }) => {
  const { frame } = await webviewElement(page, args.selector, args.timeoutMs);
  // Run in the page: no names from here inside.
  return frame.$$eval(args.selector, (nodes) =>
    nodes.map((n) => {
      const e = n as unknown as { textContent: string | null; className: string; getAttribute(a: string): string | null; getBoundingClientRect(): { width: number }; checked?: boolean; value?: string };
      return { text: e.textContent ?? '', className: e.className, column: e.getAttribute('data-column'), width: e.getBoundingClientRect().width, checked: e.checked, value: e.value };
    }),
  );
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
      // Commit, Checkout, Stop Tracking and Remove Remote ask with modal dialogs, which the tests answer by their buttons.
      modalDialogs: true,
      uiSteps: { webviewText, webviewScroll, webviewClick, webviewImage, labelColor, typeText, ...menuSteps },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.failed, 0);
    assert.ok(result.passed > 0, 'no test ran inside VS Code');
    const shot = path.join(screenshotsDir, 'workbench.png');
    assert.ok(result.screenshots.includes(shot) && fs.statSync(shot).size > 10_000, `no screenshot at ${shot}`);
  });

  it('shows the experiments table of experiments made by cairn exp run, sorts it, and scrolls 2,000 × 500 smoothly', async function () {
    this.timeout(6 * 60_000);
    const result = await runInVsCode({
      workspace: makeExperimentsWorkspace(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'experiments'),
      server,
      timeoutMs: 330_000,
      data: { scenario: 'experiments' },
      grep: 'Experiments table',
      uiSteps: { webviewText, webviewClick, typeText, experimentRows, scrollTable, webviewPostRaw, webviewStart, probeRows, webviewFill, webviewSelect, webviewDrag, webviewDragBy, webviewQuery },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 8, 'the experiments table tests did not run');
  });

  it('acts on experiment rows: pulls one only on the git remote (dimmed until then), applies, removes, shows a failed run\'s log, stops a running one, copies rows as CSV — from right-click menus and modal dialogs', async function () {
    this.timeout(5 * 60_000);
    const result = await runInVsCode({
      workspace: makeExperimentActionsWorkspace(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'experiment-actions'),
      server,
      timeoutMs: 240_000,
      data: { scenario: 'expactions', dvc: ensureDvc() },
      grep: 'Experiment row actions',
      // The row actions ask with modal dialogs, which the tests answer by their buttons.
      modalDialogs: true,
      uiSteps: { webviewText, webviewClick, typeText, experimentRows, ...menuSteps },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 10, 'the experiment row action tests did not run');
  });

  it('asks which repository\'s experiments to show in a multi-root workspace, and shows that one', async function () {
    this.timeout(4 * 60_000);
    const result = await runInVsCode({
      workspace: makeTwoRepositoryWorkspace(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'multiroot'),
      server,
      timeoutMs: 180_000,
      data: { scenario: 'multiroot' },
      grep: 'Experiments in a multi-root workspace',
      modalDialogs: true,
      uiSteps: { typeText, experimentRows, webviewText, ...menuSteps },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 3, 'the multi-root tests did not run');
  });

  it('runs an experiment and a 3-value sweep (-j 2) from the Modify Params and Run form, and refuses bad input in it', async function () {
    this.timeout(8 * 60_000);
    const result = await runInVsCode({
      workspace: makeRunFormWorkspace(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'runForm'),
      server,
      timeoutMs: 420_000,
      data: { scenario: 'runForm' },
      grep: 'Modify Params and Run form',
      uiSteps: { webviewText, webviewClick, typeText, experimentRows, runFormPost },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 5, 'the run form tests did not run');
  });

  it('draws a queued DVCLive run live in the plots panel, the sweep views, and a 100k-point series decimated', async function () {
    this.timeout(6 * 60_000);
    const { workspace, stepTimes, python } = makeLivePlotsWorkspace();
    const result = await runInVsCode({
      workspace,
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'liveplots'),
      server,
      timeoutMs: 300_000,
      data: { scenario: 'liveplots', stepTimes, python },
      grep: 'Live plots',
      uiSteps: { webviewText, webviewScroll, webviewClick, webviewWheel, experimentRows, typeText },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 6, 'the live plots tests did not run');
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

  it('registers a model version and assigns a stage from the Model Registry view, and draws its lineage', async function () {
    this.timeout(4 * 60_000);
    const result = await runInVsCode({
      workspace: makeModelsWorkspace(),
      extensionPath: REPO_ROOT,
      testsModule: SUITE_MODULE,
      screenshotsDir: path.join(screenshotsDir, 'models'),
      server,
      timeoutMs: 200_000,
      // The real gto, to check what the view shows against `gto show --json`; the real dvc runs the copied `artifacts get`.
      data: { scenario: 'models', gto: ensureGto(), dvc: ensureDvc() },
      grep: 'Model registry',
      // Register from a table row and Deprecate ask with modal dialogs, which the tests answer by their buttons.
      modalDialogs: true,
      uiSteps: { webviewText, webviewClick, typeText, ...menuSteps },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 4, 'the model registry tests did not run');
    assert.ok(result.screenshots.some((s) => s.endsWith('lineage-dark.png')));
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
      uiSteps: { webviewText, webviewClick, experimentRows, runFormPost },
    });
    assert.deepEqual(result.failures, [], `failures in VS Code (logs in ${result.runDir}):\n${result.failures.join('\n\n')}`);
    assert.equal(result.passed, 3, 'the Restricted Mode tests did not run');
    assert.ok(result.screenshots.some((s) => s.endsWith('restricted-mode.png')));
  });
});
