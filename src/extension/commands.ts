import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, CommandKey } from './commandIds';
import type { DataNode, DataTreeProvider } from './dataTree';
import { RepositoryModel } from './repositoryModel';
import { CairnError } from '../core/errors';
import { Repo } from '../core/repo/repo';
import { init } from '../core/repo/init';
import type { CoreClient } from './coreClient';
import type { RunNode, RunsTreeProvider } from './runsTree';
import type { RunsSnapshot } from './runsSnapshot';
import type { PipelineNode, PipelinesTreeProvider } from './pipelinesTree';
import { DagPanel } from './dagPanel';
import { RemoteNode, RemotesTreeProvider, secretKey } from './remotesTree';
import type { RemoteCredentials } from './coreProtocol';
import type { TransferResult } from '../core/remotes/transfer';
import type { CheckoutResult } from '../core/outputs/checkout';
import { formatSize } from '../core/formatSize';
import { MetricsPanel } from './metricsPanel';
import { ExperimentsPanel } from './experimentsPanel';
import { experimentHandlers } from './experimentActions';
import { RUN_BRANCHES_KEY } from './runBranches';
import { WORKSPACE_REV } from '../core/metrics/revisions';
import { recordedOutputs } from '../core/outputs/recordedOutputs';
import { phaseClock, Progress, progressFraction, progressText } from '../core/progress';
import type { QueueStatusBar } from './queueStatusBar';
import { runCommands } from './runCommands';
import type { RegistryTreeProvider } from './registryTree';
import { registryHandlers } from './registryCommands';

export interface CommandContext {
  models(): RepositoryModel[];
  tree: DataTreeProvider;
  /** The worker thread that runs the write commands. */
  core: CoreClient;
  runs: RunsTreeProvider;
  pipelines: PipelinesTreeProvider;
  remotes: RemotesTreeProvider;
  registry: RegistryTreeProvider;
  /** Check where each output's data is against the default remote, for every repository. */
  refreshRemoteStates(): Promise<void>;
  extension: vscode.ExtensionContext;
  refreshAll(): Promise<void>;
  /** A folder became (or stopped being) a repository. */
  foldersChanged(): void;
  log: vscode.LogOutputChannel;
  /** The experiment queue's status bar item. */
  queue: QueueStatusBar;
}

type Handler = (...args: any[]) => unknown;

/** Run core work with a cancellable notification showing its progress. */
export function withProgress<T>(title: string, work: (signal: AbortSignal, onProgress: (p: Progress) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    let lastPercent = 0;
    const seconds = phaseClock();
    return work(controller.signal, (p) => {
      const percent = Math.floor(progressFraction(p) * 100);
      progress.report({ message: progressText(p, seconds(p)), increment: Math.max(0, percent - lastPercent) });
      lastPercent = Math.max(lastPercent, percent);
    });
  });
}

const hashJobs = () => vscode.workspace.getConfiguration('cairn').get<number>('hashJobs') || undefined;

function withRepo<T>(root: string, fn: (repo: Repo) => Promise<T>): Promise<T> {
  return Repo.using(root, { hashJobs: hashJobs() }, fn);
}

/** Commands that write, run git or a pipeline, or reach a remote: Restricted Mode allows none (package.json's enablement says the same). */
export function requireTrust(): void {
  if (!vscode.workspace.isTrusted) {
    throw new CairnError('USAGE', 'this folder is not trusted, so Cairn changes no file and runs no git or pipeline command in it.', {
      hint: 'Trust the folder to use this command (Manage Workspace Trust).',
    });
  }
}

function modelFor(ctx: CommandContext, fsPath: string): RepositoryModel {
  const model = ctx.models().filter((m) => fsPath === m.root || fsPath.startsWith(m.root + path.sep)).sort((a, b) => b.root.length - a.root.length)[0];
  if (!model) throw new CairnError('NOT_A_REPO', `${fsPath} is not inside a Cairn/DVC repository.`, { hint: 'Run "Cairn: Initialize Repository" first.' });
  return model;
}

/**
 * The output a command was invoked on: a tree row or an Explorer/editor URI; with
 * `orActiveEditor`, the active editor's file when invoked from the palette. (Commands that act
 * on everything when invoked bare — commit, checkout, push, pull, fetch — do not use the editor.)
 */
