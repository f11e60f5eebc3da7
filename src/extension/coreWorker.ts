import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { Repo } from '../core/repo/repo';
import { CairnError } from '../core/errors';
import { outputStatuses } from '../core/outputs/status';
import { describeOutput } from '../core/outputs/list';
import { add } from '../core/outputs/add';
import { commit } from '../core/outputs/commit';
import { checkout } from '../core/outputs/checkout';
import { remove } from '../core/outputs/remove';
import type { Progress } from '../core/progress';
import { runsSnapshot } from './runsSnapshot';
import { pipelineOutputStatuses } from '../core/pipeline/pipelineOutputs';
import type { TrackedItem } from './trackedItem';
import { plotsSnapshot } from './plotsSnapshot';
import { pipelinesSnapshot } from './pipelinesSnapshot';
import type { CoreOp, CoreOps, FromWorker, ToWorker } from './coreProtocol';

/** Runs in a worker thread of the extension host: see coreProtocol.ts. */
const port = parentPort!;
const aborts = new Map<number, AbortController>();
const answers = new Map<number, (confirmed: boolean) => void>();
const send = (msg: FromWorker) => port.postMessage(msg);

type Context = { repo: Repo; root: string; signal: AbortSignal; onProgress: (p: Progress) => void; ask: (outputs: string[], dvcFile: string) => Promise<boolean> };
type Handlers = { [K in CoreOp]: (args: CoreOps[K]['args'], ctx: Context) => Promise<CoreOps[K]['result']> };

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
    return items;
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
  pipelines: (_args, { repo, signal }) => pipelinesSnapshot(repo, signal),
};

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
    const result = await Repo.using(root, { hashJobs }, (repo) => (handlers[op] as (a: unknown, c: Context) => Promise<unknown>)(args, { ...ctx, repo }));
    send({ id, result });
  } catch (err) {
    send({ id, error: err instanceof CairnError ? { code: err.code, message: err.message, options: err.options } : { message: (err as Error).message } });
  } finally {
    aborts.delete(id);
    answers.delete(id);
  }
});
