export { uniqueName, waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
export { labelValues, parseExposition, parseSeries, sampleLines, scrapeMetrics } from './exposition.js';
export { freePort, spawnService, type ServiceProcess, type SpawnOptions } from './spawn.js';
export { spawnPrometheus, startFiringPrometheus, type FiringAlert, type FiringPrometheus, type PrometheusProcess } from './prometheus.js';
export {
  BYTE_MUTATIONS,
  TEST_PRODUCER_KEY,
  dossierEvents,
  ev,
  mutateBytes,
  postBatch,
  producerAuth,
  testEvent,
  type EventInit,
  type EventValidator,
  type TestEvent,
} from './events.js';
export { redisTargets, type RedisTargetForTests } from './redis.js';
export { parseStackEnv } from './stack-env.js';
export { otherNodeOnPath } from './runtime.js';
