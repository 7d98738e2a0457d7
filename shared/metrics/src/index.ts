export { ProjectionMetrics, type WindowSpec } from './projection-metrics.js';
export { CalendarMetrics } from './calendar-metrics.js';
