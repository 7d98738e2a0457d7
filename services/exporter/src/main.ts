#!/usr/bin/env node
import { clockSetting, clockSpec, createLogger, dataSpec, describeClock, int, port, reloadSpec, str, watchReferenceData } from '@dvc/config';
import { createLiveView } from '@dvc/read-model';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { buildInfo, httpSpec, listen, runMain } from '@dvc/service';
import { createApp } from './app.js';

const spec = {
  ...redisSpec,
  ...dataSpec,
  ...reloadSpec,
  ...httpSpec,
  ...clockSpec,
  EXPORTER_PORT: port('HTTP port of /metrics', 9464),
  EXPORTER_HOST: str('address to listen on', '127.0.0.1'),
  EXPORTER_MAX_UNKNOWN_UNITS: int('most units missing from units.json exported (the lowest ids; the others are counted in dvc_exporter_unknown_units{state="dropped"}, not exported)', 20, 0, 10_000),
};

const logger = createLogger('exporter');

await runMain({
  name: 'dvc-exporter',
  description: 'serves the metrics contract (GET /metrics) computed from the Redis projection at scrape time',
  spec,
  logger,
  start: async ({ config, limits, registry: processRegistry }) => {
    const clock = clockSetting(config);
    const data = watchReferenceData(config, { logger, registry: processRegistry });
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
    const bound = await listen(app.server, config.EXPORTER_PORT, config.EXPORTER_HOST);
    logger.info({ port: bound, clock: describeClock(clock), base: config.REDIS_NAMESPACE }, 'exporter listening: serving the namespace <base>:active names at the configured clock');
    return {
      close: async () => {
        await app.close();
        data.close();
        redis.disconnect();
      },
    };
  },
});
