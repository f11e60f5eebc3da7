import type { PlotData } from '../../webview/messages';

/** How a live read changes what the plots panel shows (pure; no vscode, unit-tested). */
export interface LiveUpdate {
  /** The panel's plots with the live read merged in. */
  plots: PlotData[];
  /**
   * Only what is new, as an `appendPoints` message carries it: per plot the points its series
   * gained. Undefined when appending cannot say it (a series shrank: its file was rewritten, a
   * run restarted; a plot appeared): then the page is sent `plots` whole.
   */
  appends: PlotData[] | undefined;
}

/** A series: one revision's (and one source's, when a plot has several) points of a plot. */
function seriesKey(plot: PlotData, point: Record<string, unknown>): string {
  return `${String(point.rev)}\u0000${plot.sourceField ? String(point[plot.sourceField]) : ''}`;
}

function countSeries(plot: PlotData): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of plot.points) counts.set(seriesKey(plot, p), (counts.get(seriesKey(plot, p)) ?? 0) + 1);
  return counts;
}

/**
 * Merge `live` (every plot of the runs going on, as on disk now) into `shown`: a live revision's
 * series are replaced by what is on disk; a series that only grew
 * is an append of its new points (datapoints are rows of a file that DVCLive and training scripts
 * append to, so a longer series starts with the shorter one).
 */
export function mergeLivePlots(shown: readonly PlotData[], live: readonly PlotData[]): LiveUpdate {
  const plots = shown.map((p) => ({ ...p }));
  let appends: PlotData[] | undefined = [];
  for (const fresh of live) {
    const current = plots.find((p) => p.id === fresh.id);
    if (!current) {
      plots.push(fresh);
      appends = undefined;
      continue;
    }
    const before = countSeries(current);
    const seen = new Map<string, number>();
    const added: Record<string, unknown>[] = [];
    for (const point of fresh.points) {
      const key = seriesKey(fresh, point);
      const index = seen.get(key) ?? 0;
      seen.set(key, index + 1);
      if (index >= (before.get(key) ?? 0)) added.push(point);
    }
    for (const [key, count] of seen) if (count < (before.get(key) ?? 0)) appends = undefined;
    const freshRevs = new Set(fresh.points.map((p) => String(p.rev)));
    // The shown points of other revisions stay; a live revision's are what is on disk now.
    current.points = [...current.points.filter((p) => !freshRevs.has(String(p.rev))), ...fresh.points];
    current.revisions = [...new Set([...current.revisions, ...fresh.revisions])];
    if (added.length && appends) appends.push({ ...fresh, points: added });
  }
  return { plots, appends };
}
