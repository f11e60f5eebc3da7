import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Repo } from '../core/repo/repo';
import { CairnError } from '../core/errors';
import { outputStatuses } from '../core/outputs/status';
import { unreadableFiles } from '../core/outputs/unreadableFiles';
import { describeOutput } from '../core/outputs/list';
import { add } from '../core/outputs/add';
import { commit } from '../core/outputs/commit';
import { checkout } from '../core/outputs/checkout';
import { remove } from '../core/outputs/remove';
import type { Progress } from '../core/progress';
import { runsSnapshot } from './runsSnapshot';
import { pipelineOutputStatuses } from '../core/pipeline/pipelineOutputs';
import type { TrackedItem } from './trackedItem';
import { livePlotsSnapshot, plotsSnapshot } from './plotsSnapshot';
import { experimentsSnapshot } from './experimentsSnapshot';
import { pipelinesSnapshot } from './pipelinesSnapshot';
import { UNTRUSTED_OPS, type CoreOp, type CoreOps, type ExpSyncSummary, type FromWorker, type RemoteCredentials, type RemoteState, type ToWorker } from './coreProtocol';
import { push, fetch, pull } from '../core/remotes/sync';
import { cloudStatus, CloudState } from '../core/remotes/cloudStatus';
import { addRemote, defaultRemote, listRemotes, modifyRemote, remoteSection, removeRemote } from '../core/remotes/remoteConfig';
import { folderTrusted, setFolderTrusted } from '../core/folderTrust';
import { expApply } from '../core/experiments/apply';
import { expBranch } from '../core/experiments/branch';
import { expRename } from '../core/experiments/rename';
import { expRemove } from '../core/experiments/remove';
import { expPush } from '../core/experiments/push';
import { expPull } from '../core/experiments/pull';
import { expList } from '../core/experiments/list';
import { runGit } from '../core/scm/git';
import { experimentRefName } from './experimentsSnapshot';
import { runFormFields } from './runFormSnapshot';
import { enqueue, queueStates } from '../core/experiments/runQueue';
import { killEntry, requestStop, startWorkers, workerStates } from '../core/experiments/queueWorker';
import { stopWorkspaceRun } from '../core/experiments/stopWorkspaceRun';
import { registrySnapshot } from './registrySnapshot';
import { lineageSnapshot } from './lineageSnapshot';
import { modelHandlers } from './registryOps';

/** Runs in a worker thread of the extension host: see coreProtocol.ts. */
const port = parentPort!;
// Trusted (git may run) only if the folder was when the extension host started this worker: see CoreClient.
setFolderTrusted((workerData as { folderTrusted?: boolean } | undefined)?.folderTrusted === true);
const aborts = new Map<number, AbortController>();
const answers = new Map<number, (confirmed: boolean) => void>();
const send = (msg: FromWorker) => port.postMessage(msg);

type Context = { repo: Repo; root: string; signal: AbortSignal; onProgress: (p: Progress) => void; ask: (outputs: string[], dvcFile: string) => Promise<boolean> };
type Handlers = { [K in CoreOp]: (args: CoreOps[K]['args'], ctx: Context) => Promise<CoreOps[K]['result']> };

/**
 * Credentials VS Code keeps (SecretStorage) join this operation's in-memory config only, as if in
 * config.local; the file is never written with them (the user chose to keep them out of it).
 */
function useCredentials(repo: Repo, credentials: RemoteCredentials): void {
  const local = repo.config.levels.get('local');
  if (!local) return;
  for (const [name, c] of Object.entries(credentials)) {
    local.set(remoteSection(name), 'access_key_id', c.access_key_id);
    local.set(remoteSection(name), 'secret_access_key', c.secret_access_key);
  }
}

const REMOTE_STATE: Record<CloudState, RemoteState> = { synced: 'on remote', new: 'not pushed', deleted: 'only on remote', missing: 'missing' };

