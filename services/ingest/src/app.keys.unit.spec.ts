import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec, loadConfig, loadReferenceData } from '@dvc/config';
import type { DvcEvent } from '@dvc/domain';
import { KeyRateLimiter, KeyRing, hashApiKey, type ApiKeyRecord } from '@dvc/keys';
import { UNKNOWN_KEY_LABEL, type IngestApp } from './app.js';
import { metricValue, startTestApp } from './test-app.js';

/**
 * Producer keys at the edge, with the repository's unit directory, an injected clock and an
 * in-memory publisher: no key, a malformed or unknown one → 401 with a Bearer challenge; a key
 * of another role → 403; an event outside the key's units (the district Đồng Xoài and
 * everything under it) or types → 403 naming it, nothing of the batch published; past the key's
 * rate → 429; each published batch carries its key's id; counted by key id, never by the text
 * presented.
 */
const NOW = Date.parse('2022-06-23T08:00:00+07:00');
const admission = admissionLimits(loadConfig(admissionSpec, {}), loadReferenceData());
const KEYS = { district: 'dvcr_district', all: 'dvcr_all', reader: 'dvcr_reader', slow: 'dvcr_slow' } as const;

function record(id: string, key: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { id, hash: hashApiKey(key), units: '*', types: '*', ratePerMinute: 1000, role: 'producer', createdAt: '2022-01-01T00:00:00.000Z', ...overrides };
}

let sequence = 0;
function withdrawn(unit: string, type: 'vn.dvc.dossier.withdrawn' = 'vn.dvc.dossier.withdrawn'): DvcEvent {
  sequence += 1;
  const id = `W-${sequence}`;
  return {
    specversion: '1.0',
    id: `e-${sequence}`,
    source: 'portal',
    type,
    time: '2022-06-22T08:00:00+07:00',
    subject: id,
    unitid: unit,
    data: { dossierId: id, unitId: unit, at: '2022-06-22T08:00:00+07:00' },
  } as DvcEvent;
}
const report = (unit: string): DvcEvent => {
  sequence += 1;
  return {
    specversion: '1.0',
    id: `e-${sequence}`,
    source: 'portal',
    type: 'vn.dvc.report.submitted',
    time: '2022-06-22T08:00:00+07:00',
    subject: `R-${sequence}`,
    unitid: unit,
    data: { reportId: `R-${sequence}`, unitId: unit, channel: 'online', submittedAt: '2022-06-22T08:00:00+07:00' },
  } as DvcEvent;
};

