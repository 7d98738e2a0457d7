import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DATASOURCE,
  DASHBOARDS_DIR,
  FILE_NAMES,
  REPO_ROOT,
  buildDashboards,
  generateFiles,
  injectMatchers,
  panelQueries,
  panelsOf,
  readTargets,
  substituteVariables,
  thresholdsFrom,
  variableQueries,
} from './index.js';

interface GrafanaTarget {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  fieldConfig?: { defaults: { unit?: string } };
  targets?: GrafanaTarget[];
}
interface GrafanaDashboard {
  uid: string;
  panels: GrafanaPanel[];
  templating: { list: { name: string; datasource: { uid: string } }[] };
}

const committed = (name: string) => readFileSync(join(DASHBOARDS_DIR, name), 'utf8');

describe('committed dashboards', () => {
  const files = generateFiles();

  it.each([...files.keys()])('%s equals the generated JSON (run `npm run build -w @dvc/dashboards` after changing the code)', (name) => {
    expect(committed(name)).toBe(files.get(name));
  });

  it('are the three dashboards', () => {
    expect([...files.keys()].sort()).toEqual(['pipeline-health.json', 'province-overview.json', 'unit-drilldown.json']);
    expect(Object.values(FILE_NAMES).sort()).toEqual([...files.keys()].sort());
  });

  it('name the provisioned datasource on every panel and query, and set a unit on every panel', () => {
    const provisioned = readFileSync(join(REPO_ROOT, 'infra/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    const uid = /^\s*uid:\s*(\S+)\s*$/m.exec(provisioned)?.[1];
    expect(uid).toBe(DATASOURCE.uid);
    for (const name of files.keys()) {
      const d = JSON.parse(committed(name)) as GrafanaDashboard;
      const panels = d.panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(0);
      for (const p of panels) {
        const where = `${name} panel ${p.id} (${p.title})`;
        expect({ where, uid: p.datasource?.uid }).toEqual({ where, uid });
        expect({ where, queries: (p.targets ?? []).filter((t) => t.datasource?.uid === uid && t.expr.length > 0).length > 0 }).toEqual({
          where,
          queries: true,
        });
        expect({ where, unit: typeof p.fieldConfig?.defaults.unit }).toEqual({ where, unit: 'string' });
        expect(p.title).toMatch(/ \/ /); // Vietnamese / English
        for (const t of p.targets ?? []) expect(t.expr).not.toContain('{{sel}}');
      }
      for (const v of d.templating.list) expect(v.datasource.uid).toBe(uid);
    }
  });

  it('give every panel (and row) a unique, stable id within its dashboard', () => {
    for (const name of files.keys()) {
      const ids = (JSON.parse(committed(name)) as GrafanaDashboard).panels.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

describe('dashboards', () => {
  const [overview, drilldown, pipeline] = buildDashboards();

  it('use the thresholds of the targets file', () => {
    const t = thresholdsFrom(readTargets());
    expect(t.overdue_ratio).toEqual({ comparison: 'lt', value: 0.01 });
    expect(t.digitization_share).toEqual({ comparison: 'ge', value: 1 });
    const p101 = panelsOf(overview!).find((p) => p.id === 101);
    expect(p101?.threshold).toEqual(t.overdue_ratio);
    expect(p101?.title).toContain('< 1%');
  });

  it('has the variables window, level and unit on the unit drill-down, unit filtered by level', () => {
    expect(drilldown!.variables.map((v) => v.name)).toEqual(['window', 'level', 'unit']);
    expect(variableQueries(drilldown!, { level: 'district' })).toEqual([
      { name: 'window', query: 'label_values(dvc_dossiers_received, window)' },
      { name: 'level', query: 'label_values(dvc_dossiers_received, level)' },
      { name: 'unit', query: 'label_values(dvc_dossiers_received{level="district"}, unit)' },
    ]);
  });

  it("open the unit drill-down on a province of today's unit directory at the default level", () => {
    const units = (JSON.parse(readFileSync(join(REPO_ROOT, 'infra/data/units.json'), 'utf8')) as { units: { id: string; level: string; validTo?: string }[] })
      .units;
    const current = (name: string) => drilldown!.variables.find((v) => v.name === name)?.current;
    const unit = units.find((u) => u.id === current('unit'));
    expect(unit).toMatchObject({ level: current('level') });
    expect(unit?.validTo).toBeUndefined();
  });

  it('lists every panel query with the variables substituted and extra matchers injected', () => {
    const queries = panelQueries(drilldown!, { window: 'bp-2022-report', level: 'commune', unit: 'bp.dongxoai.tanbinh' }, { matchers: 'test_id="t1"' });
    expect(queries.length).toBeGreaterThan(panelsOf(drilldown!).length - 1);
    for (const q of queries) {
      expect(q.expr).not.toMatch(/\$|\{\{sel\}\}/);
      expect(q.dashboard).toBe('dvc-unit-drilldown');
    }
    expect(queries.find((q) => q.panelId === 217)?.expr).toBe('max by (state) (dvc_dossiers_open{unit="bp.dongxoai.tanbinh",level="commune",test_id="t1"})');
    expect(queries.find((q) => q.panelId === 201 && q.refId === 'A')?.expr).toBe(
      'dvc:overdue_ratio:by_unit{unit="bp.dongxoai.tanbinh",level="commune",window="bp-2022-report"}',
    );
    expect(queries.find((q) => q.panelId === 220)?.expectData).toBe(false);
    const p = panelQueries(pipeline!, {}, { matchers: 'test_id="t1"', rateInterval: '1m' });
    expect(p.find((q) => q.panelId === 302)?.expr).toBe('max by (type) (dvc_projection_events_applied_total{test_id="t1"})');
    expect(p.find((q) => q.panelId === 301)?.expr).toBe('max by (type) (rate(dvc_projection_events_applied_total{test_id="t1"}[1m]))');
    expect(p.find((q) => q.panelId === 304)?.expectData).toBe(false);
  });

  it('read only recording rules that infra/prometheus/rules/recording.yml records', () => {
    const recorded = new Set(
      [...readFileSync(join(REPO_ROOT, 'infra/prometheus/rules/recording.yml'), 'utf8').matchAll(/^\s*- record:\s*(\S+)\s*$/gm)].map((m) => m[1]),
    );
    const read = buildDashboards().flatMap((spec) =>
      panelQueries(spec, { window: '14d', level: 'province', unit: 'bp' }).flatMap((q) =>
        [...q.expr.matchAll(/dvc:[a-z0-9_]+:[a-z0-9_]+/g)].map((m) => `${q.panelId} ${m[0]}`),
      ),
    );
    expect(read.length).toBeGreaterThan(20);
    expect(read.filter((r) => !recorded.has(r.split(' ')[1]))).toEqual([]);
  });

  it("show the seed article's figures on the province overview through the series named for them", () => {
    const expr = (panelId: number) => panelQueries(overview!, { window: 'bp-2022-report' }).find((q) => q.panelId === panelId && q.refId === 'A')?.expr;
    expect(expr(114)).toBe('dvc:online_service_utilization:province_level{window="bp-2022-report"}');
    expect(expr(105)).toBe('dvc:online_service_utilization:province_wide{window="bp-2022-report"}');
    expect(expr(101)).toBe('dvc:overdue_ratio:province{window="bp-2022-report"}');
    expect(expr(115)).toBe('dvc:processed_online_share:province{window="bp-2022-report"}');
    expect(expr(132)).toBe('dvc:dossiers_carried_over:sum_province{window="bp-2022-report"}');
    expect(expr(121)).toBe('dvc:dossiers_received:sum_province{window="bp-2022-report"}');
    expect(expr(133)).toBe('dvc:dossiers_to_resolve:sum_province{window="bp-2022-report"}');
    expect(expr(122)).toBe('dvc:dossiers_resolved:sum_province{window="bp-2022-report"}');
    expect(expr(123)).toBe('dvc:dossiers_overdue:sum_province{window="bp-2022-report"}');
    expect(expr(124)).toBe('dvc:dossiers_open:sum_province');
    expect(expr(125)).toBe('dvc:dossiers_open_overdue:sum_province');
    expect(expr(126)).toBe('dvc:dossiers_withdrawn:sum_province{window="bp-2022-report"}');
    expect(expr(141)).toBe('dvc:payments:sum_province{window="bp-2022-report"}');
    expect(expr(143)).toBe('dvc:payments_vnd:sum_province{window="bp-2022-report",kind="land_obligation",channel="online"}');
    expect(expr(144)).toBe('dvc:payments_vnd:sum_province{window="bp-2022-report",kind="fee",channel="online"}');
    expect(expr(151)).toBe('dvc:community_teams:sum_province');
    expect(expr(152)).toBe('dvc:community_team_members:sum_province');
  });
});

describe('injectMatchers and substituteVariables', () => {
  it('adds matchers to empty and non-empty selectors, or removes the placeholder', () => {
    expect(injectMatchers('sum(a{{sel}}) + b{x="1"{{sel}}}'.replace('a{{sel}}', 'a{{{sel}}}'), 'k="v"')).toBe('sum(a{k="v"}) + b{x="1",k="v"}');
    expect(injectMatchers('sum(a{{{sel}}}) + b{x="1"{{sel}}}', '')).toBe('sum(a) + b{x="1"}');
  });
  it('substitutes $name and ${name}, escaping quotes and backslashes', () => {
    expect(substituteVariables('a{u="$unit",w="${window}",r="$other"}[$__rate_interval]', { unit: 'x"y\\', window: '14d', __rate_interval: '1m' })).toBe(
      'a{u="x\\"y\\\\",w="14d",r="$other"}[1m]',
    );
  });
});
