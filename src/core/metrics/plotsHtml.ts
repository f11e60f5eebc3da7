import * as path from 'node:path';
import type { PlotsDiffResult } from './plots';

/**
 * The page `plots show`/`plots diff` write without --json, as dvc writes `dvc_plots/index.html`:
 * each vega plot drawn by vega-embed (loaded from the jsDelivr CDN, as dvc's page loads it), each
 * image plot shown from the file written beside the page, and the revisions that failed listed
 * first. The specs are the ones `--json` prints.
 */
export function plotsHtml(result: PlotsDiffResult, pageDir: string): string {
  const sections: string[] = [];
  let n = 0;
  for (const [id, renders] of Object.entries(result.data ?? {})) {
    const images: string[] = [];
    for (const render of renders) {
      if (render.type === 'vega') {
        const div = `plot-${n++}`;
        // `</` closes the script element whatever the string around it: escaped in the JSON.
        const spec = JSON.stringify(render.content).replace(/<\//g, '<\\/');
        sections.push(`<section><div id="${div}"></div><script>vegaEmbed(${JSON.stringify(`#${div}`)}, ${spec});</script></section>`);
      } else {
        const src = render.url.startsWith('data:') ? render.url : path.relative(pageDir, render.url).split(path.sep).map(encodeURIComponent).join('/');
        images.push(`<figure><img src="${escapeHtml(src)}" alt="${escapeHtml(`${id} at ${render.revisions[0]}`)}"><figcaption>${escapeHtml(render.revisions[0])}</figcaption></figure>`);
      }
    }
    if (images.length) sections.push(`<section><h2>${escapeHtml(id)}</h2><div class="images">${images.join('')}</div></section>`);
  }
  const errors = (result.errors ?? []).map((e) => `<li>${escapeHtml(`${e.rev}${e.source ? ` (${e.source})` : ''}: ${e.type}: ${e.msg}`)}</li>`);
  return [
    '<!DOCTYPE html>',
    '<html>',
    '<head>',
    '<meta charset="utf-8">',
    '<title>Plots</title>',
    '<script src="https://cdn.jsdelivr.net/npm/vega@5.20.2"></script>',
    '<script src="https://cdn.jsdelivr.net/npm/vega-lite@5.2.0"></script>',
    '<script src="https://cdn.jsdelivr.net/npm/vega-embed@6.18.2"></script>',
    '<style>body{font-family:sans-serif}section{display:inline-block;vertical-align:top;margin:12px}.images{display:flex;gap:12px}figure{margin:0}img{max-width:480px}</style>',
    '</head>',
    '<body>',
    ...(errors.length ? [`<p>Some plots could not be loaded:</p><ul>${errors.join('')}</ul>`] : []),
    ...(sections.length ? sections : ['<p>No plots.</p>']),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
