import type { Kafka, Producer } from 'kafkajs';
import { ADMISSION_CODES, type AdmissionCode } from '@dvc/domain';
import { PRODUCER_CODES, PRODUCER_KEY_HEADER, type ProducerCode } from './producers.js';

/**
 * Why a message was dead-lettered, as a machine code (header `dvc-dlq-code`, metric label,
 * `dvc dlq redrive --code`): `invalid` for a contract violation (validation), each admission code
 * of `@dvc/domain`, `conflict` for an event id the archiver already stored with another body,
 * `unauthenticated` and `forbidden` for a message without a known producer key id or outside its
 * key's scope (`PRODUCER_KEYS_FILE`), `misrouted` for a message whose Kafka key is not its event's
 * routing key (`routingKeyOf`; stage admission, fixed by a re-drive).
 */
export const DLQ_CODES = ['invalid', ...ADMISSION_CODES, 'conflict', ...PRODUCER_CODES, 'misrouted'] as const;
export type DlqCode = 'invalid' | AdmissionCode | 'conflict' | ProducerCode | 'misrouted';

/** A message that could not be applied, with where it came from and why. */
export interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  /** The sentence: every problem with its path. */
  reason: string;
  code: DlqCode;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  stage: 'validation' | 'admission' | 'producer' | 'projection' | 'archive';
  /** The original message's producer key id (header dvc-producer-key), kept so a re-drive can carry it again. */
  producerKey?: string;
}

export const DLQ_HEADERS = {
  reason: 'dvc-dlq-reason',
  code: 'dvc-dlq-code',
  sourceTopic: 'dvc-dlq-source-topic',
  sourcePartition: 'dvc-dlq-source-partition',
  sourceOffset: 'dvc-dlq-source-offset',
  stage: 'dvc-dlq-stage',
  rejectedAt: 'dvc-dlq-rejected-at',
} as const;

/**
 * Writes rejected messages to the dead-letter topic: original key and bytes kept as they
 * were, the reason and origin in headers, so a fixed consumer can re-drive them.
 */
export class DeadLetterPublisher {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  async publish(letters: readonly DeadLetter[], now: Date): Promise<void> {
    if (letters.length === 0) return;
    if (this.producer === undefined) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      this.producer = producer;
    }
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((l) => ({
        key: l.key,
        value: l.value,
        headers: {
          [DLQ_HEADERS.reason]: l.reason,
          [DLQ_HEADERS.code]: l.code,
          [DLQ_HEADERS.sourceTopic]: l.sourceTopic,
          [DLQ_HEADERS.sourcePartition]: String(l.sourcePartition),
          [DLQ_HEADERS.sourceOffset]: l.sourceOffset,
          [DLQ_HEADERS.stage]: l.stage,
          [DLQ_HEADERS.rejectedAt]: now.toISOString(),
          ...(l.producerKey === undefined ? {} : { [PRODUCER_KEY_HEADER]: l.producerKey }),
        },
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
