import { createDayIndexer, createUnitDirectory, type AdmissionLimits } from '@dvc/domain';
import { testEvent } from '@dvc/testing';
import { admitMessage, decodeEventBytes } from './decode.js';

const valid = testEvent(
  'vn.dvc.dossier.digitized',
  'D1',
  { id: 'e1', source: 'portal', unit: 'u1', time: '2022-06-20T08:00:00+07:00' },
  { dossierId: 'D1', at: '2022-06-20T08:00:00+07:00' },
);

describe('decodeEventBytes', () => {
  it('accepts a valid event', () => {
    const decoded = decodeEventBytes(Buffer.from(JSON.stringify(valid)));
    expect(decoded.ok && decoded.event.id).toBe('e1');
  });

  it('names a tombstone, malformed JSON and every schema problem', () => {
    expect(decodeEventBytes(null)).toEqual({ ok: false, reason: 'empty message (tombstone)' });
    const malformed = decodeEventBytes(Buffer.from('{"id":'));
    expect(malformed.ok).toBe(false);
    expect(!malformed.ok && malformed.reason).toMatch(/^malformed JSON: /);
    const bad = { ...valid, subject: 'D2', data: { ...valid.data, at: '2022-02-30T08:00:00+07:00' } };
    expect(decodeEventBytes(Buffer.from(JSON.stringify(bad)))).toEqual({
      ok: false,
      reason: '/data/at day 30 does not exist in 2022-02',
    });
    const mismatch = { ...valid, subject: 'D2' };
    expect(decodeEventBytes(Buffer.from(JSON.stringify(mismatch)))).toEqual({ ok: false, reason: "/subject must equal data.dossierId ('D1')" });
  });
});

describe('admitMessage', () => {
  const days = createDayIndexer('Asia/Ho_Chi_Minh');
  const limits: AdmissionLimits = {
    maxFutureSkewMs: 300_000,
    historyStartMs: Date.parse('2022-01-01T00:00:00+07:00'),
    maxDueHorizonDays: 366,
    units: createUnitDirectory([{ id: 'u1', name: 'Đơn vị 1', level: 'commune', kind: 'commune_desk' }], 'v7'),
    acceptUnknownUnits: false,
    days,
  };
  const at = Date.parse(valid.time);
  const bytes = (event: unknown) => Buffer.from(JSON.stringify(event));

  it('admits a valid, admissible event and files an invalid one under `invalid`', () => {
    expect(admitMessage(bytes(valid), String(at), limits, at)).toMatchObject({ ok: true, event: { id: 'e1' } });
    expect(admitMessage(Buffer.from('{"id":'), String(at), limits, at)).toMatchObject({
      ok: false,
      code: 'invalid',
      reason: expect.stringMatching(/^malformed JSON/),
    });
  });

  it('judges the time as of the earlier of the message timestamp and the wall clock', () => {
    const ahead = { ...valid, time: '2022-06-20T09:00:00+07:00', data: { ...valid.data, at: '2022-06-20T09:00:00+07:00' } };
    // Written an hour before the event's time: refused, however late it is read.
    expect(admitMessage(bytes(ahead), String(at), limits, at + 86_400_000)).toEqual({
      ok: false,
      code: 'future-time',
      reason:
        '/time 2022-06-20T09:00:00+07:00 is 1 hour ahead of the clock; at most 5 minutes ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS); ' +
        '/data/at 2022-06-20T09:00:00+07:00 is 1 hour ahead of the clock; at most 5 minutes ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS)',
    });
    // A forged message timestamp in the future is clamped to the wall clock.
    expect(admitMessage(bytes(ahead), String(at + 86_400_000), limits, at)).toMatchObject({ ok: false, code: 'future-time' });
    // No usable timestamp: the wall clock.
    expect(admitMessage(bytes(ahead), undefined, limits, at + 3_600_000)).toMatchObject({ ok: true });
    expect(admitMessage(bytes(ahead), 'garbage', limits, at)).toMatchObject({ ok: false, code: 'future-time' });
  });

  it('files an unknown unit under unknown-unit with the directory version', () => {
    const stranger = { ...valid, unitid: 'u2', data: { ...valid.data, unitId: 'u2' } };
    expect(admitMessage(bytes(stranger), String(at), limits, at)).toEqual({
      ok: false,
      code: 'unknown-unit',
      reason: "/unitid unit 'u2' is not in the unit directory (unit directory version v7)",
    });
  });
});
