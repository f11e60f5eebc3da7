import { CairnError } from '../core/errors';
import { pyRepr } from '../core/metrics/flatten';
import { redactUrl } from '../core/remotes/redactUrl';
import { parseNum } from '../core/experiments/show';
import { expPush, ExpSyncOptions, ExpSyncResult } from '../core/experiments/push';
import { expPull } from '../core/experiments/pull';
import { ProgressBar } from './progressBar';
import { Command, Options, out, printJson, withRepo } from './command';

/** The options `exp push` and `exp pull` share (dvc's flags, in dvc's words where they fit). */
function syncOptions(verb: 'Push' | 'Pull', toOrFrom: string): Options {
  return {
    'all-commits': { type: 'boolean', short: 'A', help: `${verb} every experiment of the repository${verb === 'Pull' ? ' on the git remote' : ''} (overrides --rev and -n).` },
    rev: { type: 'string', multiple: true, value: '<commit>', help: `${verb} the experiments derived from this baseline (HEAD by default); may repeat.` },
    num: { type: 'string', short: 'n', value: '<num>', help: 'Also the experiments of the N-1 first-parent commits before each baseline (negative: all).' },
    force: { type: 'boolean', short: 'f', help: verb === 'Push' ? 'Replace an experiment the git remote holds in another version.' : 'Replace a local experiment that diverged from the remote one.' },
    'no-cache': { type: 'boolean', help: `Do not ${verb.toLowerCase()} the experiments' cached outputs ${toOrFrom} the DVC remote.` },
    remote: { type: 'string', short: 'r', value: '<name>', help: `The DVC remote to ${verb.toLowerCase()} the cached outputs ${toOrFrom} (default: the default remote).` },
    jobs: { type: 'string', short: 'j', value: '<number>', help: 'Objects transferred at once (as `cairn push -j`).' },
    'run-cache': { type: 'boolean', help: `Also ${verb.toLowerCase()} run-cache entries and the outputs they record.` },
    'no-run-cache': { type: 'boolean', help: 'Do not move run-cache entries (the default).' },
  };
}

const ARGS = (verb: string) => [
  { name: '<git_remote>', help: 'A git remote: its name, URL or folder.' },
  { name: '[experiment...]', help: `Experiments to ${verb} (names or full refs/exps/... refs; default: those of --rev).` },
];

function syncOptionsOf(values: Record<string, any>, positionals: string[], signal: AbortSignal, bar: ProgressBar): ExpSyncOptions {
  if (!positionals.length) throw new CairnError('USAGE', 'give the git remote (its name, URL or folder).', { hint: '`git remote -v` lists the remotes.' });
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new CairnError('USAGE', `-j must be a whole number of at least 1, got '${values.jobs}'.`);
  return {
    gitRemote: positionals[0],
    names: positionals.slice(1),
    allCommits: values['all-commits'],
    revs: values.rev,
    num: parseNum(values.num),
    force: values.force,
    withCache: !values['no-cache'],
    remote: values.remote,
    jobs,
    runCache: !!values['run-cache'] && !values['no-run-cache'],
    cwd: process.cwd(),
    signal,
    onProgress: bar.update,
  };
}

/** Python's humanize.join as dvc uses it: `a`, `a and b`, `a, b and c`. */
function joinNames(names: string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0] ?? '';
}

const files = (n: number, verb: string) => `${n} file${n > 1 ? 's' : ''} ${verb}`;

/** The result as JSON: dvc's status groups, the objects moved, whether notes went along. */
function printResult(r: ExpSyncResult, moved: 'uploaded' | 'fetched'): void {
  printJson({ success: r.success, up_to_date: r.up_to_date, diverged: r.diverged, [moved]: r.transfer?.transferred ?? 0, notes: r.notes, failures: r.transfer?.failures ?? [] });
}

/** After the lines of what happened on the git side, the data side's failure, if any. */
function finish(values: Record<string, any>, r: ExpSyncResult): number {
  if (!r.cacheError) return 0;
  if (values.json) return 1;
  throw r.cacheError;
}

export const expPushCommand: Command = {
  summary: "Push experiments to a git remote, and their cached outputs to the DVC remote",
  args: ARGS('push'),
  options: syncOptions('Push', 'to'),
  async run({ values, positionals, signal }) {
    return withRepo(async (repo) => {
      const bar = new ProgressBar('Pushing');
      const options = syncOptionsOf(values, positionals, signal, bar);
      const r = await expPush(repo, options).finally(() => bar.done());
      if (values.json) printResult(r, 'uploaded');
      else if (!values.quiet) {
        const remote = pyRepr(redactUrl(options.gitRemote));
        if (r.diverged.length) {
          process.stderr.write(`Local experiment ${joinNames(r.diverged)} has diverged from remote experiment with the same name.\nTo override the remote experiment re-run with '--force'.\n`);
        }
        if (r.up_to_date.length) out(`Experiment ${joinNames(r.up_to_date)} ${r.up_to_date.length > 1 ? 'are' : 'is'} up to date on Git remote ${remote}.`);
        if (r.success.length) out(`Pushed experiment ${joinNames(r.success)} to Git remote ${remote}.`);
        if (!r.up_to_date.length && !r.success.length) out('No experiments to push.');
        if (r.transfer?.transferred) out(files(r.transfer.transferred, 'uploaded'));
        // dvc's words, to the character.
        if (!options.withCache) out("To push cached outputs for this experiment to DVC remote storage,re-run this command without '--no-cache'.");
      }
      return finish(values, r);
    });
  },
};

export const expPullCommand: Command = {
  summary: 'Pull experiments from a git remote, and their cached outputs from the DVC remote into the cache',
  args: ARGS('pull'),
  options: syncOptions('Pull', 'from'),
  async run({ values, positionals, signal }) {
    return withRepo(async (repo) => {
      const bar = new ProgressBar('Fetching');
      const options = syncOptionsOf(values, positionals, signal, bar);
      const r = await expPull(repo, options).finally(() => bar.done());
      if (values.json) printResult(r, 'fetched');
      else if (!values.quiet) {
        if (r.diverged.length) {
          process.stderr.write(`Local experiment '${pyRepr(r.diverged)}' has diverged from remote experiment with the same name. To override the local experiment re-run with '--force'.\n`);
        }
        if (r.success.length) out(`Pulled experiment '${pyRepr(r.success)}' from Git remote '${redactUrl(options.gitRemote)}'.`);
        else out('No experiments to pull.');
        // dvc's words, to the character.
        if (!options.withCache) out("To pull cached outputs for this experimentfrom DVC remote storage,re-run this command without '--no-cache'.");
      }
      return finish(values, r);
    });
  },
};
