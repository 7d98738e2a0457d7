#!/usr/bin/env node
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import {
  admissionSpec,
  dataSpec,
  closeServer,
  createHttpServer,
  createLogger,
  httpLimits,
  httpSpec,
  int,
  listen,
  loadConfig,
  port,
  projectionRules,
  projectionSpec,
  reloadSpec,
  runMain,
  sendJson,
  sendText,
  str,
  watchAdmittingReference,
} from '@dvc/config';
import { DeadLetterPublisher, createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { createRedisClient, redisSpec } from '@dvc/redis';
import { activeStore, createProjector } from './consumer.js';

const spec = {
  ...redisSpec,
  ...dataSpec,
  ...reloadSpec,
  ...admissionSpec,
  ...kafkaSpec,
  ...httpSpec,
  PROJECTOR_GROUP: str('Kafka consumer group of the projector instances', 'dvc-projector'),
  PROJECTOR_PORT: port('HTTP port for /healthz, /readyz and /metrics', 9465),
  PROJECTOR_HOST: str('address to listen on', '127.0.0.1'),
  PROJECTOR_SESSION_TIMEOUT_MS: int('consumer session timeout: how long a dead instance holds its partitions', 30_000, 6000, 300_000),
  PROJECTOR_CONCURRENCY: int('partitions processed concurrently by one instance', 2, 1, 64),
  ...projectionSpec,
};

const logger = createLogger('projector');

await runMain({
  name: 'dvc-projector',
  description: 'folds the event topic into the Redis projection with exactly-once effect',
  spec,
  logger,
  start: async () => {
    const config = loadConfig(spec, process.env);
    const limits = httpLimits(config);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // Bad reference data or settings stop the start before anything connects.
    const data = watchAdmittingReference(config, { logger, registry });
    // Checks the projection settings once (a retention too short stops the start); per batch below.
    const rules = projectionRules(data.current().reference, config);
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-projector' });
    const kafka = createKafka(config, 'dvc-projector', logger);
    await ensureTopics(kafka, [config.EVENTS_TOPIC, config.DLQ_TOPIC], config.TOPIC_PARTITIONS);
    const refused = new Counter({
      name: 'dvc_http_refused_total',
      help: 'Requests refused at the HTTP edge before any route: rate_limited, headers_too_large, timeout, bad_request',
      labelNames: ['reason'],
      registers: [registry],
    });
    const deadLetters = new DeadLetterPublisher(kafka, config.DLQ_TOPIC);
    const projector = createProjector({
      kafka,
      redis,
      store: activeStore(redis, config.REDIS_NAMESPACE, (namespace) => logger.info({ base: config.REDIS_NAMESPACE, namespace }, 'projecting into namespace')),
      deadLetters,
      rulesAt: (now) => {
        const { reference, admission } = data.current();
        return { ctx: projectionRules(reference, config).ctxAt(now), admission };
      },
      expireAt: rules.expireAt,
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
          const dataLoss = projector.dataLoss();
          const ready = redisUp && projector.isRunning() && dataLoss === undefined;
          sendJson(res, ready ? 200 : 503, {
            status: ready ? 'ready' : 'not ready',
            redis: redisUp,
            consumer: projector.isRunning(),
            ...(dataLoss === undefined ? {} : { dataLoss, repair: 'dvc rebuild --force' }),
          });
        },
        '/metrics': async (_req, res) => sendText(res, 200, await registry.metrics(), registry.contentType),
      },
      (error) => logger.error({ err: error }, 'request failed'),
      { limits, onRefused: (reason) => refused.inc({ reason }) },
    );
    const bound = await listen(server, config.PROJECTOR_PORT, config.PROJECTOR_HOST);
    await projector.start();
    logger.info({ port: bound, topic: config.EVENTS_TOPIC, group: config.PROJECTOR_GROUP, namespace: config.REDIS_NAMESPACE }, 'projector running');
    return {
      close: async () => {
        await projector.stop();
        data.close();
        await deadLetters.close();
        await closeServer(server);
        redis.disconnect();
      },
    };
  },
});
