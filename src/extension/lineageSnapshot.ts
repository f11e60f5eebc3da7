import * as path from 'node:path';
import type { Repo } from '../core/repo/repo';
import { runGit } from '../core/scm/git';
import { lineage, Lineage, LineageData } from '../core/registry/lineage';
import { recordedOutputs } from '../core/outputs/recordedOutputs';
import { flatten, formatLists, isDict } from '../core/metrics/flatten';
import type { FileResult } from '../core/metrics/results';
import { formatSize } from '../core/formatSize';
import type { LineageNode, LineagePayload } from '../../webview/messages';

/** What a click on a lineage node opens; the extension keeps these, the page only names a node's id. */
export type LineageTarget = { kind: 'file'; path: string } | { kind: 'stage'; file: string; name: string } | { kind: 'commit'; sha: string };

export interface LineageSnapshot {
  payload: LineagePayload;
  /** Node id → what its click opens. */
  targets: Record<string, LineageTarget>;
}

/** `cairn lineage <asked>` shaped for the lineage panel, with each file's size as its commit records it (dvc.lock or a `.dvc` file; git's tree for a file in git). */
export async function lineageSnapshot(repo: Repo, asked: string): Promise<LineageSnapshot> {
  const found = await lineage(repo, asked);
  const recorded = await recordedOutputs(repo, found.commit.sha);
  const sizes = new Map(recorded.filter((o) => o.md5 && o.size !== undefined).map((o) => [`${o.rel}\0${o.md5}`, o.size!]));
  const inGit = await gitBlobSizes(repo, found);
  return lineagePayload(found, (data) => (data.madeBy.kind === 'git' ? inGit.get(data.path) : data.md5 ? sizes.get(`${data.path}\0${data.md5}`) : undefined));
}

/** The sizes of the lineage's files that are in git, from one `git ls-tree -l` of the commit. */
async function gitBlobSizes(repo: Repo, found: Lineage): Promise<Map<string, number>> {
  const gitRoot = repo.scm?.root;
  const paths = [...new Set([found.data, ...found.sources, ...found.stages.flatMap((s) => s.deps)].filter((d) => d.madeBy.kind === 'git' && d.madeBy.type === 'blob').map((d) => d.path))];
  const sizes = new Map<string, number>();
  if (!gitRoot || !paths.length) return sizes;
  const prefix = path.relative(gitRoot, repo.root).split(path.sep).join('/');
  const inTree = (p: string) => (prefix ? `${prefix}/${p}` : p);
  // `--` before the paths: a path from a repository is data, never an option.
  const listing = await runGit(gitRoot, ['ls-tree', '-l', '-z', '--full-tree', found.commit.sha, '--', ...paths.map(inTree)]);
  for (const entry of listing.split('\0')) {
    const m = /^\d+ blob [0-9a-f]+ +(\d+)\t(.*)$/s.exec(entry);
    const rel = m && paths.find((p) => inTree(p) === m[2]);
    if (rel) sizes.set(rel, Number(m[1]));
  }
  return sizes;
}

/**
 * The graph from the target back to raw data: a node per piece of data and per stage, an edge
 * from each dependency to its stage and from each stage to its outputs; the commit beside it with
 * its params and metrics. Pure (unit-tested).
 */
