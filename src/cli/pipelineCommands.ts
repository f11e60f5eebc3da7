import * as fs from 'node:fs';
import * as path from 'node:path';
import { CairnError } from '../core/errors';
import { repro, loadWorkspacePipelines } from '../core/pipeline/repro';
import { stageAdd } from '../core/pipeline/stageAdd';
import { StageGraph } from '../core/pipeline/graph';
import { renderDag } from '../core/pipeline/dag';
import { lintPipelines } from '../core/pipeline/lint';
import { loadPipelines } from '../core/pipeline/load';
import { workspaceSource } from '../core/pipeline/workspaceSource';
import { stageAddress } from '../core/pipeline/stageStatus';
import { commandLines } from '../core/pipeline/runCommand';
import { CommandTable, out, printJson, shellQuote, withRepo } from './command';

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as string[];

/** The pipeline commands: run stages, add them, show and check the graph. */
export const pipelineCommands: CommandTable = {
  repro: {
    summary: 'Run the pipeline stages whose deps, params, command or outputs changed',
    usage: 'cairn repro [targets...] [-f|--force] [--dry] [--downstream] [-s|--single-item] [-P|--all-pipelines]',
    options: {
      force: { type: 'boolean', short: 'f' },
      dry: { type: 'boolean' },
      downstream: { type: 'boolean' },
      'single-item': { type: 'boolean', short: 's' },
      'all-pipelines': { type: 'boolean', short: 'P' },
      jobs: { type: 'string', short: 'j' },
    },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        const log = values.quiet || values.json ? () => undefined : (line: string) => out(line);
        const result = await repro(repo, positionals, {
          cwd: process.cwd(),
          force: values.force,
          dry: values.dry,
          downstream: values.downstream,
          singleItem: values['single-item'],
          allPipelines: values['all-pipelines'],
          log,
          signal,
        });
        if (values.json) printJson(result);
        else if (!values.quiet) {
          if (result.ran.length === 0) out('Data and pipelines are up to date.');
          else if (!values.dry && result.gitFiles.length && !result.staged && repo.scm) {
            out(`\nTo track the changes with git, run:\n\n\tgit add ${result.gitFiles.map((f) => shellQuote(path.relative(process.cwd(), path.join(repo.root, f)) || '.')).join(' ')}\n\nTo enable auto staging, run:\n\n\tcairn config core.autostage true`);
          }
        }
        return 0;
      }, values.jobs);
    },
  },
  stage: {
    summary: 'Add or list pipeline stages (dvc.yaml)',
    subcommands: {
      add: {
        summary: 'Add a stage to the dvc.yaml of the current folder',
        usage: 'cairn stage add -n <name> [-d dep] [-o out] [-O out] [-p [file:]keys] [-m metric] [-M metric] [--plots p] [--outs-persist o] [-w wdir] [-f] [--always-changed] [--desc text] <command>...',
        options: {
          name: { type: 'string', short: 'n' },
          deps: { type: 'string', short: 'd', multiple: true },
          outs: { type: 'string', short: 'o', multiple: true },
          'outs-no-cache': { type: 'string', short: 'O', multiple: true },
          'outs-persist': { type: 'string', multiple: true },
          params: { type: 'string', short: 'p', multiple: true },
          metrics: { type: 'string', short: 'm', multiple: true },
          'metrics-no-cache': { type: 'string', short: 'M', multiple: true },
          plots: { type: 'string', multiple: true },
          'plots-no-cache': { type: 'string', multiple: true },
          wdir: { type: 'string', short: 'w' },
          force: { type: 'boolean', short: 'f' },
          'always-changed': { type: 'boolean' },
          desc: { type: 'string' },
        },
        async run({ values, positionals }) {
          if (!values.name) throw new CairnError('USAGE', 'a stage name is required', { hint: 'Give it with -n <name>.' });
          return withRepo(async (repo) => {
            const result = await stageAdd(repo, {
              cwd: process.cwd(),
              name: values.name,
              cmd: positionals.join(' '),
              deps: list(values.deps),
              outs: list(values.outs),
              outsNoCache: list(values['outs-no-cache']),
              outsPersist: list(values['outs-persist']),
              params: list(values.params),
              metrics: list(values.metrics),
              metricsNoCache: list(values['metrics-no-cache']),
              plots: list(values.plots),
              plotsNoCache: list(values['plots-no-cache']),
              wdir: values.wdir,
              force: values.force,
              alwaysChanged: values['always-changed'],
              desc: values.desc,
            });
            if (values.json) printJson(result);
            else if (!values.quiet) out(`Added stage '${values.name}' in '${result.file}'\n\nTo track the changes with git, run:\n\n\tgit add ${shellQuote(result.file)}`);
            return 0;
          });
        },
      },
      list: {
        summary: 'List the stages of every dvc.yaml, with their outputs',
        usage: 'cairn stage list [--json]',
        options: {},
        async run({ values }) {
          return withRepo(async (repo) => {
            const { pipelines } = await loadWorkspacePipelines(repo);
            const rows = pipelines.stages.map((s) => ({ stage: stageAddress(s, repo, process.cwd()), cmd: s.cmd, outs: s.outs.map((o) => o.repoPath), desc: s.desc }));
            if (values.json) printJson(rows);
            else {
              const width = Math.max(0, ...rows.map((r) => r.stage.length));
              for (const r of rows) out(`${r.stage.padEnd(width)}  ${r.desc ?? (r.outs.length ? `Outputs ${r.outs.join(', ')}` : commandLines(r.cmd).join('; '))}`);
            }
            return 0;
          });
        },
      },
    },
  },
  dag: {
    summary: 'Show the stage graph (text, --dot or --mermaid)',
    usage: 'cairn dag [--dot|--mermaid]',
    options: { dot: { type: 'boolean' }, mermaid: { type: 'boolean' } },
    async run({ values }) {
      return withRepo(async (repo) => {
        const { pipelines, tracked } = await loadWorkspacePipelines(repo);
        const graph = StageGraph.build(pipelines.stages, tracked);
        if (values.json) printJson({ stages: graph.order().map((s) => ({ stage: s.addr, deps: graph.upstream(s).map((u) => u.addr) })) });
        else out(renderDag(graph, values.dot ? 'dot' : values.mermaid ? 'mermaid' : 'text'));
        return 0;
      });
    },
  },
  lint: {
    summary: 'Check dvc.yaml files: syntax, interpolation, cycles, conflicting outputs, missing deps',
    usage: 'cairn lint [--json]',
    options: {},
    async run({ values }) {
      return withRepo(async (repo) => {
        const pipelines = await loadPipelines(workspaceSource(repo.root, repo.ignore), { strict: false });
        const { tracked } = await loadWorkspacePipelines(repo).catch(() => ({ tracked: [] }));
        const diagnostics = lintPipelines(pipelines, { tracked, exists: (p) => fs.existsSync(path.join(repo.root, ...p.split('/'))) });
        if (values.json) printJson(diagnostics);
        else if (!values.quiet) {
          for (const d of diagnostics) out(`${d.file}${d.range ? `:${d.range.start.line}:${d.range.start.col}` : ''}: ${d.severity}: ${d.message} [${d.code}]`);
          if (diagnostics.length === 0) out(`${pipelines.files.length} pipeline file${pipelines.files.length === 1 ? '' : 's'}, ${pipelines.stages.length} stages: no problems found.`);
        }
        return diagnostics.some((d) => d.severity === 'error') ? 1 : 0;
      });
    },
  },
};
