/**
 * DVC's built-in vega-lite plot templates (dvc-render 1.x, as dvc 3.67 bundles it) and the way
 * their `<DVC_METRIC_…>` anchors are filled, so `plots show/diff --json` prints dvc's `content`
 * key for key. The templates are the output format: each is written here as the JSON it is.
 */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** An anchor as templates write it: `<DVC_METRIC_X_LABEL>` for `x_label`. */
export function anchor(name: string): string {
  return `<DVC_METRIC_${name.toUpperCase()}>`;
}
const a = anchor;

type Json = unknown;
type JsonObject = { [key: string]: Json };

function barHorizontal(sorted: boolean): JsonObject {
  return {
    $schema: SCHEMA,
    data: { values: a('data') },
    title: { text: a('title'), anchor: 'middle' },
    width: a('plot_width'),
    height: a('plot_height'),
    mark: { type: 'bar' },
    params: [a('zoom_and_pan')],
    encoding: {
      x: { field: a('x'), type: 'quantitative', title: a('x_label'), scale: { zero: false } },
      y: { field: a('y'), type: 'nominal', title: a('y_label'), ...(sorted ? { sort: '-x' } : {}) },
      yOffset: { field: 'rev', sort: [] },
      color: a('color'),
      column: a('column'),
    },
  };
}

const HOVER_LABEL = { label: { type: 'single', on: 'mouseover', encodings: ['x', 'y'], empty: 'none', clear: 'mouseout' } };
const HIGHLIGHT = { transform: [{ filter: { selection: 'label' } }], layer: [{ mark: { type: 'rect', color: 'lightpink' } }] };
const AXES_NOMINAL = {
  x: { field: a('x'), type: 'nominal', sort: 'ascending', title: a('x_label') },
  y: { field: a('y'), type: 'nominal', sort: 'ascending', title: a('y_label') },
};

function confusion(normalized: boolean): JsonObject {
  const count = { aggregate: [{ op: 'count', as: 'xy_count' }], groupby: [a('y'), a('x')] };
  const byX = { impute: 'xy_count', groupby: a('group_by_x'), key: a('y'), value: 0 };
  const cells = normalized
    ? [
        count,
        { impute: 'xy_count', groupby: ['rev', a('y')], key: a('x'), value: 0 },
        byX,
        { joinaggregate: [{ op: 'sum', field: 'xy_count', as: 'sum_y' }], groupby: [a('y')] },
        { calculate: 'datum.xy_count / datum.sum_y', as: 'percent_of_y' },
      ]
    : [
        count,
        { impute: 'xy_count', groupby: a('group_by_y'), key: a('x'), value: 0 },
        byX,
        { joinaggregate: [{ op: 'max', field: 'xy_count', as: 'max_count' }], groupby: [] },
        { calculate: 'datum.xy_count / datum.max_count', as: 'percent_of_max' },
      ];
  const shade = normalized ? 'percent_of_y' : 'percent_of_max';
  return {
    $schema: SCHEMA,
    data: { values: a('data') },
    title: { text: a('title'), anchor: 'middle' },
    facet: { column: { field: 'rev', sort: [] }, row: a('row') },
    ...(normalized ? {} : { params: [{ name: 'showValues', bind: { input: 'checkbox' } }] }),
    spec: {
      transform: cells,
      encoding: AXES_NOMINAL,
      layer: [
        {
          mark: 'rect',
          width: a('plot_width'),
          height: a('plot_height'),
          encoding: {
            color: normalized
              ? { field: 'percent_of_y', type: 'quantitative', title: '', scale: { domain: [0, 1] } }
              : { field: 'xy_count', type: 'quantitative', title: '', scale: { domainMin: 0, nice: true } },
          },
        },
        {
          selection: HOVER_LABEL,
          mark: 'rect',
          encoding: {
            tooltip: [
              { field: a('x'), type: 'nominal' },
              { field: a('y'), type: 'nominal' },
              normalized ? { field: 'percent_of_y', type: 'quantitative', format: '.2f' } : { field: 'xy_count', type: 'quantitative' },
            ],
            opacity: { condition: { selection: 'label', value: 1 }, value: 0 },
          },
        },
        HIGHLIGHT,
        {
          mark: 'text',
          encoding: {
            ...(normalized ? {} : { text: { condition: { param: 'showValues', field: 'xy_count', type: 'quantitative' } } }),
            color: { condition: { test: `datum.${shade} > 0.5`, value: 'white' }, value: 'black' },
          },
        },
      ],
    },
  };
}