export function lineagePayload(found: Lineage, sizeOf: (data: LineageData) => number | undefined): LineageSnapshot {
  const nodes = new Map<string, LineageNode>();
  const targets: Record<string, LineageTarget> = {};
  const edges: { from: string; to: string }[] = [];
  const made = new Set(found.stages.flatMap((s) => s.outs.map((o) => o.path)));
  const dataNode = (data: LineageData): string => {
    const id = `data:${data.path}`;
    const known = nodes.get(id);
    if (known) {
      if (!known.hash && data.md5) Object.assign(known, describeData(data, sizeOf(data)));
      return id;
    }
    const kind = data.path === found.data.path ? 'target' : made.has(data.path) ? 'data' : 'source';
    nodes.set(id, { id, kind, label: data.path, ...describeData(data, sizeOf(data)) });
    targets[id] = { kind: 'file', path: data.path };
    return id;
  };
  dataNode(found.data);
  for (const stage of found.stages) {
    const id = `stage:${stage.name}`;
    const cmd = Array.isArray(stage.cmd) ? stage.cmd.join(' && ') : stage.cmd;
    nodes.set(id, { id, kind: 'stage', label: stage.name, hash: null, size: null, detail: `${stage.locked ? '' : 'not in dvc.lock — '}${cmd}` });
    const colon = stage.name.lastIndexOf(':');
    targets[id] = { kind: 'stage', file: stage.file, name: colon >= 0 ? stage.name.slice(colon + 1) : stage.name };
    for (const dep of stage.deps) edges.push({ from: dataNode(dep), to: id });
    for (const out of stage.outs) edges.push({ from: id, to: dataNode({ path: out.path, md5: out.md5, madeBy: { kind: 'stage', stage: stage.name } }) });
  }
  targets.commit = { kind: 'commit', sha: found.commit.sha };
  const { commit } = found;
  const what = found.target.artifact ? `${found.target.artifact}${found.target.version ? `@${found.target.version}` : found.target.stage ? `#${found.target.stage}` : ''}` : found.target.path;
  return {
    payload: {
      title: `Lineage of ${what}`,
      commit: { short: commit.sha.slice(0, 7), date: commit.date, message: commit.message.split('\n')[0], refs: [...commit.tags, ...commit.branches, ...commit.experiments] },
      nodes: [...nodes.values()],
      edges,
      params: flatValues(found.params),
      metrics: flatValues(found.metrics),
      notes: [...(found.note ? [found.note] : []), ...found.problems],
    },
    targets,
  };
}

function describeData(data: LineageData, size: number | undefined): Pick<LineageNode, 'hash' | 'size' | 'detail'> {
  const by = data.madeBy;
  const detail =
    by.kind === 'stage' ? `output of ${by.stage}`
    : by.kind === 'dvc' ? `tracked by ${by.file}${by.import ? ` (imported from ${by.import.url})` : ''}`
    : by.kind === 'git' ? `in git (${by.type} ${by.blob.slice(0, 7)})`
    : 'not tracked';
  return { hash: data.md5 ? data.md5.slice(0, 8) + (data.md5.endsWith('.dir') ? '.dir' : '') : null, size: size === undefined ? null : formatSize(size), detail };
}

/** Each file's values as `file:key` → text, files in order, keys as the file has them. */
function flatValues(files: Record<string, FileResult>): { key: string; value: string }[] {
  const rows: { key: string; value: string }[] = [];
  for (const [file, result] of Object.entries(files)) {
    if (result.error) {
      rows.push({ key: file, value: `cannot be read: ${result.error.msg || result.error.type}` });
      continue;
    }
    const data = formatLists(result.data);
    const flat = isDict(data) ? flatten(data) : { '': data };
    for (const [key, value] of Object.entries(flat)) rows.push({ key: key ? `${file}:${key}` : file, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  return rows;
}

/** The 0-based line of stage `name` (a foreach/matrix one `build@us`: its `build`) under `stages:` in a dvc.yaml's text; -1 when not found. */
export function stageLine(text: string, name: string): number {
  const wanted = name.split('@')[0];
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^stages:\s*(#.*)?$/.test(l));
  let indent = -1;
  for (let i = start + 1; start >= 0 && i < lines.length; i++) {
    if (/^\S/.test(lines[i])) break;
    if (!lines[i].trim() || lines[i].trim().startsWith('#')) continue;
    const at = lines[i].search(/\S/);
    if (indent < 0) indent = at;
    const key = /^\s+(['"]?)(.+?)\1:(\s|$)/.exec(lines[i]);
    if (at === indent && key?.[2] === wanted) return i;
  }
  return -1;
}
