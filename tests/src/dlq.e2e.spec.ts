import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ev, testEvent, waitFor } from '@dvc/testing';
import type { TopicMessage } from '@dvc/kafka';
import {
  REPO_ROOT,
  TEST_PRODUCER_HEADERS,
  UNKNOWN_UNITS_ACCEPTED,
  routingKey,
  scrapeMetrics,
  startService,
  testStack,
  waitForZeroLag,
  type ServiceProcess,
} from './stack.js';

const run = promisify(execFile);

interface Listed {
  partition: number;
  offset: string;
  stage: string;
  code: string;
  reason: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  key: string | null;
  valuePreview: string;
}

/**
 * Dead letters end to end: invalid messages written straight to the event topic are
 * dead-lettered by the real projector; `dvc dlq list --json` shows them with their reasons and
 * origin; `dvc dlq redrive --offsets` puts the chosen ones back on the source topic with the
 * redriven-from header, where the projector sees (and, still invalid, dead-letters) them again.
 * A payment written on its own id instead of its dossier's is refused `misrouted` by the projector
 * and the archiver alike, and a redrive (which re-keys it) gets it applied and stored.
 */
describe('dvc dlq on the projector dead letters', () => {
  const stack = testStack('dlq', UNKNOWN_UNITS_ACCEPTED);
  const { id, env: common, topic: events, dlq, kafka } = stack;
  let projector: ServiceProcess;
  let archiver: ServiceProcess;
  const cli = async (...args: string[]) =>
    run(process.execPath, [join(REPO_ROOT, 'services', 'cli', 'dist', 'main.js'), ...args], { env: { ...process.env, NODE_OPTIONS: '', ...common } });
  const list = async () => JSON.parse((await cli('dlq', 'list', '--json')).stdout) as Listed[];

  const bad = [
    { key: 'D-1', value: 'this is not JSON' },
    { key: 'D-2', value: JSON.stringify({ specversion: '1.0', id: 'x', type: 'vn.dvc.dossier.received' }) },
    {
      key: 'D-3',
      value: JSON.stringify({
        specversion: '1.0',
        id: 'y',
        source: 's',
        type: 'vn.dvc.nothing.happened',
        time: '2022-06-01T00:00:00Z',
        subject: 'D-3',
        unitid: 'u',
        data: {},
      }),
    },
  ];

  beforeAll(async () => {
    projector = await startService('projector', common, 'PROJECTOR_PORT');
    archiver = await startService('archiver', common, 'ARCHIVER_PORT');
  });

  afterAll(async () => {
    await Promise.all([projector?.kill('SIGTERM'), archiver?.kill('SIGTERM')]);
    await stack.cleanUp();
  });

  it('lists the dead letters with their reasons and re-drives the chosen ones to the source topic', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: events, acks: -1, messages: bad.map((m) => ({ ...m, headers: TEST_PRODUCER_HEADERS })) });
    await producer.disconnect();
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP ?? '', events);

    const listed = await waitFor(
      async () => {
        const entries = await list();
        return entries.length === bad.length ? entries : undefined;
      },
      { description: 'three dead letters listed' },
    );
    const byKey = new Map(listed.map((e) => [e.key, e]));
    for (const { key, value } of bad) {
      expect(byKey.get(key)).toMatchObject({ stage: 'validation', sourceTopic: events, valuePreview: value.slice(0, 120) });
      expect(byKey.get(key)?.reason.length).toBeGreaterThan(0);
    }
    expect(byKey.get('D-1')?.reason).toMatch(/json/i);
    expect(byKey.get('D-3')?.reason).toContain('vn.dvc.nothing.happened');

    const chosen = [byKey.get('D-1'), byKey.get('D-3')].map((e) => `${e?.partition}:${e?.offset}`);
    const { stdout } = await cli('dlq', 'redrive', '--offsets', chosen.join(','));
    expect(stdout).toContain(`re-drove 2 of 3 dead letters (2 to ${events})`);

    // Read the source topic from the start: the two re-driven copies carry the header.
    const seen: TopicMessage[] = [];
    const consumer = kafka.consumer({ groupId: `${id}.check` });
    await consumer.connect();
    await consumer.subscribe({ topic: events, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    try {
      const redriven = await waitFor(
        () => {
          const found = seen.filter((m) => m.headers?.['dvc-redriven-from'] !== undefined);
          return found.length === 2 ? found : undefined;
        },
        { description: 're-driven messages on the source topic' },
      );
      expect(redriven.map((m) => [m.key?.toString(), m.value?.toString(), m.headers?.['dvc-redriven-from']?.toString()]).sort()).toEqual(
        [
          ['D-1', bad[0]?.value, `${dlq}:${chosen[0]}`],
          ['D-3', bad[2]?.value, `${dlq}:${chosen[1]}`],
        ].sort(),
      );
    } finally {
      await consumer.disconnect();
    }

    // Still invalid, the projector dead-letters the copies again: five dead letters now.
    const again = await waitFor(
      async () => {
        const entries = await list();
        return entries.length === 5 ? entries : undefined;
      },
      { description: 'copies dead-lettered again' },
    );
    expect(again.filter((e) => e.key === 'D-1' || e.key === 'D-3')).toHaveLength(4);
  });

  it('refuses a payment keyed by its own id as misrouted in both consumers, and applies it once re-driven with its dossier as key', async () => {
    const unit = `e2e.${id}.u`;
    const dossier = `HS-${id}`;
    const paymentId = `PAY-${id}`;
    const received = ev.received(unit, dossier, '2022-06-20T08:00:00+07:00', 'online', { dueAt: '2022-06-30T17:00:00+07:00' });
    const payment = testEvent(
      'vn.dvc.payment.completed',
      paymentId,
      { unit, time: '2022-06-20T09:00:00+07:00' },
      { paymentId, dossierId: dossier, kind: 'fee', channel: 'online', amountVnd: 50_000, paidAt: '2022-06-20T09:00:00+07:00' },
    );
    expect(routingKey(payment)).toBe(dossier);
    const before = (await list()).length;
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: events,
      acks: -1,
      messages: [
        { key: routingKey(received), value: JSON.stringify(received), headers: TEST_PRODUCER_HEADERS },
        { key: paymentId, value: JSON.stringify(payment), headers: TEST_PRODUCER_HEADERS },
      ],
    });
    await producer.disconnect();
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP ?? '', events);
    await waitForZeroLag(kafka, common.ARCHIVER_GROUP ?? '', events);

    const letters = await waitFor(
      async () => {
        const entries = await list();
        return entries.length === before + 1 ? entries : undefined;
      },
      { description: 'the misrouted payment dead-lettered' },
    );
    const misrouted = letters.filter((l) => l.code === 'misrouted');
    expect(misrouted).toHaveLength(1);
    expect(misrouted[0]).toMatchObject({
      key: paymentId,
      stage: 'admission',
      sourceTopic: events,
      reason: `Kafka key "${paymentId}" is not the event's routing key "${dossier}" (a payment is keyed by the dossier it pays for); re-drive it with dvc dlq redrive`,
    });
    const p = await scrapeMetrics(projector.url);
    expect(p.get('dvc_projector_events_rejected_total{stage="admission",code="misrouted"}')).toBe(1);
    expect(p.get('dvc_projector_events_applied_total{type="vn.dvc.dossier.received"}')).toBe(1);
    expect(p.get('dvc_projector_events_applied_total{type="vn.dvc.payment.completed"}') ?? 0).toBe(0);
    const a = await scrapeMetrics(archiver.url);
    expect(a.get('dvc_archiver_events_skipped_total{reason="misrouted"}')).toBe(1);
    expect(a.get('dvc_archiver_events_appended_total{type="vn.dvc.payment.completed"}') ?? 0).toBe(0);

    const { stdout } = await cli('dlq', 'redrive', '--code', 'misrouted');
    expect(stdout).toContain(`re-drove 1 of ${before + 1} dead letters (1 to ${events})`);
    await waitFor(
      async () => ((await scrapeMetrics(projector.url)).get('dvc_projector_events_applied_total{type="vn.dvc.payment.completed"}') === 1 ? true : undefined),
      {
        description: 'the re-driven payment applied',
      },
    );
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP ?? '', events);
    await waitForZeroLag(kafka, common.ARCHIVER_GROUP ?? '', events);
    const after = await scrapeMetrics(projector.url);
    expect(after.get('dvc_projector_events_rejected_total{stage="admission",code="misrouted"}')).toBe(1);
    expect(after.get('dvc_projector_events_applied_total{type="vn.dvc.payment.completed"}')).toBe(1);
    const stored = await scrapeMetrics(archiver.url);
    expect(stored.get('dvc_archiver_events_skipped_total{reason="misrouted"}')).toBe(1);
    expect(stored.get('dvc_archiver_events_appended_total{type="vn.dvc.payment.completed"}')).toBe(1);
    expect(await list()).toHaveLength(before + 1);
  });
});
