import { Redis } from 'ioredis';
import { DLQ_HEADERS, type KafkaClient, type TopicMessage } from '@dvc/kafka';
import { ProjectionStore } from '@dvc/redis';
import { ev, producerAuth, uniqueName, waitFor } from '@dvc/testing';
import { testKafka } from '@dvc/kafka/testing';
import {
  TEST_PRODUCER_HEADERS,
  routingKey,
  UNKNOWN_UNITS_ACCEPTED,
  projectionProgress,
  scrapeMetrics,
  serviceEnv,
  stackEnv,
  startService,
  waitForZeroLag,
  type ServiceProcess,
} from '../stack.js';
import { hostileCases, type HostileCase } from './corpus.js';

/**
 * The hostile corpus against the real stack: posted to a real ingest and produced raw to the
 * real Kafka topic, each case between two valid events. At the end the services are still up,
 * every refusal is counted exactly, every Kafka-path refusal sits in the dead-letter topic with
 * its original bytes and reason, and the projection holds exactly the valid events.
 */
describe('hostile input on the real stack', () => {
  const id = uniqueName('hostile').replace(/[^a-z0-9]/g, '');
  const unit = `hostile.${id}`;
  const env: Record<string, string> = { ...serviceEnv(id), ...UNKNOWN_UNITS_ACCEPTED, TOPIC_PARTITIONS: '2' };
  const topic = env.EVENTS_TOPIC ?? '';
  const dlq = env.DLQ_TOPIC ?? '';
  const group = env.PROJECTOR_GROUP ?? '';
  const kafka = testKafka(`${id}-test`, stackEnv().kafkaBrokers.split(','));
  const redis = new Redis(stackEnv().redisUrl);
  const cases = hostileCases(unit);
  let ingest: ServiceProcess;
  let projector: ServiceProcess;
  let exporter: ServiceProcess;
  let validSent = 0;
  let sequence = 0;

  const T = '2022-06-20T08:00:00+07:00';
  const validEvent = (prefix: string) => {
    sequence += 1;
    validSent += 1;
    return ev.received(unit, `${prefix}-OK-${sequence}`, T, 'direct', { processingDays: 5 });
  };

  beforeAll(async () => {
    [projector, exporter, ingest] = await Promise.all([
      startService('projector', env, 'PROJECTOR_PORT'),
      startService('exporter', { ...env, CLOCK: 'event' }, 'EXPORTER_PORT'),
      startService('ingest', { ...env, INGEST_TRANSACTIONAL_ID: `${id}-ingest`, INGEST_MAX_BODY_BYTES: String(1024 * 1024) }, 'INGEST_PORT'),
    ]);
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
  });

  afterAll(async () => {
    await Promise.all([ingest?.kill('SIGTERM'), projector?.kill('SIGTERM'), exporter?.kill('SIGTERM')]);
    await new ProjectionStore(redis, id).dropNamespace();
    redis.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => undefined);
    await admin.disconnect();
  });

  const post = (body: Buffer | string, contentType = 'application/cloudevents+json') =>
    fetch(`${ingest.url}/v1/events`, { method: 'POST', headers: { 'content-type': contentType, ...producerAuth() }, body });

  const expectHealthy = async () => {
    for (const service of [ingest, projector, exporter]) {
      expect({ service: service.name, status: (await fetch(`${service.url}/healthz`)).status }).toEqual({ service: service.name, status: 200 });
    }
  };

  const httpCases = cases.filter((c): c is HostileCase & { bytes: Buffer; http: NonNullable<HostileCase['http']> } => c.http !== undefined && c.bytes !== null);
  const kafkaCases = cases.filter((c) => c.kafka);

  it('HTTP edge: refuses each case with its status, reason and problem path, counts it, and accepts the valid events around it', async () => {
    for (const c of httpCases) {
      expect((await post(JSON.stringify(validEvent('H')))).status).toBe(202);
      const res = await post(c.bytes);
      const answer = (await res.json()) as { error: string; invalid?: { problems: { path: string; message: string }[] }[] };
      const problems = answer.invalid?.[0]?.problems ?? [];
      const where = c.path === undefined ? c.message.test(answer.error) : problems.some((p) => p.path === c.path && c.message.test(p.message));
      expect({ case: c.name, status: res.status, found: where }).toEqual({ case: c.name, status: c.http.status, found: true });
    }
    expect((await post(JSON.stringify(validEvent('H')))).status).toBe(202);
    await expectHealthy();

    const metrics = await scrapeMetrics(ingest.url);
    const expected = new Map<string, number>();
    for (const c of httpCases) expected.set(c.http.reason, (expected.get(c.http.reason) ?? 0) + 1);
    for (const [reason, n] of expected) expect({ reason, n: metrics.get(`dvc_ingest_rejections_total{reason="${reason}"}`) }).toEqual({ reason, n });
    const counted = [...metrics].filter(([k]) => k.startsWith('dvc_ingest_rejections_total{')).reduce((sum, [, v]) => sum + v, 0);
    expect(counted).toBe(httpCases.length);
    expect(metrics.get('dvc_ingest_events_total{outcome="accepted"}')).toBe(validSent);
  });

  it('Kafka path: dead-letters each case with its original bytes and reason, counts it, and applies the valid events around it', async () => {
    const validBefore = validSent;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const where = new Map<string, HostileCase>();
    for (const [i, c] of kafkaCases.entries()) {
      const valid = validEvent('K');
      await producer.send({ topic, acks: -1, messages: [{ key: routingKey(valid), value: JSON.stringify(valid), headers: TEST_PRODUCER_HEADERS }] });
      const [sent] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: Buffer.from([0xff, 0x00, i]), value: c.bytes, headers: TEST_PRODUCER_HEADERS }],
      });
      where.set(`${sent?.partition}/${sent?.baseOffset}`, c);
    }
    const last = validEvent('K');
    await producer.send({ topic, acks: -1, messages: [{ key: routingKey(last), value: JSON.stringify(last), headers: TEST_PRODUCER_HEADERS }] });
    await producer.disconnect();
    await waitForZeroLag(kafka, group, topic, 60_000);
    await expectHealthy();

    const projectorMetrics = await scrapeMetrics(projector.url);
    expect(projectorMetrics.get('dvc_projector_events_rejected_total{stage="validation",code="invalid"}')).toBe(kafkaCases.length);

    const letters = await readTopic(kafka, dlq, kafkaCases.length);
    const found = new Set<string>();
    for (const letter of letters) {
      const header = (name: string) => letter.headers?.[name]?.toString() ?? '';
      const origin = `${header(DLQ_HEADERS.sourcePartition)}/${header(DLQ_HEADERS.sourceOffset)}`;
      const c = where.get(origin);
      expect({ origin, known: c !== undefined }).toEqual({ origin, known: true });
      if (c === undefined) continue;
      found.add(c.name);
      const reason = header(DLQ_HEADERS.reason);
      const located = c.path === undefined || reason.startsWith(`${c.path === '' ? '/' : c.path} `) || reason.includes(`; ${c.path} `);
      expect({ case: c.name, reason, ok: c.message.test(reason) && located }).toEqual({ case: c.name, reason, ok: true });
      expect({ case: c.name, kept: sameBytes(letter.value, c.bytes) }).toEqual({ case: c.name, kept: true });
      expect(header(DLQ_HEADERS.stage)).toBe('validation');
      expect(letter.key?.[0]).toBe(0xff);
    }
    expect(found.size).toBe(kafkaCases.length);
    expect(validSent - validBefore).toBe(kafkaCases.length + 1);
  });

  it('out-of-order lifecycles and a duplicate id with a different body: accepted, counted as in order, applied once', async () => {
    const at = (day: number, hour: number) => `2022-06-${day}T${String(hour).padStart(2, '0')}:00:00+07:00`;
    const lifecycle = (u: string, d: string) => [
      ev.received(u, d, at(20, 8), 'online', { dueAt: at(22, 17) }),
      ev.supplementRequested(u, d, at(20, 10)),
      ev.supplementReceived(u, d, at(21, 10)),
      ev.resolved(u, d, at(22, 9), true),
      ev.received(u, `${d}-W`, at(20, 9), 'direct', { dueAt: at(24, 17) }),
      ev.withdrawn(u, `${d}-W`, at(21, 9)),
    ];
    const inOrder = `${unit}.ordered`;
    const reversed = `${unit}.reversed`;
    const ordered = ['L1', 'L2', 'L3'].flatMap((d) => lifecycle(inOrder, d));
    // Each event its own request, in reverse: resolved arrives before received, withdrawal before receipt.
    const backwards = ['L1', 'L2', 'L3'].flatMap((d) => lifecycle(reversed, d)).reverse();
    const first = ordered[0];
    const duplicate = { ...first, data: { ...first?.data, channel: 'direct', receivedAt: at(21, 8) }, time: at(21, 8) };
    expect((await post(JSON.stringify(ordered), 'application/cloudevents-batch+json')).status).toBe(202);
    for (const e of backwards) expect((await post(JSON.stringify(e))).status).toBe(202);
    expect((await post(JSON.stringify(duplicate))).status).toBe(202);
    const total = validSent + ordered.length + backwards.length;

    const progress = await waitFor(
      async () => {
        const p = await projectionProgress(redis, id);
        return p.applied + p.duplicates === total + 1 ? p : undefined;
      },
      { timeoutMs: 60_000, description: 'every valid event applied or recognised' },
    );
    expect(progress).toEqual({ applied: total, duplicates: 1 });

    const metrics = await scrapeMetrics(exporter.url);
    for (const u of [inOrder, reversed]) {
      const l = `unit="${u}",level="unknown"`;
      expect({ u, v: metrics.get(`dvc_dossiers_received{${l},window="14d",channel="online"}`) }).toEqual({ u, v: 3 });
      expect({ u, v: metrics.get(`dvc_dossiers_received{${l},window="14d",channel="direct"}`) }).toEqual({ u, v: 3 });
      expect({ u, v: metrics.get(`dvc_dossiers_resolved{${l},window="14d",timeliness="on_time",processing="online"}`) }).toEqual({ u, v: 3 });
      expect({ u, v: metrics.get(`dvc_dossiers_withdrawn{${l},window="14d"}`) }).toEqual({ u, v: 3 });
      for (const state of ['in_time', 'overdue', 'paused']) {
        expect({ u, state, v: metrics.get(`dvc_dossiers_open{${l},state="${state}"}`) ?? 0 }).toEqual({ u, state, v: 0 });
      }
    }
    // Every valid event of the first two tests, none of the hostile ones: all received direct for the test's own unit.
    expect(metrics.get(`dvc_dossiers_received{unit="${unit}",level="unknown",window="14d",channel="direct"}`)).toBe(validSent);
    await expectHealthy();
  });
});

/** The dead-lettered value is the original: same bytes, a tombstone stays a tombstone. */
function sameBytes(kept: Buffer | null, original: Buffer | null): boolean {
  return kept === null || original === null ? kept === original : kept.equals(original);
}

/** Every message of a topic from the beginning, once `count` have arrived (and the high watermarks say there are no more). */
async function readTopic(kafka: KafkaClient, topic: string, count: number): Promise<TopicMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  expect(total).toBe(count);
  const consumer = kafka.consumer({ groupId: uniqueName('hostile-dlq-reader') });
  const seen: TopicMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  try {
    await waitFor(() => (seen.length >= count ? true : undefined), { timeoutMs: 30_000, description: `${count} messages on ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
