/**
 * Small typed builders for Grafana dashboards. A dashboard is first a model (panels with their
 * queries and whether each query must return data); `renderDashboard` turns the model into the
 * Grafana JSON that is committed under infra/grafana/dashboards.
 *
 * Queries are PromQL templates: Grafana variables (`$window`, `$level`, `$unit`,
 * `$__rate_interval`) and the `{{sel}}` placeholder, which stands inside the braces of every
 * raw-metric selector. The committed JSON drops the placeholder; tests replace it with extra
 * matchers (e.g. `test_id="…"`) so their own series are the only ones selected.
 */

/** The provisioned Prometheus datasource (infra/grafana/provisioning/datasources/prometheus.yml). */
export const DATASOURCE = { type: 'prometheus', uid: 'dvc-prometheus' } as const;

/** Placeholder for extra matchers inside a selector's braces. */
export const SEL = '{{sel}}';

export type PanelType = 'timeseries' | 'stat' | 'gauge' | 'table';

export interface QuerySpec {
  refId: string;
  expr: string;
  legendFormat?: string;
  /** False when an empty result is legitimate (no integrity flag, no dead letter, no target for the window). */
  expectData: boolean;
}

export interface Threshold {
  /** `lt`: the value must stay below `value`; `ge`: it must reach it. */
  comparison: 'lt' | 'ge';
  value: number;
}

export interface PanelSpec {
  id: number;
  type: PanelType;
  /** Vietnamese / English. */
  title: string;
  description?: string;
  /** Grafana unit id: percentunit, short, s, dateTimeAsIso, currencyVND, … */
  unit: string;
  decimals?: number;
  min?: number;
  max?: number;
  threshold?: Threshold;
  /** Grid width (of 24) and height. */
  w: number;
  h: number;
  queries: QuerySpec[];
}

export interface RowSpec {
  id: number;
  title: string;
  panels: PanelSpec[];
}

export interface VariableSpec {
  name: string;
  label: string;
  /** label_values(...) query against the datasource. */
  query: string;
  current: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  /** Relative time range of the time-series panels. */
  from: string;
  refresh: string;
  variables: VariableSpec[];
  rows: RowSpec[];
}

// --- builders ------------------------------------------------------------------------------

/** A raw-metric selector with the `{{sel}}` placeholder: sel('dvc_dossiers_open', 'state="overdue"'). */
export function sel(metric: string, matchers = ''): string {
  return `${metric}{${matchers}${SEL}}`;
}

export function query(refId: string, expr: string, legendFormat?: string, expectData = true): QuerySpec {
  return legendFormat === undefined ? { refId, expr, expectData } : { refId, expr, legendFormat, expectData };
}

type PanelInit = Omit<PanelSpec, 'type' | 'w' | 'h'> & { w?: number; h?: number };

export const panel = {
  timeseries: (init: PanelInit): PanelSpec => ({ type: 'timeseries', w: 12, h: 8, ...init }),
  stat: (init: PanelInit): PanelSpec => ({ type: 'stat', w: 6, h: 5, ...init }),
  gauge: (init: PanelInit): PanelSpec => ({ type: 'gauge', w: 6, h: 6, ...init }),
  table: (init: PanelInit): PanelSpec => ({ type: 'table', w: 12, h: 8, ...init }),
};

export function row(id: number, title: string, panels: PanelSpec[]): RowSpec {
  return { id, title, panels };
}

export function variable(name: string, label: string, queryText: string, current: string): VariableSpec {
  return { name, label, query: queryText, current };
}

export function dashboard(spec: DashboardSpec): DashboardSpec {
  const ids = new Set<number>();
  for (const r of spec.rows) {
    for (const id of [r.id, ...r.panels.map((p) => p.id)]) {
      if (ids.has(id)) throw new Error(`dashboard ${spec.uid}: panel id ${id} is used twice`);
      ids.add(id);
    }
    for (const p of r.panels) {
      if (p.queries.length === 0) throw new Error(`dashboard ${spec.uid}: panel ${p.id} has no query`);
      if (p.w < 1 || p.w > 24) throw new Error(`dashboard ${spec.uid}: panel ${p.id} width ${p.w} is not within 1..24`);
    }
  }
  return spec;
}

/** Every panel (rows excluded) of a dashboard, in order. */
export function panelsOf(spec: DashboardSpec): PanelSpec[] {
  return spec.rows.flatMap((r) => r.panels);
}

// --- variable and placeholder substitution -------------------------------------------------

/**
 * Replaces each `{{sel}}` placeholder with the extra matchers (`a="b",c="d"`), adding the comma
 * when the selector already has matchers, and drops selectors left with empty braces.
 */
export function injectMatchers(expr: string, extra: string): string {
  let out = '';
  let rest = expr;
  for (;;) {
    const at = rest.indexOf(SEL);
    if (at < 0) break;
    const before = rest.slice(0, at);
    const prev = before.at(-1);
    out += before + (extra === '' ? '' : prev === '{' ? extra : `,${extra}`);
    rest = rest.slice(at + SEL.length);
  }
  out += rest;
  // metric{} → metric (only produced by a placeholder with no extra matchers)
  return out.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{\}/g, '$1');
}

