import type { TObject, TSchema } from '@sinclair/typebox';
import { EVENT_TYPES, EVENT_TYPE_NAMES, type DvcEvent } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { createUnitDirectory } from '../units/directory.js';
import { createDayIndexer } from '../windows/days.js';
import { ADMISSION_CODES, EVENT_TIME_FIELDS, admitEvent, describeDuration, type AdmissionPolicy } from './admission.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const units = createUnitDirectory(
  [
    { id: 'bp', name: 'UBND tỉnh Bình Phước', level: 'province', kind: 'province', validFrom: '2020-01-01', validTo: '2025-06-30', successor: 'dn' },
    { id: 'dn', name: 'UBND tỉnh Đồng Nai', level: 'province', kind: 'province', validFrom: '2025-07-01' },
    { id: 'bp.stnmt', name: 'Sở TN&MT', level: 'province', kind: 'department', parent: 'bp', validFrom: '2020-01-01', validTo: '2025-06-30' },
    { id: 'dn.snnmt', name: 'Sở NN&MT', level: 'province', kind: 'department', parent: 'dn', validFrom: '2025-07-01' },
    { id: 'always', name: 'Đơn vị không thời hạn', level: 'commune', kind: 'commune_desk' },
  ],
  '2026-12-03',
);

/** The clock: 3 December 2026, 08:00 in Vietnam. */
const NOW = Date.parse('2026-12-03T08:00:00+07:00');
const SKEW = 300_000;
const policy: AdmissionPolicy = {
  referenceMs: NOW,
  maxFutureSkewMs: SKEW,
  historyStartMs: days.startOfDayMs(days.dayFromIso('2022-01-01')),
  maxDueHorizonDays: 366,
  units,
  acceptUnknownUnits: false,
  days,
};

/** Local (UTC+7) RFC 3339 text of an instant. */
const local = (ms: number) => `${new Date(ms + 7 * 3_600_000).toISOString().slice(0, 19)}+07:00`;

let sequence = 0;
/** A validated event: admission only ever sees valid ones. */
function valid(type: string, unit: string, time: string, data: Record<string, unknown>): DvcEvent {
  sequence += 1;
  const subject = `S-${sequence}`;
  const subjectField = EVENT_TYPES[type as keyof typeof EVENT_TYPES].subjectField;
  const result = validateEvent({
    specversion: '1.0',
    id: `e-${sequence}`,
    source: 'test',
    type,
    time,
    subject,
    unitid: unit,
    data: { [subjectField]: subject, unitId: unit, ...data },
  });
  if (!result.ok) throw new Error(`test event invalid: ${JSON.stringify(result.problems)}`);
  return result.event;
}

const received = (unit: string, at: string, extra: Record<string, unknown> = {}) =>
  valid('vn.dvc.dossier.received', unit, at, { procedureId: 'P1', channel: 'online', receivedAt: at, ...extra });
const resolved = (unit: string, at: string, extra: Record<string, unknown> = {}) =>
  valid('vn.dvc.dossier.resolved', unit, at, { resolvedAt: at, outcome: 'approved', processedOnline: true, ...extra });

describe('EVENT_TIME_FIELDS', () => {
  it('classifies every date-time of every data schema exactly once, and nothing else', () => {
    for (const type of EVENT_TYPE_NAMES) {
      const properties = (EVENT_TYPES[type].data as TObject).properties as Record<string, TSchema>;
      const dateTimes = Object.entries(properties)
        .filter(([, schema]) => schema.format === 'date-time')
        .map(([name]) => name)
        .sort();
      const { happened, due } = EVENT_TIME_FIELDS[type];
      expect({ type, fields: [...happened, ...due].sort() }).toEqual({ type, fields: dateTimes });
    }
  });
});

