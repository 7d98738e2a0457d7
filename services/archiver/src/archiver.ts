import type { Registry } from 'prom-client';
import type { Logger } from '@dvc/config';
import { EventStoreError, type AppendResult, type EventStore } from '@dvc/eventstore';
import { ADMISSION_CODES, type AdmissionLimits } from '@dvc/domain';
import { createBatchConsumer, type BatchConsumer, type BatchConsumerOptions, type BatchHandler, type DeadLetterPublisher, type KafkaClient } from '@dvc/kafka';
import { counter, gauge } from '@dvc/service';
import { classifyResults, conflictLetter, type Archivable } from './classify.js';

/** The batch consumer's own settings, passed through. */
type ConsumerSettings = Pick<
  BatchConsumerOptions<{ admission: AdmissionLimits }>,
  'partitionsConcurrently' | 'sessionTimeoutMs' | 'lagIntervalMs' | 'producers'
>;

export interface ArchiverDeps extends ConsumerSettings {
  kafka: KafkaClient;
  store: EventStore;
  deadLetters: DeadLetterPublisher;
  registry: Registry;
  logger: Logger;
  topic: string;
  groupId: string;
  /**
   * The admission limits of the reference data current now (it reloads without a restart); the
   * same as the projector's, so both keep and refuse the same events.
   */
  admission: () => AdmissionLimits;
  /** Wall clock: admission ("now" when a message has no earlier timestamp) and the dead-letter timestamp. */
  now: () => number;
}

/** The archiver's handler in the batch consumer runtime: start, running (joined its group, not crashed), stop. */
export type Archiver = Pick<BatchConsumer, 'start' | 'isRunning' | 'stop'>;

/**
 * The archiver: its batch handler in the consumer runtime (`createBatchConsumer` of @dvc/kafka).
 * Each Kafka batch (one partition) is decoded and admitted by the runtime (as for the projector:
 * invalid and inadmissible messages are skipped here, never stored), its events appended to the
 * event store in one append, conflicting copies dead-lettered, and only then the offset is
 * resolved. A crash before the commit delivers the batch again; the store recognises the events
 * by id, so each is stored exactly once.
 */
export function createArchiver(deps: ArchiverDeps): Archiver {
  const { logger, registry } = deps;
  const appended = counter(registry, 'dvc_archiver_events_appended_total', 'Events this instance appended to the event store', ['type']);
  const duplicates = counter(registry, 'dvc_archiver_events_duplicate_total', 'Events this instance found already stored with the same body (redeliveries)', [
    'type',
  ]);
  const skipped = counter(
    registry,
    'dvc_archiver_events_skipped_total',
    'Messages not stored, by reason: invalid, future-time, before-history-start, due-too-far, unknown-unit, misrouted (Kafka key not the routing key), and with PRODUCER_KEYS_FILE unauthenticated, forbidden (the projector dead-letters them)',
    ['reason'],
  );
  const deadLettered = counter(
    registry,
    'dvc_archiver_events_dead_lettered_total',
    'Messages this instance dead-lettered: copies of a stored event id with a different body',
    ['reason'],
  );
  const failures = counter(registry, 'dvc_archiver_batch_failures_total', 'Batches that failed and were left uncommitted to be delivered again', [
    'stage',
    'retriable',
  ]);
  const lastPosition = gauge(registry, 'dvc_archiver_last_position', 'Highest event store position this instance appended (the store head at start)');
  // Zero from the start, so a dashboard tells "none yet" from "not exported".
  skipped.inc({ reason: 'invalid' }, 0);
  for (const code of [...ADMISSION_CODES, 'misrouted']) skipped.inc({ reason: code }, 0);
  deadLettered.inc({ reason: 'different_body' }, 0);

  let highest = 0;

  const append = async (archivable: readonly Archivable[], partition: number): Promise<AppendResult[]> => {
    try {
      // Each event keeps the producer key id its message named (header dvc-producer-key), if any.
      return await deps.store.append(
        archivable.map((a) => a.event),
        { producerKeys: archivable.map((a) => a.producerKey) },
      );
    } catch (error) {
      const retriable = error instanceof EventStoreError && error.retriable;
      failures.inc({ stage: 'store', retriable: String(retriable) });
      logger.error(
        { err: error, partition, events: archivable.length, firstOffset: archivable[0]?.offset, retriable },
        'event store append failed; batch left uncommitted and delivered again',
      );
      throw error;
    }
  };

  const handler: BatchHandler<{ admission: AdmissionLimits }> = {
    rules: () => ({ admission: deps.admission() }),
    async handle({ topic, partition, admitted, refused }) {
      const archivable: Archivable[] = admitted.map((m) => ({
        event: m.event,
        key: m.key,
        value: m.value,
        offset: m.offset,
        ...(m.producerKey === undefined ? {} : { producerKey: m.producerKey }),
      }));
      const outcome = classifyResults(archivable, await append(archivable, partition));
      for (const [type, n] of outcome.appended) appended.inc({ type }, n);
      for (const [type, n] of outcome.duplicates) duplicates.inc({ type }, n);
      if (outcome.lastPosition !== undefined && outcome.lastPosition > highest) {
        highest = outcome.lastPosition;
        lastPosition.set(highest);
      }
      if (outcome.conflicts.length > 0) {
        for (const c of outcome.conflicts) {
          logger.warn(
            { id: c.id, storedAt: c.storedAt, topic, partition, offset: c.offset },
            'event id already stored with a different body; original kept, new copy dead-lettered',
          );
        }
        try {
          await deps.deadLetters.publish(
            outcome.conflicts.map((c) => conflictLetter(c, topic, partition)),
            new Date(deps.now()),
          );
        } catch (error) {
          failures.inc({ stage: 'dead_letter', retriable: 'true' });
          logger.error({ err: error, partition, count: outcome.conflicts.length }, 'dead-letter publish failed; batch left uncommitted and delivered again');
          throw error;
        }
        deadLettered.inc({ reason: 'different_body' }, outcome.conflicts.length);
      }
      if (refused.length > 0) {
        for (const r of refused) skipped.inc({ reason: r.code });
        logger.debug(
          { partition, count: refused.length, firstOffset: refused[0]?.offset, first: refused[0]?.reason },
          'invalid or inadmissible messages skipped',
        );
      }
    },
  };

  const consumer = createBatchConsumer({
    kafka: deps.kafka,
    topic: deps.topic,
    groupId: deps.groupId,
    handler,
    registry,
    logger,
    now: deps.now,
    batchSeconds: {
      name: 'dvc_archiver_batch_seconds',
      help: 'Time to decode, append and dead-letter one batch',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    },
    ...(deps.partitionsConcurrently === undefined ? {} : { partitionsConcurrently: deps.partitionsConcurrently }),
    ...(deps.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: deps.sessionTimeoutMs }),
    ...(deps.lagIntervalMs === undefined ? {} : { lagIntervalMs: deps.lagIntervalMs }),
    ...(deps.producers === undefined ? {} : { producers: deps.producers }),
  });

  return {
    async start() {
      highest = await deps.store.head();
      lastPosition.set(highest);
      await consumer.start();
    },
    isRunning: () => consumer.isRunning(),
    stop: () => consumer.stop(),
  };
}
