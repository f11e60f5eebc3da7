import { CairnError } from '../core/errors';
import { addRemote, defaultRemote, listRemotes, modifyRemote, removeRemote, renameRemote } from '../core/remotes/remoteConfig';
import { fetch, pull, push, SyncOptions } from '../core/remotes/sync';
import { transferError, TransferResult } from '../core/remotes/transfer';
import { cloudStatus, cloudStatusReport } from '../core/remotes/cloudStatus';
import { openRemote } from '../core/remotes/openRemote';
import { formatSize } from '../core/formatSize';
import { gc, GcPlan } from '../core/remotes/gc';
import { ProgressBar } from './progressBar';
import { Argument, Command, CommandTable, confirmOnTty, OptionSpec, Options, out, printJson, withRepo } from './command';
import { checkoutFailure, dataCommands } from './dataCommands';

const LOCAL: OptionSpec = { type: 'boolean', help: 'Use .dvc/config.local (not committed: for credentials).' };

const level = (values: Record<string, any>) => (values.local ? ('local' as const) : undefined);

/** `cairn remote add|list|modify|default|remove|rename`: remotes in .dvc/config (or config.local). */
const remote = {
  summary: 'Manage remotes: where data is pushed to and pulled from',
  subcommands: {
    add: {
      summary: 'Add a remote (-d: make it the default)',
      args: [
        { name: '<name>', help: 'What to call the remote.' },
        { name: '<url>', help: 'Where it is: a folder, or s3://bucket/path.' },
      ],
      options: {
        default: { type: 'boolean', short: 'd', help: 'Make it the default remote.' },
        local: LOCAL,
        force: { type: 'boolean', short: 'f', help: 'Replace a remote of the same name.' },
      },
      async run({ values, positionals }) {
        if (positionals.length !== 2) throw new CairnError('USAGE', 'give a name and a url.', { hint: 'e.g. `cairn remote add -d storage s3://bucket/path`.' });
        return withRepo(async (repo) => {
          await addRemote(repo, positionals[0], positionals[1], { level: level(values), default: values.default, force: values.force, cwd: process.cwd() });
          if (values.default && !values.quiet && !values.json) out(`Setting '${positionals[0]}' as a default remote.`);
          return 0;
        });
      },
    },
    list: {
      summary: 'List remotes (the default marked)',
      options: {},
      async run({ values }) {
        return withRepo(async (repo) => {
          const remotes = listRemotes(repo);
          if (values.json) printJson(remotes);
          else for (const r of remotes) out(expandTabs(`${r.name}\t${r.url}${r.default ? '\t(default)' : ''}`));
          return 0;
        });
      },
    },
    modify: {
      summary: 'Set (or --unset) an option of a remote; use --local for credentials',
      args: [
        { name: '<name>', help: 'The remote.' },
        { name: '<option>', help: 'The option, e.g. url, region, endpointurl, access_key_id.' },
        { name: '[<value>]', help: 'Its new value.' },
      ],
      options: { local: LOCAL, unset: { type: 'boolean', short: 'u', help: 'Remove the option.' } },
      async run({ values, positionals }) {
        if (positionals.length < 2 || positionals.length > 3) throw new CairnError('USAGE', 'give a remote name, an option and its value (or --unset).');
        return withRepo(async (repo) => {
          await modifyRemote(repo, positionals[0], positionals[1], positionals[2], { level: level(values), unset: values.unset, cwd: process.cwd() });
          return 0;
        });
      },
    },
    default: {
      summary: 'Show, set or --unset the default remote',
      args: [{ name: '[<name>]', help: 'The remote to make the default; without one, the default is printed.' }],
      options: { local: LOCAL, unset: { type: 'boolean', short: 'u', help: 'Have no default remote.' } },
      async run({ values, positionals }) {
        return withRepo(async (repo) => {
          const name = await defaultRemote(repo, positionals[0], { level: level(values), unset: values.unset });
          if (positionals.length === 0 && !values.unset) {
            if (!name) throw new CairnError('REMOTE', 'No default remote set.', { hint: 'Set one with `cairn remote default <name>`.' });
            if (values.json) printJson({ default: name });
            else out(name);
          }
          return 0;
        });
      },
    },
    remove: {
      summary: 'Remove a remote from the config',
      args: [{ name: '<name>', help: 'The remote to remove.' }],
      options: { local: LOCAL },
      async run({ values, positionals }) {
        if (positionals.length !== 1) throw new CairnError('USAGE', 'name the remote to remove.');
        return withRepo(async (repo) => {
          await removeRemote(repo, positionals[0], { level: level(values) });
          return 0;
        });
      },
    },
    rename: {
      summary: 'Rename a remote',
      args: [
        { name: '<name>', help: 'The remote.' },
        { name: '<new>', help: 'Its new name.' },
      ],
      options: { local: LOCAL },
      async run({ values, positionals }) {
        if (positionals.length !== 2) throw new CairnError('USAGE', 'give the remote name and its new name.');
        return withRepo(async (repo) => {
          await renameRemote(repo, positionals[0], positionals[1], { level: level(values) });
          return 0;
        });
      },
    },
  } satisfies Record<string, Command>,
};

