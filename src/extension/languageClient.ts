import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

/** The files the language server (dist/server.js, from src/server) looks after. */
export const PIPELINE_DOCUMENTS: { scheme: string; pattern: string }[] = [
  { scheme: 'file', pattern: '**/dvc.yaml' },
  { scheme: 'file', pattern: '**/dvc.lock' },
  { scheme: 'file', pattern: '**/*.dvc' },
];

/**
 * Starts the pipeline language server the first time a dvc.yaml, dvc.lock or .dvc document is
 * open, not at activation: a window that never shows one never pays for the server process.
 */
export class PipelineLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly listeners: vscode.Disposable[];
  private readonly watchers: vscode.FileSystemWatcher[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.listeners = [vscode.workspace.onDidOpenTextDocument((d) => this.startFor(d)), vscode.workspace.onDidGrantWorkspaceTrust(() => void this.trustGranted())];
    vscode.workspace.textDocuments.forEach((d) => this.startFor(d));
  }

  /** The running client, for tests; undefined until a pipeline file was opened. */
  get running(): LanguageClient | undefined {
    return this.client;
  }

  /** Resolves when the server is up (starting it if a pipeline document is open). */
  ready(): Promise<void> | undefined {
    return this.starting;
  }

  private startFor(doc: vscode.TextDocument): void {
    if (this.starting || vscode.languages.match(PIPELINE_DOCUMENTS, doc) === 0) return;
    const module = path.join(this.context.extensionPath, 'dist', 'server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
    };
    this.watchers.push(
      vscode.workspace.createFileSystemWatcher('**/params.{yaml,yml,json,toml}'),
      vscode.workspace.createFileSystemWatcher('**/dvc.yaml'),
      vscode.workspace.createFileSystemWatcher('**/*.dvc'),
    );
    const clientOptions: LanguageClientOptions = {
      documentSelector: PIPELINE_DOCUMENTS,
      // Red Hat YAML validates and completes these files from our schemas (package.json's
      // yamlValidation): then the server leaves syntax, schema and key completion to it.
      // workspaceTrusted: the server may run git only in a trusted folder (read again on restart).
      initializationOptions: () => ({ yamlExtension: vscode.extensions.getExtension('redhat.vscode-yaml') !== undefined, workspaceTrusted: vscode.workspace.isTrusted }),
      outputChannel: this.log,
      synchronize: {
        // params files, other pipelines and .dvc files: their changes re-validate open documents.
        fileEvents: this.watchers,
      },
    };
    this.client = new LanguageClient('cairn.pipelines', 'Cairn Pipelines', serverOptions, clientOptions);
    const started = Date.now();
    this.starting = this.client.start().then(
      () => this.log.info(`pipeline language server started in ${Date.now() - started} ms`),
      (err) => this.log.error(`pipeline language server failed to start: ${err}`),
    );
  }

  /** Trust was granted: a running server starts again, now allowed to run git. */
  private async trustGranted(): Promise<void> {
    if (!this.client || !this.starting) return;
    await this.starting;
    this.starting = this.client.restart().then(
      () => this.log.info('pipeline language server restarted in a trusted folder'),
      (err) => this.log.error(`pipeline language server failed to restart: ${err}`),
    );
    await this.starting;
  }

  dispose(): void {
    this.listeners.forEach((l) => l.dispose());
    this.watchers.forEach((w) => w.dispose());
    void this.client?.stop();
  }
}
