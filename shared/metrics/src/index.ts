export {
  ClockMetric,
  MetaTotals,
  ProjectionMetrics,
  ProjectionTotals,
  selectExportedUnits,
  type ExportedUnits,
  type TargetValue,
  type WindowSpec,
} from './projection-metrics.js';
export { UNIT_FAMILIES, UNIT_FAMILY_IDS, renderUnitSeries, unitSeries, type EmitSeries, type UnitFamily, type UnitFamilyId } from './unit-series.js';
export { CalendarMetrics } from './calendar-metrics.js';
export { ContractMetrics, scrapeWindows, seriesOf, snapshotSeries, type ScrapeWindows, type SeriesInput, type SeriesReference } from './series.js';
export { PrometheusError, prometheusClient, type ActiveAlert, type Prometheus, type RangeSeries, type Sample } from './prometheus-api.js';
