import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { uniqueName, waitFor } from '@dvc/testing';
import { PublishError, TransactionalPublisher } from './publisher.js';

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

  it('makes concurrent batches visible to read-committed consumers, each message once', async () => {
    const publisher = new TransactionalPublisher(kafka, topic, uniqueName('tx'), logger);
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `${b}-${i}` })),
    );
    await Promise.all(batches.map((messages) => publisher.publish(messages)));
    await publisher.close();

    const seen = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString() ?? '';
        seen.set(value, (seen.get(value) ?? 0) + 1);
      },
    });
    await waitFor(() => (seen.size === 1000 ? true : undefined), { timeoutMs: 60_000, description: '1000 messages read' });
    await consumer.disconnect();
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
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