function targetOf(ctx: CommandContext, arg: unknown, orActiveEditor = false): { model: RepositoryModel; relPath?: string; dvcFile?: string } | undefined {
  const node = arg as DataNode | undefined;
  if (node && typeof node === 'object' && 'kind' in node && (node.kind === 'output' || node.kind === 'folder' || node.kind === 'file')) {
    const rel = node.kind === 'output' ? node.item.path : node.kind === 'folder' ? `${node.item.path}/${node.prefix}` : `${node.item.path}/${node.relpath}`;
    return { model: node.model, relPath: rel, dvcFile: node.item.dvcFile };
  }
  const uri = arg instanceof vscode.Uri ? arg : orActiveEditor ? vscode.window.activeTextEditor?.document.uri : undefined;
  if (!uri || uri.scheme !== 'file') return undefined;
  const model = modelFor(ctx, uri.fsPath);
  const relPath = path.relative(model.root, uri.fsPath).split(path.sep).join('/');
  const owner = model.items.find((i) => relPath === i.path || relPath.startsWith(i.path + '/') || `${i.path}.dvc` === relPath);
  return { model, relPath: owner && relPath.endsWith('.dvc') ? owner.path : relPath, dvcFile: owner?.dvcFile };
}

function handlers(ctx: CommandContext): Record<CommandKey, Handler> {
  return {
    ...experimentHandlers(ctx),
    ...runCommands({ ...ctx, chosenRepository: (row, placeHolder) => chosenRepository(ctx, row, placeHolder), requireTrust }),
    async init() {
      requireTrust();
      const folder = vscode.workspace.workspaceFolders?.length === 1
        ? vscode.workspace.workspaceFolders[0]
        : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to initialize' });
      if (!folder) return;
      const root = folder.uri.fsPath;
      const hasGit = fs.existsSync(path.join(root, '.git'));
      if (!hasGit) {
        const choice = await vscode.window.showWarningMessage(
          `${folder.name} is not a git repository. Cairn versions data beside git.`,
          { modal: true, detail: 'Initialize without git (data is still cached and tracked, but not versioned by commits)?' },
          'Initialize without git',
        );
        if (!choice) return;
      }
      await init(root, { noScm: !hasGit });
      ctx.foldersChanged();
      vscode.window.showInformationMessage(`Initialized a Cairn repository in ${folder.name}.${hasGit ? ' Commit .dvc/ and .dvcignore with git.' : ''}`);
    },

    async add(clicked?: vscode.Uri, selected?: vscode.Uri[]) {
      requireTrust();
      let uris = selected?.length ? selected : clicked ? [clicked] : [];
      if (uris.length === 0) {
        uris = (await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: true, openLabel: 'Add to Cairn' })) ?? [];
      }
      if (uris.length === 0) return;
      const byModel = new Map<RepositoryModel, string[]>();
      for (const u of uris) {
        const m = modelFor(ctx, u.fsPath);
        byModel.set(m, [...(byModel.get(m) ?? []), u.fsPath]);
      }
      const stage = vscode.workspace.getConfiguration('cairn').get<boolean>('stageDvcFiles', false);
      for (const [model, paths] of byModel) {
        const result = await withProgress(`Adding ${paths.length === 1 ? path.basename(paths[0]) : `${paths.length} items`} to Cairn`, (signal, onProgress) =>
          ctx.core.call('add', model.root, { paths, stageInGit: stage }, { hashJobs: hashJobs(), signal, onProgress }),
        );
        const what = result.added.map((a) => a.path).join(', ');
        vscode.window.showInformationMessage(
          result.staged ? `Tracked ${what}; staged ${result.gitFiles.join(', ')} in git.` : `Tracked ${what}. Commit ${result.gitFiles.join(', ')} with git.`,
        );
      }
      ctx.tree.invalidate();
      await ctx.refreshAll();
    },

    /** Changed outputs are recorded once the user says so (a modal per .dvc file). */
    async commit(arg?: unknown) {
      requireTrust();
      const target = targetOf(ctx, arg);
      for (const model of target ? [target.model] : ctx.models()) {
        const targets = target?.relPath ? [target.relPath] : [];
        const result = await withProgress('Committing data', (signal, onProgress) =>
          ctx.core.call('commit', model.root, { targets, force: false }, {
            hashJobs: hashJobs(),
            signal,
            onProgress,
            confirm: async (outs) =>
              (await vscode.window.showWarningMessage(`Record the new content of ${outs.join(', ')}?`, { modal: true, detail: 'The .dvc files will point at the data as it is now.' }, 'Commit')) === 'Commit',
          }),
        );
        if (result.dvcFiles.length) {
          vscode.window.showInformationMessage(`Updated ${result.dvcFiles.join(', ')}. Commit ${result.dvcFiles.length === 1 ? 'it' : 'them'} with git.`);
        }
        else vscode.window.showInformationMessage('Nothing to commit: tracked data is unchanged.');
      }
      ctx.tree.invalidate();
      await ctx.refreshAll();
    },

    /** Over uncommitted changes it asks first (a modal). */
    async checkout(arg?: unknown) {
      requireTrust();
      const target = targetOf(ctx, arg);
      for (const model of target ? [target.model] : ctx.models()) {
        const targets = target?.relPath ? [target.relPath] : [];
        const run = (force: boolean) =>
          withProgress('Restoring data from the cache', (signal, onProgress) => ctx.core.call('checkout', model.root, { targets, force }, { hashJobs: hashJobs(), signal, onProgress }));
        let result;
        try {
          result = await run(false);
        } catch (err) {
          if (!(err instanceof CairnError) || err.code !== 'UNCOMMITTED_CHANGES') throw err;
          const shown = err.paths.slice(0, 12).join('\n') + (err.paths.length > 12 ? `\n… and ${err.paths.length - 12} more` : '');
          const choice = await vscode.window.showWarningMessage(
            `Checkout would overwrite ${err.paths.length} file${err.paths.length === 1 ? '' : 's'} with uncommitted changes.`,
            { modal: true, detail: `${shown}\n\nTheir current content is not in the cache and will be lost.` },
            'Overwrite',
          );
          if (choice !== 'Overwrite') return;
          result = await run(true);
        }
        const changed = [...result.modified, ...result.added];
        if (result.failed.length) vscode.window.showErrorMessage(`Could not restore ${result.failed.map((f) => `${f.path} (${f.reason})`).join(', ')}.`);
        else vscode.window.showInformationMessage(changed.length ? `Restored ${changed.join(', ')}.` : 'Workspace data already matches the .dvc files.');
      }
      await ctx.refreshAll();
    },

    /** Asks first (a modal). */
    async remove(arg?: unknown) {
      requireTrust();
      const target = targetOf(ctx, arg, true);
      if (!target?.dvcFile) throw new CairnError('USAGE', 'choose a tracked output to stop tracking.');
      const choice = await vscode.window.showWarningMessage(
        `Stop tracking ${target.relPath}?`,
        { modal: true, detail: `${target.dvcFile} and its .gitignore entry are removed. The data stays in the workspace and in the cache.` },
        'Stop Tracking',
      );
      if (choice !== 'Stop Tracking') return;
      await ctx.core.call('remove', target.model.root, { dvcFiles: [target.dvcFile] });
      await ctx.refreshAll();
    },

    async showStatus() {
      await vscode.commands.executeCommand('cairn.dataModels.focus');
      await ctx.refreshAll();
      for (const m of ctx.models()) {
        ctx.log.info(m.changedItems.length ? `${m.root}: ${m.changedItems.map((i) => `${i.path} (${i.status})`).join(', ')}` : `${m.root}: data is up to date`);
      }
      const changed = ctx.models().flatMap((m) => m.changedItems);
      vscode.window.showInformationMessage(
        changed.length ? `${changed.length} changed: ${changed.map((i) => `${i.path} (${i.status})`).join(', ')}` : 'Data is up to date.',
      );
    },

    async compareWithRevision(arg?: unknown) {
      requireTrust();
      const target = targetOf(ctx, arg, true);
      if (!target?.relPath) throw new CairnError('USAGE', 'open or select a tracked file to compare.');
      const { model, relPath } = target;
      const revs = await withRepo(model.root, async (repo) => {
        if (!repo.scm) throw new CairnError('USAGE', 'comparing with a revision needs git.');
        return repo.scm.recentCommits(50);
      });
      const pick = await vscode.window.showQuickPick(
        revs.map((r) => ({ label: r.subject, description: r.hash.slice(0, 8), detail: `${r.author}, ${r.date}`, rev: r.hash })),
        { placeHolder: `Compare ${relPath} with its version at…`, matchOnDescription: true },
      );
      if (!pick) return;
      const objectPath = await withRepo(model.root, async (repo) => {
        // Outputs of `.dvc` files and of pipeline stages (dvc.lock), as `cairn diff` reads them.
        for (const o of await recordedOutputs(repo, pick.rev, { revName: pick.description })) {
          if (!o.md5) continue;
          if (o.rel === relPath && !o.md5.endsWith('.dir')) return repo.store.pathOf(o.md5, o.hashName);
          if (relPath.startsWith(o.rel + '/') && o.md5.endsWith('.dir')) {
            const entry = repo.store.readDir(o.md5, o.hashName)?.find((e) => e.relpath === relPath.slice(o.rel.length + 1));
            if (entry) return repo.store.pathOf(entry.md5, o.hashName);
          }
        }
        throw new CairnError('NOT_TRACKED', `${relPath} is not tracked at ${pick.description}.`);
      });
      if (!fs.existsSync(objectPath)) throw new CairnError('NOT_IN_CACHE', `the version of ${relPath} at ${pick.description} is not in the cache.`, { hint: 'Pull it from a remote first.' });
      await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(objectPath), vscode.Uri.file(path.join(model.root, relPath)), `${path.basename(relPath)} (${pick.description}) ↔ workspace`);
    },

    async revealInExplorer(arg?: unknown) {
      const target = targetOf(ctx, arg, true);
      if (target?.relPath) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(path.join(target.model.root, target.relPath)));
    },

    async openDvcFile(arg?: unknown) {
      const target = targetOf(ctx, arg, true);
      if (!target?.dvcFile) throw new CairnError('NOT_TRACKED', 'this is not a tracked output.');
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(target.model.root, target.dvcFile)));
    },

    async refresh() {
      ctx.tree.invalidate();
      await ctx.refreshAll();
    },

    showMore(node: DataNode) {
      ctx.tree.showMore(node);
    },

    /** The checked runs of the Runs view, or HEAD against the workspace. */
    async showMetrics() {
      const root = repositoryRoot(ctx);
      const snapshot = await ctx.runs.snapshot(root);
      const checked = ctx.runs.selected(root);
      return showPanel(ctx, root, snapshot, checked.length >= 2 ? checked : headAndWorkspace(snapshot.history));
    },

    /** HEAD against the workspace, or against the run the command was invoked on. */
    async compareMetricsWithHead(node?: RunNode) {
      requireTrust();
      const root = node?.root ?? repositoryRoot(ctx);
      const snapshot = await ctx.runs.snapshot(root);
      const [head, workspace] = headAndWorkspace(snapshot.history);
      const other = node?.kind === 'run' ? node.run.id : workspace;
      return showPanel(ctx, root, snapshot, other === head ? [head] : [head, other]);
    },

    async compareSelectedRuns() {
      const root = repositoryRoot(ctx);
      const snapshot = await ctx.runs.snapshot(root);
      const checked = ctx.runs.selected(root);
      if (checked.length < 2) {
        void vscode.window.showInformationMessage('Check two or more runs in the Runs view to compare them.');
        return;
      }
      return showPanel(ctx, root, snapshot, checked);
    },

    /** Every stage of every dvc.yaml whose deps, params, command or outputs changed. */
    async repro() {
      requireTrust();
      return runCliInTerminal(ctx, repositoryRoot(ctx), ['repro', '--all-pipelines'], 'repro');
    },

    async reproStage(node?: PipelineNode | DataNode) {
      requireTrust();
      const stage = await stageOf(ctx, node, 'repro');
      return runCliInTerminal(ctx, stage.root, ['repro', stage.addr], `repro ${stage.addr}`);
    },

    /** This stage alone, now, whether or not it changed. */
    async runStage(node?: PipelineNode | DataNode) {
      requireTrust();
      const stage = await stageOf(ctx, node, 'run');
      return runCliInTerminal(ctx, stage.root, ['repro', stage.addr, '--single-item', '--force'], `run ${stage.addr}`);
    },

    async showDag() {
      const root = repositoryRoot(ctx);
      return DagPanel.show(ctx.extension, ctx.log, root, await ctx.pipelines.snapshot(root));
    },

    async refreshPipelines() {
      await ctx.pipelines.refresh();
    },

    async push(arg?: unknown) {
      requireTrust();
      await syncData(ctx, 'push', arg);
    },

    async pull(arg?: unknown, options?: { force?: boolean }) {
      requireTrust();
      await syncData(ctx, 'pull', arg, options?.force);
    },

    async fetch(arg?: unknown) {
      requireTrust();
      await syncData(ctx, 'fetch', arg);
    },

    async refreshRemoteStatus() {
      requireTrust();
      await vscode.window.withProgress({ location: { viewId: 'cairn.dataModels' }, title: 'Checking the remote' }, () => ctx.refreshRemoteStates());
    },

    /** `args` (for programmatic callers) skips the questions. */
    async addRemote(args?: { name: string; url: string; makeDefault: boolean }) {
      requireTrust();
      const root = repositoryRoot(ctx);
      if (!args) {
        const url = await vscode.window.showInputBox({
          title: 'Add Remote (1/3): where the data goes',
          prompt: 'A folder (/mnt/share/dvc-store, or file://…) or S3 and S3-compatible storage (s3://bucket/prefix)',
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim() ? undefined : 'Enter a path or an s3:// url'),
        });
        if (!url) return;
        const name = await vscode.window.showInputBox({ title: 'Add Remote (2/3): its name', value: (await ctx.remotes.remotesOf(root)).length ? '' : 'storage', ignoreFocusOut: true, validateInput: (v) => (/^[^"\[\]\n]+$/.test(v) ? undefined : 'Use letters, digits, - or _') });
        if (!name) return;
        const makeDefault = (await vscode.window.showQuickPick(['Yes', 'No'], { title: 'Add Remote (3/3): use it by default for push and pull?' })) === 'Yes';
        args = { name, url: url.trim(), makeDefault };
      }
      await ctx.core.call('remoteAdd', root, args);
      await ctx.remotes.refresh();
      void vscode.window.showInformationMessage(`Added remote '${args.name}'${args.makeDefault ? ' (default)' : ''} to .dvc/config. Commit it with git.${args.url.startsWith('s3://') ? ' Set its credentials from the Remotes view if it needs them.' : ''}`);
    },

    async modifyRemote(node?: RemoteNode, args?: { option: string; value?: string }) {
      requireTrust();
      const remote = await remoteOf(ctx, node);
      if (!args) {
        const option = await vscode.window.showQuickPick(
          [
            { label: 'url', description: 'where the data is' },
            { label: 'endpointurl', description: 'S3-compatible server (MinIO…)' },
            { label: 'region', description: 'S3 region' },
            { label: 'profile', description: 'AWS profile' },
            { label: 'jobs', description: 'parallel transfers' },
          ],
          { title: `Modify remote '${remote.name}': option` },
        );
        if (!option) return;
        const value = await vscode.window.showInputBox({ title: `${remote.name}.${option.label}`, prompt: 'Empty to unset', ignoreFocusOut: true });
        if (value === undefined) return;
        args = { option: option.label, value: value || undefined };
      }
      await ctx.core.call('remoteModify', remote.root, { name: remote.name, option: args.option, value: args.value, local: false });
      await ctx.remotes.refresh();
    },

    /** Keep an S3 remote's keys in VS Code's secret storage; write them to config.local only if the user says so. */
    async setRemoteCredentials(node?: RemoteNode, args?: { access_key_id: string; secret_access_key: string; writeToConfigLocal: boolean }) {
      requireTrust();
      const remote = await remoteOf(ctx, node);
      if (!args) {
        const access_key_id = await vscode.window.showInputBox({ title: `Credentials of '${remote.name}' (1/2): access key id`, ignoreFocusOut: true });
        if (!access_key_id) return;
        const secret_access_key = await vscode.window.showInputBox({ title: `Credentials of '${remote.name}' (2/2): secret access key`, password: true, ignoreFocusOut: true });
        if (!secret_access_key) return;
        const where = await vscode.window.showQuickPick(
          [
            { label: 'Keep them in VS Code only', description: 'secret storage; the cairn and dvc CLIs will not see them', write: false },
            { label: 'Also write them to .dvc/config.local', description: 'never committed; the CLIs use them too', write: true },
          ],
          { title: `Where should the credentials of '${remote.name}' be kept?` },
        );
        if (!where) return;
        args = { access_key_id, secret_access_key, writeToConfigLocal: where.write };
      }
      await ctx.extension.secrets.store(secretKey(remote.root, remote.name), JSON.stringify({ access_key_id: args.access_key_id, secret_access_key: args.secret_access_key }));
      if (args.writeToConfigLocal) {
        for (const option of ['access_key_id', 'secret_access_key'] as const) {
          await ctx.core.call('remoteModify', remote.root, { name: remote.name, option, value: args[option], local: true });
        }
      }
      await ctx.remotes.refresh();
      void vscode.window.showInformationMessage(`Saved the credentials of '${remote.name}'${args.writeToConfigLocal ? ' in VS Code and .dvc/config.local' : ' in VS Code'}.`);
    },

    async setDefaultRemote(node?: RemoteNode) {
      requireTrust();
      const remote = await remoteOf(ctx, node);
      await ctx.core.call('remoteDefault', remote.root, { name: remote.name });
      await ctx.remotes.refresh();
      await ctx.refreshRemoteStates();
    },

    /** Asks first (a modal). */
    async removeRemote(node?: RemoteNode) {
      requireTrust();
      const remote = await remoteOf(ctx, node);
      const choice = await vscode.window.showWarningMessage(`Remove remote '${remote.name}' from the configuration?`, { modal: true, detail: 'The data stored there is not deleted.' }, 'Remove');
      if (choice !== 'Remove') return;
      await ctx.core.call('remoteRemove', remote.root, { name: remote.name });
      await ctx.extension.secrets.delete(secretKey(remote.root, remote.name));
      await ctx.remotes.refresh();
    },

    async refreshRuns() {
      await ctx.runs.refresh();
      // The table again, with what the git remote holds now.
      await ExperimentsPanel.open?.readRemote();
    },

    /** The experiments table of the repository of the row or editor the command came from, or the one the user picks. */
    async showExperiments(node?: RunNode) {
      return ExperimentsPanel.show(ctx.extension, ctx.log, ctx.core, await chosenRepository(ctx, node?.root));
    },

    /**
     * Plots (and the compare table, sweep views) of the experiments selected in the table — the row
     * its context menu was opened on when it is not part of the selection — else of the runs
     * checked in the Runs view; colours in the selection's order. Runs going on grow live.
     */
    async plotSelectedExperiments(context?: { rowId?: unknown }) {
      const table = ExperimentsPanel.open;
      // The table's repository; without a table, the editor's or the one picked (never silently the first).
      const root = await chosenRepository(ctx, table?.repositoryRoot);
      const snapshot = await ctx.runs.snapshot(root);
      const row = typeof context?.rowId === 'string' ? context.rowId : undefined;
      let ids = table ? (row && !table.selection.includes(row) ? [row] : table.selection) : [];
      if (ids.length === 0) ids = ctx.runs.selected(root);
      // Rows the Runs view does not list (queued runs: no values yet) are left out.
      const known = ids.filter((id) => snapshot.runs.some((r) => r.id === id));
      if (known.length === 0) {
        void vscode.window.showInformationMessage('Select experiments in the experiments table (or check runs in the Runs view) to plot them.');
        return;
      }
      return showPanel(ctx, root, snapshot, known);
    },

    /** `branches` (for programmatic callers) skips the quick pick. */
    async chooseRunBranches(branches?: string[]) {
      requireTrust();
      const root = repositoryRoot(ctx);
      const chosen = ctx.extension.workspaceState.get<string[]>(RUN_BRANCHES_KEY, []);
      if (!branches) {
        const all = (await ctx.runs.snapshot(root)).branches;
        const picks = await vscode.window.showQuickPick(
          all.map((b) => ({ label: b, picked: chosen.includes(b) })),
          { canPickMany: true, placeHolder: 'Other branches to show: their latest commit in the Runs view, their commits and experiments in the experiments table' },
        );
        if (!picks) return;
        branches = picks.map((p) => p.label);
      }
      await ctx.extension.workspaceState.update(RUN_BRANCHES_KEY, branches);
      await Promise.all([ctx.runs.refresh(), ExperimentsPanel.open?.refresh()]);
    },

    ...registryHandlers({ ...ctx, requireTrust, chosenRepository: (fromRow) => chosenRepository(ctx, fromRow, 'Repository of the model') }),
  };
}

/** The credentials VS Code keeps for the remotes of `root` (SecretStorage), for one operation. */
export async function remoteCredentials(secrets: vscode.SecretStorage, root: string, remotes: { name: string }[]): Promise<RemoteCredentials> {
  const credentials: RemoteCredentials = {};
  for (const r of remotes) {
    const stored = await secrets.get(secretKey(root, r.name));
    if (stored) credentials[r.name] = JSON.parse(stored);
  }
  return credentials;
}

/** Push, pull or fetch the outputs a command was invoked on (or all), with a cancellable progress notification. */
async function syncData(ctx: CommandContext, op: 'push' | 'pull' | 'fetch', arg: unknown, force?: boolean): Promise<void> {
  const target = targetOf(ctx, arg);
  const verb = { push: 'Pushing', pull: 'Pulling', fetch: 'Fetching' }[op];
  for (const model of target ? [target.model] : ctx.models()) {
    const targets = target?.relPath ? [target.relPath] : [];
    const credentials = await remoteCredentials(ctx.extension.secrets, model.root, await ctx.remotes.remotesOf(model.root));
    const title = `${verb} ${targets[0] ?? 'data'}`;
    const { transfer, checkout } = await withProgress(title, async (signal, onProgress): Promise<{ transfer: TransferResult; checkout?: CheckoutResult }> => {
      if (op === 'pull') {
        const r = await ctx.core.call('pull', model.root, { targets, force: !!force, credentials }, { signal, onProgress });
        return { transfer: r.fetch, checkout: r.checkout };
      }
      return { transfer: await ctx.core.call(op, model.root, { targets, credentials }, { signal, onProgress }) };
    });
    const moved = transfer.transferred ? ` (${formatSize(transfer.bytes)})` : '';
    let done = `${op === 'push' ? 'Pushed' : op === 'pull' ? 'Pulled' : 'Fetched'} ${transfer.transferred} object${transfer.transferred === 1 ? '' : 's'}${moved}${transfer.skipped ? `, ${transfer.skipped} already there` : ''}`;
    const restored = checkout ? [...checkout.added, ...checkout.modified] : [];
    if (restored.length) done += `; restored ${restored.slice(0, 3).join(', ')}${restored.length > 3 ? ` and ${restored.length - 3} more` : ''}`;
    // What could not be moved, and (pull) what could not be restored for another reason than that.
    const notMoved = (p: string) => transfer.failures.some((f) => f.path === p || f.path.startsWith(p.endsWith('/') ? p : `${p}/`));
    const problems = [
      ...transfer.failures.map((f) => `${f.path}: ${f.message}`),
      ...(checkout?.failed ?? []).filter((f) => !notMoved(f.path)).map((f) => `${f.path}: ${f.reason}`),
    ];
    if (problems.length) {
      void vscode.window.showErrorMessage(`Cairn: ${done}; ${problems.length} failed — ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '…' : ''}`);
    } else void vscode.window.showInformationMessage(`${done}.`);
  }
  await ctx.refreshAll();
  await ctx.refreshRemoteStates();
}

/** The remote a command was invoked on (a Remotes row), or one picked from a list. */
async function remoteOf(ctx: CommandContext, node: RemoteNode | undefined): Promise<{ root: string; name: string }> {
  if (node?.kind === 'remote') return { root: node.root, name: node.remote.name };
  const root = repositoryRoot(ctx);
  const list = await ctx.remotes.remotesOf(root);
  if (list.length === 0) throw new CairnError('REMOTE', 'no remote is configured.', { hint: 'Add one with "Cairn: Add Remote…".' });
  const pick = await vscode.window.showQuickPick(list.map((r) => ({ label: r.name, description: r.url })), { placeHolder: 'Remote' });
  if (!pick) throw new CairnError('ABORTED', 'no remote chosen.');
  return { root, name: pick.label };
}

/**
 * Run the bundled CLI in a terminal, with VS Code's own runtime: the stage commands' output
 * streams there live, and Ctrl-C in it stops them (the CLI cancels cleanly).
 */
function runCliInTerminal(ctx: CommandContext, root: string, args: string[], title: string): vscode.Terminal {
  const terminal = vscode.window.createTerminal({
    name: `Cairn: ${title}`,
    cwd: root,
    shellPath: process.execPath,
    shellArgs: [path.join(ctx.extension.extensionPath, 'dist', 'cli.js'), ...args],
    env: { ELECTRON_RUN_AS_NODE: '1' },
    iconPath: new vscode.ThemeIcon('run-all'),
  });
  terminal.show();
  ctx.log.info(`running cairn ${args.join(' ')} in a terminal`);
  return terminal;
}

/** The stage a command was invoked on (a Pipelines row), or one picked from a list. */
async function stageOf(ctx: CommandContext, node: PipelineNode | DataNode | undefined, verb: string): Promise<{ root: string; addr: string }> {
  if (node?.kind === 'stage') return { root: node.root, addr: node.stage.addr };
  if (node?.kind === 'output' && node.item.stage) return { root: node.model.root, addr: node.item.stage };
  const root = repositoryRoot(ctx);
  const stages = (await ctx.pipelines.snapshot(root)).stages;
  if (stages.length === 0) throw new CairnError('USAGE', 'there are no stages in this workspace.', { hint: 'Add one to dvc.yaml, or with `cairn stage add`.' });
  const pick = await vscode.window.showQuickPick(
    stages.map((s) => ({ label: s.addr, description: s.state, detail: s.cmd })),
    { placeHolder: `Stage to ${verb}` },
  );
  if (!pick) throw new CairnError('ABORTED', 'no stage chosen.');
  return { root, addr: pick.label };
}

export async function showPanel(ctx: CommandContext, root: string, snapshot: RunsSnapshot, selected: string[]): Promise<MetricsPanel> {
  const plots = await ctx.core.call('plots', root, { revs: selected });
  const panel = MetricsPanel.show(ctx.extension, ctx.log, snapshot, selected, plots);
  panel.follow(root, ctx.core);
  return panel;
}

/**
 * The repository a command acts on: the one its tree row names, else the one holding the active
 * editor's file, else the only one open; with several, the user picks (never silently the first).
 */
export async function chosenRepository(ctx: CommandContext, fromRow: string | undefined, placeHolder = 'Repository whose experiments to show'): Promise<string> {
  const models = ctx.models();
  if (fromRow && models.some((m) => m.root === fromRow)) return fromRow;
  const editor = vscode.window.activeTextEditor?.document.uri;
  if (editor?.scheme === 'file' && models.some((m) => editor.fsPath === m.root || editor.fsPath.startsWith(m.root + path.sep))) return modelFor(ctx, editor.fsPath).root;
  if (models.length === 1) return models[0].root;
  if (models.length === 0) return repositoryRoot(ctx);
  const pick = await vscode.window.showQuickPick(
    // The names the Explorer shows (a workspace folder's name may differ from its folder's).
    models.map((m) => ({ label: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(m.root))?.name ?? path.basename(m.root), description: m.root, root: m.root })),
    { placeHolder },
  );
  if (!pick) throw new CairnError('ABORTED', 'no repository chosen.');
  return pick.root;
}

function repositoryRoot(ctx: CommandContext): string {
  const model = ctx.models()[0];
  if (!model) throw new CairnError('NOT_A_REPO', 'no Cairn/DVC repository is open.', { hint: 'Open a folder with a .dvc folder, or run "Cairn: Initialize Repository".' });
  return model.root;
}

/** The last commit and the workspace (just the workspace in a repository without commits). */
function headAndWorkspace(history: string[]): string[] {
  return history.length >= 2 ? [history[history.length - 2], WORKSPACE_REV] : [WORKSPACE_REV];
}

/** Register every command of COMMANDS; errors become one-line messages, as in the CLI. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const table = handlers(ctx);
  return (Object.keys(COMMANDS) as CommandKey[]).map((key) =>
    vscode.commands.registerCommand(COMMANDS[key].id, async (...args: unknown[]) => {
      try {
        return await table[key](...args);
      } catch (err) {
        const message = err instanceof CairnError ? err.oneLine() : (err as Error).message;
        if (err instanceof CairnError && err.code === 'ABORTED') return;
        ctx.log.error(`${COMMANDS[key].id}: ${message}`);
        vscode.window.showErrorMessage(`Cairn: ${message}`);
      }
    }),
  );
}
