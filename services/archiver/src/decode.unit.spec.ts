import { decodeMessage } from './decode.js';

const time = '2022-06-20T08:00:00+07:00';
const valid = {
  specversion: '1.0',
  id: 'e1',
  source: 'unit-test',
  type: 'vn.dvc.report.submitted',
  time,
  subject: 'r1',
  unitid: 'u1',
  data: { reportId: 'r1', unitId: 'u1', channel: 'online', submittedAt: time },
};

describe('decodeMessage', () => {
  it('accepts a valid event', () => {
    const decoded = decodeMessage(Buffer.from(JSON.stringify(valid)));
    expect(decoded).toEqual({ ok: true, event: valid });
  });

  it('names a tombstone', () => {
    expect(decodeMessage(null)).toEqual({ ok: false, reason: 'empty message (tombstone)' });
  });

  it('names malformed JSON', () => {
    const decoded = decodeMessage(Buffer.from('{"id": '));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/^\/ malformed JSON: /);
  });

  it('names every problem of an invalid event with its path', () => {
    const decoded = decodeMessage(Buffer.from(JSON.stringify({ ...valid, subject: 'other', unitid: 'u2' })));
    expect(decoded).toEqual({ ok: false, reason: "/subject must equal data.reportId ('r1'); /unitid must equal data.unitId ('u1')" });
  });

  it('names an unknown type', () => {
    const decoded = decodeMessage(Buffer.from(JSON.stringify({ ...valid, type: 'vn.dvc.report.submited' })));
    expect(decoded).toEqual({ ok: false, reason: "/type unknown event type 'vn.dvc.report.submited' (did you mean 'vn.dvc.report.submitted'?)" });
  });
});
