import { CairnError } from '../core/errors';
import { expShow, parseNum } from '../core/experiments/show';
import { CommandTable, printJson, withRepo } from './command';

/** `cairn exp show|list`: experiments dvc (or Cairn) made, read as dvc reads them. */
export const expCommands: CommandTable = {
  exp: {
    summary: 'Show and list experiments (refs/exps, as dvc exp)',
    subcommands: {
      show: {
        summary: 'Print the workspace and baselines with their experiments, their params and metrics',
        usage:
          'cairn exp show [--json|--csv|--md] [-a] [-T] [-A] [--rev r]... [-n N] [--sort-by key] [--sort-order asc|desc] [--only-changed] [--keep re]... [--drop re]... [--hide-queued] [--hide-failed] [--hide-workspace] [--sha] [--precision N]',
        options: {
          'all-branches': { type: 'boolean', short: 'a' },
          'all-tags': { type: 'boolean', short: 'T' },
          'all-commits': { type: 'boolean', short: 'A' },
          rev: { type: 'string', multiple: true },
          num: { type: 'string', short: 'n' },
          csv: { type: 'boolean' },
          md: { type: 'boolean' },
          'sort-by': { type: 'string' },
          'sort-order': { type: 'string' },
          'only-changed': { type: 'boolean' },
          keep: { type: 'string', multiple: true },
          drop: { type: 'string', multiple: true },
          'hide-queued': { type: 'boolean' },
          'hide-failed': { type: 'boolean' },
          'hide-workspace': { type: 'boolean' },
          sha: { type: 'boolean' },
          precision: { type: 'string' },
          'no-pager': { type: 'boolean' },
        },
        async run({ values, positionals, signal }) {
          if (positionals.length) throw new CairnError('USAGE', `cairn exp show takes no arguments, got '${positionals[0]}'.`, { hint: 'Choose baselines with --rev.' });
          return withRepo(async (repo) => {
            const states = await expShow(repo, {
              revs: values.rev,
              num: parseNum(values.num),
              allBranches: values['all-branches'],
              allTags: values['all-tags'],
              allCommits: values['all-commits'],
              hideQueued: values['hide-queued'],
              hideFailed: values['hide-failed'],
              hideWorkspace: values['hide-workspace'],
              shaOnly: values.sha,
              signal,
            });
            if (values.json) printJson(states);
            return 0;
          });
        },
      },
    },
  },
};
