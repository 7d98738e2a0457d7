#!/usr/bin/env node
import { admittingReferenceSpec, watchAdmittingReference } from '@dvc/config';
import { eventStoreSpec, openEventStore } from '@dvc/eventstore';
import { DeadLetterPublisher, createKafka, ensureTopics, eventConsumerSpec, producerGateFromFile } from '@dvc/kafka';
import { buildInfo, createServiceHttp, listenSpec, runMain, type Readiness } from '@dvc/service';
import { createArchiver } from './archiver.js';

const spec = { ...eventConsumerSpec('archiver'), ...eventStoreSpec, ...admittingReferenceSpec, ...listenSpec('archiver', 9466) };

/** The composition root: configuration, then the archiver's handler in the batch consumer runtime and the HTTP shell. */
await runMain('archiver', {
  description: 'appends every valid and admissible event of the event topic to the event store, exactly once per event id',
  spec,
  start: async ({ config, limits, registry, logger }) => {
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
    const ready = async (): Promise<Readiness> => {
      const head = await store.head().then(
        (position) => position,
        (error: unknown) => {
          logger.warn({ err: error }, 'event store does not answer');
          return undefined;
        },
      );
      return { ready: head !== undefined && archiver.isRunning(), details: { store: head !== undefined, head: head ?? null, consumer: archiver.isRunning() } };
    };
    const http = createServiceHttp({ build: buildInfo('archiver', new URL('../package.json', import.meta.url)), registry, logger, limits, ready });
    return {
      server: http.server,
      listening: async (port) => {
        await archiver.start();
        logger.info({ port, topic: config.EVENTS_TOPIC, group: config.ARCHIVER_GROUP, head: await store.head() }, 'archiver running');
      },
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
