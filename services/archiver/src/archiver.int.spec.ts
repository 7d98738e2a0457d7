import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec, createLogger, loadConfig, loadReferenceData } from '@dvc/config';
import { EventStoreError, openEventStore, type EventStore } from '@dvc/eventstore';
import { DLQ_HEADERS, DeadLetterPublisher, PRODUCER_KEY_HEADER, consumerLag, createKafka, kafkaSpec, type KafkaProducer } from '@dvc/kafka';
import { createTestTopics } from '@dvc/kafka/testing';
import { uniqueName, waitFor } from '@dvc/testing';
import { createArchiver, type Archiver } from './archiver.js';

const logger = createLogger('archiver-int', 'silent');
const TIME = '2022-06-20T08:00:00+07:00';
/** The events' unit 'u1' is not in the directory: this test runs in pilot mode (ACCEPT_UNKNOWN_UNITS). */
const admission = admissionLimits(loadConfig(admissionSpec, { ACCEPT_UNKNOWN_UNITS: 'true' }), loadReferenceData());

/** A valid dossier.received event as an upstream system sends it; `procedure` varies the body. */
function received(id: string, procedure = 'P1') {
  const dossierId = `d-${id}`;
  return {
    specversion: '1.0',
    id,
    source: 'archiver-int',
    type: 'vn.dvc.dossier.received',
    time: TIME,
    subject: dossierId,
    unitid: 'u1',
    data: { dossierId, unitId: 'u1', procedureId: procedure, channel: 'online', receivedAt: TIME, processingDays: 5 },
  };
}

