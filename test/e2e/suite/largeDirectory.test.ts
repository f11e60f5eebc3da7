import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { dirManifestHash } from '../../../src/core/hashing/dirManifest';
import { note, runInfo, screenshot, ui, waitFor } from './harness';

const FILES = 100_000;

/**
 * A tracked directory of 100,000 files expands in the real VS Code without freezing: the
 * tree reads its `.dir` manifest (never the disk) and shows it a page at a time.
 */
if ((runInfo()?.data as { scenario?: string } | undefined)?.scenario !== 'welcome') {
  describe('A 100k-file directory in the Data & Models tree', function () {
    this.timeout(120_000);
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    let workbench: any;

    before(async () => {
      workbench = (await vscode.extensions.getExtension<{ workbench: any }>('cairn.cairn')!.activate()).workbench;
      // Only the manifest is needed to expand: write it into the cache and a .dvc file pointing at it.
      const entries = Array.from({ length: FILES }, (_, i) => ({
        relpath: `image-${String(i).padStart(6, '0')}.png`,
        md5: crypto.createHash('md5').update(String(i)).digest('hex'),
      }));
      const { md5, bytes } = dirManifestHash(entries); // md5 ends in .dir
      const object = path.join(root, '.dvc', 'cache', 'files', 'md5', md5.slice(0, 2), md5.slice(2));
      fs.mkdirSync(path.dirname(object), { recursive: true });
      fs.writeFileSync(object, bytes);
      fs.writeFileSync(path.join(root, 'huge.dvc'), `outs:\n- md5: ${md5}\n  size: ${FILES * 1000}\n  nfiles: ${FILES}\n  hash: md5\n  path: huge\n`);
    });

    after(() => fs.rmSync(path.join(root, 'huge.dvc'), { force: true }));

    it('expands it a page at a time, and reports how long that took', async () => {
      const hugeNode = await waitFor('huge in the tree', () => workbench.tree.getChildren(workbench.tree.getChildren()[0]).find((n: any) => n.item.path === 'huge'));
      await vscode.commands.executeCommand('cairn.dataModels.focus');
      let started = Date.now();
      await workbench.view.reveal(hugeNode, { expand: true, select: true, focus: true });
      // The list is virtualised: only the rows in view exist in the page.
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row:has-text("image-000000.png")' });
      note(`expanding a ${FILES.toLocaleString('en-US')}-file directory: ${Date.now() - started} ms until its first rows were drawn`);
      await screenshot('huge-directory-expanded', '.part.sidebar');

      const rows = workbench.tree.getChildren(hugeNode);
      assert.equal(rows.length, 501, 'a page of 500 rows and a "show more" row');
      assert.equal(rows[500].kind, 'more');
      started = Date.now();
      await vscode.commands.executeCommand('cairn.showMore', rows[500]);
      const next = workbench.tree.getChildren(hugeNode);
      assert.equal(next.length, 1001);
      await workbench.view.reveal(next[999], { select: true, focus: true });
      await ui('waitFor', { selector: '.part.sidebar .monaco-list-row:has-text("image-000999.png")' });
      note(`"show more" and scrolling to the end of the second page: ${Date.now() - started} ms`);
      await screenshot('huge-directory-second-page', '.part.sidebar');
    });
  });
}