/** Python's str.expandtabs(8), which is how dvc lines up `remote list`. */
function expandTabs(s: string): string {
  let outStr = '';
  for (const ch of s) outStr += ch === '\t' ? ' '.repeat(8 - (outStr.length % 8)) : ch;
  return outStr;
}

const syncOptions: Options = {
  remote: { type: 'string', short: 'r', value: '<name>', help: 'The remote to use (default: the default remote).' },
  jobs: { type: 'string', short: 'j', value: '<number>', help: "Objects transferred at once (default: the remote's jobs option, else one per core for a folder, 64 requests for S3)." },
  'all-branches': { type: 'boolean', short: 'a', help: 'Also the data of the tip of every git branch.' },
  'all-tags': { type: 'boolean', short: 'T', help: 'Also the data of every git tag.' },
  'all-commits': { type: 'boolean', short: 'A', help: 'Also the data of every git commit.' },
};

/** push, fetch and pull's (not status's, as dvc). */
const RUN_CACHE: Options = { 'run-cache': { type: 'boolean', help: 'Also the run cache: the records of stage runs (.dvc/cache/runs) and the outputs they name.' } };

const SYNC_TARGETS: Argument = { name: '[targets...]', help: '.dvc files, tracked paths or stage names (default: all).' };

function syncOptionsOf(values: Record<string, any>, positionals: string[], signal: AbortSignal, bar: ProgressBar): SyncOptions {
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new CairnError('USAGE', `-j must be a whole number of at least 1, got '${values.jobs}'.`);
  return {
    targets: positionals,
    cwd: process.cwd(),
    remote: values.remote,
    jobs,
    allBranches: values['all-branches'],
    allTags: values['all-tags'],
    allCommits: values['all-commits'],
    runCache: values['run-cache'],
    signal,
    onProgress: bar.update,
  };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const plural = (n: number, verb: string) => `${count(n, 'file')} ${verb}`;
const summary = (r: TransferResult) => ({ transferred: r.transferred, skipped: r.skipped, failed: r.failed, bytes: r.bytes, seconds: Number(r.seconds.toFixed(3)) });

function report(values: Record<string, any>, r: TransferResult, verb: 'pushed' | 'fetched', extra: Record<string, unknown> = {}): void {
  if (values.json) printJson({ ...summary(r), ...extra, failures: r.failures });
  else if (values.quiet) return;
  else if (r.transferred) out(`${plural(r.transferred, verb)}${r.bytes ? ` (${formatSize(r.bytes)})` : ''}`);
  else if (!r.failed) out('Everything is up to date.'); // with failures, the error that follows says what happened
}

/** `cairn push` and `cairn fetch`: one transfer, its report, and an error when objects failed. */
function transferCommand(name: 'push' | 'fetch', summary: string, doing: string, done: 'pushed' | 'fetched', transfer: typeof push): Command {
  return {
    summary,
    args: [SYNC_TARGETS],
    options: { ...syncOptions, ...RUN_CACHE },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar(doing);
        const r = await transfer(repo, syncOptionsOf(values, positionals, signal, bar)).finally(() => bar.done());
        report(values, r, done);
        const err = transferError(r, name);
        if (err && values.json) return 1;
        if (err) throw err;
        return 0;
      });
    },
  };
}

