import type { Kafka, Message, Producer } from 'kafkajs';
import type { Logger } from '@dvc/config';
import { DvcError } from '@dvc/domain';

interface Pending {
  messages: Message[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Bytes of messages per produce request inside a transaction. A broker refuses a record batch
 * over its message.max.bytes (1 MiB by default) per partition; staying at half of it for the
 * whole request keeps every partition's batch under that whatever the key distribution.
 */
const MAX_REQUEST_BYTES = 512 * 1024;
const PER_MESSAGE_OVERHEAD = 70;

function sizeOf(value: Message['value'] | Message['key']): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Splits messages into consecutive runs of at most MAX_REQUEST_BYTES (at least one message each). */
export function requestChunks(messages: readonly Message[], maxBytes = MAX_REQUEST_BYTES): Message[][] {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = sizeOf(message.value) + sizeOf(message.key) + PER_MESSAGE_OVERHEAD;
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Thrown when Kafka did not take a batch: nothing of it is visible to read-committed consumers. */
export class PublishError extends DvcError {
  readonly code = 'DVC_PUBLISH_FAILED';

  readonly retriable = true;
}

/**
 * Publishes batches all-or-nothing: each batch lands inside a Kafka transaction (idempotent
 * producer, acks from all in-sync replicas). Requests arriving while a transaction is in flight
 * are grouped into the next one (group commit), so throughput does not pay one transaction per
 * request; if a transaction fails, every request in it fails and none of it is visible.
 */
export class TransactionalPublisher {
  private producer: Producer | undefined;
  private queue: Pending[] = [];
  private draining = false;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly transactionalId: string,
    private readonly logger: Logger,
    private readonly maxMessagesPerTransaction = 20_000,
  ) {}

  private async connectedProducer(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    const producer = this.kafka.producer({
      transactionalId: this.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 30_000,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer !== undefined) await producer.disconnect().catch(() => undefined);
  }

  /** Resolves once every message is committed; rejects with PublishError if none is. */
  publish(messages: Message[]): Promise<void> {
    if (this.closed) return Promise.reject(new PublishError('publisher is shutting down'));
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      void this.drain();
    });
  }

  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next === undefined || (group.length > 0 && count + next.messages.length > this.maxMessagesPerTransaction)) break;
      group.push(next);
      count += next.messages.length;
      this.queue.shift();
    }
    return group;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        try {
          await this.commit(group.flatMap((p) => p.messages));
          for (const p of group) p.resolve();
        } catch (error) {
          const cause = error as Error;
          this.logger.warn({ err: cause, requests: group.length }, 'transaction failed; batch not published');
          for (const p of group) p.reject(new PublishError(`Kafka did not accept the batch: ${cause.message}`, { cause }));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(messages: Message[]): Promise<void> {
    const producer = await this.connectedProducer();
    const transaction = await producer.transaction();
    try {
      // Several produce requests, one transaction: still all or nothing.
      for (const chunk of requestChunks(messages)) await transaction.send({ topic: this.topic, messages: chunk, acks: -1 });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(async () => this.resetProducer());
      throw error;
    }
  }

  /** Waits for queued batches, then disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining || this.queue.length > 0) await new Promise((r) => setTimeout(r, 20));
    await this.resetProducer();
  }
}
