import * as vscode from 'vscode';
import type { CommandKey } from './commandIds';
import type { CoreClient } from './coreClient';
import type { ModelNode, RegistryTreeProvider } from './registryTree';
import type { ModelInfo, ModelVersionInfo } from './registrySnapshot';
import { LineagePanel } from './lineagePanel';
import { ExperimentsPanel } from './experimentsPanel';
import { CairnError } from '../core/errors';
import { artifactsGetCommand, versionProblem } from './registrySnapshot';
import { FIRST_VERSION } from '../core/registry/semver';

export type RegistryCommandKey = Extract<
  CommandKey,
  'refreshModels' | 'registerModelVersion' | 'assignModelStage' | 'unassignModelStage' | 'deprecateModel' | 'copyArtifactsGetCommand' | 'showLineage' | 'registerExperimentVersion'
>;

/** What the registry's commands need of the extension (commands.ts hands it over: no import back). */
export interface RegistryCommandContext {
  core: CoreClient;
  registry: RegistryTreeProvider;
  extension: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  requireTrust(): void;
  /** The repository of the row, else the editor's, else the only one, else the one the user picks. */
  chosenRepository(fromRow: string | undefined): Promise<string>;
}

type Handler = (...args: any[]) => unknown;

/** Stages offered besides those in use: gto's usual ones. */
const USUAL_STAGES = ['dev', 'staging', 'prod'];

const aborted = (what: string) => new CairnError('ABORTED', `no ${what} chosen.`);

/** The model (and version) a command was invoked on, or those the user picks. */
async function modelOf(ctx: RegistryCommandContext, node: ModelNode | undefined, verb: string, registeredOnly = false): Promise<{ root: string; model: ModelInfo; version?: ModelVersionInfo }> {
  if (node?.kind === 'model') return { root: node.root, model: node.model };
  if (node?.kind === 'version') return { root: node.root, model: node.model, version: node.version };
  const root = await ctx.chosenRepository(undefined);
  const models = (await ctx.registry.snapshot(root)).models.filter((m) => !m.deprecated && (!registeredOnly || m.versions.length));
  if (!models.length) throw new CairnError('USAGE', registeredOnly ? 'no model has a registered version yet.' : 'no model is declared or registered.', { hint: 'Declare one in dvc.yaml `artifacts:`, or register one with `cairn model register <name>`.' });
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({ label: m.name, description: m.versions[0]?.version ?? 'not registered', detail: m.declared?.path, model: m })),
    { placeHolder: `Model to ${verb}` },
  );
  if (!pick) throw aborted('model');
  return { root, model: pick.model };
}

async function versionOf(model: ModelInfo, given: ModelVersionInfo | undefined, verb: string, filter: (v: ModelVersionInfo) => boolean = () => true): Promise<ModelVersionInfo> {
  if (given) return given;
  const versions = model.versions.filter(filter);
  if (!versions.length) throw new CairnError('USAGE', `'${model.name}' has no version to ${verb}.`);
  if (versions.length === 1) return versions[0];
  const pick = await vscode.window.showQuickPick(
    versions.map((v) => ({ label: v.version, description: v.stages.join(', '), detail: v.experiments[0] ?? v.commit.slice(0, 7), version: v })),
    { placeHolder: `Version of ${model.name} to ${verb}` },
  );
  if (!pick) throw aborted('version');
  return pick.version;
}

/** The model of that name, or a new one (gto registers any artifact name it accepts; the core checks it). */
async function modelNamed(ctx: RegistryCommandContext, root: string, name: string): Promise<ModelInfo> {
  const models = (await ctx.registry.snapshot(root)).models.filter((m) => !m.deprecated);
  return models.find((m) => m.name === name) ?? { name, registered: false, deprecated: false, versions: [], nextVersion: FIRST_VERSION };
}

/** A model picked from the registry's, or a new name typed. */
async function pickOrNameModel(ctx: RegistryCommandContext, title: string, inRoot?: string): Promise<{ root: string; model: ModelInfo }> {
  const root = inRoot ?? (await ctx.chosenRepository(undefined));
  const models = (await ctx.registry.snapshot(root)).models.filter((m) => !m.deprecated);
  const name = await pickOrType(title, models.map((m) => ({ label: m.name, description: m.versions[0]?.version ?? 'not registered' })), 'new model');
  if (!name) throw aborted('model');
  return { root, model: await modelNamed(ctx, root, name) };
}

