export { uniqueName, waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
export { labelValues, parseExposition, parseSeries, sampleLines, scrapeMetrics } from './exposition.js';
export { freePort, spawnService, type ServiceProcess, type SpawnOptions } from './spawn.js';
export { ev, postBatch, type EventInit, type TestEvent } from './events.js';
