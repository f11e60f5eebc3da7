import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { CairnError } from '../core/errors';
import { findEntry, queueLogPath, queueStates } from '../core/experiments/runQueue';
import { execEntry, runWorker } from '../core/experiments/queueWorker';
import { CommandTable, markdownTable, out, printJson, withRepo } from './command';

/** Standard input to its end (a task id: a few bytes, at most 4 KiB kept). */
async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text = (text + String(chunk)).slice(0, 4096);
  return text;
}

/** How this CLI is started again (for detached workers and their runs): node and the script. */
const selfCommand = () => [process.execPath, process.argv[1]];

/** `cairn queue ...`: Cairn's own experiment queue (`exp run --queue`), on disk under `.dvc/tmp/cairn/queue`. */
export const queueCommands: CommandTable = {
  queue: {
    summary: "Run queued experiments with detached workers; see their state and logs (Cairn's queue, no broker)",
    subcommands: {
      start: {
        summary: 'Start detached workers that run the queued experiments (they outlive the terminal)',
        options: { jobs: { type: 'string', short: 'j', value: '<n>', help: 'How many workers (experiments at a time; default 1).' } },
        async run({ values }) {
          const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
          if (!Number.isInteger(jobs) || jobs < 1) throw new CairnError('USAGE', `--jobs must be a whole number of at least 1, not '${values.jobs}'.`);
          return withRepo(async (repo) => {
            const queued = (await queueStates(repo)).filter((s) => s.status === 'queued').length;
            for (let i = 0; i < jobs; i++) {
              const [node, script] = selfCommand();
              spawn(node, [script, 'queue', 'worker'], { cwd: repo.root, detached: true, stdio: 'ignore' }).unref();
            }
            if (values.json) printJson({ workers: jobs, queued });
            else if (!values.quiet) out(`Started ${jobs} worker${jobs === 1 ? '' : 's'} for ${queued} queued experiment${queued === 1 ? '' : 's'}.`);
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
            } else if (!states.length) out('No experiments in the queue.');
            else {
              const now = Date.now();
              const rows = states.map((s) => {
                const elapsed = s.status === 'running' && s.worker ? `${Math.round((now - Date.parse(s.worker.started)) / 1000)} s (pid ${s.worker.execPid ?? s.worker.pid})` : '';
                const detail = s.status === 'success' ? s.result!.rev.slice(0, 7) : s.status === 'failed' ? (s.error ?? '') : elapsed;
                return [s.entry.id, s.entry.name, s.entry.created.replace('T', ' ').slice(0, 19), s.status, detail];
              });
              out(markdownTable(['Task', 'Name', 'Created', 'Status', ''], rows));
            }
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
            const state = await findEntry(repo, positionals[0]);
            if (!state) throw new CairnError('USAGE', `'${positionals[0]}' is not in the queue.`, { hint: '`cairn queue status` lists its experiments.' });
            const file = queueLogPath(repo, state.entry.id);
            let offset = 0;
            const printNew = () => {
              if (!fs.existsSync(file)) return;
              const text = fs.readFileSync(file);
              process.stdout.write(text.subarray(offset));
              offset = text.length;
            };
            printNew();
            while (values.follow && !signal.aborted) {
              const now = await findEntry(repo, state.entry.id);
              if (now?.status !== 'running' && now?.status !== 'queued') break;
              await new Promise((r) => setTimeout(r, 500));
              printNew();
            }
            printNew();
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
        async run({ positionals }) {
          if (positionals.length !== 1) throw new CairnError('USAGE', 'cairn queue exec takes one task id.');
          return withRepo(async (repo) => {
            // Started ahead: the hash threads start too while the run before works (they take a tenth of a second of CPU).
            if (positionals[0] === '-') repo.pool.warm();
            const id = positionals[0] === '-' ? (await readStdin()).split('\n')[0].trim() : positionals[0];
            if (!id) return 0; // started ahead, and the worker had no entry left for it
            // A worker listens (it starts its next run's process once this one's stage commands run).
            return execEntry(repo, id, out, (stage) => process.connected && process.send?.({ stageStarted: stage }, undefined, {}, () => undefined));
          });
        },
      },
    },
  },
};