/** A quick pick of `known` that also takes a typed value (offered as "new"). */
function pickOrType(title: string, known: { label: string; description?: string }[], newDescription: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick();
    pick.title = title;
    pick.placeholder = 'Pick one, or type a new name';
    pick.items = known;
    pick.onDidChangeValue((value) => {
      const typed = value.trim();
      pick.items = typed && !known.some((k) => k.label === typed) ? [{ label: typed, description: newDescription }, ...known] : known;
    });
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0]?.label ?? (pick.value.trim() || undefined));
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** The version to register: typed in an input box prefilled with the next bump, checked as SemVer (and unused) before anything is written. */
async function askVersion(model: ModelInfo, where: string): Promise<string> {
  const version = await vscode.window.showInputBox({
    title: `Register a version of ${model.name}`,
    prompt: `SemVer with a leading v; the tag goes on ${where}`,
    value: model.nextVersion,
    ignoreFocusOut: true,
    validateInput: (v) => versionProblem(model, v.trim()),
  });
  if (!version) throw aborted('version');
  return version.trim();
}

export function registryHandlers(ctx: RegistryCommandContext): Record<RegistryCommandKey, Handler> {
  const done = async (message: string) => {
    await ctx.registry.refresh();
    void vscode.window.showInformationMessage(message);
  };
  return {
    async refreshModels() {
      await ctx.registry.refresh();
    },

    /** `args` (for programmatic callers) skips the input box. */
    async registerModelVersion(node?: ModelNode, args?: { version: string }) {
      ctx.requireTrust();
      const { root, model } = node ? await modelOf(ctx, node, 'register a version of') : await pickOrNameModel(ctx, 'Register a version of…');
      const version = args?.version ?? (await askVersion(model, 'HEAD'));
      const written = await ctx.core.call('modelRegister', root, { name: model.name, version });
      await done(`Registered ${model.name} ${written.version}: tag '${written.tag}'. Push it with: git push origin ${written.tag}`);
      return written;
    },

    /** `args` (for programmatic callers) skips the quick pick. */
    async assignModelStage(node?: ModelNode, args?: { stage: string }) {
      ctx.requireTrust();
      const { root, model, version: given } = await modelOf(ctx, node, 'assign a stage to', true);
      const version = await versionOf(model, given, 'assign a stage to');
      let stage = args?.stage;
      if (stage === undefined) {
        const known = [...new Set([...(await ctx.registry.snapshot(root)).stages, ...USUAL_STAGES])].filter((s) => !version.assignedStages.includes(s));
        stage = await pickOrType(`Stage for ${model.name} ${version.version}`, known.map((s) => ({ label: s })), 'new stage');
        if (!stage) throw aborted('stage');
      }
      const written = await ctx.core.call('modelAssign', root, { name: model.name, version: version.version, stage });
      await done(`Assigned ${stage} to ${model.name} ${version.version}: tag '${written.tag}'.`);
      return written;
    },

    /** `args` (for programmatic callers) skips the quick pick. */
    async unassignModelStage(node?: ModelNode, args?: { stage: string }) {
      ctx.requireTrust();
      const { root, model, version: given } = await modelOf(ctx, node, 'unassign a stage of', true);
      const version = await versionOf(model, given, 'unassign a stage of', (v) => v.assignedStages.length > 0);
      let stage = args?.stage;
      if (stage === undefined) {
        if (!version.assignedStages.length) throw new CairnError('USAGE', `${model.name} ${version.version} is in no stage.`);
        stage = (await vscode.window.showQuickPick(version.assignedStages, { placeHolder: `Stage to take from ${model.name} ${version.version}` })) ?? '';
        if (!stage) throw aborted('stage');
      }
      const written = await ctx.core.call('modelUnassign', root, { name: model.name, version: version.version, stage });
      await done(`Unassigned ${stage} from ${model.name} ${version.version}: tag '${written.tag}'.`);
      return written;
    },

    /** A version row: deregister it; a model row: deprecate the model. Asks first (a modal). */
    async deprecateModel(node?: ModelNode) {
      ctx.requireTrust();
      const { root, model, version } = await modelOf(ctx, node, 'deprecate', true);
      const what = version ? `${model.name} ${version.version}` : model.name;
      const detail = version
        ? `A tag '${model.name}@${version.version}!' deregisters the version; its stages stop showing it. Tags are never deleted: register it again to undo.`
        : `A tag '${model.name}@deprecated' hides the model from the registry (gto show). Tags are never deleted.`;
      const choice = await vscode.window.showWarningMessage(`Deprecate ${what}?`, { modal: true, detail }, 'Deprecate');
      if (choice !== 'Deprecate') return;
      const written = version
        ? await ctx.core.call('modelDeregister', root, { name: model.name, version: version.version })
        : await ctx.core.call('modelDeprecate', root, { name: model.name });
      await done(`Deprecated ${what}: tag '${written.tag}'.`);
      return written;
    },

    async copyArtifactsGetCommand(node?: ModelNode) {
      const { root, model, version } = await modelOf(ctx, node, 'copy the `artifacts get` command of', true);
      const text = artifactsGetCommand((await ctx.registry.snapshot(root)).repositoryUrl, model.name, version?.version);
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Copied: ${text}`);
      return text;
    },

    /** The lineage of a version (the commit it tags), or of a model (its greatest version, else HEAD). */
    async showLineage(node?: ModelNode) {
      ctx.requireTrust();
      const { root, model, version } = await modelOf(ctx, node, 'show the lineage of');
      const target = version ? `${model.name}@${version.version}` : model.name;
      const snapshot = await ctx.core.call('lineage', root, { target });
      return LineagePanel.show(ctx.extension, ctx.log, ctx.core, root, snapshot);
    },

    /**
     * An experiments-table row (`{rowId}` from its `data-vscode-context`) registered as a model version:
     * asks which model and version, and for an experiment without a branch whether to make one
     * (`exp branch`) first. `args` (for programmatic callers) skips the questions.
     */
    async registerExperimentVersion(row?: { rowId?: unknown }, args?: { name: string; version: string; createBranch: boolean }) {
      ctx.requireTrust();
      const panel = ExperimentsPanel.open;
      if (!panel || typeof row?.rowId !== 'string') throw new CairnError('USAGE', 'choose an experiment in the experiments table to register.');
      const root = panel.repositoryRoot;
      // An experiment's row id is `<baseline>:<name>:<sha>`; the core takes its ref (a commit's row id is its sha).
      const tableRow = panel.payload?.rows.find((r) => r.id === row.rowId);
      const found = await ctx.core.call('registrableRow', root, { rowId: tableRow?.ref ?? row.rowId });
      const { model } = args ? { model: await modelNamed(ctx, root, args.name) } : await pickOrNameModel(ctx, `Register ${found.label} as a version of…`, root);
      const name = model.name;
      const version = args?.version ?? (await askVersion(model, found.experiment ? `experiment ${found.label}'s commit` : `commit ${found.label}`));
      let branch: { experiment: string; name: string } | undefined;
      if (found.experiment && !found.branches.length) {
        const branchName = `${found.label}-branch`;
        const create = args
          ? args.createBranch
          : await vscode.window
              .showWarningMessage(
                `Experiment ${found.label} is on no branch. Create branch '${branchName}' for it before registering?`,
                { modal: true, detail: 'The version tag keeps its commit either way; a branch lets you check it out and build on it (cairn exp branch).' },
                'Create Branch and Register',
                'Register Only',
              )
              .then((c) => (c === undefined ? undefined : c === 'Create Branch and Register'));
        if (create === undefined) return;
        if (create) branch = { experiment: found.experiment, name: branchName };
      }
      const written = await ctx.core.call('modelRegister', root, { name, version, rev: found.commit, ...(branch ? { branch } : {}) });
      await done(`Registered ${name} ${written.version} from ${found.label}${written.branch ? ` (branch '${written.branch}')` : ''}: tag '${written.tag}'.`);
      return written;
    },
  };
}
