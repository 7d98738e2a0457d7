import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { openEventStore } from '@dvc/eventstore';
import { ProjectionStore } from '@dvc/redis';
import { ev, postBatch, waitFor } from '@dvc/testing';
import {
  REPO_ROOT,
  TEST_PRODUCER_HEADERS,
  routingKey,
  runCli,
  scrapeMetrics,
  stackEnv,
  startService,
  testStack,
  waitForZeroLag,
  type ServiceProcess,
} from './stack.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** RFC 3339 local (UTC+7) text of an instant. */
const isoLocal = (ms: number) => `${new Date(ms + 7 * HOUR).toISOString().slice(0, 19)}+07:00`;

interface Listed {
  key: string | null;
  stage: string | null;
  code: string | null;
  reason: string | null;
}

interface Refusal {
  error: string;
  invalidCount: number;
  invalid: { index: number; problems: { path: string; message: string; code?: string }[] }[];
}

/**
 * Admission end to end, with the repository's unit directory (no pilot mode), on the real Kafka,
 * Redis and SQLite: the event dated 2099, an event dated 1990, an event of a unit not in
 * the directory and 500 random unit ids are refused over HTTP (400 naming the field, the limit,
 * the unit and the directory version; nothing written) and, produced straight to the topic,
 * dead-lettered exactly once each with their code by the projector and skipped by the archiver:
 * none archived, none in Redis. Then the unit is added to a copy of the data folder, the running
 * services reload it (no restart) and `dvc dlq redrive --code unknown-unit` gets its event
 * admitted, while the 500 random ids are dead-lettered again.
 */
