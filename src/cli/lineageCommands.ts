import { CairnError } from '../core/errors';
import { flatten, isDict } from '../core/metrics/flatten';
import type { FileResult } from '../core/metrics/results';
import { Lineage, lineage, LineageData, LineageStage } from '../core/registry/lineage';
import { CommandTable, markdownTable, out, printJson, withRepo } from './command';

/** A node of the printed tree: a label and what made it. */
interface TreeNode {
  label: string;
  children: TreeNode[];
}

const short = (sha: string) => sha.slice(0, 7);

/** A Markdown code span that holds any text: a fence longer than its longest run of backticks, one line. */
function codeSpan(text: string): string {
  const oneLine = text.replace(/\r?\n/g, ' ');
  const fence = '`'.repeat(Math.max(0, ...(oneLine.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return fence.length > 1 || oneLine.startsWith(' ') || oneLine.endsWith(' ') ? `${fence} ${oneLine} ${fence}` : `${fence}${oneLine}${fence}`;
}

/** A Markdown table cell: one line, its pipes escaped. */
const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

const importText = (d: LineageData) => (d.madeBy.kind === 'dvc' && d.madeBy.import ? `imported from ${d.madeBy.import.url}${d.madeBy.import.path ? ` ${d.madeBy.import.path}` : ''}${d.madeBy.import.revLock ? ` @ ${short(d.madeBy.import.revLock)}` : ''}` : '');

function dataLabel(d: LineageData, md: boolean): string {
  const code = (s: string) => (md ? codeSpan(s) : s);
  const made = d.madeBy;
  const imported = importText(d);
  const by = made.kind === 'stage' ? `stage ${code(made.stage)}` : made.kind === 'dvc' ? `${code(made.file)}${imported ? `, ${imported}` : ''}` : made.kind === 'git' ? `git ${made.type} ${short(made.blob)}` : 'untracked';
  return `${code(d.path)} (${d.md5 ? `md5 ${d.md5}, ` : ''}${by})`;
}

const cmdText = (cmd: string | string[]) => (Array.isArray(cmd) ? cmd.join(' && ') : cmd);

/** The target back to raw data: each data node under the stage that read it, each stage once (later mentions point up). */
function lineageTree(l: Lineage, md: boolean): TreeNode {
  const byName = new Map(l.stages.map((s) => [s.name, s]));
  const shown = new Set<string>();
  const dataNode = (d: LineageData): TreeNode => {
    const node: TreeNode = { label: dataLabel(d, md), children: [] };
    if (d.madeBy.kind === 'stage') {
      const stage = byName.get(d.madeBy.stage);
      if (stage) node.children.push(stageNode(stage));
    } else {
      // A folder holding stage outputs: those stages made part of it.
      for (const s of l.stages) if (s.outs.some((o) => o.path.startsWith(`${d.path}/`))) node.children.push(stageNode(s));
    }
    return node;
  };
  const stageNode = (s: LineageStage): TreeNode => {
    const code = (t: string) => (md ? codeSpan(t) : t);
    if (shown.has(s.name)) return { label: `← ${code(s.name)} (shown above)`, children: [] };
    shown.add(s.name);
    const params = Object.entries(s.params).flatMap(([file, values]) => Object.entries(flatten(values)).map(([k, v]) => `${file}:${k}=${valueText(v)}`));
    const label = `← ${code(s.name)}: ${code(cmdText(s.cmd))}${s.locked ? '' : ' (no dvc.lock entry)'}${params.length ? ` — params ${params.map(code).join(', ')}` : ''}`;
    return { label, children: s.deps.map(dataNode) };
  };
  return dataNode(l.data);
}

function textTree(node: TreeNode, lead = '', childLead = ''): string[] {
  const lines = [`${lead}${node.label}`];
  node.children.forEach((c, i) => {
    const last = i === node.children.length - 1;
    lines.push(...textTree(c, `${childLead}${last ? '└── ' : '├── '}`, `${childLead}${last ? '    ' : '│   '}`));
  });
  return lines;
}

function markdownList(node: TreeNode, depth = 0): string[] {
  return [`${'  '.repeat(depth)}- ${node.label}`, ...node.children.flatMap((c) => markdownList(c, depth + 1))];
}

const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** `file`, `key`, `value` rows of params or metrics files (a file that could not be read: its error). */
function valueRows(files: Record<string, FileResult>): string[][] {
  return Object.entries(files).flatMap(([file, result]) =>
    result.error ? [[file, '(error)', result.error.msg || result.error.type]] : isDict(result.data) ? Object.entries(flatten(result.data)).map(([k, v]) => [file, k, valueText(v)]) : [],
  );
}

function environmentLines(l: Lineage): string[] {
  const env = l.environment;
  if (!env) return [];
  const packages = env.virtualenv ? Object.keys(env.virtualenv.packages).length : 0;
  return [
    `interpreters: ${env.interpreters.map((i) => `${i.name} ${i.version ?? '?'}`).join(', ') || 'none'}`,
    `packages: ${packages}${env.virtualenv ? ` (${env.virtualenv.path})` : ''}`,
    `os: ${env.os.platform} ${env.os.release} ${env.os.arch}; cpu: ${env.cpu.model} ×${env.cpu.count}${env.gpus.length ? `; gpus: ${env.gpus.map((g) => g.name).join(', ')}` : ''}`,
    ...env.stages.map((s) => `stage ${s.name}: ${s.duration.toFixed(1)} s, exit ${s.exit_code ?? '?'}`),
  ];
}

function headline(l: Lineage): string {
  const what = l.target.artifact ? `${l.target.asked} (${l.target.path})` : l.target.path;
  return `Lineage of ${what} at commit ${short(l.commit.sha)}`;
}

function refsLine(l: Lineage): string {
  const c = l.commit;
  return [c.tags.length ? `tags: ${c.tags.join(', ')}` : '', c.branches.length ? `branches: ${c.branches.join(', ')}` : '', c.experiments.length ? `experiment: ${c.experiments.join(', ')}` : ''].filter(Boolean).join('; ');
}

function printText(l: Lineage): void {
  out(headline(l));
  out(`commit ${l.commit.sha} ${l.commit.date} ${JSON.stringify(l.commit.message.split('\n')[0])}`);
  const refs = refsLine(l);
  if (refs) out(refs);
  if (l.note) out(l.note);
  out('');
  for (const line of textTree(lineageTree(l, false))) out(line);
  if (l.sources.length) {
    out('');
    out('Upstream sources (raw data and code):');
    for (const s of l.sources) out(`  ${dataLabel(s, false)}`);
  }
  for (const [title, files] of [['Params', l.params], ['Metrics', l.metrics]] as const) {
    const rows = valueRows(files);
    if (!rows.length) continue;
    out('');
    out(`${title}:`);
    for (const [file, key, value] of rows) out(`  ${file}: ${key} = ${value}`);
  }
  const env = environmentLines(l);
  if (env.length) {
    out('');
    out('Environment:');
    for (const line of env) out(`  ${line}`);
  }
}

function printMarkdown(l: Lineage): void {
  const lines = [`## ${headline(l)}`, '', `- commit ${codeSpan(l.commit.sha)} (${l.commit.date}): ${l.commit.message.split('\n')[0]}`];
  const refs = refsLine(l);
  if (refs) lines.push(`- ${refs}`);
  if (l.note) lines.push(`- ${l.note}`);
  lines.push('', '### What made it', '', ...markdownList(lineageTree(l, true)));
  if (l.sources.length) lines.push('', '### Upstream sources (raw data and code)', '', markdownTable(['path', 'md5', 'from'], l.sources.map((s) => [s.path, s.md5 ?? '', s.madeBy.kind === 'dvc' ? [s.madeBy.file, importText(s)].filter(Boolean).join(', ') : s.madeBy.kind === 'git' ? `git ${s.madeBy.blob}` : s.madeBy.kind].map(cell))));
  for (const [title, files] of [['Params', l.params], ['Metrics', l.metrics]] as const) {
    const rows = valueRows(files);
    if (rows.length) lines.push('', `### ${title}`, '', markdownTable(['file', 'key', 'value'], rows.map((r) => r.map(cell))));
  }
  const env = environmentLines(l);
  if (env.length) lines.push('', '### Environment', '', ...env.map((e) => `- ${e}`));
  out(lines.join('\n'));
}

export const lineageCommands: CommandTable = {
  lineage: {
    summary: 'What made a model or data: its commit, the stages upstream of it back to raw data, params, metrics and the recorded environment',
    args: [{ name: '<target>', help: "An artifact (name, name@v1.2.0, name#prod; a nested one 'sub/dir:name') or a DVC-tracked path." }],
    options: {
      rev: { type: 'string', value: '<rev>', help: 'For a path: the revision to read (default HEAD).' },
      md: { type: 'boolean', help: 'Print Markdown (for a pull request or a model card).' },
    },
    async run({ values, positionals }) {
      if (positionals.length !== 1) throw new CairnError('USAGE', `cairn lineage takes one target, got ${positionals.length}.`);
      if (values.json && values.md) throw new CairnError('USAGE', '--json and --md are mutually exclusive.');
      return withRepo(async (repo) => {
        const result = await lineage(repo, positionals[0], { rev: values.rev, onWarning: (line) => process.stderr.write(`WARNING: ${line}\n`) });
        if (values.json) printJson(result);
        else if (values.md) printMarkdown(result);
        else if (!values.quiet) printText(result);
        for (const problem of result.problems) process.stderr.write(`WARNING: ${problem}\n`);
        return 0;
      });
    },
  },
};
