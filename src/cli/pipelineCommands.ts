import * as path from 'node:path';
import { CairnError } from '../core/errors';
import { repro, loadWorkspacePipelines } from '../core/pipeline/repro';
import { stageAdd } from '../core/pipeline/stageAdd';
import { StageGraph } from '../core/pipeline/graph';
import { buildDag, dagAround, dagJson, dagTarget, renderDag } from '../core/pipeline/dag';
import type { Stage } from '../core/pipeline/stage';
import { stageAddress } from '../core/pipeline/stageStatus';
import { listStages } from '../core/pipeline/stageList';
import { pathFromCwd } from '../core/outputs/status';
import type { FileDiagnostics } from '../server/lintFiles';
import { CommandTable, out, printJson, shellQuote, withRepo } from './command';
import { JOBS } from './dataCommands';

const list = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as string[];

/** The pipeline commands: run stages, add them, show and check the graph. */
export const pipelineCommands: CommandTable = {
  repro: {
    summary: 'Run the pipeline stages whose deps, params, command or outputs changed',
    args: [{ name: '[targets...]', help: 'Stage names, dvc.yaml files (path:stage for one of a file) or folders (default: the dvc.yaml of the current folder).' }],
    options: {
      force: { type: 'boolean', short: 'f', help: 'Run the stages even when nothing changed.' },
      dry: { type: 'boolean', help: 'Print the commands that would run; run nothing, write nothing.' },
      downstream: { type: 'boolean', help: 'Run the targets and the stages that depend on them, not what they depend on.' },
      'single-item': { type: 'boolean', short: 's', help: 'Run only the targets, not the stages they depend on.' },
      'all-pipelines': { type: 'boolean', short: 'P', help: 'Run every stage of every dvc.yaml in the repository.' },
      'no-run-cache': { type: 'boolean', help: 'Run the commands even when the run cache holds a run with the same command, deps and params (runs are still kept there).' },
      jobs: JOBS,
    },
    async run({ values, positionals, signal }) {
      return withRepo(async (repo) => {
        // A dry run's lines are written at once (10,000 stages: 20,000 lines), before any error.
        const dryLines: string[] = [];
        const log = values.quiet || values.json ? () => undefined : values.dry ? (line: string) => dryLines.push(line) : (line: string) => out(line);
        const result = await repro(repo, positionals, {
          cwd: process.cwd(),
          force: values.force,
          dry: values.dry,
          downstream: values.downstream,
          singleItem: values['single-item'],
          allPipelines: values['all-pipelines'],
          runCache: !values['no-run-cache'],
          commandStdoutToStderr: !!values.json,
          log,
          warn: (line) => process.stderr.write(`WARNING: ${line}\n`),
          signal,
        }).finally(() => dryLines.length && out(dryLines.join('\n')));
        if (values.json) printJson(result);
        else if (!values.quiet) {
          if (result.ran.length + result.restored.length === 0) out('Data and pipelines are up to date.');
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
        args: [{ name: '<command>...', help: 'The command the stage runs (quote it, or put it after --).' }],
        options: {
          name: { type: 'string', short: 'n', value: '<name>', required: true, help: 'The stage name.' },
          deps: { type: 'string', short: 'd', multiple: true, value: '<path>', help: 'A file or folder the command reads.' },
          outs: { type: 'string', short: 'o', multiple: true, value: '<path>', help: 'A file or folder the command writes, kept in the cache.' },
          'outs-no-cache': { type: 'string', short: 'O', multiple: true, value: '<path>', help: 'An output left out of the cache (git may track it).' },
          'outs-persist': { type: 'string', multiple: true, value: '<path>', help: 'An output kept (not deleted) before the command runs again.' },
          params: { type: 'string', short: 'p', multiple: true, value: '[<file>:]<keys>', help: 'Params the command reads, comma-separated (from params.yaml unless a file is named).' },
          metrics: { type: 'string', short: 'm', multiple: true, value: '<path>', help: 'A metrics file the command writes, kept in the cache.' },
          'metrics-no-cache': { type: 'string', short: 'M', multiple: true, value: '<path>', help: 'A metrics file left out of the cache (git may track it).' },
          plots: { type: 'string', multiple: true, value: '<path>', help: 'A plots file the command writes, kept in the cache.' },
          'plots-no-cache': { type: 'string', multiple: true, value: '<path>', help: 'A plots file left out of the cache.' },
          wdir: { type: 'string', short: 'w', value: '<folder>', help: 'The folder the command runs in (default: the one of the dvc.yaml).' },
          force: { type: 'boolean', short: 'f', help: 'Replace a stage of the same name.' },
          'always-changed': { type: 'boolean', help: 'Run the stage on every repro, changed or not.' },
          desc: { type: 'string', value: '<text>', help: 'What the stage does, shown by `stage list`.' },
        },
        async run({ values, positionals }) {
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
        summary: 'List stages (of the dvc.yaml here, of targets, or --all: every stage and .dvc file) with what they do',
        args: [{ name: '[targets...]', help: 'Stage names, dvc.yaml files (path:stage for one) or .dvc files (default: the dvc.yaml of the current folder).' }],
        options: {
          all: { type: 'boolean', help: 'Every stage of every dvc.yaml and every .dvc file of the repository.' },
          'name-only': { type: 'boolean', help: 'Print the names only.' },
        },
        async run({ values, positionals }) {
          return withRepo(async (repo) => {
            const { pipelines, dvcFiles } = await loadWorkspacePipelines(repo, { strict: false });
            const rows = listStages(repo, pipelines, dvcFiles, { targets: values.all ? undefined : positionals, cwd: process.cwd() });
            if (values.json) printJson(rows.map(({ file, ...row }) => row));
            else if (values['name-only']) for (const r of rows) out(r.stage);
            else {
              const width = Math.max(0, ...rows.map((r) => r.stage.length));
              for (const r of rows) out(`${r.stage.padEnd(width)}  ${r.description}`.trimEnd());
            }
            return 0;
          });
        },
      },
    },
  },
  dag: {
    summary: 'Show the graph of stages and .dvc files as boxes (or --dot, --mermaid, --md)',
    args: [{ name: '[target]', help: 'A stage, .dvc file or output: show it and what it depends on (default: everything).' }],
    options: {
      full: { type: 'boolean', help: "With a target: show the target's whole pipeline." },
      dot: { type: 'boolean', help: 'Print the graph in Graphviz dot.' },
      mermaid: { type: 'boolean', help: 'Print the graph as a Mermaid flowchart.' },
      md: { type: 'boolean', help: 'Print the Mermaid flowchart in a Markdown code block.' },
    },
    async run({ values, positionals }) {
      if (positionals.length > 1) throw new CairnError('USAGE', `dag takes one target, got ${positionals.length}.`);
      return withRepo(async (repo) => {
        const { pipelines, tracked } = await loadWorkspacePipelines(repo);
        const graph = StageGraph.build(pipelines.stages, tracked);
        const cwd = process.cwd();
        const dvcFiles = [...new Set(tracked.map((t) => t.file))];
        const names = { cwd, stage: (s: Stage) => stageAddress(s, repo, cwd), dvcFile: (rel: string) => pathFromCwd(path.join(repo.root, rel), cwd) };
        let dag = buildDag(graph, dvcFiles, names);
        if (positionals[0] !== undefined) dag = dagAround(dag, dagTarget(repo, graph, tracked, positionals[0], names), !!values.full);
        const shown = new Set(dag.nodes);
        if (values.json) printJson({ stages: dagJson(graph, dvcFiles, names).stages.filter((s) => shown.has(s.stage)) });
        else if (values.md) out(`\`\`\`mermaid\n${renderDag(dag, 'mermaid')}\n\`\`\``);
        else out(renderDag(dag, values.dot ? 'dot' : values.mermaid ? 'mermaid' : 'text'));
        return 0;
      });
    },
  },
  lint: {
    summary: 'Check dvc.yaml, dvc.lock and .dvc files as the editor does (YAML, schema, ${}, cycles, params...)',
    args: [{ name: '[files...]', help: 'dvc.yaml, dvc.lock and .dvc files to check (default: all of the repository).' }],
    options: { verbose: { type: 'boolean', short: 'v', help: 'Print hints too (--json always has them).' } },
    async run({ values, positionals }) {
      return withRepo(async (repo) => {
        // Loaded here, from its own bundle beside this one (see lint.ts).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { lintFiles } = require(path.join(__dirname, 'lint.js')) as typeof import('./lint');
        const results = await lintFiles(repo.root, positionals, { cwd: process.cwd() }).catch((e: unknown) => {
          // That bundle has its own copy of CairnError: made this one's, so it is reported as one.
          const err = e as CairnError;
          throw err?.name === 'CairnError' ? new CairnError(err.code, err.message, err.options) : e;
        });
        const problems = lintProblems(results);
        if (values.json) printJson(problems);
        else if (!values.quiet) {
          // Hints (dvc.lock is generated...) help in the editor; in a CI log they are noise unless asked for (-v).
          const shown = values.verbose ? problems : problems.filter((p) => p.severity !== 'hint');
          for (const p of shown) out(`${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.message} [${p.code}]`);
          out(lintSummary(shown, results.length));
        }
        return problems.some((p) => p.severity === 'error') ? 1 : 0;
      });
    },
  },
};

/**
 * One diagnostic of `cairn lint --json` (a stable shape): 1-based line and column; `endLine`
 * and `endCol` are the position just after the range, 1-based too.
 */
export interface LintProblem {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: 'error' | 'warning' | 'info' | 'hint';
  code: string;
  message: string;
}

const SEVERITIES: LintProblem['severity'][] = ['error', 'warning', 'info', 'hint'];

/** The language server's diagnostics as `cairn lint` prints them, sorted by file, then position. */
export function lintProblems(results: FileDiagnostics[]): LintProblem[] {
  const problems = results.flatMap(({ file, diagnostics }) =>
    diagnostics.map((d): LintProblem => ({
      file,
      line: d.range.start.line + 1,
      col: d.range.start.character + 1,
      endLine: d.range.end.line + 1,
      endCol: d.range.end.character + 1,
      severity: SEVERITIES[(d.severity ?? 1) - 1] ?? 'error',
      code: d.code === undefined ? '' : String(d.code),
      message: typeof d.message === 'string' ? d.message : d.message.value,
    })),
  );
  const byPlace = (a: LintProblem, b: LintProblem) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col);
  return problems.sort(byPlace);
}

export function lintSummary(problems: LintProblem[], files: number): string {
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  if (problems.length === 0) return `no problems found in ${n(files, 'file')}`;
  const count = (severity: LintProblem['severity']) => problems.filter((p) => p.severity === severity).length;
  // Errors and warnings always; infos and hints when there are any (hints are printed only with -v).
  const parts = [n(count('error'), 'error'), n(count('warning'), 'warning')];
  if (count('info')) parts.push(n(count('info'), 'info'));
  if (count('hint')) parts.push(n(count('hint'), 'hint'));
  return `${n(problems.length, 'problem')} (${parts.join(', ')}) in ${n(files, 'file')}`;
}
