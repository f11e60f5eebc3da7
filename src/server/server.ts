/**
 * The language server for DVC pipeline files (dvc.yaml, dvc.lock, .dvc), run by the extension
 * over IPC from `dist/server.js`. Documents are synced incrementally; each is parsed once per
 * version, and validated after a short pause in typing.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { codeActions } from './codeActions';
import { complete } from './completion';
import { definition } from './definition';
import { documentSymbols } from './documentSymbols';
import { hover } from './hover';
import { ParamsFiles } from './paramsFile';
import { PipelineAnalysis } from './pipelineAnalysis';
import { pipelineFileKind } from './pipelineFileKind';
import { PipelineSchemas } from './schemas';
import type { Loaded } from './semanticDiagnostics';
import { validateDocument, validationInput, ValidationServices } from './validateDocument';
import { YamlText } from './yamlText';
import { setFolderTrusted } from '../core/folderTrust';

const VALIDATE_DELAY_MS = 150;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const schemas = new PipelineSchemas();
const params = new ParamsFiles();
const services: ValidationServices = { schemas, params };
const parsed = new Map<string, { version: number; yaml: YamlText }>();
const timers = new Map<string, NodeJS.Timeout>();

const pathOf = (uri: string): string | undefined => (uri.startsWith('file:') ? fileURLToPath(uri) : undefined);
const analysis = new PipelineAnalysis((abs) => {
  for (const d of documents.all()) if (pathOf(d.uri) === abs) return d.getText();
  return undefined;
});

const loadedCache = new Map<string, { version: number; loaded: Promise<Loaded> }>();

/** The pipelines as the core loads them with this version of the document, once per version (until files change on disk). */
function loadedOf(doc: TextDocument, file: string): Promise<Loaded> {
  const hit = loadedCache.get(doc.uri);
  if (hit?.version === doc.version) return hit.loaded;
  const loaded = analysis.load(file);
  loadedCache.set(doc.uri, { version: doc.version, loaded });
  loaded.catch(() => loadedCache.delete(doc.uri));
  return loaded;
}

/** The document parsed, once per version. */
function yamlOf(doc: TextDocument): YamlText {
  const hit = parsed.get(doc.uri);
  if (hit?.version === doc.version) return hit.yaml;
  const yaml = new YamlText(doc.getText(), path.basename(pathOf(doc.uri) ?? doc.uri));
  parsed.set(doc.uri, { version: doc.version, yaml });
  return yaml;
}

function context(uri: string) {
  const doc = documents.get(uri);
  const kind = pipelineFileKind(uri);
  if (!doc || !kind) return undefined;
  return { doc, kind, yaml: yamlOf(doc), file: pathOf(uri) ?? uri };
}

async function validate(uri: string): Promise<void> {
  const c = context(uri);
  if (!c) return;
  const version = c.doc.version;
  try {
    const load = pathOf(uri) ? () => loadedOf(c.doc, c.file) : undefined;
    const diagnostics = await validateDocument(validationInput(c, services, { load, schemaChecks: !schemaByYamlExtension }));
    // A newer version is on its way: its own validation will publish.
    if (documents.get(uri)?.version !== version) return;
    await connection.sendDiagnostics({ uri, version, diagnostics });
  } catch (err) {
    connection.console.error(`validating ${uri}: ${err instanceof Error ? err.stack : err}`);
  }
}

function schedule(uri: string, delay = VALIDATE_DELAY_MS): void {
  clearTimeout(timers.get(uri));
  timers.set(uri, setTimeout(() => {
    timers.delete(uri);
    void validate(uri);
  }, delay));
}

/** Red Hat YAML runs in the editor with our schemas: it reports syntax and schema problems and completes keys. */
let schemaByYamlExtension = false;

connection.onInitialize((init) => {
  const options = init.initializationOptions as { yamlExtension?: boolean; workspaceTrusted?: boolean } | undefined;
  schemaByYamlExtension = options?.yamlExtension === true;
  // In an untrusted folder nothing here may run git (its config can run programs): see core/folderTrust.
  setFolderTrusted(options?.workspaceTrusted === true);
  return {
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    completionProvider: { triggerCharacters: ['{', '.', '/', ' ', ':'] },
    hoverProvider: true,
    documentSymbolProvider: true,
    definitionProvider: true,
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  },
  };
});

documents.onDidOpen((e) => schedule(e.document.uri, 0));
documents.onDidChangeContent((e) => schedule(e.document.uri));
documents.onDidClose((e) => {
  clearTimeout(timers.get(e.document.uri));
  parsed.delete(e.document.uri);
  loadedCache.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

// params.yaml, vars files or other dvc.yaml files changed on disk: everything open may be affected.
connection.onDidChangeWatchedFiles((e) => {
  for (const change of e.changes) {
    const file = pathOf(change.uri);
    if (file) params.forget(file);
    if ((change.type !== FileChangeType.Changed && file?.endsWith('dvc.yaml')) || file?.endsWith('.dvc')) analysis.forgetFileList();
  }
  loadedCache.clear();
  for (const d of documents.all()) schedule(d.uri);
});

connection.onCompletion((p) => {
  const c = context(p.textDocument.uri);
  return c ? complete({ yaml: c.yaml, kind: c.kind, file: c.file, position: p.position, schemas, params, schemaItems: !schemaByYamlExtension }) : [];
});

connection.onHover(async (p) => {
  const c = context(p.textDocument.uri);
  if (!c) return null;
  const loaded = c.kind === 'pipeline' && pathOf(c.doc.uri) ? await loadedOf(c.doc, c.file).catch(() => undefined) : undefined;
  return hover({ yaml: c.yaml, kind: c.kind, file: c.file, position: p.position, schemas, params, loaded }) ?? null;
});

connection.onDocumentSymbol((p) => {
  const c = context(p.textDocument.uri);
  return c ? documentSymbols(c.yaml) : [];
});

connection.onDefinition(async (p) => {
  const c = context(p.textDocument.uri);
  if (!c || c.kind !== 'pipeline') return [];
  const loaded = pathOf(c.doc.uri) ? await loadedOf(c.doc, c.file).catch(() => undefined) : undefined;
  return definition({ yaml: c.yaml, file: c.file, position: p.position, params, loaded });
});

connection.onCodeAction((p) => {
  const c = context(p.textDocument.uri);
  return c ? codeActions(c.yaml, c.doc.uri, p.context.diagnostics, params) : [];
});

documents.listen(connection);
connection.listen();
