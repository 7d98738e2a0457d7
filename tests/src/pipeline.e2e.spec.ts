import { ProjectionStore, createRedisClient } from '@dvc/redis';
import { ev, postBatch, producerAuth, redisTargets, uniqueName, waitFor } from '@dvc/testing';
import { UNKNOWN_UNITS_ACCEPTED, promQuery, registerScrapeTarget, scrapeMetrics, startService, serviceEnv, type ServiceProcess } from './stack.js';

/**
 * The whole path on the real stack: HTTP ingest → Kafka → projector → Redis → exporter →
 * the real Prometheus, with exact numbers read back from Prometheus's HTTP API. On the single
 * Redis and on the Redis Cluster (REDIS_CLUSTER_URL).
 */
describe.each(redisTargets())('ingest → Kafka → projector → Redis → exporter → Prometheus, on $name', ({ url }) => {
  const id = uniqueName('e2e').replace(/[^a-z0-9]/g, '');
  const unit = `e2e.${id}`;
  const common = {
    ...serviceEnv(id),
    REDIS_URL: url,
    ...UNKNOWN_UNITS_ACCEPTED,
  };
  let ingest: ServiceProcess;
  let projector: ServiceProcess;
  let exporter: ServiceProcess;
  let unregister: () => void;
  const redis = createRedisClient({ url, connectionName: `dvc-test-${id}` });

  // Twelve dossiers in June 2022, built so each number below is known by hand.
  const due = '2022-06-21T17:00:00+07:00';
  const history = [
    ...['D1', 'D2', 'D3', 'D4', 'D5', 'D6'].map((d) => ev.received(unit, d, '2022-06-20T08:00:00+07:00', 'online', { dueAt: due })),
    ...['D7', 'D8', 'D9', 'D10'].map((d) => ev.received(unit, d, '2022-06-20T08:00:00+07:00', 'direct', { dueAt: due })),
    ev.received(unit, 'D11', '2022-06-20T09:00:00+07:00', 'online', { dueAt: '2022-06-30T17:00:00+07:00' }),
    ev.received(unit, 'D12', '2022-06-21T08:00:00+07:00', 'direct', { dueAt: '2022-06-23T08:00:00+07:00' }),
    ev.resolved(unit, 'D1', '2022-06-21T10:00:00+07:00', true),
    ev.resolved(unit, 'D2', '2022-06-21T10:00:00+07:00', true),
    ev.resolved(unit, 'D3', '2022-06-21T11:00:00+07:00', false),
    ev.resolved(unit, 'D4', '2022-06-21T11:00:00+07:00', false),
    // Resolved the morning after its due time: overdue.
    ev.resolved(unit, 'D5', '2022-06-22T09:00:00+07:00', true),
    // Two supplement requests: overdue although resolved before its due time (766 rule).
    ev.supplementRequested(unit, 'D6', '2022-06-20T10:00:00+07:00'),
    ev.supplementReceived(unit, 'D6', '2022-06-20T11:00:00+07:00'),
    ev.supplementRequested(unit, 'D6', '2022-06-20T12:00:00+07:00'),
    ev.supplementReceived(unit, 'D6', '2022-06-20T13:00:00+07:00'),
    ev.resolved(unit, 'D6', '2022-06-21T09:00:00+07:00', false),
    // Waiting for the citizen's supplement: paused, not overdue.
    ev.supplementRequested(unit, 'D7', '2022-06-21T09:00:00+07:00'),
  ];

  beforeAll(async () => {
    projector = await startService('projector', { ...common, PROJECTOR_GROUP: `${id}-projector` }, 'PROJECTOR_PORT');
    exporter = await startService('exporter', { ...common, CLOCK: 'event' }, 'EXPORTER_PORT');
    ingest = await startService('ingest', { ...common, INGEST_TRANSACTIONAL_ID: `${id}-ingest`, INGEST_MAX_BODY_BYTES: String(64 * 1024) }, 'INGEST_PORT');
    await waitFor(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), { description: 'ingest ready' });
    unregister = registerScrapeTarget(id, exporter.port);
  });

  afterAll(async () => {
    unregister?.();
    await Promise.all([ingest?.kill('SIGTERM'), projector?.kill('SIGTERM'), exporter?.kill('SIGTERM')]);
    await new ProjectionStore(redis, id).dropNamespace();
    redis.disconnect();
  });

  const applied = async () => {
    const metrics = await scrapeMetrics(exporter.url);
    let total = 0;
    let duplicates = 0;
    for (const [series, value] of metrics) {
      if (series.startsWith('dvc_projection_events_applied_total')) total += value;
      if (series.startsWith('dvc_projection_events_duplicate_total')) duplicates += value;
    }
    return { total, duplicates, metrics };
  };

  const expectPrometheus = async (query: string, expected: number) =>
    waitFor(
      async () => {
        const result = await promQuery(query);
        return result.length === 1 && result[0]?.value === expected ? true : undefined;
      },
      { timeoutMs: 30_000, description: `${query} == ${expected}` },
    );

  it('reports exact counts, the overdue ratio and open dossiers through Prometheus', async () => {
    const res = await postBatch(ingest.url, history);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: history.length });
    await waitFor(async () => ((await applied()).total === history.length ? true : undefined), { description: 'all events applied' });

    const sel = `test_id="${id}",unit="${unit}",level="unknown"`;
    await expectPrometheus(`dvc_dossiers_received{${sel},window="14d",channel="online"}`, 7);
    await expectPrometheus(`dvc_dossiers_received{${sel},window="14d",channel="direct"}`, 5);
    await expectPrometheus(`dvc_dossiers_resolved{${sel},window="14d",timeliness="on_time",processing="online"}`, 2);
    await expectPrometheus(`dvc_dossiers_resolved{${sel},window="14d",timeliness="on_time",processing="paper"}`, 2);
    await expectPrometheus(`dvc_dossiers_resolved{${sel},window="14d",timeliness="overdue",processing="online"}`, 1);
    await expectPrometheus(`dvc_dossiers_resolved{${sel},window="14d",timeliness="overdue",processing="paper"}`, 1);
    await expectPrometheus(`round(dvc_overdue_ratio{${sel},window="14d"}, 0.0001)`, 0.3333);
    // The event-time clock stands at D5's resolution, 2022-06-22 09:00: D8–D10 are past due.
    await expectPrometheus(`dvc_dossiers_open{${sel},state="overdue"}`, 3);
    await expectPrometheus(`dvc_dossiers_open{${sel},state="in_time"}`, 2);
    await expectPrometheus(`dvc_dossiers_open{${sel},state="paused"}`, 1);
    await expectPrometheus(`dvc_dossiers_due_soon{${sel},within="24h"}`, 1);
  });

  it('applies a batch sent twice only once', async () => {
    const res = await postBatch(ingest.url, history);
    expect(res.status).toBe(202);
    const after = await waitFor(
      async () => {
        const a = await applied();
        return a.duplicates === history.length ? a : undefined;
      },
      { description: 'second delivery recognised as duplicates' },
    );
    expect(after.total).toBe(history.length);
    const series = `dvc_dossiers_received{unit="${unit}",level="unknown",window="14d",channel="online"}`;
    expect(after.metrics.get(series)).toBe(7);
    expect(after.metrics.get(`dvc_dossiers_open{unit="${unit}",level="unknown",state="overdue"}`)).toBe(3);
  });

  describe('bad input at the edge', () => {
    const post = (body: string, contentType = 'application/cloudevents-batch+json') =>
      fetch(`${ingest.url}/v1/events`, { method: 'POST', headers: { 'content-type': contentType, ...producerAuth() }, body });
    const valid = () => ev.received(unit, `B-${Math.random().toString(36).slice(2)}`, '2022-06-22T08:00:00+07:00', 'online');

    it('names each problem and accepts nothing from a rejected batch', async () => {
      const malformed = await post('[{"specversion": "1.0",');
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: string }).error).toMatch(/^malformed JSON/);

      const unknownType = { ...valid(), type: 'vn.dvc.dossier.recieved' };
      const missing = valid() as Record<string, unknown>;
      delete (missing.data as Record<string, unknown>).receivedAt;
      const wrongType = valid();
      (wrongType.data as Record<string, unknown>).processingDays = 'three';
      const negative = ev.payment(unit, 'PAY-1', '2022-06-22T08:00:00+07:00', 'fee', 'online', -5);
      const res = await post(JSON.stringify([valid(), unknownType, missing, wrongType, negative]));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; invalid: { index: number; problems: { path: string; message: string }[] }[] };
      expect(body.error).toBe('4 of 5 events are invalid; nothing was accepted');
      expect(body.invalid.map((i) => i.index)).toEqual([1, 2, 3, 4]);
      expect(body.invalid[0]?.problems[0]).toEqual({
        path: '/type',
        message: "unknown event type 'vn.dvc.dossier.recieved' (did you mean 'vn.dvc.dossier.received'?)",
      });
      expect(body.invalid[1]?.problems[0]?.path).toBe('/data/receivedAt');
      expect(body.invalid[2]?.problems[0]?.path).toBe('/data/processingDays');
      expect(body.invalid[3]?.problems[0]?.path).toBe('/data/amountVnd');
    });

    it('refuses oversized bodies and other content types, and keeps serving', async () => {
      const big = Array.from({ length: 400 }, valid);
      expect((await post(JSON.stringify(big))).status).toBe(413);
      const wrongType = await post(JSON.stringify(valid()), 'text/plain');
      expect(wrongType.status).toBe(415);
      expect(((await wrongType.json()) as { error: string }).error).toMatch(/Content-Type text\/plain is not accepted/);

      // Nothing of the rejected requests reached Kafka: after one more valid event the
      // projection has applied exactly the history plus that event.
      const sentinel = valid();
      const ok = await post(JSON.stringify(sentinel), 'application/cloudevents+json');
      expect(ok.status).toBe(202);
      const final = await waitFor(
        async () => {
          const a = await applied();
          return a.total === history.length + 1 ? a : undefined;
        },
        { description: 'sentinel applied' },
      );
      expect(final.metrics.get(`dvc_projection_events_applied_total{type="vn.dvc.dossier.received"}`)).toBe(13);
      const ingestMetrics = await scrapeMetrics(ingest.url);
      expect(ingestMetrics.get('dvc_ingest_requests_total{status="413"}')).toBe(1);
      expect(ingestMetrics.get('dvc_ingest_requests_total{status="415"}')).toBe(1);
    });
  });
});
