import { CairnError } from '../core/errors';
import { addArtifact } from '../core/registry/addArtifact';
import { CommandTable, out, printJson, withRepo } from './command';

/** `cairn artifacts add`: an artifact declared in dvc.yaml, as dvc's Python API `artifacts.add` declares it. */
export const artifactsCommands: CommandTable = {
  artifacts: {
    summary: "Artifacts declared in dvc.yaml (what the model registry's versions are versions of)",
    subcommands: {
      add: {
        summary: "Declare an artifact in the root dvc.yaml's 'artifacts:' (comments and formatting kept)",
        args: [{ name: '<name>', help: "The artifact's name (letters, digits, '_', '-', '/')." }],
        options: {
          path: { type: 'string', required: true, value: '<path>', help: 'Its path in the repository, relative to the root.' },
          type: { type: 'string', value: '<type>', help: "Its type (e.g. 'model', 'dataset')." },
          desc: { type: 'string', value: '<text>', help: 'A description.' },
          label: { type: 'string', multiple: true, value: '<label>', help: 'A label (repeat for more).' },
        },
        async run({ values, positionals }) {
          if (positionals.length !== 1) throw new CairnError('USAGE', `cairn artifacts add takes one name, got ${positionals.length}.`);
          if (!values.path) throw new CairnError('USAGE', 'cairn artifacts add needs --path <path>.');
          return withRepo(async (repo) => {
            const result = await repo.withLock(() => addArtifact(repo, positionals[0], { path: values.path, type: values.type, desc: values.desc, labels: values.label }));
            if (values.json) printJson(result);
            else if (!values.quiet) out(`Added artifact '${positionals[0]}' to ${result.file}.`);
            return 0;
          });
        },
      },
    },
  },
};
