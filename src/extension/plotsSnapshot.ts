import type { Repo } from '../core/repo/repo';
import { plotsDiff, plotTemplateOf } from '../core/metrics/plots';
import type { PlotData, PlotImage } from '../../webview/messages';

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
      const content = render.content as unknown as {
        title?: { text?: string };
        encoding: { x: { field: string; title: string }; y: { field: string; title: string } };
        usermeta?: { template?: string };
      };
      const points = render.content.data.values;
      plots.push({
        id,
        title: content.title?.text ?? id,
        template: plotTemplateOf({ template: content.usermeta?.template }),
        x: content.encoding.x.field,
        y: content.encoding.y.field,
        xLabel: content.encoding.x.title,
        yLabel: content.encoding.y.title,
        revisions: render.revisions,
        points,
        sourceField: ['filename::field', 'filename', 'field'].find((f) => points.some((p) => f in p)),
      });
    }
  }
  const errors = (result.errors ?? []).map((e) => `${e.name ? `${e.name} ` : ''}at ${e.rev}${e.source ? ` (${e.source})` : ''}: ${e.msg}`);
  return { plots, images, errors };
}
