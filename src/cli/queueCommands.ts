import { CairnError } from '../core/errors';
import { findEntry, notInQueue, QueueStatus, queueStates, removeEntries } from '../core/experiments/runQueue';
import { execEntry, killEntry, requestStop, runWorker, startWorkers, workerStates } from '../core/experiments/queueWorker';
import { readQueueLogs } from '../core/experiments/queueLogs';
import { CommandTable, markdownTable, out, printJson, withRepo } from './command';

/** Standard input to its end (a task id: a few bytes, at most 4 KiB kept). */
async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text = (text + String(chunk)).slice(0, 4096);
  return text;
}

/** How this CLI is started again (for detached workers and their runs): node and the script. */
export const selfCommand = () => [process.execPath, process.argv[1]];

/** `cairn queue ...`: Cairn's own experiment queue (`exp run --queue`), on disk under `.dvc/tmp/cairn/queue`. */
export const queueCommands: CommandTable = {
  queue: {
    summary: "Run queued experiments with detached workers; see their state and logs (Cairn's queue, no broker)",
    subcommands: {
      start: {
        summary: 'Start detached workers that run the queued experiments (they outlive the terminal)',
        options: { jobs: { type: 'string', short: 'j', value: '<n>', help: 'How many workers run (experiments at a time; default 1): only those missing are started.' } },
        async run({ values }) {
          const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
          if (!Number.isInteger(jobs) || jobs < 1) throw new CairnError('USAGE', `--jobs must be a whole number of at least 1, not '${values.jobs}'.`);
          return withRepo(async (repo) => {
            const queued = (await queueStates(repo)).filter((s) => s.status === 'queued').length;
            const started = await startWorkers(repo, jobs, selfCommand());
            const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
            if (values.json) printJson({ started, workers: jobs, queued });
            else if (!values.quiet) {
              const already = jobs - started;
              out(`Started ${plural(started, 'worker')}${already ? ` (${already} already running)` : ''} for ${plural(queued, 'queued experiment')}.`);
            }
            return 0;
          });
        },
      },
      status: {
        summary: 'The queued, running, finished and failed experiments of the queue',
        options: {},
        async run({ values }) {
          return withRepo(async (repo) => {
            const states = await queueStates(repo);
            if (values.json) {
              printJson(states.map((s) => ({ id: s.entry.id, name: s.entry.name, created: s.entry.created, status: s.status, pid: s.worker?.execPid ?? s.worker?.pid ?? null, started: s.worker?.started ?? null, rev: s.result?.rev ?? null, error: s.error ?? null })));
              return 0;
            }
            if (!states.length) out('No experiment tasks in the queue.\n');
            else {
              const now = Date.now();
              const rows = states.map((s) => {
                const elapsed = s.status === 'running' && s.worker ? `${Math.round((now - Date.parse(s.worker.started)) / 1000)} s (pid ${s.worker.execPid ?? s.worker.pid})` : '';
                const detail = s.status === 'success' ? s.result!.rev.slice(0, 7) : s.status === 'failed' ? (s.error ?? '') : elapsed;
                return [s.entry.id, s.entry.name, s.entry.created.replace('T', ' ').slice(0, 19), s.status, detail];
              });
              out(markdownTable(['Task', 'Name', 'Created', 'Status', ''], rows));
            }
            const workers = await workerStates(repo);
            const active = workers.filter((w) => w.running).length;
            out(`Worker status: ${active} active, ${workers.length - active} idle`);
            return 0;
          });
        },
      },
      logs: {
        summary: "Print a queued experiment's output (by name or task id)",
        args: [{ name: '<experiment>', help: 'The experiment name or queue task id.' }],
        options: { follow: { type: 'boolean', short: 'f', help: 'Keep printing as the run writes, until it ends.' } },
        async run({ values, positionals, signal }) {
          if (positionals.length !== 1) throw new CairnError('USAGE', 'cairn queue logs takes one experiment name or task id.');
          return withRepo(async (repo) => {
            const states = await queueStates(repo);
            const state = findEntry(states, positionals[0]);
            if (!state) throw notInQueue(positionals[0], states);
            const [last] = await readQueueLogs(repo, [state.entry.id], { follow: !!values.follow, signal, onText: (_, text) => process.stdout.write(text) });
            if (last?.status === 'failed' && last.error && values.follow) process.stderr.write(`ERROR: ${last.error}\n`);
            return 0;
          });
        },
      },
      stop: {
        summary: 'Stop the workers once their running experiments end (with --kill, at once); queued ones stay queued',
        options: { kill: { type: 'boolean', help: 'Interrupt the running experiments too (as `queue kill`).' } },
        async run({ values }) {
          return withRepo(async (repo) => {
            await requestStop(repo);
            const running = (await queueStates(repo)).filter((s) => s.status === 'running');
            if (values.kill) await Promise.all(running.map((s) => killEntry(repo, s.entry.id)));
            if (values.json) printJson({ stopped: true, killed: values.kill ? running.map((s) => s.entry.name) : [] });
            else if (!values.quiet) {
              if (values.kill) out(running.length ? `Killed ${running.map((s) => `'${s.entry.name}'`).join(', ')}; the workers stop.` : 'Nothing was running; the workers stop.');
              else out(running.length ? `The workers stop once ${running.map((s) => `'${s.entry.name}'`).join(', ')} end${running.length === 1 ? 's' : ''}.` : 'The workers stop; nothing was running.');
            }
            return 0;
          });
        },
      },
      kill: {
        summary: 'Interrupt running experiments of the queue (they end failed, with their logs); the workers go on with the next',
        args: [{ name: '<experiment...>', help: 'Names or queue task ids of running experiments.' }],
        options: { force: { type: 'boolean', short: 'f', help: 'Kill at once (SIGKILL) instead of interrupting (SIGINT, then SIGKILL after 10 s).' } },
        async run({ values, positionals }) {
          if (!positionals.length) throw new CairnError('USAGE', 'cairn queue kill takes the names or task ids of running experiments.', { hint: '`cairn queue status` lists them.' });
          return withRepo(async (repo) => {
            const states = await queueStates(repo);
            const targets = positionals.map((name) => {
              const state = findEntry(states, name);
              if (!state) throw notInQueue(name, states);
              if (state.status !== 'running') throw new CairnError('USAGE', `'${name}' is ${state.status}, not running: nothing to kill.`, { hint: state.status === 'queued' ? `\`cairn queue remove ${name}\` takes it out of the queue.` : undefined });
              return state;
            });
            await Promise.all(targets.map((s) => killEntry(repo, s.entry.id, { force: values.force })));
            if (values.json) printJson(targets.map((s) => s.entry.name));
            else if (!values.quiet) for (const s of targets) out(`Killed '${s.entry.name}'; its log: cairn queue logs ${s.entry.name}`);
            return 0;
          });
        },
      },
      remove: {
        summary: 'Take experiments out of the queue: queued ones, or the records and logs of finished ones (their experiments stay)',
        args: [{ name: '[experiment...]', help: 'Names or queue task ids to remove.' }],
        options: {
          queued: { type: 'boolean', help: 'Remove every queued experiment.' },
          failed: { type: 'boolean', help: 'Remove every failed one (records and logs).' },
          success: { type: 'boolean', help: 'Remove every successful one (records and logs; the experiments stay).' },
          all: { type: 'boolean', short: 'A', help: 'Remove every queued, failed and successful one (not running ones).' },
        },
        async run({ values, positionals }) {
          const statuses: QueueStatus[] = values.all ? ['queued', 'failed', 'success'] : (['queued', 'failed', 'success'] as const).filter((s) => values[s]);
          if (!statuses.length && !positionals.length) throw new CairnError('USAGE', 'cairn queue remove needs names, or --queued, --failed, --success or --all.');
          return withRepo(async (repo) => {
            const removed = await removeEntries(repo, { statuses, names: positionals });
            if (values.json) printJson(removed.map((s) => ({ id: s.entry.id, name: s.entry.name, status: s.status })));
            else if (!values.quiet) out(removed.length ? `Removed ${removed.map((s) => `'${s.entry.name}'`).join(', ')}.` : 'Nothing to remove.');
            return 0;
          });
        },
      },
      worker: {
        summary: 'Run queued experiments one after another until none is left (what `queue start` starts)',
        options: {},
        async run() {
          return withRepo(async (repo) => {
            await runWorker(repo, selfCommand());
            return 0;
          });
        },
      },
      exec: {
        summary: 'Run one claimed queue entry (what a worker starts for each experiment)',
        args: [{ name: '<task>', help: 'The queue task id, or - to wait for it on standard input (a worker starts its next run ahead so).' }],
        options: {},
        async run({ positionals, signal }) {
          if (positionals.length !== 1) throw new CairnError('USAGE', 'cairn queue exec takes one task id.');
          return withRepo(async (repo) => {
            // Started ahead: the hash threads start too while the run before works (they take a tenth of a second of CPU).
            if (positionals[0] === '-') repo.pool.warm();
            const id = positionals[0] === '-' ? (await readStdin()).split('\n')[0].trim() : positionals[0];
            if (!id) return 0; // started ahead, and the worker had no entry left for it
            // A worker listens (it starts its next run's process once this one's stage commands run).
            const onStageStart = (stage: string) => process.connected && process.send?.({ stageStarted: stage }, undefined, {}, () => undefined);
            return execEntry(repo, id, out, { signal, onStageStart });
          });
        },
      },
    },
  },
};
