import { Redis } from 'ioredis';
import { ProjectionStore } from '@dvc/redis';
import { ev, uniqueName, waitFor } from '@dvc/testing';
import { createTestTopics, testKafka } from '@dvc/kafka/testing';
import { UNKNOWN_UNITS_ACCEPTED, produceAll, scrapeMetrics, stackEnv, startService, projectionProgress, waitForZeroLag, type ServiceProcess } from './stack.js';

const DOSSIERS = 15_000;
const UNITS = 5;
const DAY = 86_400_000;

/**
 * A history whose every number is known by construction, and the expected exporter values
 * computed here with plain arithmetic, independently of the projector's code.
 */
function buildHistory(prefix: string) {
  const events: ReturnType<typeof ev.received>[] = [];
  const expected = new Map<string, number>();
  const bump = (series: string, by = 1) => expected.set(series, (expected.get(series) ?? 0) + by);
  const iso = (ms: number) => new Date(ms + 7 * 3_600_000).toISOString().replace('Z', '+07:00').replace('.000', '');
  const clock = Date.parse('2022-06-19T08:00:00+07:00');
  for (let i = 0; i < DOSSIERS; i++) {
    const unit = `${prefix}.u${i % UNITS}`;
    const labels = `unit="${unit}",level="unknown"`;
    const received = Date.parse(`2022-06-${10 + (i % 7)}T08:00:00+07:00`);
    const resolves = i % 2 === 0;
    const due = resolves ? received + 2 * DAY : received + 8 * DAY + 3_600_000;
    const channel = i % 3 === 0 ? 'online' : 'direct';
    const dossier = `${prefix}-D${i}`;
    events.push(ev.received(unit, dossier, iso(received), channel, { dueAt: iso(due) }));
    bump(`dvc_dossiers_received{${labels},window="14d",channel="${channel}"}`);
    if (i % 5 === 0) {
      events.push(ev.digitized(unit, dossier, iso(received + 3_600_000)));
      bump(`dvc_dossiers_digitized{${labels},window="14d"}`);
    }
    if (resolves) {
      const resolvedAt = received + (i % 4 === 0 ? 3 : 1) * DAY;
      events.push(ev.resolved(unit, dossier, iso(resolvedAt), i % 3 === 0));
      const timeliness = resolvedAt > due ? 'overdue' : 'on_time';
      bump(`dvc_dossiers_resolved{${labels},window="14d",timeliness="${timeliness}",processing="${i % 3 === 0 ? 'online' : 'paper'}"}`);
    } else {
      bump(`dvc_dossiers_open{${labels},state="${due < clock ? 'overdue' : 'in_time'}"}`);
    }
    if (i % 10 === 0) {
      events.push(ev.payment(unit, `${prefix}-P${i}`, iso(received + 7_200_000), 'fee', 'online', 1000 + i));
      bump(`dvc_payments{${labels},window="14d",kind="fee",channel="online"}`);
      bump(`dvc_payments_vnd{${labels},window="14d",kind="fee",channel="online"}`, 1000 + i);
    }
  }
  return { events, expected };
}

describe('exactly-once effect against real Kafka and Redis', () => {
  const id = uniqueName('eo').replace(/[^a-z0-9]/g, '');
  const env = stackEnv();
  const topic = `${id}.events`;
  const common = {
    KAFKA_BROKERS: env.kafkaBrokers,
    REDIS_URL: env.redisUrl,
    EVENTS_TOPIC: topic,
    DLQ_TOPIC: `${id}.dlq`,
    REDIS_NAMESPACE: id,
    PROJECTOR_GROUP: `${id}-projector`,
    ...UNKNOWN_UNITS_ACCEPTED,
    // A killed member's partitions move after its session expires; keep that short here.
    PROJECTOR_SESSION_TIMEOUT_MS: '6000',
  };
  const kafka = testKafka(id, env.kafkaBrokers.split(','));
  const redis = new Redis(env.redisUrl);
  const { events, expected } = buildHistory(`eo.${id}`);
  let exporter: ServiceProcess;
  const projectors: ServiceProcess[] = [];

  const progress = () => projectionProgress(redis, id);

  /** Waits until the group has committed everything produced: no batch is still in flight. */
  const settled = async () => {
    await waitForZeroLag(kafka, common.PROJECTOR_GROUP, topic);
    return progress();
  };

  const expectExactNumbers = async () => {
    const metrics = await scrapeMetrics(exporter.url);
    const mismatches: string[] = [];
    for (const [series, value] of expected) {
      if (metrics.get(series) !== value) mismatches.push(`${series}: expected ${value}, got ${metrics.get(series)}`);
    }
    // No series of the rolling window beyond the expected ones may carry a count for these units.
    for (const [series, value] of metrics) {
      const counted = /^dvc_(dossiers_(received|resolved|digitized)|payments(_vnd)?)\{/.test(series) || series.startsWith('dvc_dossiers_open{');
      const otherWindow = series.includes('window="') && !series.includes('window="14d"');
      if (counted && !otherWindow && series.includes(`eo.${id}.`) && value !== 0 && !expected.has(series)) {
        mismatches.push(`${series}: unexpected ${value}`);
      }
    }
    expect(mismatches).toEqual([]);
  };

  beforeAll(async () => {
    await createTestTopics(kafka, { [topic]: 6, [`${id}.dlq`]: 1 });
    await produceAll(topic, events);
    exporter = await startService('exporter', { ...common, CLOCK: 'event' }, 'EXPORTER_PORT');
  });

  afterAll(async () => {
    await Promise.all([exporter?.kill('SIGTERM'), ...projectors.map((p) => p.kill('SIGKILL'))]);
    await new ProjectionStore(redis, id).dropNamespace();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, `${id}.dlq`] }).catch(() => undefined);
    await admin.disconnect();
    redis.disconnect();
  });

  it('keeps every number exact when the projector is SIGKILLed mid-stream and restarted', async () => {
    for (const killAt of [0.15, 0.5]) {
      const projector = await startService('projector', common, 'PROJECTOR_PORT');
      projectors.push(projector);
      const atKill = await waitFor(
        async () => {
          const p = await progress();
          return p.applied >= events.length * killAt ? p : undefined;
        },
        { intervalMs: 10, description: `${killAt * 100}% applied` },
      );
      await projector.kill('SIGKILL');
      expect(atKill.applied).toBeLessThan(events.length);
    }
    const last = await startService('projector', common, 'PROJECTOR_PORT');
    projectors.push(last);
    const done = await settled();
    expect(done.applied).toBe(events.length);
    // Offsets committed before each kill usually trail the applied work, so batches come again
    // and are recognised (duplicates); a kill right after a commit redelivers nothing, so the
    // count is not asserted here: the numbers must be exact either way. The redelivery case is
    // forced in the next test and in tests/src/system.
    await expectExactNumbers();
  });

  it('keeps every number exact when the whole history is delivered a second time', async () => {
    const before = await settled();
    await produceAll(topic, events);
    const after = await settled();
    expect(after.duplicates).toBe(before.duplicates + events.length);
    expect(after.applied).toBe(events.length);
    await expectExactNumbers();
  });
});
