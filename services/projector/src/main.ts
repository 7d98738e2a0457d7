#!/usr/bin/env node
import { admittingReferenceSpec, int, projectionRules, projectionSpec, watchAdmittingReference } from '@dvc/config';
import { DeadLetterPublisher, createBatchConsumer, createKafka, ensureTopics, eventConsumerSpec, producerGateFromFile } from '@dvc/kafka';
import { createRedisClient, redisDurabilitySpec, redisSpec, replicasToWait, statesInHalfTheHeap } from '@dvc/redis';
import { buildInfo, createServiceHttp, listenSpec, runMain, type Readiness } from '@dvc/service';
import { activeStore, createProjection } from './projection.js';

const STATES_IN_HALF_THE_HEAP = statesInHalfTheHeap();

const spec = {
  ...eventConsumerSpec('projector'),
  ...redisSpec,
  ...redisDurabilitySpec,
  ...admittingReferenceSpec,
  ...listenSpec('projector', 9465),
  ...projectionSpec,
  PROJECTOR_MAX_STATES_PER_PARTITION: int(
    'subject states held in memory per owned partition (about 0.8 KB of heap each); past it the least recently used are forgotten and read again when touched',
    200_000,
    1000,
    100_000_000,
  ),
  PROJECTOR_MAX_STATES: {
    ...int(
      "subject states held in memory over all owned partitions, each holding at most an equal share: an instance that takes over its failed peers' partitions holds fewer of each instead of running out of heap",
      STATES_IN_HALF_THE_HEAP,
      1000,
      1_000_000_000,
    ),
    defaultText: `as many as fill half the heap limit at about 1 KB each (${STATES_IN_HALF_THE_HEAP} in this process)`,
  },
};

/** The composition root: configuration, then the projection handler in the batch consumer runtime and the HTTP shell. */
await runMain('projector', {
  description: 'folds the event topic into the Redis projection with exactly-once effect',
  spec,
  start: async ({ config, limits, registry, logger }) => {
    // Bad reference data or settings stop the start before anything connects.
    const data = watchAdmittingReference(config, { logger, registry });
    // Checks the projection settings once (a retention too short stops the start); per batch below.
    const rules = projectionRules(data.current().reference, config);
    const producers = producerGateFromFile(config.PRODUCER_KEYS_FILE, { logger, registry, now: Date.now });
    const redis = createRedisClient({ url: config.REDIS_URL, connectionName: 'dvc-projector' });
    const kafka = createKafka(config, 'dvc-projector', logger);
    await ensureTopics(kafka, [config.EVENTS_TOPIC, config.DLQ_TOPIC], config.TOPIC_PARTITIONS);
    const deadLetters = new DeadLetterPublisher(kafka, config.DLQ_TOPIC);
    const projection = createProjection({
      redis,
      store: activeStore(redis, config.REDIS_NAMESPACE, (namespace) => logger.info({ base: config.REDIS_NAMESPACE, namespace }, 'projecting into namespace'), {
        replicas: replicasToWait(config),
        timeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
      }),
      deadLetters,
      rulesAt: (now) => {
        const { reference, admission } = data.current();
        return { ctx: projectionRules(reference, config).ctxAt(now), admission };
      },
      expireAt: rules.expireAt,
      group: { epochOwner: `projector:${config.PROJECTOR_GROUP}`, neverCommitted: () => consumer.neverCommitted() },
      registry,
      logger,
      now: Date.now,
      maxStatesPerPartition: config.PROJECTOR_MAX_STATES_PER_PARTITION,
      maxStates: config.PROJECTOR_MAX_STATES,
    });
    const consumer = createBatchConsumer({
      kafka,
      topic: config.EVENTS_TOPIC,
      groupId: config.PROJECTOR_GROUP,
      handler: projection,
      registry,
      logger,
      now: Date.now,
      batchSeconds: {
        name: 'dvc_projector_batch_seconds',
        help: 'Time to decode, apply and dead-letter one batch',
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      },
      partitionsConcurrently: config.PROJECTOR_CONCURRENCY,
      // A rejoin may have handed this instance's partitions to another one meanwhile: take them over afresh.
      onAssignment: () => projection.release(),
      sessionTimeoutMs: config.PROJECTOR_SESSION_TIMEOUT_MS,
      ...(producers === undefined ? {} : { producers }),
    });
    const ready = async (): Promise<Readiness> => {
      const redisUp = await redis.ping().then(
        () => true,
        () => false,
      );
      const dataLoss = projection.dataLoss();
      return {
        ready: redisUp && consumer.isRunning() && dataLoss === undefined,
        details: { redis: redisUp, consumer: consumer.isRunning(), ...(dataLoss === undefined ? {} : { dataLoss, repair: 'dvc rebuild --force' }) },
      };
    };
    const http = createServiceHttp({ build: buildInfo('projector', new URL('../package.json', import.meta.url)), registry, logger, limits, ready });
    return {
      server: http.server,
      listening: async (port) => {
        await consumer.start();
        logger.info({ port, topic: config.EVENTS_TOPIC, group: config.PROJECTOR_GROUP, namespace: config.REDIS_NAMESPACE }, 'projector running');
      },
      close: async () => {
        await consumer.stop();
        data.close();
        await deadLetters.close();
        await http.close();
        redis.disconnect();
      },
    };
  },
});