export const remoteCommands: CommandTable = {
  remote,
  push: transferCommand('push', 'Upload tracked data from the cache to a remote', 'Pushing', 'pushed', push),
  fetch: transferCommand('fetch', 'Download tracked data from a remote into the cache', 'Fetching', 'fetched', fetch),
  pull: {
    summary: 'Download tracked data from a remote and check it out into the workspace',
    args: [SYNC_TARGETS],
    options: { ...syncOptions, ...RUN_CACHE, force: { type: 'boolean', short: 'f', help: 'Replace changed data in the workspace without asking (the changes are lost).' } },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const bar = new ProgressBar('Pulling');
        const r = await pull(repo, { ...syncOptionsOf(values, positionals, signal, bar), force: values.force }).finally(() => bar.done());
        if (values.json) printJson({ ...summary(r.fetch), failures: r.fetch.failures, added: r.checkout.added, modified: r.checkout.modified, checkoutFailed: r.checkout.failed });
        else if (!values.quiet) {
          for (const p of r.checkout.modified) out(`M       ${p}`);
          for (const p of r.checkout.added) out(`A       ${p}`);
          const changed = r.checkout.added.length + r.checkout.modified.length;
          if (r.fetch.transferred || changed) out([r.fetch.transferred ? plural(r.fetch.transferred, 'fetched') : '', changed ? plural(changed, changed === 1 ? 'added' : 'added/modified') : ''].filter(Boolean).join(' and '));
          else if (!r.fetch.failed && !r.checkout.failed.length) out('Everything is up to date.');
        }
        // One line for both: what did not arrive, then what could not be restored for another reason.
        const fetchError = transferError(r.fetch, 'pull');
        const named = new Set(r.fetch.failures.map((f) => f.path));
        const notNamed = r.checkout.failed.filter((f) => !named.has(f.path.replace(/\/$/, '')));
        const checkoutError = notNamed.length ? checkoutFailure(notNamed, 'The remote does not hold them either; push them from where they were added.') : undefined;
        if ((fetchError || checkoutError) && values.json) return 1;
        if (fetchError && checkoutError) {
          const first = checkoutError.code === 'UNSAFE_PATH' ? checkoutError : fetchError;
          throw new CairnError(first.code, `${fetchError.message.replace(/\.$/, '')}; ${checkoutError.message}`, { hint: first.hint, paths: [...fetchError.paths, ...checkoutError.paths] });
        }
        if (fetchError ?? checkoutError) throw (fetchError ?? checkoutError)!;
        return 0;
      });
    },
  },
  status: {
    ...(dataCommands.status as Command),
    summary: 'Show tracked outputs that differ from their .dvc entries (-c: compare the cache with a remote)',
    options: {
      ...(dataCommands.status as Command).options,
      cloud: { type: 'boolean', short: 'c', help: 'Compare the cache with a remote instead: what push or fetch would move.' },
      ...syncOptions,
      jobs: { type: 'string', short: 'j', value: '<number>', help: 'Files hashed at once (default: one per core); with -c, remote requests at once.' },
    },
    async run(args) {
      const { values, positionals, signal } = args;
      if (!values.cloud && !values.remote) return (dataCommands.status as Command).run(args);
      return withRepo(async (repo) => {
        const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
        const statuses = await cloudStatus(repo, {
          targets: positionals,
          cwd: process.cwd(),
          remote: values.remote,
          jobs,
          allBranches: values['all-branches'],
          allTags: values['all-tags'],
          allCommits: values['all-commits'],
          signal,
        });
        const rep = cloudStatusReport(repo, statuses, process.cwd());
        const dirty = Object.keys(rep).length > 0;
        if (values.json) printJson(rep);
        else if (!values.quiet) {
          if (!dirty) {
            const name = statuses[0]?.remote ?? openRemoteName(repo, values.remote);
            out(`Cache and remote '${name}' are in sync.`);
          } else for (const [p, s] of Object.entries(rep)) out(`\t${(s + ':').padEnd(20)}${p}`);
        }
        return values.quiet && dirty ? 1 : 0;
      });
    },
  },
};

function openRemoteName(repo: Parameters<typeof openRemote>[0], name: string | undefined): string {
  const r = openRemote(repo, name, 'status');
  r.close();
  return r.name;
}