const handlers: Handlers = {
  async snapshot(_args, { repo, root, signal }) {
    const statuses = await outputStatuses(repo, [], { cwd: root, signal });
    const items: TrackedItem[] = statuses.map(({ output, status, changedFiles }) => ({ ...describeOutput(output), status: status ?? 'in sync', changedFiles }));
    for (const o of await pipelineOutputStatuses(repo, { signal })) {
      items.push({
        path: o.out.repoPath,
        dvcFile: o.stage.file,
        stage: o.stage.addr,
        isdir: !!o.recorded?.md5?.endsWith('.dir'),
        md5: o.recorded?.md5 ?? null,
        size: o.recorded?.size ?? null,
        nfiles: o.recorded?.nfiles ?? null,
        type: o.out.type ?? o.artifact?.type ?? null,
        desc: o.out.desc ?? o.artifact?.desc ?? null,
        status: o.status ?? 'in sync',
        changedFiles: o.changedFiles,
      });
    }
    return { items, unreadable: unreadableFiles(repo).map((e) => e.oneLine()) };
  },
  async add({ paths, stageInGit }, { repo, root, signal, onProgress }) {
    const result = await add(repo, paths, { cwd: root, signal, onProgress });
    if (stageInGit && !result.staged && repo.scm && result.gitFiles.length) {
      await repo.scm.add(result.gitFiles.map((f) => path.join(root, f)));
      result.staged = true;
    }
    return result;
  },
  commit: ({ targets, force }, { repo, root, signal, onProgress, ask }) => commit(repo, targets, { cwd: root, force, signal, onProgress, confirm: ask }),
  checkout: ({ targets, force }, { repo, root, signal, onProgress }) => checkout(repo, targets, { cwd: root, force, signal, onProgress }),
  remove: ({ dvcFiles }, { repo, root }) => remove(repo, dvcFiles, { cwd: root }),
  runs: (args, { repo, signal }) => runsSnapshot(repo, { ...args, signal }),
  plots: ({ revs }, { repo }) => plotsSnapshot(repo, revs),
  expShow: ({ commits, branches, newest }, { repo, signal }) => experimentsSnapshot(repo, { commits, branches, newest, signal }),
  livePlots: (_args, { repo }) => livePlotsSnapshot(repo),
  pipelines: (_args, { repo, signal }) => pipelinesSnapshot(repo, signal),
  async remoteStates({ credentials }, { repo, root, signal }) {
    const remote = repo.config.get('core', 'remote');
    if (!remote) return { states: {} };
    useCredentials(repo, credentials);
    try {
      const statuses = await cloudStatus(repo, { cwd: root, signal });
      return { remote, states: Object.fromEntries(statuses.filter((s) => s.rev === 'workspace').map((s) => [s.path, REMOTE_STATE[s.state]])) };
    } catch (err) {
      if (err instanceof CairnError && err.code === 'ABORTED') throw err;
      return { remote, states: {}, error: err instanceof CairnError ? err.oneLine() : (err as Error).message };
    }
  },
  push({ targets, credentials }, { repo, root, signal, onProgress }) {
    useCredentials(repo, credentials);
    return push(repo, { targets, cwd: root, signal, onProgress });
  },
  fetch({ targets, credentials }, { repo, root, signal, onProgress }) {
    useCredentials(repo, credentials);
    return fetch(repo, { targets, cwd: root, signal, onProgress });
  },
  pull({ targets, force, credentials }, { repo, root, signal, onProgress }) {
    useCredentials(repo, credentials);
    return pull(repo, { targets, force, cwd: root, signal, onProgress });
  },
  remotes: async (_args, { repo }) => listRemotes(repo),
  remoteAdd: ({ name, url, makeDefault }, { repo, root }) => addRemote(repo, name, url, { default: makeDefault, cwd: root }),
  remoteModify: ({ name, option, value, local }, { repo, root }) => modifyRemote(repo, name, option, value, { level: local ? 'local' : 'repo', unset: value === undefined, cwd: root }),
  async remoteRemove({ name }, { repo }) {
    await removeRemote(repo, name);
    // Its credentials in config.local go with it (else a url-less remote would linger).
    if (repo.config.levels.get('local')?.sections.has(remoteSection(name))) await removeRemote(repo, name, { level: 'local' });
  },
  remoteDefault: async ({ name }, { repo }) => {
    await defaultRemote(repo, name);
  },
  async expApply({ experiment, force }, { repo, signal, onProgress }) {
    const result = await expApply(repo, experiment, { force, signal, onProgress });
    return { commit: result.commit, stash: result.stash, restored: [...result.data.added, ...result.data.modified], failed: result.data.failed.map((f) => `${f.path} (${f.reason})`) };
  },
  expBranch: async ({ experiment, branch }, { repo }) => ({ branch: (await expBranch(repo, experiment, branch)).branch }),
  async expRename({ experiment, newName }, { repo }) {
    await expRename(repo, experiment, newName);
  },
  expRemove: ({ names }, { repo }) => expRemove(repo, { names }),
  expPush: (args, ctx) => syncExperiments(expPush, args, ctx),
  expPull: (args, ctx) => syncExperiments(expPull, args, ctx),
  async expRemoteList({ gitRemote }, { repo, root }) {
    const listed = await expList(repo, { gitRemote, allCommits: true, cwd: root });
    return listed.flatMap((b) => b.experiments.map((e) => ({ ref: experimentRefName(b.baseline, e.name), baseline: b.baseline, name: e.name })));
  },
  gitRemotes: async (_args, { root }) => (await runGit(root, ['remote'])).split('\n').filter(Boolean),
  queueKill: ({ id, force }, { repo }) => killEntry(repo, id, { force }),
  expStopWorkspace: (_, { repo, signal }) => stopWorkspaceRun(repo, { signal }),
  runForm: ({ row }, { repo }) => runFormFields(repo, row),
  async enqueue({ setParams, name }, { repo, root }) {
    const entries = await enqueue(repo, { cwd: root, setParams, name });
    return { names: entries.map((e) => e.name) };
  },
  queueStart: async ({ jobs, cli }, { repo }) => ({ started: await startWorkers(repo, jobs, cli) }),
  async queueStop({ kill }, { repo }) {
    await requestStop(repo);
    const running = (await queueStates(repo)).filter((s) => s.status === 'running');
    if (kill) await Promise.all(running.map((s) => killEntry(repo, s.entry.id)));
    return { killed: kill ? running.map((s) => s.entry.name) : [] };
  },
  async queueState(_args, { repo }) {
    const states = await queueStates(repo);
    return { queued: states.filter((s) => s.status === 'queued').length, running: states.filter((s) => s.status === 'running').length, workers: (await workerStates(repo)).length };
  },
  registry: (_args, { repo, signal }) => registrySnapshot(repo, signal),
  lineage: ({ target }, { repo }) => lineageSnapshot(repo, target),
  ...modelHandlers,
};

