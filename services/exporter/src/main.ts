#!/usr/bin/env node
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createLogger, dataSpec, httpLimits, httpSpec, listen, loadConfig, loadReferenceData, oneOf, port, runMain, str } from '@dvc/config';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { createApp } from './app.js';

const spec = {
  ...redisSpec,
  ...dataSpec,
  ...httpSpec,
  EXPORTER_PORT: port('HTTP port of /metrics', 9464),
  EXPORTER_HOST: str('address to listen on', '127.0.0.1'),
  CLOCK: oneOf('wall: windows end today by the wall clock; event: by the latest event time (replays, demos)', 'wall', ['wall', 'event'] as const),
};

const logger = createLogger('exporter');

await runMain({
  name: 'dvc-exporter',
  description: 'serves the metrics contract (GET /metrics) computed from the Redis projection at scrape time',
  spec,
  logger,
  start: async () => {
    const config = loadConfig(spec, process.env);
    const limits = httpLimits(config);
    const reference = loadReferenceData(config.DATA_DIR);
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-exporter' });
    const processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    const app = createApp({
      redis,
      namespace: config.REDIS_NAMESPACE,
      days: reference.days,
      calendar: reference.calendar,
      units: reference.units,
      targets: reference.targets,
      clock: config.CLOCK,
      wallClock: Date.now,
      logger,
      processRegistry,
      limits,
    });
    const bound = await listen(app.server, config.EXPORTER_PORT, config.EXPORTER_HOST);
    logger.info({ port: bound, clock: config.CLOCK, base: config.REDIS_NAMESPACE }, 'exporter listening: serving the namespace <base>:active names');
    return {
      close: async () => {
        await app.close();
        redis.disconnect();
      },
    };
  },
});