function scatter(jitter: boolean): JsonObject {
  return {
    $schema: SCHEMA,
    data: { values: a('data') },
    title: { text: a('title'), anchor: 'middle' },
    width: a('plot_width'),
    height: a('plot_height'),
    ...(jitter
      ? {
          transform: [
            { calculate: 'random()', as: 'randomX' },
            { calculate: 'random()', as: 'randomY' },
          ],
        }
      : {}),
    mark: { type: 'point', tooltip: { content: 'data' } },
    ...(jitter ? {} : { params: [a('zoom_and_pan')] }),
    encoding: {
      x: { field: a('x'), ...(jitter ? {} : { type: 'quantitative' }), title: a('x_label') },
      y: { field: a('y'), ...(jitter ? {} : { type: 'quantitative' }), title: a('y_label') },
      color: a('color'),
      shape: a('shape'),
      tooltip: a('tooltip'),
      ...(jitter
        ? {
            xOffset: { field: 'randomX', type: 'quantitative' },
            yOffset: { field: 'randomY', type: 'quantitative' },
          }
        : {}),
    },
  };
}

/** `linear` and `smooth`: one template (dvc-render's LinearTemplate is the smooth one). */
function smooth(): JsonObject {
  const x = { field: a('x'), type: 'quantitative', title: a('x_label') };
  const y = { field: a('y'), type: 'quantitative', title: a('y_label'), scale: { zero: false } };
  const byRev = { field: 'rev', type: 'nominal' };
  return {
    $schema: SCHEMA,
    data: { values: a('data') },
    title: { text: a('title'), anchor: 'middle' },
    width: a('plot_width'),
    height: a('plot_height'),
    params: [{ name: 'smooth', value: 0.001, bind: { input: 'range', min: 0.001, max: 1, step: 0.001 } }],
    encoding: { x, color: a('color'), strokeDash: a('stroke_dash') },
    layer: [
      {
        layer: [
          { params: [a('zoom_and_pan')], mark: 'line' },
          { transform: [{ filter: { param: 'hover', empty: false } }], mark: 'point' },
        ],
        encoding: { y, color: byRev },
        transform: [{ loess: a('y'), on: a('x'), groupby: a('group_by'), bandwidth: { signal: 'smooth' } }],
      },
      { mark: { type: 'line', opacity: 0.2 }, encoding: { x, y, color: byRev } },
      {
        mark: { type: 'circle', size: 10 },
        encoding: {
          x: { aggregate: 'max', ...x },
          y: { aggregate: { argmax: a('x') }, ...y },
          color: byRev,
        },
      },
      {
        transform: [
          { calculate: a('pivot_field'), as: 'pivot_field' },
          { pivot: 'pivot_field', op: 'mean', value: a('y'), groupby: [a('x')] },
        ],
        mark: { type: 'rule', tooltip: { content: 'data' }, stroke: 'grey' },
        encoding: { opacity: { condition: { value: 0.3, param: 'hover', empty: false }, value: 0 } },
        params: [{ name: 'hover', select: { type: 'point', fields: [a('x')], nearest: true, on: 'mouseover', clear: 'mouseout' } }],
      },
    ],
  };
}

function simple(): JsonObject {
  return {
    $schema: SCHEMA,
    data: { values: a('data') },
    title: { text: a('title'), anchor: 'middle' },
    params: [a('zoom_and_pan')],
    width: a('plot_width'),
    height: a('plot_height'),
    mark: { type: 'line', tooltip: { content: 'data' } },
    encoding: {
      x: { field: a('x'), type: 'quantitative', title: a('x_label') },
      y: { field: a('y'), type: 'quantitative', title: a('y_label'), scale: { zero: false } },
      color: a('color'),
      strokeDash: a('stroke_dash'),
      tooltip: a('tooltip'),
    },
  };
}

