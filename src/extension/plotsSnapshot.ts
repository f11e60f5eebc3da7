import { Repo } from '../core/repo/repo';
import { tempRunTrees } from '../core/experiments/liveRuns';
import { workspaceRun } from '../core/experiments/queue';
import { plotsDiff } from '../core/metrics/plots';
import { show } from '../core/metrics/show';
import { metricCells } from './experimentsSnapshot';
import { LIVE_RUN_PREFIX, type LivePlots, type PlotData, type PlotImage, type PlotTemplate, type Value } from '../../webview/messages';

const PANEL_TEMPLATES: PlotTemplate[] = ['linear', 'simple', 'smooth', 'scatter', 'confusion', 'confusion_normalized', 'bar_horizontal', 'bar_horizontal_sorted'];

/** How the panel draws a plot of this template: as the built-in one of that name; jitter as scatter; a custom template as `linear`. */
function panelTemplate(template: string): PlotTemplate {
  if (template === 'scatter_jitter') return 'scatter';
  return PANEL_TEMPLATES.find((t) => t === template) ?? 'linear';
}

/** The DVC plots of `revs` as the metrics panel draws them (computed in the core worker); images as `data:` URLs. */
export async function plotsSnapshot(repo: Repo, revs: string[]): Promise<{ plots: PlotData[]; images: PlotImage[]; errors: string[] }> {
  const result = await plotsDiff(repo, revs);
  const plots: PlotData[] = [];
  const images: PlotImage[] = [];
  for (const [id, renders] of Object.entries(result.data ?? {})) {
    for (const render of renders) {
      if (render.type === 'image') {
        images.push({ id, revision: render.revisions[0], url: render.url });
        continue;
      }
      const points = render.content.data.values;
      const { drawn } = render;
      plots.push({
        id,
        title: drawn.title,
        template: panelTemplate(drawn.template),
        x: drawn.x,
        y: drawn.y,
        xLabel: drawn.xLabel,
        yLabel: drawn.yLabel,
        revisions: render.revisions,
        points,
        sourceField: ['filename::field', 'filename', 'field'].find((f) => points.some((p) => f in p)),
      });
    }
  }
  const errors = (result.errors ?? []).map((e) => `${e.name ? `${e.name} ` : ''}at ${e.rev}${e.source ? ` (${e.source})` : ''}: ${e.msg}`);
  return { plots, images, errors };
}

/**
 * The plots of runs going on, as they are on disk now: the workspace's (a workspace run, or DVCLive
 * outside a pipeline) and each temporary tree's (`--temp` and queued runs), the latter as revision
 * `running:<tree>`, with the metrics of the workspace and of each tree for the experiments table.
 * Image plots are left out: live plots are the step curves.
 */
export async function livePlotsSnapshot(repo: Repo): Promise<LivePlots> {
  // The workspace's metrics for its row in the table, and for the experiment a workspace run records them as.
  const [plots, workspaceMetrics, workspaceExperiment] = await Promise.all([plotsSnapshot(repo, ['workspace']), show(repo, 'metrics'), workspaceRun(repo)]);
  const workspace: LivePlots['runs'][number] = { id: 'workspace', label: 'workspace', metrics: metricCells(workspaceMetrics['']?.data ?? {}) };
  if (workspaceExperiment?.name) workspace.experiment = workspaceExperiment.name;
  const live: LivePlots = { runs: [workspace], plots: plots.plots };
  for (const tree of tempRunTrees(repo)) {
    const id = `${LIVE_RUN_PREFIX}${tree.name}`;
    let plots: PlotData[];
    let metrics: Record<string, Value> | undefined;
    try {
      // The tree's repository borrows the main one's hash threads; nothing here hashes.
      const tmpRepo = Repo.open(tree.root, { pool: repo.pool });
      try {
        plots = (await plotsSnapshot(tmpRepo, ['workspace'])).plots;
        // `show` names the workspace '' (as dvc's JSON does).
        if (tree.experiment) metrics = metricCells((await show(tmpRepo, 'metrics'))['']?.data ?? {});
      } finally {
        await tmpRepo.close();
      }
    } catch {
      continue; // the run ended and its tree went while it was read
    }
    // Named as `exp show` names the run (its record says which it is); a tree no record names yet by its folder.
    live.runs.push(tree.experiment ? { id, label: `${tree.experiment} (running)`, experiment: tree.experiment, metrics } : { id, label: `running (${tree.name})` });
    for (const plot of plots) live.plots.push({ ...plot, revisions: [id], points: plot.points.map((p) => ({ ...p, rev: id })) });
  }
  return live;
}