describe('admission: time is bounded and units are known, at every entry', () => {
  const stack = testStack('adm', (name) => ({ DATA_DIR: mkdtempSync(join(tmpdir(), `${name}-data-`)), DATA_RELOAD_INTERVAL_SECONDS: '1' }));
  const { id, env, topic, kafka } = stack;
  const dataDir = stack.setting('DATA_DIR');
  const redis = new Redis(stackEnv().redisUrl);
  const projection = new ProjectionStore(redis, id);
  const known = 'dn.snnmt';
  // A ward the directory does not list yet; added to the data folder's copy later on.
  const missing = `dn.x${id.slice(-10)}`;
  const now = Date.now();
  const yesterday = isoLocal(now - DAY);
  const baseline = Array.from({ length: 6 }, (_, i) =>
    ev.received(known, `${id}-OK-${i}`, isoLocal(now - 2 * DAY + i * HOUR), 'online', { processingDays: 5 }),
  );
  const future = ev.received(known, `${id}-2099`, '2099-01-01T00:00:00+07:00', 'online', { processingDays: 5 });
  const past = ev.received(known, `${id}-1990`, '1990-01-01T08:00:00+07:00', 'online', { processingDays: 5 });
  const stranger = ev.received(missing, `${id}-NEW`, yesterday, 'direct', { processingDays: 3 });
  const randomIds = Array.from({ length: 500 }, (_, i) => `rnd.${id.slice(-6)}.${((i * 2_654_435_761) % 2 ** 32).toString(36)}`);
  const crowd = randomIds.map((unit, i) => ev.received(unit, `${id}-RND-${i}`, yesterday, 'online', { processingDays: 5 }));
  const services: ServiceProcess[] = [];
  let ingest: ServiceProcess;
  let projector: ServiceProcess;
  let archiver: ServiceProcess;

  const metric = async (service: ServiceProcess, series: string) => (await scrapeMetrics(service.url)).get(series) ?? 0;
  const settled = async () => {
    await waitForZeroLag(kafka, env.PROJECTOR_GROUP as string, topic);
    await waitForZeroLag(kafka, env.ARCHIVER_GROUP as string, topic);
  };
  const deadLetters = async () => JSON.parse((await runCli(['dlq', 'list', '--json'], env)).stdout) as Listed[];
  const stored = async () => {
    const store = openEventStore(env.EVENTSTORE_URL as string);
    try {
      return (await store.read()).map((s) => s.event.id);
    } finally {
      await store.close();
    }
  };
  const produce = async (events: readonly { type: string; subject: string; data: object }[]) => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: events.map((e) => ({ key: routingKey(e), value: JSON.stringify(e), headers: TEST_PRODUCER_HEADERS })) });
    } finally {
      await producer.disconnect();
    }
  };
  const unitsVersion = () => (JSON.parse(readFileSync(join(dataDir, 'units.json'), 'utf8')) as { version: string }).version;

  beforeAll(async () => {
    cpSync(join(REPO_ROOT, 'infra', 'data'), dataDir, { recursive: true });
    [ingest, projector, archiver] = await Promise.all([
      startService('ingest', { ...env, INGEST_TRANSACTIONAL_ID: `${id}-ingest` }, 'INGEST_PORT'),
      startService('projector', env, 'PROJECTOR_PORT'),
      startService('archiver', env, 'ARCHIVER_PORT'),
    ]);
    services.push(ingest, projector, archiver);
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
    expect((await postBatch(ingest.url, baseline)).status).toBe(202);
    await waitFor(async () => ((await stored()).length === baseline.length ? true : undefined), { description: 'the baseline archived' });
    await settled();
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await projection.dropNamespace();
    redis.disconnect();
    await stack.cleanUp();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('HTTP: refuses each with 400 naming the field, the limit, the unit and the directory version, and writes nothing', async () => {
    const refuse = async (events: unknown[]) => {
      const res = await postBatch(ingest.url, events);
      expect(res.status).toBe(400);
      return (await res.json()) as Refusal;
    };
    const ahead = await refuse([future]);
    expect(ahead.invalid[0]?.problems.map((p) => [p.path, p.code])).toEqual([
      ['/time', 'future-time'],
      ['/data/receivedAt', 'future-time'],
    ]);
    expect(ahead.invalid[0]?.problems[1]?.message).toMatch(
      /^2099-01-01T00:00:00\+07:00 is \d{2},\d{3} days ahead of the clock; at most 5 minutes ahead is accepted \(EVENT_MAX_FUTURE_SKEW_SECONDS\)$/,
    );
    const before = await refuse([past]);
    expect(before.invalid[0]?.problems.map((p) => [p.path, p.code])).toEqual([
      ['/time', 'before-history-start'],
      ['/data/receivedAt', 'before-history-start'],
      ['/unitid', 'unknown-unit'], // Đồng Nai's department did not exist in 1990 either
    ]);
    expect(before.invalid[0]?.problems[0]?.message).toBe(
      '1990-01-01T08:00:00+07:00 is before the history start 2022-01-01 (HISTORY_START): the figures and the working-day calendar begin there',
    );
    const unknown = await refuse([stranger]);
    expect(unknown.invalid[0]?.problems).toEqual([
      { path: '/unitid', code: 'unknown-unit', message: `unit '${missing}' is not in the unit directory (unit directory version ${unitsVersion()})` },
    ]);
    const many = await refuse(crowd);
    expect(many.invalidCount).toBe(500);
    expect(many.invalid).toHaveLength(100);
    expect(many.error).toBe('500 of 500 events are refused (0 invalid, 500 not admitted: unknown-unit); nothing was accepted (the first 100 are listed)');

    const metrics = await scrapeMetrics(ingest.url);
    expect(metrics.get('dvc_ingest_rejections_total{reason="future-time"}')).toBe(1);
    expect(metrics.get('dvc_ingest_rejections_total{reason="before-history-start"}')).toBe(1);
    expect(metrics.get('dvc_ingest_rejections_total{reason="unknown-unit"}')).toBe(3);
    expect(metrics.get('dvc_ingest_events_total{outcome="rejected"}')).toBe(503);
    expect(metrics.get('dvc_ingest_events_total{outcome="accepted"}')).toBe(baseline.length);
    await settled();
    expect((await stored()).length).toBe(baseline.length);
  });

  it('Kafka path: dead-letters each once with its code, archives none, projects none', async () => {
    const appliedBefore = await metric(projector, 'dvc_projector_events_applied_total{type="vn.dvc.dossier.received"}');
    await produce([future, past, stranger, ...crowd]);
    await waitFor(async () => ((await metric(archiver, 'dvc_archiver_events_skipped_total{reason="unknown-unit"}')) === 501 ? true : undefined), {
      description: 'the archiver skipped them',
    });
    await settled();

    const letters = await deadLetters();
    expect(letters).toHaveLength(503);
    const byCode = new Map<string, number>();
    for (const l of letters) byCode.set(`${l.stage}/${l.code}`, (byCode.get(`${l.stage}/${l.code}`) ?? 0) + 1);
    expect(Object.fromEntries(byCode)).toEqual({ 'admission/future-time': 1, 'admission/before-history-start': 1, 'admission/unknown-unit': 501 });
    expect(letters.find((l) => l.key === future.subject)?.reason).toMatch(
      /^\/time 2099-01-01T00:00:00\+07:00 is [\d,]+ days ahead of the clock; at most 5 minutes/,
    );
    expect(letters.find((l) => l.key === stranger.subject)?.reason).toBe(
      `/unitid unit '${missing}' is not in the unit directory (unit directory version ${unitsVersion()})`,
    );

    const p = await scrapeMetrics(projector.url);
    expect(p.get('dvc_projector_events_rejected_total{stage="admission",code="future-time"}')).toBe(1);
    expect(p.get('dvc_projector_events_rejected_total{stage="admission",code="before-history-start"}')).toBe(1);
    expect(p.get('dvc_projector_events_rejected_total{stage="admission",code="unknown-unit"}')).toBe(501);
    expect(p.get('dvc_projector_events_rejected_total{stage="admission",code="due-too-far"}')).toBe(0);
    expect(p.get('dvc_projector_events_rejected_total{stage="validation",code="invalid"}')).toBe(0);
    expect(p.get('dvc_projector_events_applied_total{type="vn.dvc.dossier.received"}')).toBe(appliedBefore);
    const a = await scrapeMetrics(archiver.url);
    expect(a.get('dvc_archiver_events_skipped_total{reason="future-time"}')).toBe(1);
    expect(a.get('dvc_archiver_events_skipped_total{reason="before-history-start"}')).toBe(1);
    expect(a.get('dvc_archiver_events_skipped_total{reason="unknown-unit"}')).toBe(501);
    expect(a.get('dvc_archiver_events_appended_total{type="vn.dvc.dossier.received"}')).toBe(baseline.length);
    expect((await stored()).sort()).toEqual(baseline.map((e) => e.id).sort());
    expect(await projection.units()).toEqual([known]);
  });

  it('after the unit is added, the services reload it without a restart and dvc dlq redrive --code unknown-unit gets it admitted', async () => {
    const units = JSON.parse(readFileSync(join(dataDir, 'units.json'), 'utf8')) as { version: string; units: Record<string, unknown>[] };
    units.version = `${units.version}+${id}`;
    units.units.push({ id: missing, name: 'UBND phường thử nghiệm', level: 'commune', kind: 'commune_desk', parent: 'dn', validFrom: '2025-07-01' });
    writeFileSync(join(dataDir, 'units.json'), JSON.stringify(units, null, 2));
    for (const service of [ingest, projector, archiver]) {
      await waitFor(async () => ((await metric(service, `dvc_reference_data_info{file="units.json",version="${units.version}"}`)) === 1 ? true : undefined), {
        description: `${service.name} reloaded units.json`,
      });
      expect(service.process.exitCode).toBeNull();
    }

    const { stdout } = await runCli(['dlq', 'redrive', '--code', 'unknown-unit'], env);
    expect(stdout).toContain(`re-drove 501 of 503 dead letters (501 to ${topic})`);
    await waitFor(async () => ((await metric(archiver, 'dvc_archiver_events_skipped_total{reason="unknown-unit"}')) === 1001 ? true : undefined), {
      description: 'the re-driven copies judged by the archiver',
    });
    await settled();

    expect((await stored()).sort()).toEqual([...baseline.map((e) => e.id), stranger.id].sort());
    expect((await projection.units()).sort()).toEqual([known, missing].sort());
    const p = await scrapeMetrics(projector.url);
    expect(p.get('dvc_projector_events_applied_total{type="vn.dvc.dossier.received"}')).toBe(baseline.length + 1);
    // The 500 random ids are still unknown: dead-lettered once more each.
    expect(p.get('dvc_projector_events_rejected_total{stage="admission",code="unknown-unit"}')).toBe(1001);
    expect(await deadLetters()).toHaveLength(1003);
    // Over HTTP the portal's retry is now accepted.
    expect((await postBatch(ingest.url, [{ ...stranger, id: `${stranger.id}-again` }])).status).toBe(202);
  });
});
