import type { Page } from 'playwright-core';
import type { UiHelpers, UiStep } from './runVsCode';

/**
 * UI steps for the workbench's own menus and modal dialogs, which in the web workbench are HTML
 * like the rest of it: a right-click (in the workbench or inside a webview, whose `webview/context`
 * menu the workbench draws) opens `.context-view .monaco-menu`, and a modal message is a
 * `.monaco-dialog-box`. Each fails with a screenshot, named in its error, when the menu or dialog
 * does not appear.
 */

const MENU = '.context-view .monaco-menu';
const MENU_ITEM = `${MENU} .action-item [role="menuitem"]`;
const DIALOG = '.monaco-dialog-box';

/** What a modal dialog says and offers. */
export interface DialogText {
  message: string;
  detail: string;
  buttons: string[];
}

async function failWithScreen(helpers: UiHelpers, name: string, message: string): Promise<never> {
  const shot = await helpers.screenshot(`${name}-${Date.now()}`).catch(() => undefined);
  throw new Error(`${message}${shot ? ` (screen: ${shot})` : ''}`);
}

/** The labels of the open context menu's items, top to bottom (separators left out). */
async function menuLabels(page: Page): Promise<string[]> {
  const labels = await page.locator(`${MENU_ITEM} .action-label`).allTextContents();
  return labels.map((l) => l.trim()).filter(Boolean);
}

/**
 * The first element matching `selector` in any frame of the page (webviews are nested iframes), as
 * a locator: the table redraws its rows, and a locator finds the row again where a handle would be stale.
 */
async function elementInFrames(page: Page, selector: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame.$(selector).catch(() => null);
      if (found) return frame.locator(selector).first();
    }
    if (Date.now() > deadline) return undefined;
    await page.waitForTimeout(100);
  }
}

/**
 * Right-click `selector` — in the workbench, or with `inWebview` inside a webview — and wait for
 * the context menu; returns its item labels. An open menu is closed first.
 *
 * A right-click that opens no menu is tried once more, as a user would, and said in the run's
 * output: one right-click in a webview, just after the menu before it was closed, has opened no
 * menu within 10 s (on a loaded CI machine, and once here), the workbench having got no menu to
 * draw or closed it at once; which, not found. Both tries share `timeoutMs`.
 */
export const contextMenu: UiStep = async (page, args: { selector: string; inWebview?: boolean; timeoutMs?: number }, helpers) => {
  const menu = page.locator(MENU);
  if (await menu.isVisible()) {
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
    // Focus goes back to the webview, whose page tells the workbench by a poll every 250 ms
    // (VS Code's webview pre/index.html `trackFocus`): a right-click before that poll has lost its
    // menu now and then. A user is not that quick.
    await page.waitForTimeout(300);
  }
  const timeoutMs = args.timeoutMs ?? 10_000;
  const target = args.inWebview ? await elementInFrames(page, args.selector, timeoutMs) : page.locator(args.selector).first();
  if (!target) return failWithScreen(helpers, 'no-context-target', `no webview element matches ${args.selector}`);
  for (const attempt of [1, 2]) {
    await target.click({ button: 'right', timeout: timeoutMs });
    try {
      await page.locator(MENU_ITEM).first().waitFor({ state: 'visible', timeout: timeoutMs / 2 });
      return menuLabels(page);
    } catch {
      if (attempt === 1) console.log(`[e2e] contextMenu: no menu within ${timeoutMs / 2} ms of a right-click on ${args.selector}; right-clicking again`);
    }
  }
  return failWithScreen(helpers, 'no-context-menu', `no context menu opened on ${args.selector} after two right-clicks, ${timeoutMs / 2} ms each`);
};

/** Choose the open context menu's item labelled exactly `label`; the menu closes. */
export const menuPick: UiStep = async (page, args: { label: string }, helpers) => {
  const items = page.locator(MENU_ITEM);
  if (!(await items.first().isVisible())) return failWithScreen(helpers, 'no-menu-open', `no context menu is open to choose "${args.label}" from`);
  const labels = await menuLabels(page);
  const index = labels.indexOf(args.label);
  if (index < 0) return failWithScreen(helpers, 'no-menu-item', `the context menu has no "${args.label}": it lists ${JSON.stringify(labels)}`);
  await page.locator(`${MENU_ITEM}:has(.action-label:text-is(${JSON.stringify(args.label)}))`).first().click();
  await page.locator(MENU).waitFor({ state: 'hidden', timeout: 5_000 });
  return true;
};

/**
 * Wait for a modal dialog, optionally screenshot it as `screenshot`, then press its button
 * labelled `button` and wait until it closes; returns what the dialog said and offered.
 */
export const answerDialog: UiStep = async (page, args: { button: string; screenshot?: string; timeoutMs?: number }, helpers) => {
  const timeoutMs = args.timeoutMs ?? 15_000;
  const dialog = page.locator(DIALOG);
  try {
    await dialog.waitFor({ state: 'visible', timeout: timeoutMs });
  } catch {
    return failWithScreen(helpers, 'no-dialog', `no modal dialog appeared within ${timeoutMs} ms (to press "${args.button}")`);
  }
  const text: DialogText = {
    message: (await dialog.locator('.dialog-message-text').textContent())?.trim() ?? '',
    detail: (await dialog.locator('.dialog-message-detail').allTextContents()).join('\n').trim(),
    buttons: (await dialog.locator('.dialog-buttons .monaco-button').allTextContents()).map((b) => b.trim()),
  };
  if (args.screenshot) await helpers.screenshot(args.screenshot);
  if (!text.buttons.includes(args.button)) return failWithScreen(helpers, 'no-dialog-button', `the dialog "${text.message}" has no "${args.button}" button: it offers ${JSON.stringify(text.buttons)}`);
  await dialog.locator('.dialog-buttons .monaco-button').filter({ hasText: new RegExp(`^\\s*${args.button.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).first().click();
  await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
  return text;
};

export const menuSteps = { contextMenu, menuPick, answerDialog };