describe('admitEvent: times that happened', () => {
  it('admits an event exactly at the skew limit and refuses one a second past it, naming the field and the limit', () => {
    expect(admitEvent(resolved('dn.snnmt', local(NOW + SKEW)), policy)).toEqual({ ok: true });
    const late = local(NOW + SKEW + 1000);
    expect(admitEvent(resolved('dn.snnmt', late), policy)).toEqual({
      ok: false,
      code: 'future-time',
      problems: [
        {
          path: '/time',
          code: 'future-time',
          message: `${late} is 5 minutes 1 second ahead of the clock; at most 5 minutes ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS)`,
        },
        {
          path: '/data/resolvedAt',
          code: 'future-time',
          message: `${late} is 5 minutes 1 second ahead of the clock; at most 5 minutes ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS)`,
        },
      ],
    });
  });

  it("refuses the issue's 2099 event by each of its times, in days", () => {
    const event = received('dn.snnmt', '2026-12-02T08:00:00+07:00', { receivedAt: '2099-01-01T00:00:00+07:00', processingDays: 3 });
    expect(admitEvent(event, policy)).toEqual({
      ok: false,
      code: 'future-time',
      problems: [
        {
          path: '/data/receivedAt',
          code: 'future-time',
          message: '2099-01-01T00:00:00+07:00 is 26,326 days ahead of the clock; at most 5 minutes ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS)',
        },
      ],
    });
  });

  it('checks every "happened at" time: the envelope time of types without one in data, `at` of the others', () => {
    const soon = local(NOW + 3_600_000);
    const published = valid('vn.dvc.procedure.published', 'dn.snnmt', soon, { onlineCapable: true });
    expect(admitEvent(published, policy)).toMatchObject({ ok: false, problems: [{ path: '/time', message: expect.stringContaining('is 1 hour ahead') }] });
    const withdrawn = valid('vn.dvc.dossier.withdrawn', 'dn.snnmt', local(NOW), { at: soon });
    expect(admitEvent(withdrawn, policy)).toMatchObject({ ok: false, problems: [{ path: '/data/at', code: 'future-time' }] });
    const paid = valid('vn.dvc.payment.completed', 'dn.snnmt', local(NOW), { kind: 'fee', amountVnd: 1, channel: 'online', paidAt: soon });
    expect(admitEvent(paid, policy)).toMatchObject({ ok: false, problems: [{ path: '/data/paidAt', code: 'future-time' }] });
  });

  it('measures the skew from the reference instant it is given', () => {
    const event = resolved('dn.snnmt', local(NOW + 3_600_000));
    expect(admitEvent(event, policy).ok).toBe(false);
    expect(admitEvent(event, { ...policy, referenceMs: NOW + 3_600_000 })).toEqual({ ok: true });
    expect(admitEvent(event, { ...policy, maxFutureSkewMs: 3_600_000 })).toEqual({ ok: true });
  });

  it('admits the first instant of the history start day and refuses the one before, naming HISTORY_START', () => {
    expect(admitEvent(resolved('bp.stnmt', '2022-01-01T00:00:00+07:00'), policy)).toEqual({ ok: true });
    // 31 December 2021, 23:59:59.999 in Vietnam.
    const before = '2021-12-31T16:59:59.999Z';
    expect(admitEvent(resolved('bp.stnmt', before), policy)).toMatchObject({
      ok: false,
      code: 'before-history-start',
      problems: [
        {
          path: '/time',
          code: 'before-history-start',
          message: `${before} is before the history start 2022-01-01 (HISTORY_START): the figures and the working-day calendar begin there`,
        },
        { path: '/data/resolvedAt', code: 'before-history-start' },
      ],
    });
  });

  it("refuses the issue's 1990 event", () => {
    const result = admitEvent(received('bp.stnmt', '2022-06-20T08:00:00+07:00', { receivedAt: '1990-01-01T08:00:00+07:00', processingDays: 3 }), policy);
    // The unit did not exist in 1990 either; the time comes first.
    expect(result.ok ? [] : result.problems.map((p) => [p.path, p.code])).toEqual([
      ['/data/receivedAt', 'before-history-start'],
      ['/unitid', 'unknown-unit'],
    ]);
    expect(result).toMatchObject({ code: 'before-history-start' });
  });
});

describe('admitEvent: due times', () => {
  const at = '2026-12-01T08:00:00+07:00';
  const atMs = Date.parse(at);

  it('admits a due time exactly EVENT_MAX_DUE_DAYS after the business time and refuses a second more', () => {
    const limit = local(atMs + 366 * 86_400_000);
    expect(admitEvent(received('dn.snnmt', at, { dueAt: limit }), policy)).toEqual({ ok: true });
    const beyond = local(atMs + 366 * 86_400_000 + 1000);
    expect(admitEvent(received('dn.snnmt', at, { dueAt: beyond }), policy)).toEqual({
      ok: false,
      code: 'due-too-far',
      problems: [
        {
          path: '/data/dueAt',
          code: 'due-too-far',
          message: `${beyond} is 366 days after the event's business time (/data/receivedAt); a due time at most 366 days after it is accepted (EVENT_MAX_DUE_DAYS)`,
        },
      ],
    });
  });

  it('lets due times be in the future of the clock, but not before the history start', () => {
    expect(admitEvent(valid('vn.dvc.dossier.deadline_extended', 'dn.snnmt', at, { at, newDueAt: '2027-03-01T17:00:00+07:00' }), policy)).toEqual({ ok: true });
    // A dossier carried over from before the history: resolved now, due long ago.
    expect(admitEvent(resolved('dn.snnmt', at, { dueAt: '2022-01-03T17:00:00+07:00' }), policy)).toEqual({ ok: true });
    expect(admitEvent(resolved('dn.snnmt', at, { dueAt: '2021-12-30T17:00:00+07:00' }), policy)).toMatchObject({
      ok: false,
      code: 'before-history-start',
      problems: [{ path: '/data/dueAt', code: 'before-history-start' }],
    });
  });
});