/** The built-in templates by name, in the order `dvc plots templates` lists them. */
const BUILT_IN: Record<string, () => JsonObject> = {
  simple,
  linear: smooth,
  confusion: () => confusion(false),
  confusion_normalized: () => confusion(true),
  scatter: () => scatter(false),
  scatter_jitter: () => scatter(true),
  smooth,
  bar_horizontal_sorted: () => barHorizontal(true),
  bar_horizontal: () => barHorizontal(false),
};

export const BUILT_IN_TEMPLATES = Object.keys(BUILT_IN);

/** A built-in template's unfilled content, or undefined for another name. */
export function builtInTemplate(name: string): JsonObject | undefined {
  return Object.hasOwn(BUILT_IN, name) ? BUILT_IN[name]() : undefined;
}

/** Whether `content` holds the anchor as a whole string value (in objects, and in lists directly inside them), as dvc-render looks for one. */
export function hasAnchor(content: Json, name: string): boolean {
  const wanted = anchor(name);
  const holds = (v: Json, inList: boolean): boolean => {
    if (v === wanted) return true;
    if (Array.isArray(v)) return !inList && v.some((e) => holds(e, true));
    if (isObject(v)) return Object.values(v).some((e) => holds(e, false));
    return false;
  };
  return isObject(content) && Object.values(content).some((v) => holds(v, false));
}

/**
 * `content` with the anchor replaced by `value`: a string that is the anchor becomes the value;
 * inside an object's longer strings the anchor is replaced as text when the value is a string
 * (not in lists' strings), as dvc-render fills them.
 */
