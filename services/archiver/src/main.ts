#!/usr/bin/env node
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import {
  admissionSpec,
  closeServer,
  createHttpServer,
  createLogger,
  dataSpec,
  httpLimits,
  httpSpec,
  int,
  listen,
  loadConfig,
  port,
  reloadSpec,
  runMain,
  sendJson,
  sendText,
  str,
  watchAdmittingReference,
} from '@dvc/config';
import { eventStoreSpec, openEventStore } from '@dvc/eventstore';
import { DeadLetterPublisher, createKafka, ensureTopics, kafkaSpec } from '@dvc/kafka';
import { createArchiver } from './archiver.js';

const spec = {
  ...kafkaSpec,
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

await runMain({
  name: 'dvc-archiver',
  description: 'appends every valid and admissible event of the event topic to the event store, exactly once per event id',
  spec,
  logger,
  start: async () => {
    const config = loadConfig(spec, process.env);
    const limits = httpLimits(config);
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    // Bad reference data or settings stop the start before anything is opened.
    const data = watchAdmittingReference(config, { logger, registry });
    const store = openEventStore(config.EVENTSTORE_URL);
    const kafka = createKafka(config, 'dvc-archiver', logger);
    await ensureTopics(kafka, [config.EVENTS_TOPIC, config.DLQ_TOPIC], config.TOPIC_PARTITIONS);
    const refused = new Counter({
      name: 'dvc_http_refused_total',
      help: 'Requests refused at the HTTP edge before any route: rate_limited, headers_too_large, timeout, bad_request',
      labelNames: ['reason'],
      registers: [registry],
    });
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
    });
    const server = createHttpServer(
      {
        '/healthz': (_req, res) => sendJson(res, 200, { status: 'ok' }),
        '/readyz': async (_req, res) => {
          const head = await store.head().then(
            (position) => position,
            (error: unknown) => {
              logger.warn({ err: error }, 'event store does not answer');
              return undefined;
            },
          );
          const ready = head !== undefined && archiver.isRunning();
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', store: head !== undefined, head: head ?? null, consumer: archiver.isRunning() });
        },
        '/metrics': async (_req, res) => sendText(res, 200, await registry.metrics(), registry.contentType),
      },
      (error) => logger.error({ err: error }, 'request failed'),
      { limits, onRefused: (reason) => refused.inc({ reason }) },
    );
    const bound = await listen(server, config.ARCHIVER_PORT, config.ARCHIVER_HOST);
    await archiver.start();
    logger.info({ port: bound, topic: config.EVENTS_TOPIC, group: config.ARCHIVER_GROUP, head: await store.head() }, 'archiver running');
    return {
      close: async () => {
        await archiver.stop();
        data.close();
        await deadLetters.close();
        await closeServer(server);
        await store.close();
      },
    };
  },
});
