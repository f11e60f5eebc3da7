import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runInfo, screenshot, ui } from './harness';

/** Only in the run on a plain git folder (test/e2e/e2e.test.ts passes `scenario: 'welcome'`). */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario === 'welcome') {
  describe('Welcome in a folder that is not a repository yet', function () {
    this.timeout(60_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;

    it('offers Initialize Repository and Learn More, and Initialize makes the folder a repository', async () => {
      assert.equal(fs.existsSync(path.join(root, '.dvc')), false);
      // (Clicking the activity-bar icon would toggle the view closed if it is already open.)
      await vscode.commands.executeCommand('workbench.view.extension.cairn');
      await ui('waitFor', { selector: '.part.sidebar .monaco-button:has-text("Initialize Repository")' });
      await ui('waitFor', { selector: '.part.sidebar .monaco-button:has-text("Learn More")' });
      await screenshot('welcome-not-a-repository', '.part.sidebar');
      await ui('click', { selector: '.part.sidebar .monaco-button:has-text("Initialize Repository")' });
      await ui('waitFor', { selector: '.part.sidebar .monaco-button:has-text("Add Data")' });
      assert.equal(fs.readFileSync(path.join(root, '.dvc', 'config'), 'utf8'), '');
      assert.ok(fs.existsSync(path.join(root, '.dvcignore')));
      await screenshot('welcome-initialized', '.part.sidebar');
    });

    it('has a Get Started walkthrough with its four steps and their buttons', async () => {
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', 'cairn.cairn#cairn.getStarted', false);
      await ui('waitFor', { selector: '.gettingStartedContainer :text("Get Started with Cairn")' });
      for (const step of ['Initialize a repository', 'Add data', 'Commit with git', 'See status']) {
        await ui('waitFor', { selector: `.gettingStartedContainer button.getting-started-step:has-text("${step}")` });
      }
      await ui('waitFor', { selector: '.gettingStartedContainer .monaco-button:has-text("Initialize Repository")' });
      await screenshot('walkthrough');
    });
  });
}
