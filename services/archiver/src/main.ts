#!/usr/bin/env node
import {
  admissionSpec,
  createLogger,
  dataSpec,
  int,
  port,
  reloadSpec,
  str,
  watchAdmittingReference,
} from '@dvc/config';
import { eventStoreSpec, openEventStore } from '@dvc/eventstore';
import { DeadLetterPublisher, createKafka, ensureTopics, kafkaSpec, producerGateFromFile, producerKeysSpec } from '@dvc/kafka';
import { buildInfo, createServiceHttp, httpSpec, runMain } from '@dvc/service';
import { createArchiver } from './archiver.js';

const spec = {
  ...kafkaSpec,
  ...producerKeysSpec,
  ...eventStoreSpec,
  ...dataSpec,
  ...reloadSpec,
  ...admissionSpec,
  ...httpSpec,
  ARCHIVER_GROUP: str('Kafka consumer group of the archiver instances', 'dvc-archiver'),
  ARCHIVER_PORT: port('HTTP port for /healthz, /readyz and /metrics', 9466),
  ARCHIVER_HOST: str('address to listen on', '127.0.0.1'),
  ARCHIVER_SESSION_TIMEOUT_MS: int('consumer session timeout: how long a dead instance holds its partitions', 30_000, 6000, 300_000),
  ARCHIVER_CONCURRENCY: int('partitions processed concurrently by one instance', 2, 1, 64),
};

const logger = createLogger('archiver');

/** The composition root: configuration, then the archiver's handler in the batch consumer runtime and the HTTP shell. */
await runMain({
  name: 'dvc-archiver',
  description: 'appends every valid and admissible event of the event topic to the event store, exactly once per event id',
  spec,
  logger,
  start: async ({ config, limits, registry }) => {
    // Bad reference data or settings stop the start before anything is opened.
    const data = watchAdmittingReference(config, { logger, registry });
    const producers = producerGateFromFile(config.PRODUCER_KEYS_FILE, { logger, registry, now: Date.now });
    const store = openEventStore(config.EVENTSTORE_URL);
    const kafka = createKafka(config, 'dvc-archiver', logger);
    await ensureTopics(kafka, [config.EVENTS_TOPIC, config.DLQ_TOPIC], config.TOPIC_PARTITIONS);
    const deadLetters = new DeadLetterPublisher(kafka, config.DLQ_TOPIC);
    const archiver = createArchiver({
      kafka,
      store,
      deadLetters,
      registry,
      logger,
      topic: config.EVENTS_TOPIC,
      groupId: config.ARCHIVER_GROUP,
      admission: () => data.current().admission,
      now: Date.now,
      partitionsConcurrently: config.ARCHIVER_CONCURRENCY,
      sessionTimeoutMs: config.ARCHIVER_SESSION_TIMEOUT_MS,
      ...(producers === undefined ? {} : { producers }),
    });
    const http = createServiceHttp({
      build: buildInfo('archiver', new URL('../package.json', import.meta.url)),
      registry,
      logger,
      limits,
      ready: async () => {
        const head = await store.head().then(
          (position) => position,
          (error: unknown) => {
            logger.warn({ err: error }, 'event store does not answer');
            return undefined;
          },
        );
        return { ready: head !== undefined && archiver.isRunning(), details: { store: head !== undefined, head: head ?? null, consumer: archiver.isRunning() } };
      },
    });
    const bound = await http.listen(config.ARCHIVER_PORT, config.ARCHIVER_HOST);
    await archiver.start();
    logger.info({ port: bound, topic: config.EVENTS_TOPIC, group: config.ARCHIVER_GROUP, head: await store.head() }, 'archiver running');
    return {
      close: async () => {
        await archiver.stop();
        data.close();
        await deadLetters.close();
        await http.close();
        await store.close();
      },
    };
  },
});
