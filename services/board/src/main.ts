#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { clockSetting, clockSpec, watchedDataSpec, describeClock, int, str, url, watchReferenceData } from '@dvc/config';
import { thresholdsFrom } from '@dvc/dashboards';
import { DEFAULT_KEYS_FILE, KEYS_RELOADS_HELP, serviceKeysFile } from '@dvc/keys';
import { createLiveView } from '@dvc/read-model';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { buildInfo, counter, listenSpec, runMain } from '@dvc/service';
import { createApp } from './app.js';
import { OPENAPI_FILE, loadAssets } from './assets.js';
import { prometheusClient } from '@dvc/metrics';

const spec = {
  ...listenSpec('board', 8088, 'HTTP port of the board (page and read API)'),
  ...redisSpec,
  ...watchedDataSpec,
  ...clockSpec,
  BOARD_KEYS_FILE: str('API keys file (JSON, hashes only; managed with `dvc keys`, role board); reloaded when it changes', DEFAULT_KEYS_FILE),
  PROMETHEUS_URL: url('Prometheus whose HTTP API the aggregates are read from (the recording rules of infra/prometheus/rules)', 'http://127.0.0.1:9090', [
    'http:',
    'https:',
  ]),
  BOARD_PROMETHEUS_TIMEOUT_MS: int('longest wait for one Prometheus query (ms)', 10_000, 100, 120_000),
};

await runMain('board', {
  description:
    'the ops board: a Vietnamese page (province overview, units ranked by overdue share, worklists, meeting report) and the read API of per-unit dossier lists (scoped keys, role board)',
  spec,
  start: async ({ config, limits, registry, logger }) => {
    const clock = clockSetting(config);
    const data = watchReferenceData(config, { logger, registry });
    const reloads = counter(registry, 'dvc_board_keys_reloads_total', KEYS_RELOADS_HELP, ['outcome']);
    const keys = serviceKeysFile('BOARD_KEYS_FILE', config.BOARD_KEYS_FILE, { logger, now: Date.now, reloaded: (outcome) => reloads.inc({ outcome }) });
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-board' });
    const app = createApp({
      redis,
      live: createLiveView({ redis, base: config.REDIS_NAMESPACE, clock, wall: Date.now }),
      prometheus: prometheusClient(config.PROMETHEUS_URL, config.BOARD_PROMETHEUS_TIMEOUT_MS),
      keys,
      reference: () => data.current(),
      thresholds: () => thresholdsFrom(data.current().targets),
      assets: loadAssets(),
      openapi: readFileSync(OPENAPI_FILE, 'utf8'),
      registry,
      logger,
      build: buildInfo('board', new URL('../package.json', import.meta.url)),
      wall: Date.now,
      limits,
    });
    return {
      server: app.server,
      listening: (port) =>
        logger.info(
          { port, url: `http://${config.BOARD_HOST}:${port}/`, clock: describeClock(clock), base: config.REDIS_NAMESPACE, prometheus: config.PROMETHEUS_URL },
          'board listening',
        ),
      close: async () => {
        await app.close();
        data.close();
        redis.disconnect();
      },
    };
  },
});