/** `exp push`/`exp pull` of experiments by ref; their outputs go along when a DVC remote is set (as the CLI's default). */
async function syncExperiments(
  sync: typeof expPush,
  { experiments, gitRemote, credentials }: { experiments: string[]; gitRemote: string; credentials: RemoteCredentials },
  { repo, root, signal, onProgress }: Context,
): Promise<ExpSyncSummary> {
  useCredentials(repo, credentials);
  const withCache = !!repo.config.get('core', 'remote');
  const result = await sync(repo, { names: experiments, gitRemote, cwd: root, withCache, signal, onProgress });
  return { success: result.success, up_to_date: result.up_to_date, diverged: result.diverged, cacheError: result.cacheError?.oneLine() };
}

port.on('message', async (msg: ToWorker) => {
  if ('abort' in msg) return aborts.get(msg.id)?.abort();
  if ('confirmed' in msg) return answers.get(msg.id)?.(msg.confirmed);
  const { id, op, root, hashJobs, args } = msg;
  const controller = new AbortController();
  aborts.set(id, controller);
  const ctx = {
    root,
    signal: controller.signal,
    onProgress: (progress: Progress) => send({ id, progress }),
    ask: (outputs: string[], dvcFile: string) =>
      new Promise<boolean>((resolve) => {
        answers.set(id, resolve);
        send({ id, confirm: { outputs, dvcFile } });
      }),
  };
  try {
    if (!folderTrusted() && !UNTRUSTED_OPS.has(op)) {
      throw new CairnError('USAGE', `${op} changes files or reaches a remote, which Cairn does not do in a folder you have not trusted`, { hint: 'Trust the folder first (VS Code: Manage Workspace Trust).' });
    }
    const result = await Repo.using(root, { hashJobs }, (repo) => (handlers[op] as (a: unknown, c: Context) => Promise<unknown>)(args, { ...ctx, repo }));
    send({ id, result });
  } catch (err) {
    send({ id, error: err instanceof CairnError ? { code: err.code, message: err.message, options: err.options } : { message: (err as Error).message } });
  } finally {
    aborts.delete(id);
    answers.delete(id);
  }
});
