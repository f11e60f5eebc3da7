import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BROKEN_PIPELINE, PARAMS } from '../../support/pipelineFixtures';
import { note, runInfo, screenshot, uiAvailable, waitFor } from './harness';

/**
 * The pipeline language server (dist/server.js) in a real VS Code: a broken dvc.yaml opened in
 * the fixture repository gets diagnostics at the exact ranges, completion lists params.yaml's
 * keys, and hover shows a `${}` value.
 */

const at = (r: vscode.Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;

const onRepository = (runInfo()?.data as { scenario?: string } | undefined)?.scenario !== 'welcome';
if (onRepository) describe('Pipeline language server in a real VS Code', function () {
  this.timeout(90_000);
  const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const dvcYaml = vscode.Uri.file(path.join(root, 'dvc.yaml'));

  before(async () => {
    fs.writeFileSync(path.join(root, 'params.yaml'), PARAMS);
    fs.writeFileSync(dvcYaml.fsPath, BROKEN_PIPELINE);
    await vscode.extensions.getExtension('cairn.cairn')!.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dvcYaml.fsPath, { force: true });
    fs.rmSync(path.join(root, 'params.yaml'), { force: true });
  });

  it('reports schema and lint problems in an open dvc.yaml at their exact ranges', async () => {
    const started = Date.now();
    const doc = await vscode.workspace.openTextDocument(dvcYaml);
    await vscode.window.showTextDocument(doc);
    const expected = ['11:8-11:19 MISSING_DEPENDENCY', '14:8-14:22 MISSING_PARAM', '19:4-19:8 UNKNOWN_KEY', '21:12-21:17 WRONG_TYPE'];
    const got = await waitFor('the diagnostics of dvc.yaml', () => {
      const ds = vscode.languages.getDiagnostics(dvcYaml).filter((d) => d.source === 'cairn');
      return ds.length >= expected.length ? ds : undefined;
    });
    note(`language server: first diagnostics ${Date.now() - started} ms after opening dvc.yaml`);
    assert.ok(vscode.extensions.getExtension('cairn.cairn')!.exports.languageClient.running, 'the client runs once a pipeline file is open');
    assert.deepEqual(got.map((d) => `${at(d.range)} ${typeof d.code === 'object' ? d.code.value : d.code}`).sort(), expected);
    const unknown = got.find((d) => d.code === 'UNKNOWN_KEY')!;
    assert.equal(unknown.message, "Unknown key 'depz'. Did you mean 'deps'?");
    assert.equal(unknown.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(got.find((d) => d.code === 'MISSING_DEPENDENCY')!.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(doc.languageId, 'yaml');
    // The "did you mean" is a quick fix (not applied here: a later test types the fix).
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', dvcYaml, unknown.range);
    const rename = actions.find((a) => a.title === "Change 'depz' to 'deps'");
    assert.ok(rename?.edit, actions.map((a) => a.title).join(', '));
    assert.deepEqual(rename.edit.get(dvcYaml).map((e) => `${at(e.range)} ${e.newText}`), ['19:4-19:8 deps']);
    // The hover of the missing params key does not say again what its diagnostic says.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', dvcYaml, new vscode.Position(14, 12));
    assert.deepEqual(hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))), []);
    if (uiAvailable()) {
      // Let the editor paint the squiggles before the picture.
      await new Promise((r) => setTimeout(r, 500));
      const shot = await screenshot('language-server-diagnostics');
      assert.ok(shot && fs.statSync(shot).size > 10_000, `screenshot at ${shot}`);
    }
  });

  it('highlights ${...} in YAML strings with the injection grammar (VS Code\'s own TextMate engine and YAML grammar)', async () => {
    // The web workbench has no token-capture command: tokenize with the vscode-textmate and
    // oniguruma VS Code ships, its YAML grammar, and the injection as package.json contributes it.
    const appRoot = vscode.env.appRoot;
    const req = (m: string) => require(path.join(appRoot, 'node_modules', m)); // eslint-disable-line @typescript-eslint/no-require-imports
    const tm = req('vscode-textmate');
    const onig = req('vscode-oniguruma');
    await onig.loadWASM(fs.readFileSync(path.join(appRoot, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm')).buffer);
    const ext = vscode.extensions.getExtension('cairn.cairn')!;
    const contributed = ext.packageJSON.contributes.grammars.find((g: { injectTo?: string[] }) => g.injectTo?.includes('source.yaml'));
    assert.ok(contributed, 'package.json injects a grammar into source.yaml');
    const yamlSyntaxes = path.join(appRoot, 'extensions', 'yaml', 'syntaxes');
    const files: Record<string, string> = {
      'source.yaml': path.join(yamlSyntaxes, 'yaml.tmLanguage.json'),
      'source.yaml.1.2': path.join(yamlSyntaxes, 'yaml-1.2.tmLanguage.json'),
      [contributed.scopeName]: path.join(ext.extensionPath, contributed.path),
    };
    const registry = new tm.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new onig.OnigScanner(p), createOnigString: (t: string) => new onig.OnigString(t) }),
      loadGrammar: async (scope: string) => (files[scope] ? tm.parseRawGrammar(fs.readFileSync(files[scope], 'utf8'), files[scope]) : null),
      getInjections: (scope: string) => (scope === 'source.yaml' ? [contributed.scopeName] : undefined),
    });
    const grammar = await registry.loadGrammar('source.yaml');
    let stack = tm.INITIAL;
    const tokens: { c: string; t: string; line: number }[] = [];
    BROKEN_PIPELINE.split('\n').forEach((line, i) => {
      const r = grammar.tokenizeLine(line, stack);
      for (const t of r.tokens) tokens.push({ c: line.slice(t.startIndex, t.endIndex), t: t.scopes.join(' '), line: i });
      stack = r.ruleStack;
    });
    const onLine8 = tokens.filter((t) => t.line === 8);
    const scopeOf = (text: string) => onLine8.find((t) => t.c === text)?.t ?? `(no token "${text}" in ${JSON.stringify(onLine8)})`;
    assert.match(scopeOf('${'), /string\.unquoted.* punctuation\.definition\.template-expression\.begin\.dvc/);
    assert.match(scopeOf('train'), /variable\.other\.readwrite\.dvc/);
    assert.match(scopeOf('.'), /punctuation\.accessor\.dvc/);
    assert.match(scopeOf('}'), /punctuation\.definition\.template-expression\.end\.dvc/);
    // Nothing outside ${...} is touched.
    assert.ok(tokens.filter((t) => !t.c.includes('${') && /python|prepared|stages/.test(t.c)).every((t) => !t.t.includes('.dvc')));
  });

  it('completes params keys from params.yaml in a stage\'s params list', async () => {
    // Line 14 is `      - train.momentum`: complete at the start of the item.
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', dvcYaml, new vscode.Position(14, 8));
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const key of ['train.epochs', 'seed']) assert.ok(labels.includes(key), `${key} in ${labels.join(', ')}`);
    assert.ok(!labels.includes('train.lr'), 'a key the stage lists already is not offered again');
  });

  it('re-validates as the document is edited (incremental sync, debounced)', async () => {
    const editor = await vscode.window.showTextDocument(dvcYaml);
    const started = Date.now();
    // Fix the typo `depz` → `deps` the way typing does: one small edit, then another.
    assert.ok(await editor.edit((e) => e.replace(new vscode.Range(19, 4, 19, 8), 'dep')));
    assert.ok(await editor.edit((e) => e.insert(new vscode.Position(19, 7), 's')));
    const codes = await waitFor('the UNKNOWN_KEY diagnostic to go', () => {
      const ds = vscode.languages.getDiagnostics(dvcYaml).map((d) => String(d.code)).sort();
      return ds.includes('UNKNOWN_KEY') ? undefined : ds;
    });
    note(`language server: diagnostics updated ${Date.now() - started} ms after an edit`);
    assert.deepEqual(codes, ['MISSING_DEPENDENCY', 'MISSING_PARAM', 'WRONG_TYPE']);
    await editor.document.save(); // nothing unsaved left for closing the editors
  });

  it('shows the value of a ${} on hover, and quick-fixes a missing params key', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', dvcYaml, new vscode.Position(8, 34));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
    assert.match(text, /0\.01/);
    const missing = vscode.languages.getDiagnostics(dvcYaml).find((d) => d.code === 'MISSING_PARAM')!;
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', dvcYaml, missing.range);
    const fix = actions.find((a) => a.title === "Add 'train.momentum' to params.yaml");
    assert.ok(fix?.edit, actions.map((a) => a.title).join(', '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const paramsDoc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path.join(root, 'params.yaml'))!;
    await paramsDoc.save();
    assert.equal(fs.readFileSync(path.join(root, 'params.yaml'), 'utf8'), 'train:\n  lr: 0.01\n  epochs: 5\n  momentum: \nseed: 7\n');
    // The saved params.yaml re-validates dvc.yaml: the problem goes.
    await waitFor('the missing-param diagnostic to go', () => !vscode.languages.getDiagnostics(dvcYaml).some((d) => d.code === 'MISSING_PARAM'));
  });
});
