export { ProjectionMetrics, type WindowSpec } from './projection-metrics.js';