remoteCommands.gc = {
  summary: 'Remove cache (and with -c, remote) objects that no output of the chosen revisions uses',
  options: {
    workspace: { type: 'boolean', short: 'w', help: 'Keep what the workspace uses (always kept).' },
    'all-branches': { type: 'boolean', short: 'a', help: 'Also keep what the tip of every git branch uses.' },
    'all-tags': { type: 'boolean', short: 'T', help: 'Also keep what every git tag uses.' },
    'all-commits': { type: 'boolean', short: 'A', help: 'Also keep what every git commit uses.' },
    cloud: { type: 'boolean', short: 'c', help: 'Remove the unused objects from a remote too.' },
    remote: { type: 'string', short: 'r', value: '<name>', help: 'The remote for -c (default: the default remote).' },
    dry: { type: 'boolean', help: 'Only list what would be removed.' },
    force: { type: 'boolean', short: 'f', help: 'Remove without asking.' },
    jobs: { type: 'string', short: 'j', value: '<number>', help: 'Remote requests at once.' },
  },
  async run({ values, signal }) {
    return withRepo(async (repo) => {
      const scope = ['the workspace', values['all-branches'] ? 'all git branches' : '', values['all-tags'] ? 'all git tags' : '', values['all-commits'] ? 'all git commits' : ''].filter(Boolean);
      let refused = false;
      const result = await gc(repo, {
        cwd: process.cwd(),
        workspace: values.workspace,
        allBranches: values['all-branches'],
        allTags: values['all-tags'],
        allCommits: values['all-commits'],
        cloud: values.cloud,
        remote: values.remote,
        dry: values.dry,
        jobs: values.jobs === undefined ? undefined : Number(values.jobs),
        signal,
        confirm: values.force
          ? undefined
          : async (plan) => {
              describePlan(plan, values);
              if (plan.cache.length + plan.remote.length === 0) return true;
              const ok = await confirmOnTty(`This will remove ${plan.cache.length} cache objects${values.cloud ? ` and ${plan.remote.length} objects on remote '${plan.remoteName}'` : ''} not used by ${scope.join(', ')}${plan.abandoned.length ? `, and ${plan.abandoned.length} uploads a killed push left unfinished` : ''}. Are you sure you want to proceed?`);
              refused = !ok;
              return ok;
            },
      });
      if (refused) {
        throw new CairnError('USAGE', process.stdin.isTTY ? 'gc cancelled: nothing was removed.' : 'gc removes data and needs a yes: not on a terminal, so nothing was removed.', {
          hint: 'Run it with `-f` to remove without asking, or `--dry` to only list what would go.',
        });
      }
      if (values.force || values.dry) describePlan(result, values);
      if (values.json) printJson({ removed: result.removed, kept: result.kept, cache: result.cache, remote: result.remote, remoteName: result.remoteName ?? null, abandoned: result.abandoned });
      else if (!values.quiet) {
        const verb = result.removed ? 'Removed' : 'Would remove';
        out(result.cache.length ? `${verb} ${count(result.cache.length, 'object')} from repo cache.` : "No unused 'repo' cache to remove.");
        if (values.cloud) out(result.remote.length ? `${verb} ${count(result.remote.length, 'object')} from remote '${result.remoteName}'.` : `No unused cache to remove from remote '${result.remoteName}'.`);
        if (result.abandoned.length) out(`${verb} ${count(result.abandoned.length, 'unfinished upload')} of killed pushes from remote '${result.remoteName}'.`);
      }
      return 0;
    });
  },
};

function describePlan(plan: GcPlan, values: Record<string, any>): void {
  if (values.json || values.quiet) return;
  const revs = plan.kept.revisions;
  out(`Keeping ${count(plan.kept.objects, 'object')} used by ${count(plan.kept.outputs, 'output')} of: ${revs.slice(0, 8).join(', ')}${revs.length > 8 ? ` and ${revs.length - 8} more revisions` : ''}`);
  for (const k of plan.cache) out(`${values.dry ? 'Would remove' : 'Removing'} .dvc/cache/${k}`);
  for (const k of plan.remote) out(`${values.dry ? 'Would remove' : 'Removing'} ${plan.remoteName}: ${k}`);
  for (const k of plan.abandoned) out(`${values.dry ? 'Would remove' : 'Removing'} ${plan.remoteName}: ${k} (unfinished upload)`);
}
