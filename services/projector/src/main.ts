#!/usr/bin/env node
import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  ConfigError,
  dataSpec,
  closeServer,
  createHttpServer,
  createLogger,
  int,
  listen,
  loadConfig,
  loadReferenceData,
  projectionContext,
  port,
  runMain,
  sendJson,
  sendText,
  str,
} from '@dvc/config';
import { DeadLetterPublisher, createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { ProjectionStore, createRedisClient, redisSpec } from '@dvc/redis';
import { createProjector } from './consumer.js';

const spec = {
  ...redisSpec,
  ...dataSpec,
  ...kafkaSpec,
  PROJECTOR_GROUP: str('Kafka consumer group of the projector instances', 'dvc-projector'),
  PROJECTOR_PORT: port('HTTP port for /healthz, /readyz and /metrics', 9465),
  PROJECTOR_HOST: str('address to listen on', '127.0.0.1'),
  PROJECTOR_SESSION_TIMEOUT_MS: int('consumer session timeout: how long a dead instance holds its partitions', 30_000, 6000, 300_000),
  PROJECTOR_CONCURRENCY: int('partitions processed concurrently by one instance', 2, 1, 64),
  RESULT_RETURN_WORKING_DAYS: int('working days after resolution within which the result must be returned (integrity signal)', 2, 0, 60),
  RECEIPT_WORKING_DAYS: int('working days an online submission may wait for official receipt (Decree 118/2025)', 1, 0, 60),
  RETENTION_DAYS: int('days of daily buckets kept behind the wall clock (0 keeps all; use 0 for historical replays)', 0, 0, 36_500),
};

const logger = createLogger('projector');

await runMain({
  name: 'dvc-projector',
  description: 'folds the event topic into the Redis projection with exactly-once effect',
  spec,
  logger,
  start: async () => {
    const config = loadConfig(spec, process.env);
    const reference = loadReferenceData(config.DATA_DIR);
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-projector' });
    const kafka = createKafka(config, 'dvc-projector', logger);
    await ensureTopics(kafka, [config.EVENTS_TOPIC, config.DLQ_TOPIC], config.TOPIC_PARTITIONS);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const ctx = projectionContext(reference, {
      resultReturnWorkingDays: config.RESULT_RETURN_WORKING_DAYS,
      receiptWorkingDays: config.RECEIPT_WORKING_DAYS,
    });
    const retention = config.RETENTION_DAYS;
    if (retention > 0 && retention < 15) throw new ConfigError([`RETENTION_DAYS must be 0 or at least 15 (the 14-day window must stay whole), got ${retention}`]);
    const deadLetters = new DeadLetterPublisher(kafka, config.DLQ_TOPIC);
    const projector = createProjector({
      kafka,
      store: new ProjectionStore(redis, config.REDIS_NAMESPACE),
      deadLetters,
      ctxAt: (now) => ({ ...ctx, horizonDay: retention > 0 ? reference.days.dayOf(now) - retention : Number.NEGATIVE_INFINITY }),
      expireAt: (bucket) => {
        if (retention === 0 || !/^\d{4}-\d{2}-\d{2}$/.test(bucket)) return undefined;
        return reference.days.startOfDayMs(reference.days.dayFromIso(bucket) + retention + 1);
      },
      registry,
      logger,
      topic: config.EVENTS_TOPIC,
      groupId: config.PROJECTOR_GROUP,
      now: Date.now,
      partitionsConcurrently: config.PROJECTOR_CONCURRENCY,
      sessionTimeoutMs: config.PROJECTOR_SESSION_TIMEOUT_MS,
    });
    const server = createHttpServer(
      {
        '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
        '/readyz': async (_req, res) => {
          const redisUp = await redis.ping().then(() => true, () => false);
          const ready = redisUp && projector.isRunning();
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', redis: redisUp, consumer: projector.isRunning() });
        },
        '/metrics': async (_req, res) => sendText(res, 200, await registry.metrics(), registry.contentType),
      },
      (error) => logger.error({ err: error }, 'request failed'),
    );
    const bound = await listen(server, config.PROJECTOR_PORT, config.PROJECTOR_HOST);
    await projector.start();
    logger.info({ port: bound, topic: config.EVENTS_TOPIC, group: config.PROJECTOR_GROUP, namespace: config.REDIS_NAMESPACE }, 'projector running');
    return {
      close: async () => {
        await projector.stop();
        await deadLetters.close();
        await closeServer(server);
        redis.disconnect();
      },
    };
  },
});
