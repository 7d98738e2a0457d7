import { Kafka, logLevel } from 'kafkajs';
import type { KafkaClient } from '../client.js';

export interface TestKafkaOptions {
  /** Give up on an unreachable broker within about a second (a test of "Kafka is down"). */
  failFast?: boolean;
}

/**
 * A client for tests (jest only, like `@dvc/eventstore/testing`): the client's own logging off,
 * its default timeouts and retries, or `failFast`. Tests hold a `KafkaClient` and the message
 * types of `@dvc/kafka`, never kafkajs itself.
 */
export function testKafka(clientId: string, brokers: readonly string[], options: TestKafkaOptions = {}): KafkaClient {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    ...(options.failFast === true ? { connectionTimeout: 300, retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 } } : {}),
  });
}

/** Creates a test's own topics (name → partitions) and waits for their leaders. */
export async function createTestTopics(kafka: KafkaClient, partitions: Readonly<Record<string, number>>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: Object.entries(partitions).map(([topic, numPartitions]) => ({ topic, numPartitions })) });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes a test's own topics (a failure is left to the broker's retention). */
export async function deleteTestTopics(kafka: KafkaClient, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...topics] }).finally(() => admin.disconnect());
}
