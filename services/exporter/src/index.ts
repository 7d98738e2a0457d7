export { createApp, ROLLING_WINDOW, type ExporterApp, type ExporterDeps } from './app.js';
