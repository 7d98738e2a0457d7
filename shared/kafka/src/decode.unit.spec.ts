import { decodeEventBytes } from './decode.js';

const valid = {
  specversion: '1.0',
  id: 'e1',
  source: 'portal',
  type: 'vn.dvc.dossier.digitized',
  time: '2022-06-20T08:00:00+07:00',
  subject: 'D1',
  unitid: 'u1',
  data: { dossierId: 'D1', unitId: 'u1', at: '2022-06-20T08:00:00+07:00' },
};

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
