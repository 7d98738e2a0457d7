#!/usr/bin/env node
import { hostname } from 'node:os';
import { admittingReferenceSpec, int, str, watchAdmittingReference } from '@dvc/config';
import { TransactionalPublisher, createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { DEFAULT_KEYS_FILE, KEYS_RELOADS_HELP, KeyRateLimiter, serviceKeysFile } from '@dvc/keys';
import { buildInfo, counter, listenSpec, runMain } from '@dvc/service';
import { createApp } from './app.js';
import { kafkaEventPublisher } from './kafka-publisher.js';

const spec = {
  ...kafkaSpec,
  ...admittingReferenceSpec,
  ...listenSpec('ingest', 8080, 'HTTP port of the ingest API'),
  INGEST_MAX_BODY_BYTES: int('largest request body accepted (413 above)', 5 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  INGEST_MAX_EVENTS: int('most events in one request (413 above)', 10_000, 1, 1_000_000),
  INGEST_KEYS_FILE: str(
    'producer keys file (JSON, hashes only; managed with `dvc keys create --role producer`); every POST needs one of its producer keys; reloaded within a second when it changes',
    DEFAULT_KEYS_FILE,
  ),
  INGEST_TRANSACTIONAL_ID: str('Kafka transactional id, unique per ingest instance and stable across its restarts', `dvc-ingest-${hostname()}`),
};

await runMain('ingest', {
  description:
    "accepts CloudEvents over HTTP (POST /v1/events) from producers with a key, validates and admits them, checks the key's scope, and publishes each batch to Kafka all-or-nothing",
  spec,
  start: async ({ config, limits, registry, logger }) => {
    // Bad reference data or settings stop the start before anything connects.
    const data = watchAdmittingReference(config, { logger, registry });
    const reloads = counter(registry, 'dvc_ingest_keys_reloads_total', KEYS_RELOADS_HELP, ['outcome']);
    const keys = serviceKeysFile('INGEST_KEYS_FILE', config.INGEST_KEYS_FILE, { logger, now: Date.now, reloaded: (outcome) => reloads.inc({ outcome }) });
    const kafka = createKafka(config, 'dvc-ingest', logger);
    await ensureTopics(kafka, [config.EVENTS_TOPIC, config.DLQ_TOPIC], config.TOPIC_PARTITIONS);
    const publisher = new TransactionalPublisher(kafka, config.EVENTS_TOPIC, config.INGEST_TRANSACTIONAL_ID, logger);
    const admin = kafka.admin();
    await admin.connect();
    const app = createApp({
      publisher: kafkaEventPublisher(publisher),
      isReady: async () => {
        try {
          await Promise.race([admin.describeCluster(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
          return true;
        } catch {
          return false;
        }
      },
      registry,
      logger,
      build: buildInfo('ingest', new URL('../package.json', import.meta.url)),
      maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
      maxEventsPerRequest: config.INGEST_MAX_EVENTS,
      admission: () => data.current().admission,
      now: Date.now,
      limits,
      keys,
      limiter: new KeyRateLimiter(Date.now),
    });
    return {
      server: app.server,
      listening: (port) => logger.info({ port, topic: config.EVENTS_TOPIC, keys: keys.current().size }, 'ingest listening'),
      close: async () => {
        await app.close();
        data.close();
        await publisher.close();
        await admin.disconnect();
      },
    };
  },
});