export function fillAnchor(content: JsonObject, name: string, value: Json): JsonObject {
  const wanted = anchor(name);
  const inList = (list: Json[]): Json[] =>
    list.map((e) => (Array.isArray(e) ? inList(e) : isObject(e) ? inObject(e) : e === wanted ? value : e));
  const inObject = (obj: JsonObject): JsonObject => {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(obj)) {
      if (isObject(v)) out[k] = inObject(v);
      else if (Array.isArray(v)) out[k] = inList(v);
      else if (v === wanted) out[k] = value;
      else if (typeof v === 'string' && typeof value === 'string') out[k] = v.split(wanted).join(value);
      else out[k] = v;
    }
    return out;
  };
  return inObject(content);
}

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Anchors a template may leave out; dvc-render fills those it has (the rest of a single-source plot's with `{}`). */
const OPTIONAL_ANCHORS = ['color', 'column', 'group_by_x', 'group_by_y', 'group_by', 'pivot_field', 'plot_height', 'plot_width', 'row', 'shape', 'stroke_dash', 'tooltip', 'zoom_and_pan'];

/** What an encoding by revision or by y source cycles through, in order. */
const RANGES: Record<string, Json[]> = {
  color: ['#945dd6', '#13adc7', '#f46837', '#48bb78', '#4299e1', '#ed8936', '#f56565'],
  stroke_dash: [
    [1, 0],
    [8, 8],
    [8, 4],
    [4, 4],
    [4, 2],
    [2, 1],
    [1, 1],
  ],
  shape: ['circle', 'square', 'triangle', 'diamond'],
};

const SOURCE_KEYS = ['filename', 'field'] as const;

/** What a template is filled with: the plot's title, fields and labels, the revisions with data, its y sources and datapoints. */
export interface TemplateFill {
  /** The template's name as dvc.yaml gives it, for errors. */
  name: string;
  /** Unfilled (left as the anchor) when null. */
  title: Json;
  x: string;
  y: string;
  xLabel: Json;
  yLabel: Json;
  revisions: string[];
  ySources: { filename: string; field: string }[];
  /** Tagged `rev`, `filename` and `field`; the tags that tell no y sources apart are taken off here. */
  points: Record<string, unknown>[];
}

/** The template filled as dvc-render fills it for `plots show/diff --json` (not split). */
export function fillTemplate(template: JsonObject, fill: TemplateFill): JsonObject {
  let content = template;
  const optional = OPTIONAL_ANCHORS.filter((name) => hasAnchor(template, name));
  // Each optional anchor is filled once, the first time it is named.
  const fillOptional = (name: string, value: Json) => {
    const at = optional.indexOf(name);
    if (at < 0) return;
    optional.splice(at, 1);
    content = fillAnchor(content, name, value);
  };
  const groupBy = (fields: string[]) => {
    fillOptional('group_by', fields);
    fillOptional('group_by_x', [...fields, fill.x]);
    fillOptional('group_by_y', [...fields, fill.y]);
  };
  const tooltip = (more: string[]) => fillOptional('tooltip', ['rev', fill.x, fill.y, ...more].map((field) => ({ field })));
  // Which of filename/field tell the y sources apart; undefined: a template with no optional anchor keeps both tags.
  let varied: string[] | undefined;
  if (optional.length) {
    fillOptional('color', scaleOf('rev', 'color', fill.revisions));
    fillOptional('zoom_and_pan', { name: 'grid', select: 'interval', bind: 'scales' });
    fillOptional('plot_height', 300);
    fillOptional('plot_width', 300);
    varied = fill.ySources.length <= 1 ? [] : SOURCE_KEYS.filter((k) => new Set(fill.ySources.map((s) => s[k])).size > 1);
    if (varied.length === 0) {
      groupBy(['rev']);
      fillOptional('pivot_field', 'datum.rev');
      tooltip([]);
      for (const name of [...optional]) fillOptional(name, {});
    } else {
      const by = varied.join('::');
      const domain = [...new Set(fill.ySources.map((s) => varied!.map((k) => s[k as 'filename' | 'field']).join('::')))].sort(byCodePoint);
      groupBy(['rev', by]);
      fillOptional('pivot_field', ['rev', ...varied].map((k) => `datum.${k}`).join(" + '::' + "));
      fillOptional('row', { field: by, sort: [] });
      fillOptional('column', { field: by, sort: [] });
      tooltip([by]);
      fillOptional('stroke_dash', scaleOf(by, 'stroke_dash', domain));
      fillOptional('shape', scaleOf(by, 'shape', domain));
    }
  }
  if (varied) tidySources(fill.points, varied);
  const escaped = (field: string) => field.replace(/[.[\]]/g, (c) => `\\${c}`);
  const named: [string, Json][] = [
    ['title', fill.title],
    ['x', escaped(fill.x)],
    ['y', escaped(fill.y)],
    ['x_label', fill.xLabel],
    ['y_label', fill.yLabel],
  ];
  for (const [name, value] of named) if (value !== null && value !== undefined) content = fillAnchor(content, name, value);
  if (!hasAnchor(content, 'data')) throw new Error(`Template '${fill.name}' is not using '${anchor('data')}' anchor`);
  return fillAnchor(content, 'data', fill.points);
}

/** An encoding mapping `field`'s values (`domain`) to the anchor's range, cycled; stroke dash and shape legends drawn hollow. */
function scaleOf(field: string, name: string, domain: string[]): JsonObject {
  const range = RANGES[name];
  return {
    field,
    scale: { domain, range: domain.map((_, i) => range[i % range.length]) },
    ...(name === 'color' ? {} : { legend: { symbolFillColor: 'transparent', symbolStrokeColor: 'grey' } }),
  };
}

/**
 * `filename`/`field` stay only where they tell the y sources apart (both varying: joined as
 * `filename::field`). Decided by the sources the plot declares, not by those that had data: of two
 * y files only one of which exists, the points still say which file.
 */
function tidySources(points: Record<string, unknown>[], varied: string[]): void {
  for (const p of points) {
    if (varied.length === 2) p['filename::field'] = `${p.filename}::${p.field}`;
    for (const k of SOURCE_KEYS) if (varied.length === 2 || !varied.includes(k)) delete p[k];
  }
}

function byCodePoint(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
