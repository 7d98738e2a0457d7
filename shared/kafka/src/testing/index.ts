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
