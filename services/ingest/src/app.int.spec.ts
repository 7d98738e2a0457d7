import { pino } from 'pino';
import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec, loadConfig, loadReferenceData } from '@dvc/config';
import { listen } from '@dvc/service';
import { TransactionalPublisher } from '@dvc/kafka';
import { testKafka } from '@dvc/kafka/testing';
import { testEvent } from '@dvc/testing';
import { KeyRateLimiter, KeyRing, hashApiKey } from '@dvc/keys';
import { createApp, type IngestApp } from './app.js';

/** The producer key every request of this file carries: every unit, every type. */
const KEY = 'dvcr_test-producer';
const keys = {
  current: () =>
    new KeyRing([
      { id: 'portal', hash: hashApiKey(KEY), units: '*', types: '*', ratePerMinute: 100_000, role: 'producer', createdAt: '2026-01-01T00:00:00.000Z' },
    ]),
};
import { kafkaEventPublisher } from './kafka-publisher.js';

const event = testEvent(
  'vn.dvc.dossier.withdrawn',
  'D1',
  { id: 'e-503', source: 'test', unit: 'u1', time: '2022-06-22T08:00:00+07:00' },
  { dossierId: 'D1', at: '2022-06-22T08:00:00+07:00' },
);

describe('ingest when Kafka is unavailable', () => {
  let app: IngestApp;
  let url: string;

  beforeAll(async () => {
    const kafka = testKafka('ingest-503', ['127.0.0.1:1'], { failFast: true });
    const logger = pino({ level: 'silent' });
    app = createApp({
      publisher: kafkaEventPublisher(new TransactionalPublisher(kafka, 'nowhere', 'tx-503', logger)),
      isReady: async () => false,
      registry: new Registry(),
      logger,
      build: { service: 'ingest', version: '0.0.0-test', node: process.version },
      maxBodyBytes: 1024 * 1024,
      maxEventsPerRequest: 100,
      // The event's unit 'u1' is not in the directory: pilot mode, said explicitly.
      admission: () => admissionLimits(loadConfig(admissionSpec, { ACCEPT_UNKNOWN_UNITS: 'true' }), loadReferenceData()),
      keys,
      limiter: new KeyRateLimiter(Date.now),
    });
    url = `http://127.0.0.1:${await listen(app.server, 0, '127.0.0.1')}`;
  });

  afterAll(() => app.close());

  it('answers 503 with Retry-After and accepts nothing', async () => {
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(event),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({ error: 'event log unavailable; nothing was accepted, retry later' });
  });

  it('is alive but not ready', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not ready', kafka: false });
  });
});
