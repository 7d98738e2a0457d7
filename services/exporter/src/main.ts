#!/usr/bin/env node
import { Registry, collectDefaultMetrics } from 'prom-client';
import { clockSetting, clockSpec, createLogger, dataSpec, describeClock, httpLimits, httpSpec, listen, loadConfig, loadReferenceData, port, runMain, str } from '@dvc/config';
import { createLiveView, createRedisClient, redisSpec } from '@dvc/redis';
import { createApp } from './app.js';

const spec = {
  ...redisSpec,
  ...dataSpec,
  ...httpSpec,
  ...clockSpec,
  EXPORTER_PORT: port('HTTP port of /metrics', 9464),
  EXPORTER_HOST: str('address to listen on', '127.0.0.1'),
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
    const clock = clockSetting(config);
    const reference = loadReferenceData(config.DATA_DIR);
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-exporter' });
    const processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
    const app = createApp({
      redis,
      live: createLiveView({ redis, base: config.REDIS_NAMESPACE, clock, wall: Date.now }),
      days: reference.days,
      calendar: reference.calendar,
      units: reference.units,
      targets: reference.targets,
      logger,
      processRegistry,
      limits,
    });
    const bound = await listen(app.server, config.EXPORTER_PORT, config.EXPORTER_HOST);
    logger.info({ port: bound, clock: describeClock(clock), base: config.REDIS_NAMESPACE }, 'exporter listening: serving the namespace <base>:active names at the configured clock');
    return {
      close: async () => {
        await app.close();
        redis.disconnect();
      },
    };
  },
});