describe('admitEvent: units', () => {
  it('refuses a unit missing from the directory, naming it and the directory version', () => {
    expect(admitEvent(resolved('dn.khong-co', local(NOW)), policy)).toEqual({
      ok: false,
      code: 'unknown-unit',
      problems: [{ path: '/unitid', code: 'unknown-unit', message: "unit 'dn.khong-co' is not in the unit directory (unit directory version 2026-12-03)" }],
    });
  });

  it('admits a unit on the first and last local day of its validity and refuses it a local day outside', () => {
    expect(admitEvent(resolved('bp.stnmt', '2025-06-30T23:59:59+07:00'), policy)).toEqual({ ok: true });
    // 17:30 UTC on 30 June is already 1 July in Vietnam.
    expect(admitEvent(resolved('bp.stnmt', '2025-06-30T17:30:00Z'), policy)).toEqual({
      ok: false,
      code: 'unknown-unit',
      problems: [
        {
          path: '/unitid',
          code: 'unknown-unit',
          message: "unit 'bp.stnmt' is not valid on 2025-07-01 (valid 2020-01-01–2025-06-30; unit directory version 2026-12-03)",
        },
      ],
    });
    expect(admitEvent(resolved('dn', '2025-07-01T00:00:00+07:00'), policy)).toEqual({ ok: true });
    expect(admitEvent(resolved('dn', '2025-06-30T23:59:59+07:00'), policy)).toMatchObject({
      ok: false,
      problems: [{ message: "unit 'dn' is not valid on 2025-06-30 (valid 2025-07-01–…; unit directory version 2026-12-03)" }],
    });
    expect(admitEvent(resolved('bp', local(NOW)), policy)).toMatchObject({
      ok: false,
      problems: [{ message: "unit 'bp' is not valid on 2026-12-03 (valid 2020-01-01–2025-06-30, successor dn; unit directory version 2026-12-03)" }],
    });
    expect(admitEvent(resolved('always', '2022-01-01T00:00:00+07:00'), policy)).toEqual({ ok: true });
  });

  it("judges validity on the event's business date, not on when it was sent", () => {
    // Received by the old department on its last day, reported a week later.
    const late = received('bp.stnmt', '2025-07-07T09:00:00+07:00', { receivedAt: '2025-06-30T16:00:00+07:00', processingDays: 5 });
    expect(admitEvent(late, policy)).toEqual({ ok: true });
  });

  it('pilot mode admits units missing from the directory but still refuses a unit outside its validity', () => {
    const pilot = { ...policy, acceptUnknownUnits: true };
    expect(admitEvent(resolved('pilot.x', local(NOW)), pilot)).toEqual({ ok: true });
    expect(admitEvent(resolved('bp.stnmt', local(NOW)), pilot)).toMatchObject({ ok: false, code: 'unknown-unit' });
  });

  it('reports every problem and files the event under the first code in priority order', () => {
    const result = admitEvent(received('nowhere', '2099-01-01T00:00:00+07:00', { dueAt: '2100-12-31T00:00:00+07:00' }), policy);
    expect(result.ok ? [] : result.problems.map((p) => [p.path, p.code])).toEqual([
      ['/time', 'future-time'],
      ['/data/receivedAt', 'future-time'],
      ['/data/dueAt', 'due-too-far'],
      ['/unitid', 'unknown-unit'],
    ]);
    expect(result).toMatchObject({ code: 'future-time' });
    expect(ADMISSION_CODES).toEqual(['future-time', 'before-history-start', 'due-too-far', 'unknown-unit']);
  });
});

describe('describeDuration', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [1000, '1 second'],
    [300_000, '5 minutes'],
    [301_000, '5 minutes 1 second'],
    [3_600_000, '1 hour'],
    [86_400_000 + 61_000, '1 day 1 minute 1 second'],
    [2 * 86_400_000, '2 days'],
    [26_326.7 * 86_400_000, '26,326 days'],
  ])('%d ms reads "%s"', (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});