const PROMQL_STRING_ESCAPE = /["\\]/g;

/** Replaces `$name` and `${name}` for the given values (escaped for a PromQL double-quoted string). */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = values[name];
    return value === undefined ? whole : value.replace(PROMQL_STRING_ESCAPE, (c) => `\\${c}`);
  });
}

// --- rendering to Grafana JSON -------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function thresholdSteps(t: Threshold | undefined): Json {
  if (t === undefined) return [{ color: 'blue', value: null }];
  return t.comparison === 'lt'
    ? [
        { color: 'green', value: null },
        { color: 'red', value: t.value },
      ]
    : [
        { color: 'red', value: null },
        { color: 'green', value: t.value },
      ];
}

function panelOptions(p: PanelSpec): Json {
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (p.type) {
    case 'stat':
      return { reduceOptions: reduce, colorMode: 'value', graphMode: 'area', justifyMode: 'auto', orientation: 'auto', textMode: 'auto' };
    case 'gauge':
      return { reduceOptions: reduce, showThresholdLabels: false, showThresholdMarkers: true, orientation: 'auto' };
    case 'table':
      return { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
    case 'timeseries':
      return { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull'] }, tooltip: { mode: 'multi', sort: 'desc' } };
  }
}

function renderPanel(p: PanelSpec, gridPos: { x: number; y: number }): Json {
  const defaults: { [key: string]: Json } = {
    unit: p.unit,
    color: { mode: p.threshold === undefined ? 'palette-classic' : 'thresholds' },
    thresholds: { mode: 'absolute', steps: thresholdSteps(p.threshold) },
  };
  if (p.decimals !== undefined) defaults.decimals = p.decimals;
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.type === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 2,
      fillOpacity: 10,
      showPoints: 'never',
      spanNulls: true,
      thresholdsStyle: { mode: p.threshold === undefined ? 'off' : 'line+area' },
    };
  }
  const instant = p.type === 'table';
  const out: { [key: string]: Json } = {
    id: p.id,
    type: p.type,
    title: p.title,
    datasource: { ...DATASOURCE },
    gridPos: { h: p.h, w: p.w, x: gridPos.x, y: gridPos.y },
    fieldConfig: { defaults, overrides: [] },
    options: panelOptions(p),
    targets: p.queries.map((q) => {
      const t: { [key: string]: Json } = {
        refId: q.refId,
        datasource: { ...DATASOURCE },
        expr: injectMatchers(q.expr, ''),
        instant,
        range: !instant,
      };
      if (q.legendFormat !== undefined) t.legendFormat = q.legendFormat;
      return t;
    }),
  };
  if (p.description !== undefined) out.description = p.description;
  if (p.type === 'table') out.transformations = [{ id: 'merge', options: {} }];
  return out;
}

/** The Grafana dashboard JSON (schemaVersion 39) of a model: rows and panels laid out on the 24-column grid. */
export function renderDashboard(spec: DashboardSpec): Json {
  const panels: Json[] = [];
  let y = 0;
  for (const r of spec.rows) {
    panels.push({ id: r.id, type: 'row', title: r.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of r.panels) {
      if (x + p.w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      panels.push(renderPanel(p, { x, y }));
      x += p.w;
      rowHeight = Math.max(rowHeight, p.h);
    }
    y += rowHeight;
  }
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    timezone: 'Asia/Ho_Chi_Minh',
    refresh: spec.refresh,
    time: { from: spec.from, to: 'now' },
    timepicker: {},
    annotations: { list: [] },
    links: [],
    templating: {
      list: spec.variables.map((v) => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource: { ...DATASOURCE },
        query: { query: v.query, refId: `${v.name}-query` },
        definition: v.query,
        refresh: 2,
        sort: 1,
        multi: false,
        includeAll: false,
        hide: 0,
        current: { selected: true, text: v.current, value: v.current },
        options: [],
      })),
    },
    panels,
  };
}

// --- panel queries for tests ---------------------------------------------------------------

export interface PanelQuery {
  dashboard: string;
  panelId: number;
  title: string;
  refId: string;
  expr: string;
  expectData: boolean;
}

export interface PanelQueryOptions {
  /** Extra matchers for every raw-metric selector, e.g. `test_id="abc"`; none by default. */
  matchers?: string;
  /** Value of `$__rate_interval` (Grafana computes it from the scrape interval); `5m` by default. */
  rateInterval?: string;
}

/** Every query of every panel with the variables substituted: what Grafana would send to Prometheus. */
export function panelQueries(spec: DashboardSpec, values: Readonly<Record<string, string>>, options: PanelQueryOptions = {}): PanelQuery[] {
  const all = { __rate_interval: options.rateInterval ?? '5m', ...values };
  return panelsOf(spec).flatMap((p) =>
    p.queries.map((q) => ({
      dashboard: spec.uid,
      panelId: p.id,
      title: p.title,
      refId: q.refId,
      expr: substituteVariables(injectMatchers(q.expr, options.matchers ?? ''), all),
      expectData: q.expectData,
    })),
  );
}

/** The dashboard's template-variable queries with the values of earlier variables substituted. */
export function variableQueries(spec: DashboardSpec, values: Readonly<Record<string, string>>): { name: string; query: string }[] {
  return spec.variables.map((v) => ({ name: v.name, query: substituteVariables(v.query, values) }));
}
