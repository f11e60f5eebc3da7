import * as path from 'node:path';
import { CairnError } from '../core/errors';
import { addArtifact } from '../core/registry/addArtifact';
import { getArtifact } from '../core/registry/getArtifact';
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
      get: {
        summary: 'Download an artifact at a registered version or stage from a repository (its cache, else its DVC remote), verified by hash',
        args: [
          {
            name: '<repo>',
            help: "The repository: a local folder holding its git clone (its cache and config used), or a git URL (https://, ssh://, git@host:path, file://) whose tags are fetched into a temporary clone; its DVC remote (a folder or S3) is the one its .dvc/config names, with credentials from AWS_* variables or your global DVC config.",
          },
          { name: '<name>', help: "The artifact (nested: 'sub/dir:name' or 'sub/dir/dvc.yaml:name'); gto's shortcuts name@v1.2.0, name#prod and name@latest choose the version too." },
        ],
        options: {
          rev: { type: 'string', value: '<version>', help: 'The registered version (default: the greatest).' },
          stage: { type: 'string', value: '<stage>', help: 'The version in this stage now (the newest tag naming it).' },
          out: { type: 'string', short: 'o', value: '<path>', help: "Where to write it (default: the artifact's file name here)." },
          force: { type: 'boolean', short: 'f', help: 'Replace the file or folder at the destination.' },
          remote: { type: 'string', value: '<name>', help: "The repository's DVC remote to download from, instead of its default (as dvc)." },
          'remote-config': { type: 'string', multiple: true, value: '<name>=<value>', help: "An option merged, for this run only, into that remote's config, e.g. endpointurl=https://… (repeat for more; as dvc)." },
        },
        async run({ values, positionals, signal }) {
          if (positionals.length !== 2) throw new CairnError('USAGE', `cairn artifacts get takes a repository and a name, got ${positionals.length} arguments.`);
          const got = await getArtifact(positionals[0], positionals[1], {
            version: values.rev,
            stage: values.stage,
            out: values.out,
            force: values.force,
            remote: values.remote,
            remoteConfig: values['remote-config'],
            cwd: process.cwd(),
            signal,
          });
          if (values.json) printJson(got);
          else if (!values.quiet) out(`Downloaded ${got.files} file(s) to '${path.relative(process.cwd(), got.out) || got.out}'`);
          return 0;
        },
      },
    },
  },
};
