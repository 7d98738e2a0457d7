export { createApp, type ExporterApp, type ExporterDeps } from './app.js';
