#!/usr/bin/env node
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { ConfigError, admissionSpec, createLogger, dataSpec, int, port, reloadSpec, str, watchAdmittingReference } from '@dvc/config';
import { TransactionalPublisher, createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { DEFAULT_KEYS_FILE, KeyRateLimiter, KeysFileError, watchedKeysFile, type KeysSource } from '@dvc/keys';
import { buildInfo, httpSpec, listen, runMain } from '@dvc/service';
import { createApp } from './app.js';
import { kafkaEventPublisher } from './kafka-publisher.js';

const spec = {
  ...kafkaSpec,
  ...dataSpec,
  ...reloadSpec,
  ...admissionSpec,
  ...httpSpec,
  INGEST_PORT: port('HTTP port of the ingest API', 8080),
  INGEST_HOST: str('address to listen on', '127.0.0.1'),
  INGEST_MAX_BODY_BYTES: int('largest request body accepted (413 above)', 5 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  INGEST_MAX_EVENTS: int('most events in one request (413 above)', 10_000, 1, 1_000_000),
  INGEST_KEYS_FILE: str('producer keys file (JSON, hashes only; managed with `dvc keys create --role producer`); every POST needs one of its producer keys; reloaded within a second when it changes', DEFAULT_KEYS_FILE),
  INGEST_TRANSACTIONAL_ID: str('Kafka transactional id, unique per ingest instance and stable across its restarts', `dvc-ingest-${hostname()}`),
};

const logger = createLogger('ingest');

await runMain({
  name: 'dvc-ingest',
  description: 'accepts CloudEvents over HTTP (POST /v1/events) from producers with a key, validates and admits them, checks the key\'s scope, and publishes each batch to Kafka all-or-nothing',
  spec,
  logger,
  start: async ({ config, limits, registry }) => {
    // Bad reference data or settings stop the start before anything connects.
    const data = watchAdmittingReference(config, { logger, registry });
    const reloads = new Counter({
      name: 'dvc_ingest_keys_reloads_total',
      help: 'Reloads of the producer keys file after it changed, by outcome (ok, invalid: previous keys kept)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    let keys: KeysSource;
    try {
      keys = watchedKeysFile(config.INGEST_KEYS_FILE, {
        now: Date.now,
        checkIntervalMs: 1000,
        onReload: (count) => {
          reloads.inc({ outcome: 'ok' });
          logger.info({ file: config.INGEST_KEYS_FILE, keys: count }, 'keys file reloaded');
        },
        onError: (error) => {
          reloads.inc({ outcome: 'invalid' });
          logger.error({ file: error.file, problems: error.problems }, 'keys file changed but is invalid; previous keys kept');
        },
      });
    } catch (error) {
      if (error instanceof KeysFileError) throw new ConfigError([`INGEST_KEYS_FILE: ${error.message}`]);
      throw error;
    }
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
    const bound = await listen(app.server, config.INGEST_PORT, config.INGEST_HOST);
    logger.info({ port: bound, topic: config.EVENTS_TOPIC, keys: keys.current().size }, 'ingest listening');
    return {
      close: async () => {
        await app.close();
        data.close();
        await publisher.close();
        await admin.disconnect();
      },
    };
  },
});
