import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/commandIds';
import { clearNotifications, runInfo, screenshot, ui, uiAvailable, waitFor } from './harness';
import { formatSize } from '../../../src/core/formatSize';


/** Remotes: add one, see what is pushed, push, pull a lost file back; credentials kept by VS Code. */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario !== 'welcome') {
  describe('Remotes: push, pull and remote state in the tree', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-e2e-remote-'));
    let workbench: any;
    const model = () => workbench.tree.getChildren().flatMap((g: any) => workbench.tree.getChildren(g)).find((n: any) => n.item.path === 'models/model.pkl');
    const remoteState = (p: string) => model()?.model.remoteStates?.states[p];

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
    });
    after(() => fs.rmSync(store, { recursive: true, force: true }));

    it('adds a default remote and shows it in the Remotes view', async () => {
      await vscode.commands.executeCommand(COMMANDS.addRemote.id, { name: 'store', url: store, makeDefault: true });
      assert.match(fs.readFileSync(path.join(root, '.dvc', 'config'), 'utf8'), /\['remote "store"'\]\n {4}url = .*\n/);
      const rows = workbench.remotes.getChildren().map((n: any) => workbench.remotes.getTreeItem(n));
      assert.deepEqual(rows.map((r: any) => [r.label, r.description]), [['store', `default · ${store}`]]);
    });

    it('marks outputs not pushed yet, pushes them all, and marks them on the remote', async () => {
      await vscode.commands.executeCommand(COMMANDS.refreshRemoteStatus.id);
      assert.equal(remoteState('models/model.pkl'), 'not pushed');
      assert.match(String(workbench.tree.getTreeItem(model()).description), /☁ not pushed$/);
      await vscode.commands.executeCommand(COMMANDS.push.id);
      assert.ok(fs.readdirSync(path.join(store, 'files', 'md5')).length > 0, 'objects under files/md5 on the remote');
      await waitFor('everything on the remote', () => remoteState('models/model.pkl') === 'on remote' && remoteState('data') === 'on remote');
      await vscode.commands.executeCommand('cairn.remotes.focus');
      await vscode.commands.executeCommand('cairn.dataModels.focus');
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row:has-text("on remote")' });
      await screenshot('remotes-pushed', '.part.sidebar');
    });

    it('pulls a file lost from the workspace and the cache back from the remote', async () => {
      const file = path.join(root, 'models', 'model.pkl');
      const bytes = fs.readFileSync(file);
      const md5 = /md5: ([0-9a-f]{32})/.exec(fs.readFileSync(`${file}.dvc`, 'utf8'))![1];
      fs.rmSync(file);
      fs.rmSync(path.join(root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
      await waitFor('the model to be missing', () => model()?.item.status === 'not in cache');
      await clearNotifications();
      await vscode.commands.executeCommand(COMMANDS.pull.id, model());
      assert.deepEqual(fs.readFileSync(file), bytes);
      await waitFor('the model back in sync', () => model()?.item.status === 'in sync');
      // The notification says what came and what was restored.
      await ui('waitFor', { selector: `.notification-toast:has-text("Pulled 1 object (${formatSize(bytes.length)}); restored models/model.pkl.")` });
    });

    it('names the file a pull could not bring back, and why, in one error', async () => {
      const file = path.join(root, 'models', 'model.pkl');
      const md5 = /md5: ([0-9a-f]{32})/.exec(fs.readFileSync(`${file}.dvc`, 'utf8'))![1];
      const onRemote = path.join(store, 'files', 'md5', md5.slice(0, 2), md5.slice(2));
      const aside = `${onRemote}.aside`;
      fs.renameSync(onRemote, aside);
      try {
        fs.rmSync(file);
        fs.rmSync(path.join(root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2)));
        await clearNotifications();
        await vscode.commands.executeCommand(COMMANDS.pull.id, model());
        // One line for the file: the missing object, not also "not in cache" from the checkout after it.
        await ui('waitFor', { selector: `.notification-toast:has-text("Cairn: Pulled 0 objects; 1 failed — models/model.pkl: not on remote 'store'")` });
        assert.equal(fs.existsSync(file), false);
      } finally {
        fs.renameSync(aside, onRemote);
      }
      await vscode.commands.executeCommand(COMMANDS.pull.id, model());
      await waitFor('the model back in sync', () => model()?.item.status === 'in sync');
    });

    it('keeps S3 credentials in VS Code only unless the user agrees to write them to config.local', async () => {
      await vscode.commands.executeCommand(COMMANDS.addRemote.id, { name: 'cloud', url: 's3://bucket/data', makeDefault: false });
      const node = () => workbench.remotes.getChildren().find((n: any) => n.remote?.name === 'cloud');
      const local = path.join(root, '.dvc', 'config.local');
      await vscode.commands.executeCommand(COMMANDS.setRemoteCredentials.id, node(), { access_key_id: 'AKIAEXAMPLE', secret_access_key: 'sekrit-value', writeToConfigLocal: false });
      assert.ok(!fs.existsSync(local) || !fs.readFileSync(local, 'utf8').includes('sekrit-value'), 'not written without consent');
      assert.equal(node().hasSecret, true);
      assert.match(String(workbench.remotes.getTreeItem(node()).tooltip.value), /Credentials kept by VS Code/);
      await vscode.commands.executeCommand(COMMANDS.setRemoteCredentials.id, node(), { access_key_id: 'AKIAEXAMPLE', secret_access_key: 'sekrit-value', writeToConfigLocal: true });
      assert.match(fs.readFileSync(local, 'utf8'), /\['remote "cloud"'\]\n {4}access_key_id = AKIAEXAMPLE\n {4}secret_access_key = sekrit-value\n/);
      assert.doesNotMatch(fs.readFileSync(path.join(root, '.dvc', 'config'), 'utf8'), /sekrit/, 'never in the committed config');
      if (!uiAvailable()) return;
      // Remove Remote from the row's menu, once its dialog is answered.
      await vscode.commands.executeCommand('cairn.remotes.focus');
      await ui('contextMenu', { selector: '.part.sidebar .monaco-list-row[aria-label^="cloud"]' });
      await ui('menuPick', { label: COMMANDS.removeRemote.title });
      const asked = await ui<{ message: string }>('answerDialog', { button: 'Remove' });
      assert.equal(asked.message, "Remove remote 'cloud' from the configuration?");
      await waitFor('cloud gone', () => (node() === undefined ? true : undefined));
    });
  });
}
