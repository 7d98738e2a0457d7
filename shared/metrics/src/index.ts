export { ProjectionMetrics, selectExportedUnits, type ExportedUnits, type TargetValue, type WindowSpec } from './projection-metrics.js';
export { CalendarMetrics } from './calendar-metrics.js';
