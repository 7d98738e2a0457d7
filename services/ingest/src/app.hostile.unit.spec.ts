import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec, loadConfig, loadReferenceData } from '@dvc/config';
import { DEFAULT_HTTP_LIMITS } from '@dvc/service';
import type { DvcEvent } from '@dvc/domain';
import { KeyRateLimiter } from '@dvc/keys';
import type { IngestApp } from './app.js';
import { PRODUCER_KEY, metricValue, producerKeys, startTestApp } from './test-app.js';

/** The producer key every request of this file carries: every unit, every type. */
const KEY = PRODUCER_KEY;

/**
 * The edge as a client sees it, on a loopback port with an in-memory publisher (the app's own
 * port, not a Kafka fake): hostile requests get precise refusals and are counted, the rate
 * limit answers 429, and only the valid requests' events are published.
 */
const event = (id: string) => ({
  specversion: '1.0',
  id,
  source: 'portal',
  type: 'vn.dvc.dossier.withdrawn',
  time: '2022-06-22T08:00:00+07:00',
  subject: id,
  unitid: 'bp.stnmt',
  data: { dossierId: id, unitId: 'bp.stnmt', at: '2022-06-22T08:00:00+07:00' },
});

describe('ingest edge under hostile input', () => {
  const published: DvcEvent[] = [];
  const registry = new Registry();
  // The wall clock, the day after the events: the rate limiter's clock and admission's "now".
  let t = Date.parse('2022-06-23T08:00:00+07:00');
  const admission = admissionLimits(loadConfig(admissionSpec, {}), loadReferenceData());
  let app: IngestApp;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startTestApp({
      published,
      registry,
      maxBodyBytes: 64 * 1024,
      maxEventsPerRequest: 100,
      admission: () => admission,
      limits: { ...DEFAULT_HTTP_LIMITS, ratePerSecond: 10, burst: 20 },
      now: () => t,
      keys: producerKeys,
      limiter: new KeyRateLimiter(() => t),
    }));
  });
  afterAll(() => app.close());

  const post = (body: string | Buffer, contentType = 'application/cloudevents+json') => {
    t += 1000; // a fresh second each time: these requests are not about the rate limit
    return fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${KEY}` }, body });
  };
  const metric = (name: string, labels: Record<string, string>) => metricValue(registry, name, labels);

  it('refuses each hostile body with its reason and counts it, publishing only the valid events around them', async () => {
    const cases: [string | Buffer, string, number, string][] = [
      ['{"specversion":', 'application/cloudevents+json', 400, 'malformed_json'],
      [Buffer.from(JSON.stringify(event('x')), 'utf16le'), 'application/cloudevents+json', 400, 'encoding'],
      [Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'application/cloudevents+json', 400, 'encoding'],
      ['', 'application/cloudevents+json', 400, 'empty'],
      ['{}', 'application/cloudevents-batch+json', 400, 'not_a_batch'],
      [JSON.stringify({ ...event('y'), unitid: 'bp"}\n' }), 'application/cloudevents+json', 400, 'invalid_events'],
      ['x'.repeat(70 * 1024), 'application/cloudevents+json', 413, 'too_large'],
      [JSON.stringify(Array.from({ length: 101 }, (_, i) => event(`n${i}`))), 'application/cloudevents-batch+json', 413, 'too_many_events'],
      [JSON.stringify(event('z')), 'text/plain', 415, 'unsupported_media_type'],
    ];
    expect((await post(JSON.stringify(event('v1')))).status).toBe(202);
    for (const [body, contentType, status, reason] of cases) {
      const res = await post(body, contentType);
      expect({ reason, status: res.status }).toEqual({ reason, status });
      expect(((await res.json()) as { error: string }).error.length).toBeGreaterThan(0);
      expect(await metric('dvc_ingest_rejections_total', { reason })).toBeGreaterThanOrEqual(1);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }
    expect((await post(JSON.stringify([event('v2'), event('v3')]), 'application/cloudevents-batch+json')).status).toBe(202);
    expect(published.map((e) => e.id)).toEqual(['v1', 'v2', 'v3']);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'encoding' })).toBe(2);
    expect(await metric('dvc_ingest_events_total', { outcome: 'accepted' })).toBe(3);
  });

  it('refuses a POST with query parameters (dryRun=true is not honoured, so it must not publish), naming them, counted', async () => {
    const before = published.length;
    for (const [query, named] of [
      ['?dryRun=true', "'dryRun'"],
      ['?validate=1&validate=2&x=', "'validate', 'x'"],
      ['?', null],
    ] as const) {
      t += 1000;
      const res = await fetch(`${url}/v1/events${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(event(`q${query}`)),
      });
      if (named === null) {
        expect(res.status).toBe(202);
        continue;
      }
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: `POST /v1/events takes no query parameters (got ${named}); nothing was accepted` });
    }
    expect(published.length).toBe(before + 1);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'query' })).toBe(2);
  });

  it('answers 429 with Retry-After once a client passes its burst, counts it, and lets it back after the wait', async () => {
    t += 10_000;
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(event(`r${i}`)),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('1');
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(await metric('dvc_http_refused_total', { reason: 'rate_limited' })).toBe(5);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const again = () =>
      fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(event('after')),
      });
    expect((await again()).status).toBe(429);
    t += 100; // one token back at 10 per second
    expect((await again()).status).toBe(202);
  });
});