describe('archiver on real Kafka and SQLite', () => {
  const id = uniqueName('arch');
  const topic = `${id}.events`;
  const dlq = `${id}.dlq`;
  const groupId = `${id}.archiver`;
  const dir = mkdtempSync(join(tmpdir(), 'dvc-archiver-'));
  const kafka = createKafka(loadConfig(kafkaSpec, process.env), id, logger);
  const registry = new Registry();
  let store: EventStore;
  let producer: KafkaProducer;
  let deadLetters: DeadLetterPublisher;
  let archiver: Archiver;
  /** Appends that must fail with a retriable error before the real store is asked again. */
  let failingAppends = 0;

  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const values = (found?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
    return values.filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((sum, v) => sum + v.value, 0);
  };

  // Written as every producer writes: with its producer key id (ARCHITECTURE.md, "Who may write the events topic").
  const send = (messages: { key: string; value: string | null }[]) =>
    producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, headers: { [PRODUCER_KEY_HEADER]: 'dvc-tests' } })) });

  beforeAll(async () => {
    await createTestTopics(kafka, { [topic]: 3, [dlq]: 1 });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    store = openEventStore(`sqlite:${join(dir, 'events.sqlite')}`);
    const flaky: EventStore = {
      append: async (events, options) => {
        if (failingAppends > 0) {
          failingAppends -= 1;
          throw new EventStoreError('event store append failed: database is locked', { retriable: true });
        }
        return store.append(events, options);
      },
      read: (options) => store.read(options),
      readStream: (subject) => store.readStream(subject),
      head: () => store.head(),
      subscribe: (options) => store.subscribe(options),
      close: () => store.close(),
    };
    deadLetters = new DeadLetterPublisher(kafka, dlq);
    archiver = createArchiver({
      kafka,
      store: flaky,
      deadLetters,
      registry,
      logger,
      topic,
      groupId,
      admission: () => admission,
      now: Date.now,
      sessionTimeoutMs: 6000,
      lagIntervalMs: 200,
    });
    await archiver.start();
    await waitFor(() => (archiver.isRunning() ? true : undefined), { description: 'archiver joined its group' });
  });

  afterAll(async () => {
    await archiver?.stop();
    await deadLetters?.close();
    await producer?.disconnect();
    await store?.close();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the group has committed everything in the topic (asked of the broker), then for the lag gauge to say so. */
  const settled = async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(async () => ([...(await consumerLag(admin, groupId, topic)).values()].every((n) => n === 0) ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 50,
        description: 'consumer lag 0',
      });
    } finally {
      await admin.disconnect();
    }
    await waitFor(
      async () => {
        const series = (await registry.getMetricsAsJSON()).find((m) => m.name === 'dvc_consumer_lag')?.values ?? [];
        return series.length === 3 && (await metric('dvc_consumer_lag', { topic, group: groupId })) === 0 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, description: 'dvc_consumer_lag 0 on 3 partitions' },
    );
  };

  const originals = Array.from({ length: 300 }, (_, i) => received(`${id}-e${i}`));

  it('stores every valid event exactly once, in gapless positions, and counts invalid messages as skipped', async () => {
    const invalid = [
      { key: 'x1', value: '{"specversion": "1.0", "id": ' },
      { key: 'x2', value: null },
      { key: 'x3', value: JSON.stringify({ ...received(`${id}-bad`), unitid: 'u2' }) },
      { key: 'x4', value: JSON.stringify({ ...received(`${id}-bad2`), type: 'vn.dvc.dossier.recieved' }) },
    ];
    const messages = originals.map((e) => ({ key: e.subject, value: JSON.stringify(e) }));
    await send([...messages.slice(0, 150), ...invalid.slice(0, 2), ...messages.slice(150), ...invalid.slice(2)]);
    await waitFor(async () => ((await metric('dvc_archiver_events_appended_total')) === 300 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: '300 appended',
    });
    await settled();
    const stored = await store.read();
    expect(stored.map((s) => s.position)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(new Set(stored.map((s) => s.event.id))).toEqual(new Set(originals.map((e) => e.id)));
    // Each event keeps the producer key id of its message's header dvc-producer-key.
    expect(new Set(stored.map((s) => s.producerKey))).toEqual(new Set(['dvc-tests']));
    expect(stored.find((s) => s.event.id === originals[7]!.id)?.event).toEqual(originals[7]);
    expect(await metric('dvc_archiver_events_appended_total', { type: 'vn.dvc.dossier.received' })).toBe(300);
    expect(await metric('dvc_archiver_events_skipped_total', { reason: 'invalid' })).toBe(4);
    expect(await metric('dvc_archiver_events_duplicate_total')).toBe(0);
    expect(await metric('dvc_archiver_events_dead_lettered_total')).toBe(0);
    expect(await metric('dvc_archiver_last_position')).toBe(300);
  });

  it('counts a same-body redelivery as a duplicate and stores nothing new', async () => {
    // Same events, keys of each object in reverse order: equal as events, different as bytes.
    const again = originals.slice(0, 40).map((e) => Object.fromEntries(Object.entries(e).reverse()));
    await send(again.map((e) => ({ key: String(e.subject), value: JSON.stringify(e) })));
    await waitFor(async () => ((await metric('dvc_archiver_events_duplicate_total')) === 40 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: '40 duplicates',
    });
    await settled();
    expect(await store.head()).toBe(300);
    expect(await metric('dvc_archiver_events_appended_total')).toBe(300);
    expect(await metric('dvc_archiver_events_dead_lettered_total')).toBe(0);
    expect(await metric('dvc_archiver_last_position')).toBe(300);
  });

  it('keeps the original of a different-body duplicate and dead-letters the new copy with the reason', async () => {
    const original = originals[42]!;
    const position = (await store.read()).find((s) => s.event.id === original.id)?.position;
    expect(position).toBeDefined();
    const hostile = JSON.stringify(received(original.id, 'P-FORGED'));
    await send([{ key: original.subject, value: hostile }]);

    const letters: { value: string; headers: Record<string, string> }[] = [];
    const reader = kafka.consumer({ groupId: `${id}.dlq-reader` });
    await reader.connect();
    await reader.subscribe({ topic: dlq, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        letters.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    try {
      await waitFor(() => (letters.length > 0 ? true : undefined), { timeoutMs: 60_000, description: 'the dead letter' });
      await settled();
    } finally {
      await reader.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteGroups([`${id}.dlq-reader`]).catch(() => undefined);
      await admin.disconnect();
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]!.value).toBe(hostile);
    expect(letters[0]!.headers[DLQ_HEADERS.reason]).toBe(`event id ${original.id} is already stored at position ${position} with a different body`);
    expect(letters[0]!.headers[DLQ_HEADERS.stage]).toBe('archive');
    expect(letters[0]!.headers[DLQ_HEADERS.code]).toBe('conflict');
    expect(letters[0]!.headers[DLQ_HEADERS.sourceTopic]).toBe(topic);
    expect((await store.read()).find((s) => s.event.id === original.id)?.event).toEqual(original);
    expect(await store.head()).toBe(300);
    expect(await metric('dvc_archiver_events_dead_lettered_total', { reason: 'different_body' })).toBe(1);
    expect(await metric('dvc_archiver_events_duplicate_total')).toBe(40);
  });

  it('leaves a batch uncommitted when the store fails retriably, counts it, and stores it once when retried', async () => {
    failingAppends = 2;
    const late = Array.from({ length: 10 }, (_, i) => received(`${id}-late${i}`));
    await send(late.map((e) => ({ key: e.subject, value: JSON.stringify(e) })));
    await waitFor(async () => ((await store.head()) === 310 ? true : undefined), { timeoutMs: 60_000, intervalMs: 50, description: 'the late events stored' });
    await settled();
    expect(failingAppends).toBe(0);
    expect(await metric('dvc_archiver_batch_failures_total', { stage: 'store', retriable: 'true' })).toBe(2);
    const stored = await store.read({ after: 300 });
    expect(new Set(stored.map((s) => s.event.id))).toEqual(new Set(late.map((e) => e.id)));
    expect(stored.map((s) => s.position)).toEqual(Array.from({ length: 10 }, (_, i) => 301 + i));
    expect(await metric('dvc_archiver_events_appended_total')).toBe(310);
    expect(await metric('dvc_archiver_last_position')).toBe(310);
  });

  it('skips events dated in the future or before the history start, counted by code, never stored', async () => {
    const at = (id: string, time: string) => {
      const e = received(id);
      return { ...e, time, data: { ...e.data, receivedAt: time } };
    };
    const future = at(`${id}-2099`, '2099-01-01T00:00:00+07:00');
    const past = at(`${id}-1990`, '1990-01-01T08:00:00+07:00');
    const fine = received(`${id}-fine`);
    await send([future, past, fine].map((e) => ({ key: e.subject, value: JSON.stringify(e) })));
    await waitFor(async () => ((await store.head()) === 311 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      description: 'the admissible event stored',
    });
    await settled();
    expect(await metric('dvc_archiver_events_skipped_total', { reason: 'future-time' })).toBe(1);
    expect(await metric('dvc_archiver_events_skipped_total', { reason: 'before-history-start' })).toBe(1);
    expect(await metric('dvc_archiver_events_skipped_total', { reason: 'invalid' })).toBe(4);
    expect((await store.read({ after: 310 })).map((s) => s.event.id)).toEqual([fine.id]);
  });
});
