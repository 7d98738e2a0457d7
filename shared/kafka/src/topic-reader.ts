import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** A message as read from a topic: key, value, headers, offset and timestamp. */
export type TopicMessage = KafkaMessage;

/**
 * Reads a topic from its beginning up to the end offsets seen when called, without committing
 * anything: a throwaway consumer group that is deleted afterwards, so the topic's real consumers
 * and a later read see nothing of it. Messages arrive per partition in offset order. Meant for
 * topics written without transactions (the dead-letter topic): a transaction marker as the last
 * offset would keep a partition from reaching its end, which the timeout then reports.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onMessage: (partition: number, message: TopicMessage) => void,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const remaining = new Map<number, number>();
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (Number(p.high) > Number(p.low)) remaining.set(p.partition, Number(p.high));
    }
    if (remaining.size === 0) return;
    const groupId = `dvc-cli-read-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${topic} did not reach its end offsets within ${(options.timeoutMs ?? 60_000) / 1000}s`)),
          options.timeoutMs ?? 60_000,
        );
        const reached = (partition: number, nextOffset: number) => {
          const end = remaining.get(partition);
          if (end !== undefined && nextOffset >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        };
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const end = remaining.get(batch.partition);
              if (end === undefined) return;
              for (const message of batch.messages) if (Number(message.offset) < end) onMessage(batch.partition, message);
              reached(batch.partition, Number(batch.lastOffset()) + 1);
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  } finally {
    await admin.disconnect();
  }
}
