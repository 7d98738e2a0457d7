export { ProjectionMetrics, selectExportedUnits, type ExportedUnits, type TargetValue, type WindowSpec } from './projection-metrics.js';
export { CalendarMetrics } from './calendar-metrics.js';
export { ContractMetrics, scrapeWindows, seriesOf, snapshotSeries, type ScrapeWindows, type SeriesInput, type SeriesReference } from './series.js';
