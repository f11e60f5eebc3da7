import * as path from 'node:path';
import * as vscode from 'vscode';
import { PerRepository } from './perRepository';
import type { CoreClient } from './coreClient';
import type { QueueRun, RunsSnapshot } from './runsSnapshot';
import type { RunInfo, Value } from '../../webview/messages';
import { keyLabels, formatValue } from '../../webview/metricsTable';
import { trustItem } from './restrictedMode';

export type RunNode =
  | { kind: 'run'; root: string; run: RunInfo }
  /** A run of Cairn's queue that has not finished well (queued, running, failed), under its baseline. */
  | { kind: 'queueRun'; root: string; run: QueueRun }
  | { kind: 'experiments'; root: string }
  | { kind: 'repository'; root: string }
  | { kind: 'needsTrust'; root: string };

/** An experiment's state icon, as the experiments table shows it: a finished one passed. */
const STATE_ICONS: Record<QueueRun['state'] | 'success', vscode.ThemeIcon> = {
  success: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  queued: new vscode.ThemeIcon('clock', new vscode.ThemeColor('charts.yellow')),
  running: new vscode.ThemeIcon('sync~spin'),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

const ICONS: Record<RunInfo['kind'], vscode.ThemeIcon> = {
  workspace: new vscode.ThemeIcon('edit'),
  commit: new vscode.ThemeIcon('git-commit'),
  branch: new vscode.ThemeIcon('git-branch'),
  experiment: new vscode.ThemeIcon('beaker'),
};

/** Metrics shown in a run's description; the tooltip has them all. */
const SUMMARY_METRICS = 3;

/**
 * The Runs view: the workspace, the last commits of the current branch, chosen branches and the DVC
 * experiments (refs/exps) of each repository, with their metrics. Checked runs are the ones
 * "Compare Selected Runs" puts side by side. Data comes from the core worker.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly data: PerRepository<RunsSnapshot>;
  /** Checked run ids per repository root. */
  private readonly checked = new Map<string, Set<string>>();

  constructor(
    core: CoreClient,
    private readonly roots: () => string[],
    /** Other branches the user chose to see (their tips). */
    chosenBranches: () => string[],
    log: vscode.LogOutputChannel,
  ) {
    const historyLimit = () => vscode.workspace.getConfiguration('cairn').get<number>('runs.historyLimit', 100);
    this.data = new PerRepository('runs', roots, (root) => core.call('runs', root, { historyLimit: historyLimit(), branches: chosenBranches() }), (s) => s.runs.length === 0, log);
    this.data.onDidChange(() => this.changed.fire());
  }

  get snapshots(): ReadonlyMap<string, RunsSnapshot> {
    return this.data.values;
  }

  /** Recompute every repository's runs, one refresh at a time (a request meanwhile queues one more). */
  refresh(): Promise<void> {
    return this.data.refresh();
  }

  /** The snapshot of `root`, loading it first if the view has not yet. */
  snapshot(root: string): Promise<RunsSnapshot> {
    return this.data.get(root);
  }

  /** Checked runs of `root`, in the snapshot's order (oldest commit first, workspace last). */
  selected(root: string): string[] {
    const ids = this.checked.get(root) ?? new Set();
    return (this.snapshots.get(root)?.runs ?? []).map((r) => r.id).filter((id) => ids.has(id));
  }

  setChecked(node: RunNode, checked: boolean): void {
    if (node.kind !== 'run') return;
    const set = this.checked.get(node.root) ?? new Set<string>();
    if (checked) set.add(node.run.id);
    else set.delete(node.run.id);
    this.checked.set(node.root, set);
  }

  getChildren(node?: RunNode): RunNode[] {
    const roots = this.roots();
    if (!node) {
      if (roots.length > 1) return roots.map((root) => ({ kind: 'repository', root }));
      return roots.length ? this.runsOf(roots[0]) : [];
    }
    if (node.kind === 'repository') return this.runsOf(node.root);
    const snapshot = this.snapshots.get(node.root);
    if (!snapshot) return [];
    if (node.kind === 'experiments') {
      // Experiments of baselines not shown as commits here (another branch, older history).
      const shown = new Set(snapshot.runs.filter((r) => r.kind === 'commit').map((r) => r.id));
      return [
        ...snapshot.runs.filter((r) => r.kind === 'experiment' && !shown.has(r.baseline ?? '')).map((run): RunNode => ({ kind: 'run', root: node.root, run })),
        ...snapshot.queueRuns.filter((q) => !shown.has(q.baseline)).map((run): RunNode => ({ kind: 'queueRun', root: node.root, run })),
      ];
    }
    if (node.kind === 'run' && node.run.kind === 'commit') return this.experimentsOf(node.root, node.run.id);
    return [];
  }

  /** A commit's experiments, as the table nests them: running and queued runs, finished ones, failed ones. */
  private experimentsOf(root: string, baseline: string): RunNode[] {
    const snapshot = this.snapshots.get(root);
    if (!snapshot) return [];
    const queue = (state: QueueRun['state']) => snapshot.queueRuns.filter((q) => q.baseline === baseline && q.state === state).map((run): RunNode => ({ kind: 'queueRun', root, run }));
    return [
      ...queue('running'),
      ...queue('queued'),
      ...snapshot.runs.filter((r) => r.kind === 'experiment' && r.baseline === baseline).map((run): RunNode => ({ kind: 'run', root, run })),
      ...queue('failed'),
    ];
  }

  /** The tree node of a run (for reveal), if shown. */
  nodeOf(root: string, id: string): RunNode | undefined {
    const snapshot = this.snapshots.get(root);
    const run = snapshot?.runs.find((r) => r.id === id);
    if (run) return { kind: 'run', root, run };
    const queued = snapshot?.queueRuns.find((q) => q.id === id);
    return queued && { kind: 'queueRun', root, run: queued };
  }

  private runsOf(root: string): RunNode[] {
    const runs = this.snapshots.get(root)?.runs ?? [];
    const workspace = runs.filter((r) => r.kind === 'workspace');
    const branches = runs.filter((r) => r.kind === 'branch');
    const commits = runs.filter((r) => r.kind === 'commit').reverse(); // newest first
    const nodes: RunNode[] = [...workspace, ...branches, ...commits].map((run) => ({ kind: 'run', root, run }));
    if (this.getChildren({ kind: 'experiments', root }).length) nodes.push({ kind: 'experiments', root });
    // Commits, branches and experiments are read with git, which an untrusted folder never runs.
    if (!vscode.workspace.isTrusted) nodes.push({ kind: 'needsTrust', root });
    return nodes;
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'repository') {
      const t = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
      t.iconPath = new vscode.ThemeIcon('repo');
      t.description = this.data.errors.get(node.root);
      return t;
    }
    if (node.kind === 'needsTrust') return trustItem('Trust this folder to see commits and experiments', `${node.root}:needsTrust`);
    if (node.kind === 'queueRun') {
      const t = new vscode.TreeItem(node.run.label);
      t.id = `${node.root}:queue:${node.run.id}`;
      t.iconPath = STATE_ICONS[node.run.state];
      t.description = node.run.state;
      t.tooltip = `${node.run.label}: ${node.run.state} in Cairn's queue (task ${node.run.id})`;
      t.contextValue = `cairn.queueRun.${node.run.state}`;
      return t;
    }
    if (node.kind === 'experiments') {
      const t = new vscode.TreeItem('Other Experiments', vscode.TreeItemCollapsibleState.Collapsed);
      t.tooltip = 'Experiments of commits not listed here';
      t.iconPath = new vscode.ThemeIcon('beaker');
      t.id = `${node.root}:experiments`;
      return t;
    }
    const { run } = node;
    const snapshot = this.snapshots.get(node.root)!;
    // A commit with experiments opens to them; HEAD's are shown open.
    const isHead = snapshot.history[snapshot.history.length - 2] === run.id;
    const folding = run.kind !== 'commit' || !this.experimentsOf(node.root, run.id).length ? vscode.TreeItemCollapsibleState.None : isHead ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const t = new vscode.TreeItem(run.kind === 'commit' ? `${run.label} ${run.detail?.split(' — ')[0] ?? ''}` : run.label, folding);
    t.id = `${node.root}:run:${run.id}`;
    t.iconPath = run.error ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')) : run.kind === 'experiment' ? STATE_ICONS.success : ICONS[run.kind];
    const values = snapshot.metrics[run.id] ?? {};
    const labels = keyLabels(snapshot.metricKeys);
    t.description = snapshot.metricKeys
      .filter((k) => values[k] !== undefined)
      .slice(0, SUMMARY_METRICS)
      .map((k) => `${labels.get(k)} ${formatValue(values[k])}`)
      .join(' · ');
    t.tooltip = tooltipOf(run, values, snapshot.params[run.id] ?? {});
    t.checkboxState = this.checked.get(node.root)?.has(run.id) ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked;
    t.contextValue = `cairn.run.${run.kind}`;
    return t;
  }

  dispose(): void {
    this.data.dispose();
    this.changed.dispose();
  }
}

function tooltipOf(run: RunInfo, metrics: Record<string, Value>, params: Record<string, Value>): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${run.label}**\n\n`);
  if (run.detail) md.appendText(`${run.detail}\n\n`);
  if (run.error) md.appendText(`Could not read: ${run.error}\n\n`);
  const list = (title: string, values: Record<string, Value>) => {
    const keys = Object.keys(values);
    if (keys.length) md.appendMarkdown(`${title}:  \n${keys.map((k) => `\`${k}\` ${formatValue(values[k])}`).join('  \n')}\n\n`);
  };
  list('Metrics', metrics);
  list('Params', params);
  return md;
}
