#!/usr/bin/env node
import { clockSetting, clockSpec, watchedDataSpec, describeClock, int, watchReferenceData } from '@dvc/config';
import { createLiveView } from '@dvc/read-model';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { buildInfo, listenSpec, runMain } from '@dvc/service';
import { createApp } from './app.js';
import { shardSpec } from './shard.js';

const spec = {
  ...redisSpec,
  ...watchedDataSpec,
  ...clockSpec,
  ...listenSpec('exporter', 9464, 'HTTP port of /metrics'),
  EXPORTER_SHARD: shardSpec(
    'i/n: serve the units whose id hashes to i modulo n (n exporters behind one Prometheus job); shard 0 also serves the projection-wide dvc_projection_* totals',
  ),
  EXPORTER_PERIOD_DAYS_AFTER_END: int(
    'fixed periods of targets.json are exported until this many days after their last day (then left out: their figures no longer move)',
    92,
    0,
    36_500,
  ),
  EXPORTER_MAX_UNKNOWN_UNITS: int(
    'most units missing from units.json exported (the lowest ids; the others are counted in dvc_exporter_unknown_units{state="dropped"}, not exported)',
    20,
    0,
    10_000,
  ),
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
      shard: config.EXPORTER_SHARD,
      periodDaysAfterEnd: config.EXPORTER_PERIOD_DAYS_AFTER_END,
      logger,
      build: buildInfo('exporter', new URL('../package.json', import.meta.url)),
      processRegistry,
      limits,
    });
    return {
      server: app.server,
      listening: (port) =>
        logger.info(
          { port, clock: describeClock(clock), base: config.REDIS_NAMESPACE, shard: `${config.EXPORTER_SHARD.index}/${config.EXPORTER_SHARD.count}` },
          'exporter listening: serving the namespace <base>:active names at the configured clock',
        ),
      close: async () => {
        await app.close();
        data.close();
        redis.disconnect();
      },
    };
  },
});
