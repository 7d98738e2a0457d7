export { createApp, DOSSIER_STATES, DOSSIERS_QUERY_PARAMETERS, DEFAULT_PAGE_SIZE, type BoardApp, type BoardDeps } from './app.js';
export { loadAssets, OPENAPI_FILE, type StaticAsset } from './assets.js';
export {
  readOverview,
  readUnitFigures,
  readTrend,
  ragOf,
  metTarget,
  KPI_PANELS,
  type Overview,
  type UnitFigures,
  type KpiFigure,
  type Rag,
} from './figures.js';
export { reportRows, reportCsv, reportXlsx, PROVINCE_ROW_ID, type ReportRow } from './report.js';
