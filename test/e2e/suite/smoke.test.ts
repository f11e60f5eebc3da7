import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runInfo, screenshot, ui, uiAvailable } from './harness';

const EXTENSION_ID = 'cairn.cairn';

describe('e2e harness: a real VS Code with the extension loaded from source', () => {
  it('opens the workspace the runner asked for', () => {
    const info = runInfo();
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'one workspace folder is open');
    assert.equal(folders[0].uri.scheme, 'file');
    const plainFolder = (info?.data as { scenario?: string } | undefined)?.scenario === 'welcome';
    assert.equal(fs.existsSync(path.join(folders[0].uri.fsPath, '.dvc', 'config')), !plainFolder, 'the workspace is a Cairn repository unless the run asked for a plain folder');
    if (info) assert.equal(fs.realpathSync(folders[0].uri.fsPath), fs.realpathSync(info.workspace));
    assert.equal(vscode.workspace.isTrusted, true, 'the workspace is trusted (security.workspace.trust.enabled: false)');
  });

  it('loads the extension cairn.cairn from source and activates it', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    const info = runInfo();
    if (info) assert.equal(fs.realpathSync(ext.extensionUri.fsPath), fs.realpathSync(info.extensionPath), 'loaded from extensionDevelopmentPath');
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('renders the workbench with the Cairn view container', async function () {
    if (!uiAvailable()) this.skip();
    // The container is contributed by package.json; its command exists whatever the extension registers.
    await vscode.commands.executeCommand('workbench.view.extension.cairn');
    await ui('waitFor', { selector: '.part.sidebar .composite.title' });
    await ui('waitFor', { selector: '.activitybar .action-item a[aria-label*="Cairn"]' });
    const file = await screenshot('workbench');
    assert.ok(file && fs.existsSync(file), `screenshot saved (${file})`);
  });
});
