export { createApp, ROLLING_WINDOW, type ExporterApp, type ExporterDeps, type ClockMode } from './app.js';
