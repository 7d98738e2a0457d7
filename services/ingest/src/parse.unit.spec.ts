import type { AdmissionResult, DvcEvent } from '@dvc/domain';
import { testEvent } from '@dvc/testing';
import { bodyKindOf, parseBody } from './parse.js';

const event = (id: string) =>
  testEvent(
    'vn.dvc.report.submitted',
    id,
    { id, source: 'portal', unit: 'u1', time: '2022-06-20T08:00:00+07:00' },
    { reportId: id, channel: 'online', submittedAt: '2022-06-20T08:00:00+07:00' },
  );

describe('bodyKindOf', () => {
  it('maps the three accepted media types, parameters and case included', () => {
    expect(bodyKindOf('application/cloudevents+json; charset=utf-8')).toEqual({ ok: true, kind: 'single' });
    expect(bodyKindOf('Application/CloudEvents-Batch+JSON')).toEqual({ ok: true, kind: 'batch' });
    expect(bodyKindOf('application/x-ndjson')).toEqual({ ok: true, kind: 'ndjson' });
  });
  it('refuses anything else with a message naming what is accepted', () => {
    expect(bodyKindOf(undefined)).toMatchObject({ ok: false, message: expect.stringMatching(/^Content-Type is required/) });
    expect(bodyKindOf('application/json')).toMatchObject({ ok: false, message: expect.stringMatching(/application\/json is not accepted/) });
    expect(bodyKindOf('application/cloudevents+json; charset=latin1')).toEqual({ ok: false, message: 'charset latin1 is not supported; send UTF-8' });
  });
});

describe('parseBody', () => {
  it('parses NDJSON, skipping blank lines', () => {
    const body = Buffer.from(`${JSON.stringify(event('a'))}\n\n${JSON.stringify(event('b'))}\n`);
    const parsed = parseBody(body, 'ndjson', 10);
    expect(parsed.ok && parsed.events.map((e) => e.id)).toEqual(['a', 'b']);
  });
  it('names the NDJSON line that is not JSON', () => {
    const parsed = parseBody(Buffer.from(`${JSON.stringify(event('a'))}\n{oops\n`), 'ndjson', 10);
    expect(parsed).toMatchObject({ ok: false, status: 400, invalid: [{ index: 1 }] });
  });
  it('refuses invalid UTF-8, empty batches, arrays sent as one event, and too many events', () => {
    expect(parseBody(Buffer.from([0x7b, 0xff, 0x7d]), 'single', 10)).toMatchObject({
      status: 400,
      reason: 'encoding',
      message: 'body not valid UTF-8 at byte offset 1',
    });
    expect(parseBody(Buffer.from('[]'), 'batch', 10)).toMatchObject({ status: 400, message: 'the batch holds no events' });
    expect(parseBody(Buffer.from('[{}]'), 'single', 10)).toMatchObject({ status: 400, message: 'send arrays as application/cloudevents-batch+json' });
    expect(parseBody(Buffer.from(JSON.stringify([event('a'), event('b')])), 'batch', 1)).toMatchObject({
      status: 413,
      message: 'the batch holds 2 events; the limit is 1',
    });
  });
  it('lists every invalid event by index with its id', () => {
    const parsed = parseBody(Buffer.from(JSON.stringify([event('a'), { ...event('b'), unitid: 'U!' }, 7])), 'batch', 10);
    expect(parsed).toMatchObject({
      ok: false,
      status: 400,
      message: '2 of 3 events are invalid; nothing was accepted',
      invalid: [
        { index: 1, id: 'b', problems: [{ path: '/unitid' }] },
        { index: 2, problems: [{ path: '', message: 'an event must be a JSON object' }] },
      ],
    });
  });
  it('with an admission check, lists refused events with each problem and its code beside the invalid ones', () => {
    const admit = (e: DvcEvent): AdmissionResult =>
      e.id === 'a'
        ? {
            ok: false,
            code: 'unknown-unit',
            problems: [{ path: '/unitid', code: 'unknown-unit', message: "unit 'u1' is not in the unit directory (unit directory version v1)" }],
          }
        : { ok: true };
    const onlyAdmission = parseBody(Buffer.from(JSON.stringify([event('a'), event('b')])), 'batch', 10, admit);
    expect(onlyAdmission).toEqual({
      ok: false,
      status: 400,
      reason: 'unknown-unit',
      codes: ['unknown-unit'],
      message: '1 of 2 events are refused (0 invalid, 1 not admitted: unknown-unit); nothing was accepted',
      invalid: [
        {
          index: 0,
          id: 'a',
          problems: [{ path: '/unitid', code: 'unknown-unit', message: "unit 'u1' is not in the unit directory (unit directory version v1)" }],
        },
      ],
      invalidCount: 1,
      eventCount: 2,
    });
    const mixed = parseBody(Buffer.from(JSON.stringify([event('a'), { ...event('b'), unitid: 'U!' }])), 'batch', 10, admit);
    expect(mixed).toMatchObject({
      reason: 'invalid_events',
      codes: ['unknown-unit'],
      message: '2 of 2 events are refused (1 invalid, 1 not admitted: unknown-unit); nothing was accepted',
    });
    expect(parseBody(Buffer.from(JSON.stringify([event('b')])), 'batch', 10, admit)).toMatchObject({ ok: true });
  });
});
