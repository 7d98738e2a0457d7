export {
  DATASOURCE,
  SEL,
  dashboard,
  injectMatchers,
  panel,
  panelQueries,
  panelsOf,
  query,
  renderDashboard,
  row,
  sel,
  substituteVariables,
  variable,
  variableQueries,
} from './builders.js';
export type { DashboardSpec, PanelQuery, PanelQueryOptions, PanelSpec, PanelType, QuerySpec, RowSpec, Threshold, VariableSpec } from './builders.js';
export { allDashboards, pipelineHealth, provinceOverview, unitDrilldown } from './dashboards.js';
export { DASHBOARDS_DIR, FILE_NAMES, REPO_ROOT, TARGETS_FILE, buildDashboards, generateFiles, readTargets } from './files.js';
export { KPIS, percent, thresholdsFrom } from './targets.js';
export type { Kpi, KpiThresholds, TargetsFile } from './targets.js';
