import { Registry } from 'prom-client';
import { admissionLimits, admissionSpec, loadConfig, loadReferenceData } from '@dvc/config';
import type { DvcEvent } from '@dvc/domain';
import { KeyRateLimiter } from '@dvc/keys';
import type { IngestApp } from './app.js';
import { PRODUCER_KEY, metricValue, producerKeys, startTestApp } from './test-app.js';

/** The producer key every request of this file carries: every unit, every type. */
const KEY = PRODUCER_KEY;

/**
 * Admission at the HTTP edge, with the repository's unit directory and the default settings and
 * an injected wall clock (3 December 2026, 08:00 in Vietnam): events from the future, from
 * before the history, for units not in the directory or no longer valid are refused with 400
 * naming the field, the value and the limit, counted by code, and nothing of the batch is
 * published.
 */
const NOW = Date.parse('2026-12-03T08:00:00+07:00');
const reference = loadReferenceData();
const admission = admissionLimits(loadConfig(admissionSpec, {}), reference);
const VERSION = reference.units.version;

let sequence = 0;
function resolved(unit: string, resolvedAt: string, time = resolvedAt) {
  sequence += 1;
  const id = `D-${sequence}`;
  return {
    specversion: '1.0',
    id: `e-${sequence}`,
    source: 'portal',
    type: 'vn.dvc.dossier.resolved',
    time,
    subject: id,
    unitid: unit,
    data: { dossierId: id, unitId: unit, resolvedAt, outcome: 'approved', processedOnline: true },
  };
}

interface Answer {
  error: string;
  invalidCount: number;
  invalid: { index: number; id?: string; problems: { path: string; message: string; code?: string }[] }[];
}

describe('ingest admission', () => {
  const published: DvcEvent[] = [];
  const registry = new Registry();
  let app: IngestApp;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startTestApp({
      published,
      registry,
      admission: () => admission,
      now: () => NOW,
      keys: producerKeys,
      limiter: new KeyRateLimiter(() => NOW),
    }));
  });
  afterAll(() => app.close());

  const post = async (body: unknown): Promise<{ status: number; answer: Answer }> => {
    const batch = Array.isArray(body);
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, answer: (await res.json()) as Answer };
  };
  const metric = (name: string, labels: Record<string, string>) => metricValue(registry, name, labels);

  it('accepts an event of a current unit up to the skew limit', async () => {
    const at = '2026-12-03T08:05:00+07:00';
    expect((await post(resolved('dn.snnmt', at))).status).toBe(202);
    expect(published.map((e) => e.time)).toEqual([at]);
  });

  it("refuses the issue's 2099 event with 400 naming the field, the value and the limit", async () => {
    const event = resolved('dn.snnmt', '2099-01-01T00:00:00+07:00', '2026-12-03T07:00:00+07:00');
    const { status, answer } = await post(event);
    expect(status).toBe(400);
    expect(answer).toEqual({
      error: '1 of 1 events are refused (0 invalid, 1 not admitted: future-time); nothing was accepted',
      invalidCount: 1,
      invalid: [
        {
          index: 0,
          id: event.id,
          problems: [
            {
              path: '/data/resolvedAt',
              code: 'future-time',
              message: '2099-01-01T00:00:00+07:00 is 26,326 days ahead of the clock; at most 5 minutes ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS)',
            },
          ],
        },
      ],
    });
    expect(await metric('dvc_ingest_rejections_total', { reason: 'future-time' })).toBe(1);
  });

  it('refuses a unit missing from the directory, naming it and the directory version', async () => {
    const { status, answer } = await post(resolved('dn.khongco', '2026-12-02T10:00:00+07:00'));
    expect(status).toBe(400);
    expect(answer.invalid[0]?.problems).toEqual([
      { path: '/unitid', code: 'unknown-unit', message: `unit 'dn.khongco' is not in the unit directory (unit directory version ${VERSION})` },
    ]);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'unknown-unit' })).toBe(1);
  });

  it('refuses a Bình Phước unit for an event of today, naming its validity and successor', async () => {
    const { status, answer } = await post(resolved('bp.stnmt', '2026-12-02T10:00:00+07:00'));
    expect(status).toBe(400);
    expect(answer.invalid[0]?.problems).toEqual([
      {
        path: '/unitid',
        code: 'unknown-unit',
        message: `unit 'bp.stnmt' is not valid on 2026-12-02 (valid 2020-01-01–2025-06-30, successor dn.snnmt; unit directory version ${VERSION})`,
      },
    ]);
  });

  it('writes nothing of a batch with one inadmissible event, lists each refused event and counts each code once', async () => {
    const before = published.length;
    const rejectedBefore = await metric('dvc_ingest_events_total', { outcome: 'rejected' });
    const batch = [
      resolved('dn.stc', '2026-12-01T09:00:00+07:00'),
      resolved('dn.stc', '1990-01-01T08:00:00+07:00', '2026-12-01T09:00:00+07:00'),
      resolved('xa.typo', '2026-12-01T09:00:00+07:00'),
      resolved('xa.typo2', '2026-12-01T09:00:00+07:00'),
    ];
    const { status, answer } = await post(batch);
    expect(status).toBe(400);
    expect(answer.error).toBe('3 of 4 events are refused (0 invalid, 3 not admitted: before-history-start, unknown-unit); nothing was accepted');
    expect(answer.invalid.map((i) => [i.index, i.problems.map((p) => `${p.path} ${p.code}`)])).toEqual([
      // Đồng Nai's department did not exist in 1990 either.
      [1, ['/data/resolvedAt before-history-start', '/unitid unknown-unit']],
      [2, ['/unitid unknown-unit']],
      [3, ['/unitid unknown-unit']],
    ]);
    expect(answer.invalid[0]?.problems[0]?.message).toBe(
      '1990-01-01T08:00:00+07:00 is before the history start 2022-01-01 (HISTORY_START): the figures and the working-day calendar begin there',
    );
    expect(published).toHaveLength(before);
    expect(await metric('dvc_ingest_events_total', { outcome: 'rejected' })).toBe(rejectedBefore + 4);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'before-history-start' })).toBe(1);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'unknown-unit' })).toBe(3);
  });

  it('lists invalid and inadmissible events together, so the client fixes the batch in one go', async () => {
    const bad = { ...resolved('dn.stc', '2026-12-01T09:00:00+07:00'), subject: 'other' };
    const { status, answer } = await post([bad, resolved('dn.stc', '2099-01-01T00:00:00+07:00')]);
    expect(status).toBe(400);
    expect(answer.error).toBe('2 of 2 events are refused (1 invalid, 1 not admitted: future-time); nothing was accepted');
    expect(answer.invalid.map((i) => i.problems.map((p) => `${p.path} ${p.code ?? 'invalid'}`))).toEqual([
      ['/subject invalid'],
      ['/time future-time', '/data/resolvedAt future-time'],
    ]);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'invalid_events' })).toBe(1);
    expect(await metric('dvc_ingest_rejections_total', { reason: 'future-time' })).toBe(2);
  });
});
