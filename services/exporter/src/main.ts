#!/usr/bin/env node
import { clockSetting, clockSpec, watchedDataSpec, describeClock, int, watchReferenceData } from '@dvc/config';
import { createLiveView } from '@dvc/read-model';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { buildInfo, listenSpec, runMain } from '@dvc/service';
import { createApp } from './app.js';

const spec = {
  ...redisSpec,
  ...watchedDataSpec,
  ...clockSpec,
  ...listenSpec('exporter', 9464, 'HTTP port of /metrics'),
  EXPORTER_MAX_UNKNOWN_UNITS: int('most units missing from units.json exported (the lowest ids; the others are counted in dvc_exporter_unknown_units{state="dropped"}, not exported)', 20, 0, 10_000),
};

await runMain('exporter', {
  description: 'serves the metrics contract (GET /metrics) computed from the Redis projection at scrape time',
  spec,
  start: async ({ config, limits, registry: processRegistry, logger }) => {
    const data = watchReferenceData(config, { logger, registry: processRegistry });
    const clock = clockSetting(config);
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-exporter' });
    const app = createApp({
      redis,
      live: createLiveView({ redis, base: config.REDIS_NAMESPACE, clock, wall: Date.now }),
      days: data.current().days,
      reference: () => data.current(),
      maxUnknownUnits: config.EXPORTER_MAX_UNKNOWN_UNITS,
      logger,
      build: buildInfo('exporter', new URL('../package.json', import.meta.url)),
      processRegistry,
      limits,
    });
    return {
      server: app.server,
      listening: (port) =>
        logger.info({ port, clock: describeClock(clock), base: config.REDIS_NAMESPACE }, 'exporter listening: serving the namespace <base>:active names at the configured clock'),
      close: async () => {
        await app.close();
        data.close();
        redis.disconnect();
      },
    };
  },
});