describe('ingest producer keys', () => {
  const published: { events: DvcEvent[]; key: string }[] = [];
  const registry = new Registry();
  let records: ApiKeyRecord[] = [
    record('dongxoai-portal', KEYS.district, { units: ['tree:bp.dongxoai'], types: ['vn.dvc.dossier.withdrawn'] }),
    record('province-portal', KEYS.all),
    record('auditor', KEYS.reader, { role: 'replay' }),
    record('slow', KEYS.slow, { ratePerMinute: 2 }),
  ];
  let t = NOW;
  let app: IngestApp;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startTestApp({
      publisher: { publish: async (events, key) => void published.push({ events: [...events], key }) },
      registry,
      admission: () => admission,
      now: () => t,
      keys: { current: () => new KeyRing(records) },
      limiter: new KeyRateLimiter(() => t),
    }));
  });
  afterAll(() => app.close());
  beforeEach(() => {
    published.length = 0;
  });

  const post = async (events: DvcEvent[], authorization?: string) => {
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify(events),
    });
    return { status: res.status, headers: res.headers, answer: (await res.json()) as Record<string, unknown> };
  };
  const metric = (name: string, labels: Record<string, string>) => metricValue(registry, name, labels);

  it('refuses a request without a key, with a malformed header or an unknown key with 401 and a Bearer challenge', async () => {
    const missing = await post([withdrawn('bp.dongxoai')]);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="dvc-ingest"');
    expect(missing.answer).toEqual({ error: 'missing producer key: send the header Authorization: Bearer <key>' });
    const basic = await post([withdrawn('bp.dongxoai')], 'Basic abc');
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toBe('Bearer realm="dvc-ingest", error="invalid_request"');
    const unknown = await post([withdrawn('bp.dongxoai')], 'Bearer dvcr_guessed');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="dvc-ingest", error="invalid_token"');
    expect(unknown.answer).toEqual({ error: 'unknown or revoked producer key' });
    expect(published).toEqual([]);
    expect(await metric('dvc_ingest_key_requests_total', { key: UNKNOWN_KEY_LABEL, status: '401' })).toBe(3);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'unauthenticated' })).toBe(3);
    const keyLabels = (await registry.getSingleMetric('dvc_ingest_key_requests_total')?.get())?.values.map((v) => v.labels.key);
    expect(keyLabels).not.toContain('dvcr_guessed');
  });

  it('refuses a key of another role with 403 naming it', async () => {
    const { status, answer } = await post([withdrawn('bp.dongxoai')], `Bearer ${KEYS.reader}`);
    expect(status).toBe(403);
    expect(answer).toEqual({ error: "key 'auditor' has the role 'replay'; the ingest takes only keys with the role 'producer'" });
    expect(published).toEqual([]);
  });

  it('accepts a district key for the district and every unit under it, and publishes the key id with the batch', async () => {
    const batch = [withdrawn('bp.dongxoai'), withdrawn('bp.dongxoai.tanbinh'), withdrawn('bp.dongxoai.cnvpdd')];
    const { status, answer } = await post(batch, `Bearer ${KEYS.district}`);
    expect({ status, answer }).toEqual({ status: 202, answer: { accepted: 3 } });
    expect(published).toEqual([{ events: batch, key: 'dongxoai-portal' }]);
    expect(await metric('dvc_ingest_key_events_total', { key: 'dongxoai-portal', outcome: 'accepted' })).toBe(3);
  });

  it("refuses a batch with another district's unit with 403 naming the unit, and writes none of it", async () => {
    const foreign = withdrawn('bp.locninh.locan');
    const { status, answer } = await post([withdrawn('bp.dongxoai.tanbinh'), foreign, withdrawn('bp')], `Bearer ${KEYS.district}`);
    expect(status).toBe(403);
    expect(answer).toEqual({
      error: "key 'dongxoai-portal' may not write 2 of the 3 events, e.g. unit 'bp.locninh.locan' (its units: tree:bp.dongxoai); nothing was accepted",
      key: 'dongxoai-portal',
      outside: [
        { index: 1, id: foreign.id, unit: 'bp.locninh.locan' },
        { index: 2, id: expect.any(String), unit: 'bp' },
      ],
      outsideCount: 2,
    });
    expect(published).toEqual([]);
    expect(await metric('dvc_ingest_key_events_total', { key: 'dongxoai-portal', outcome: 'refused' })).toBe(3);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'out_of_scope' })).toBe(1);
  });

  it('refuses an event type outside the key with 403 naming the type', async () => {
    const { status, answer } = await post([report('bp.dongxoai.tanbinh')], `Bearer ${KEYS.district}`);
    expect(status).toBe(403);
    expect(answer.error).toBe(
      "key 'dongxoai-portal' may not write 1 of the 1 events, e.g. type 'vn.dvc.report.submitted' (its types: vn.dvc.dossier.withdrawn); nothing was accepted",
    );
    expect(answer.outside).toEqual([{ index: 0, id: expect.any(String), type: 'vn.dvc.report.submitted' }]);
    expect(published).toEqual([]);
  });

  it("answers 429 with Retry-After past the key's own rate, while other keys go on", async () => {
    expect((await post([withdrawn('bp.locninh')], `Bearer ${KEYS.slow}`)).status).toBe(202);
    expect((await post([withdrawn('bp.locninh')], `Bearer ${KEYS.slow}`)).status).toBe(202);
    const third = await post([withdrawn('bp.locninh')], `Bearer ${KEYS.slow}`);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('30');
    expect(third.answer).toEqual({ error: "rate limit of 2 requests per minute reached for key 'slow'; retry in 30 s" });
    expect((await post([withdrawn('bp.locninh')], `Bearer ${KEYS.all}`)).status).toBe(202);
    t += 30_000;
    expect((await post([withdrawn('bp.locninh')], `Bearer ${KEYS.slow}`)).status).toBe(202);
    expect(await metric('dvc_ingest_key_requests_total', { key: 'slow', status: '429' })).toBe(1);
    expect(await metric('dvc_ingest_key_events_total', { key: 'slow', outcome: 'accepted' })).toBe(3);
  });

  it('refuses a key once it is revoked from the store', async () => {
    expect((await post([withdrawn('bp')], `Bearer ${KEYS.all}`)).status).toBe(202);
    records = records.filter((r) => r.id !== 'province-portal');
    const after = await post([withdrawn('bp')], `Bearer ${KEYS.all}`);
    expect(after.status).toBe(401);
    expect(after.answer).toEqual({ error: 'unknown or revoked producer key' });
    expect(published.map((p) => p.key)).toEqual(['province-portal']);
  });
});
