import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec, createLogger, loadConfig, loadReferenceData } from '@dvc/config';
import type { AdmissionLimits } from '@dvc/domain';
import { uniqueName, waitFor } from '@dvc/testing';
import { createKafka, kafkaSpec, type KafkaProducer } from './client.js';
import { createBatchConsumer, refusalLetter, type AdmittedBatch, type BatchConsumer } from './consumer.js';
import { PRODUCER_KEY_HEADER } from './producers.js';

const logger = createLogger('consumer-int', 'silent');
/** The events' unit 'u1' is not in the directory: pilot mode (ACCEPT_UNKNOWN_UNITS). */
const admission = admissionLimits(loadConfig(admissionSpec, { ACCEPT_UNKNOWN_UNITS: 'true' }), loadReferenceData());

function withdrawn(id: string, time = '2022-06-22T08:00:00+07:00') {
  const dossierId = `d-${id}`;
  return {
    specversion: '1.0',
    id,
    source: 'consumer-int',
    type: 'vn.dvc.dossier.withdrawn',
    time,
    subject: dossierId,
    unitid: 'u1',
    data: { dossierId, unitId: 'u1', at: time },
  };
}

describe('createBatchConsumer on a real broker', () => {
  const id = uniqueName('batch');
  const topic = `${id}.events`;
  const groupId = `${id}.group`;
  const kafka = createKafka(loadConfig(kafkaSpec, process.env), id, logger);
  const registry = new Registry();
  const batches: AdmittedBatch<{ admission: AdmissionLimits; seq: number }>[] = [];
  let rulesRead = 0;
  /** Batches the handler fails (thrown after seeing them) before it accepts again, and with what. */
  let failNext = 0;
  let failWith: () => Error = () => new Error('handler failure: the batch stays uncommitted');
  let failed = 0;
  let producer: KafkaProducer;
  let consumer: BatchConsumer;

  const metric = async (name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> =>
    ((await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? []) as { labels: Record<string, string | number>; value: number }[];
  const admittedIds = () => batches.flatMap((b) => b.admitted.map((m) => m.event.id));

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2 }] });
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    consumer = createBatchConsumer({
      kafka,
      topic,
      groupId,
      registry,
      logger,
      now: Date.now,
      handler: {
        rules: () => ({ admission, seq: ++rulesRead }),
        handle: async (batch) => {
          if (failNext > 0) {
            failNext -= 1;
            failed += 1;
            throw failWith();
          }
          batches.push(batch);
        },
      },
      batchSeconds: { name: 'test_batch_seconds', help: 'batch time', buckets: [0.1, 1] },
      sessionTimeoutMs: 6000,
      lagIntervalMs: 200,
    });
    expect(await consumer.neverCommitted()).toBe(true);
    await consumer.start();
    await waitFor(() => (consumer.isRunning() ? true : undefined), { timeoutMs: 60_000, description: 'consumer joined its group' });
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  });

  it('hands each batch over decoded and admitted, the refused with their code, and commits after the handler', async () => {
    failNext = 1;
    const valid = Array.from({ length: 20 }, (_, i) => withdrawn(`${id}-e${i}`));
    await producer.send({
      topic,
      acks: -1,
      // Written as every producer writes: with its producer key id.
      messages: [
        ...valid.map((e) => ({ key: e.subject, value: JSON.stringify(e), partition: 0 })),
        { key: 'bad', value: '{"id":', partition: 1 },
        { key: 'late', value: JSON.stringify(withdrawn(`${id}-future`, '2099-01-01T08:00:00+07:00')), partition: 1 },
      ].map((m) => ({ ...m, headers: { [PRODUCER_KEY_HEADER]: 'dvc-tests' } })),
    });
    await waitFor(() => (admittedIds().length === 20 && batches.some((b) => b.partition === 1) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: '20 admitted, partition 1 seen',
    });
    // The failed batch was delivered again: every event handed over once, in offset order.
    expect(failed).toBe(1);
    expect(admittedIds()).toEqual(valid.map((e) => e.id));
    const first = batches.find((b) => b.partition === 0)!;
    expect(first.admitted[0]).toMatchObject({ key: Buffer.from(valid[0]!.subject), offset: '0', event: valid[0] });
    expect(first.rules.admission).toBe(admission);
    const refused = batches.filter((b) => b.partition === 1).flatMap((b) => b.refused);
    expect(refused.map((r) => [r.offset, r.code])).toEqual([
      ['0', 'invalid'],
      ['1', 'future-time'],
    ]);
    expect(refusalLetter(topic, 1, refused[0]!)).toEqual({
      key: Buffer.from('bad'),
      value: Buffer.from('{"id":'),
      reason: 'malformed JSON: Unexpected end of JSON input',
      code: 'invalid',
      sourceTopic: topic,
      sourcePartition: 1,
      sourceOffset: '0',
      stage: 'validation',
      // The producer key id it carried, kept on the dead letter for a re-drive.
      producerKey: 'dvc-tests',
    });
    expect(refusalLetter(topic, 1, refused[1]!).stage).toBe('admission');
    // One snapshot of the rules per batch handed over or failed.
    expect(rulesRead).toBe(batches.length + failed);
    await waitFor(
      async () => {
        const lag = await metric('dvc_consumer_lag');
        return lag.length === 2 && lag.every((v) => v.value === 0 && v.labels.topic === topic && v.labels.group === groupId) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, description: 'dvc_consumer_lag 0 on both partitions' },
    );
    expect(await consumer.neverCommitted()).toBe(false);
    const timed = (await metric('test_batch_seconds')).find((v) => v.labels.le === '+Inf');
    // Only the batches handed over are timed: the failed one is not.
    expect(timed?.value).toBe(batches.length);
  });

  it('restarts a consumer kafkajs gives up on (a TypeError: unrecoverable to kafkajs), and the batch comes again', async () => {
    const before = batches.length;
    const restartsBefore = (await metric('dvc_consumer_restarts_total'))[0]?.value ?? 0;
    failNext = 1;
    failWith = () => new TypeError('a bug in a handler: kafkajs does not restart after this');
    const event = withdrawn(`${id}-again`);
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: event.subject, value: JSON.stringify(event), partition: 0, headers: { [PRODUCER_KEY_HEADER]: 'dvc-tests' } }],
    });
    await waitFor(() => (batches.slice(before).some((b) => b.admitted.some((m) => m.event.id === event.id)) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: 'the batch handed over again after the restart',
    });
    expect(await metric('dvc_consumer_restarts_total')).toEqual([{ labels: { group: groupId }, value: restartsBefore + 1 }]);
    await waitFor(() => (consumer.isRunning() ? true : undefined), { timeoutMs: 30_000, description: 'joined again' });
  });
});
