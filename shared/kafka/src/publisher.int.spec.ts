import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { uniqueName, waitFor } from '@dvc/testing';
import { PublishError, TransactionalPublisher, requestChunks } from './publisher.js';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const logger = pino({ level: 'silent' });

describe('TransactionalPublisher on a real broker', () => {
  const topic = uniqueName('pub');
  const kafka = new Kafka({ clientId: topic, brokers, logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  /** A read-committed consumer of the whole topic, handing each message's value to `onValue`. */
  const readCommitted = async (onValue: (value: string) => void) => {
    const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => onValue(message.value?.toString() ?? '') });
    return consumer;
  };

  it('makes concurrent batches visible to read-committed consumers, each message once', async () => {
    const publisher = new TransactionalPublisher(kafka, topic, uniqueName('tx'), logger);
    const batches = Array.from({ length: 20 }, (_, b) => Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `${b}-${i}` })));
    await Promise.all(batches.map((messages) => publisher.publish(messages)));
    await publisher.close();

    const seen = new Map<string, number>();
    const consumer = await readCommitted((value) => seen.set(value, (seen.get(value) ?? 0) + 1));
    await waitFor(() => (seen.size === 1000 ? true : undefined), { timeoutMs: 60_000, description: '1000 messages read' });
    await consumer.disconnect();
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it("publishes one batch far over the broker's 1 MiB record-batch limit, every message once", async () => {
    const publisher = new TransactionalPublisher(kafka, topic, uniqueName('tx'), logger);
    const pad = 'x'.repeat(600);
    // 6,000 messages of ~620 bytes, all on one key: ~3.6 MiB for a single partition.
    const messages = Array.from({ length: 6000 }, (_, i) => ({ key: 'one-key', value: `big-${i}-${pad}` }));
    await publisher.publish(messages);
    await publisher.close();

    const seen = new Set<string>();
    const consumer = await readCommitted((value) => {
      if (value.startsWith('big-')) seen.add(value.slice(0, value.indexOf('-x')));
    });
    await waitFor(() => (seen.size === 6000 ? true : undefined), { timeoutMs: 60_000, description: '6000 large messages read' });
    await consumer.disconnect();
    expect(seen.size).toBe(6000);
  });

  it('splits requests by size, keeping order and at least one message per request', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({ key: null, value: 'v'.repeat(i === 4 ? 5000 : 30) }));
    const chunks = requestChunks(messages, 1000);
    expect(chunks.flat()).toEqual(messages);
    expect(chunks.map((c) => c.length)).toEqual([4, 1, 5]);
  });

  it('fails the whole batch with a retriable PublishError when no broker answers', async () => {
    const unreachable = new Kafka({
      clientId: 'unreachable',
      brokers: ['127.0.0.1:1'],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 300,
      retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 100 },
    });
    const publisher = new TransactionalPublisher(unreachable, topic, uniqueName('tx'), logger);
    const failure = await publisher.publish([{ key: 'a', value: 'b' }]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PublishError);
    expect((failure as PublishError).retriable).toBe(true);
    await publisher.close();
  });
});
