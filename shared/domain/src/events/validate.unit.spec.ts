import { EVENT_TYPE_NAMES, EVENT_TYPES, type EventType } from './schemas.js';
import { eventJsonSchemas, parseJson, validateEvent, type Problem } from './validate.js';

const T = '2022-06-22T08:30:00+07:00';

/** One valid data payload per event type, subject 'S-1', unit 'so-tu-phap'. */
const DATA: Record<EventType, Record<string, unknown>> = {
  'vn.dvc.dossier.submitted': { dossierId: 'S-1', unitId: 'so-tu-phap', procedureId: '1.000123', submittedAt: T },
  'vn.dvc.dossier.received': {
    dossierId: 'S-1',
    unitId: 'so-tu-phap',
    procedureId: '1.000123',
    channel: 'online',
    receivedAt: T,
    dueAt: '2022-06-29T17:00:00+07:00',
    processingDays: 5,
  },
  'vn.dvc.dossier.supplement_requested': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T },
  'vn.dvc.dossier.supplement_received': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T },
  'vn.dvc.dossier.deadline_extended': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T, newDueAt: '2022-07-01T17:00:00+07:00' },
  'vn.dvc.dossier.resolved': {
    dossierId: 'S-1',
    unitId: 'so-tu-phap',
    resolvedAt: T,
    outcome: 'approved',
    processedOnline: true,
    dueAt: '2022-06-29T17:00:00Z',
  },
  'vn.dvc.dossier.result_returned': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T },
  'vn.dvc.dossier.withdrawn': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T },
  'vn.dvc.dossier.digitized': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T },
  'vn.dvc.dossier.reopened': { dossierId: 'S-1', unitId: 'so-tu-phap', at: T, reason: 'khiếu nại' },
  'vn.dvc.payment.completed': {
    paymentId: 'S-1',
    unitId: 'so-tu-phap',
    dossierId: 'D-9',
    kind: 'fee',
    amountVnd: 50_000,
    channel: 'online',
    paidAt: T,
  },
  'vn.dvc.report.submitted': { reportId: 'S-1', unitId: 'so-tu-phap', channel: 'online', submittedAt: T },
  'vn.dvc.procedure.published': { procedureId: 'S-1', unitId: 'so-tu-phap', onlineCapable: true },
  'vn.dvc.community_team.registered': { teamId: 'S-1', unitId: 'so-tu-phap', teamLevel: 'village', members: 7 },
};

function eventOf(type: EventType, data: Record<string, unknown> = DATA[type], extra: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: `evt-${type}`,
    source: 'igate.dongnai',
    type,
    time: T,
    subject: 'S-1',
    unitid: 'so-tu-phap',
    data,
    ...extra,
  };
}

function problemsOf(value: unknown): Problem[] {
  const result = validateEvent(value);
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.problems;
}

const received = (patch: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  eventOf('vn.dvc.dossier.received', { ...DATA['vn.dvc.dossier.received'], ...patch }, extra);

describe('validateEvent: valid events', () => {
  it('covers every event type of the contract', () => {
    expect(Object.keys(DATA).sort()).toEqual([...EVENT_TYPE_NAMES].sort());
    expect(EVENT_TYPE_NAMES).toHaveLength(14);
  });

  it.each(EVENT_TYPE_NAMES)('%s passes and comes back unchanged', (type) => {
    const event = eventOf(type);
    expect(validateEvent(event)).toEqual({ ok: true, event });
  });

  it.each(EVENT_TYPE_NAMES)('%s passes with only its required data fields', (type) => {
    const required = new Set<string>(EVENT_TYPES[type].data.required ?? []);
    const minimal = Object.fromEntries(Object.entries(DATA[type]).filter(([k]) => required.has(k)));
    expect(validateEvent(eventOf(type, minimal)).ok).toBe(true);
  });

  it('carries unknown CloudEvents extension attributes and the optional envelope fields', () => {
    const event = eventOf('vn.dvc.dossier.withdrawn', undefined, {
      traceparent: '00-abc-def-01',
      datacontenttype: 'application/json',
      dataschema: 'https://example.org/schemas/withdrawn.json',
    });
    expect(validateEvent(event)).toEqual({ ok: true, event });
  });

  it('accepts dueAt equal to receivedAt, and a zero amount', () => {
    expect(validateEvent(received({ dueAt: T })).ok).toBe(true);
    const payment = { ...DATA['vn.dvc.payment.completed'], amountVnd: 0 };
    expect(validateEvent(eventOf('vn.dvc.payment.completed', payment)).ok).toBe(true);
  });
});

describe('validateEvent: malformed input', () => {
  it.each([[[]], [null], ['vn.dvc.dossier.received'], [42], [undefined], [true]])('%j is not an object', (value) => {
    expect(problemsOf(value)).toEqual([{ path: '', message: 'an event must be a JSON object' }]);
  });

  it('names a missing type', () => {
    const { type: _type, ...rest } = eventOf('vn.dvc.dossier.received');
    expect(problemsOf(rest)).toEqual([{ path: '/type', message: 'is required' }]);
  });

  it('without a type, still names every other problem of the envelope at once (a careless client learns them in one attempt)', () => {
    expect(problemsOf({ specversion: '1.0' })).toEqual([
      { path: '/type', message: 'is required' },
      { path: '/id', message: 'expected required property' },
      { path: '/source', message: 'expected required property' },
      { path: '/time', message: 'expected required property' },
      { path: '/subject', message: 'expected required property' },
      { path: '/unitid', message: 'expected required property' },
      { path: '/data', message: 'expected required property' },
    ]);
    const { type: _type, ...rest } = eventOf('vn.dvc.dossier.received');
    expect(problemsOf({ ...rest, type: 'vn.dvc.dossier.recieved', time: '2022-06-20T08:00:00', unitid: 'Bad Unit', data: [] })).toEqual([
      { path: '/type', message: "unknown event type 'vn.dvc.dossier.recieved' (did you mean 'vn.dvc.dossier.received'?)" },
      { path: '/time', message: expect.stringContaining('offset') },
      { path: '/unitid', message: expect.stringMatching(/^must be a unit id/) },
      { path: '/data', message: 'expected object' },
    ]);
  });

  it('names a type that is not a string', () => {
    expect(problemsOf({ ...eventOf('vn.dvc.dossier.received'), type: 7 })).toEqual([{ path: '/type', message: 'must be a string naming an event type' }]);
  });

  it('suggests the intended type for a misspelling', () => {
    expect(problemsOf({ ...eventOf('vn.dvc.dossier.received'), type: 'vn.dvc.dossier.recieved' })).toEqual([
      { path: '/type', message: "unknown event type 'vn.dvc.dossier.recieved' (did you mean 'vn.dvc.dossier.received'?)" },
    ]);
  });

  it('suggests nothing for a type far from every known one', () => {
    expect(problemsOf({ ...eventOf('vn.dvc.dossier.received'), type: 'com.example.order.created' })).toEqual([
      { path: '/type', message: "unknown event type 'com.example.order.created'" },
    ]);
  });

  it('does not treat inherited object keys as event types', () => {
    expect(problemsOf({ ...eventOf('vn.dvc.dossier.received'), type: 'constructor' })[0]?.path).toBe('/type');
  });

  it('truncates a very long unknown type in the message', () => {
    const type = 'x'.repeat(500);
    expect(problemsOf({ ...eventOf('vn.dvc.dossier.received'), type })).toEqual([{ path: '/type', message: `unknown event type '${'x'.repeat(80)}…'` }]);
  });
});

describe('validateEvent: schema violations name their path', () => {
  it('a missing required data field', () => {
    const { receivedAt: _r, ...data } = DATA['vn.dvc.dossier.received'];
    expect(problemsOf(eventOf('vn.dvc.dossier.received', data))).toEqual([{ path: '/data/receivedAt', message: 'expected required property' }]);
  });

  it('a missing envelope field', () => {
    const { id: _id, ...rest } = eventOf('vn.dvc.dossier.received');
    expect(problemsOf(rest).map((p) => p.path)).toEqual(['/id']);
  });

  it('a wrong specversion', () => {
    expect(problemsOf(eventOf('vn.dvc.dossier.received', undefined, { specversion: '0.3' })).map((p) => p.path)).toEqual(['/specversion']);
  });

  it('a field of the wrong type', () => {
    expect(problemsOf(received({ processingDays: '5' })).map((p) => p.path)).toEqual(['/data/processingDays']);
    expect(problemsOf(received({ processingDays: 2.5 })).map((p) => p.path)).toEqual(['/data/processingDays']);
    const resolved = { ...DATA['vn.dvc.dossier.resolved'], processedOnline: 'yes' };
    expect(problemsOf(eventOf('vn.dvc.dossier.resolved', resolved)).map((p) => p.path)).toEqual(['/data/processedOnline']);
  });

  it('a value outside an enumeration', () => {
    expect(problemsOf(received({ channel: 'fax' })).map((p) => p.path)).toEqual(['/data/channel']);
  });

  it('a negative amountVnd', () => {
    const data = { ...DATA['vn.dvc.payment.completed'], amountVnd: -1 };
    expect(problemsOf(eventOf('vn.dvc.payment.completed', data)).map((p) => p.path)).toEqual(['/data/amountVnd']);
  });

  it('an unknown extra property in data', () => {
    expect(problemsOf(received({ receivedBy: 'someone' }))).toEqual([{ path: '/data/receivedBy', message: 'unexpected property' }]);
  });

  it('an impossible business time, with the reason from the timestamp parser', () => {
    expect(problemsOf(received({ receivedAt: '2022-02-29T08:00:00+07:00' }))).toEqual([
      { path: '/data/receivedAt', message: 'day 29 does not exist in 2022-02' },
    ]);
    expect(problemsOf(eventOf('vn.dvc.dossier.received', undefined, { time: '2022-06-22T08:00:00' }))).toEqual([
      { path: '/time', message: 'must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00' },
    ]);
  });

  it('a label-injection unit id is refused at /unitid', () => {
    const problems = problemsOf(eventOf('vn.dvc.dossier.received', undefined, { unitid: 'a"}' }));
    expect(problems.map((p) => p.path)).toEqual(['/unitid']);
    expect(problems[0]?.message).toMatch(/^must be a unit id: 1 to 64 characters/);
  });

  it.each(['A-upper', '-lead', '', 'a'.repeat(65), 'a b', 'đồng-nai'])('unit id %j is refused', (unitid) => {
    expect(problemsOf(eventOf('vn.dvc.dossier.received', undefined, { unitid })).map((p) => p.path)).toEqual(['/unitid']);
  });

  it('reports each path once, several problems together', () => {
    const data: Record<string, unknown> = { ...DATA['vn.dvc.dossier.received'], channel: 'fax', extra: 1 };
    delete data['procedureId'];
    const paths = problemsOf(eventOf('vn.dvc.dossier.received', data)).map((p) => p.path);
    expect([...paths].sort()).toEqual(['/data/channel', '/data/extra', '/data/procedureId']);
    expect(new Set(paths).size).toBe(paths.length);
  });
});

describe('validateEvent: semantic rules', () => {
  it('subject must equal the data id of the type', () => {
    expect(problemsOf(eventOf('vn.dvc.dossier.received', undefined, { subject: 'S-2' }))).toEqual([
      { path: '/subject', message: "must equal data.dossierId ('S-1')" },
    ]);
    expect(problemsOf(eventOf('vn.dvc.payment.completed', undefined, { subject: 'D-9' }))).toEqual([
      { path: '/subject', message: "must equal data.paymentId ('S-1')" },
    ]);
  });

  it('unitid must equal data.unitId', () => {
    expect(problemsOf(eventOf('vn.dvc.report.submitted', undefined, { unitid: 'ubnd-bien-hoa' }))).toEqual([
      { path: '/unitid', message: "must equal data.unitId ('so-tu-phap')" },
    ]);
  });

  it('dueAt before receivedAt is refused, compared as instants across offsets', () => {
    expect(problemsOf(received({ receivedAt: '2022-06-22T08:30:00+07:00', dueAt: '2022-06-22T01:29:59.999Z' }))).toEqual([
      { path: '/data/dueAt', message: 'must not be earlier than receivedAt' },
    ]);
    // Same wall-clock text but later instant: fine.
    expect(validateEvent(received({ receivedAt: '2022-06-22T08:30:00+07:00', dueAt: '2022-06-22T01:30:00Z' })).ok).toBe(true);
  });

  it('reports every semantic problem at once', () => {
    const event = eventOf(
      'vn.dvc.dossier.received',
      { ...DATA['vn.dvc.dossier.received'], dueAt: '2022-06-01T00:00:00Z' },
      {
        subject: 'S-2',
        unitid: 'other',
      },
    );
    expect(problemsOf(event).map((p) => p.path)).toEqual(['/subject', '/unitid', '/data/dueAt']);
  });
});

describe('parseJson and eventJsonSchemas', () => {
  it('turns a syntax error into a problem', () => {
    const result = parseJson('{"type": ');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]?.path).toBe('');
      expect(result.problems[0]?.message.startsWith('malformed JSON: ')).toBe(true);
    }
  });

  it('parses valid JSON', () => {
    expect(parseJson('{"a":[1,null]}')).toEqual({ ok: true, value: { a: [1, null] } });
  });

  it('publishes one schema per type, with its $id', () => {
    const schemas = eventJsonSchemas();
    expect(Object.keys(schemas).sort()).toEqual([...EVENT_TYPE_NAMES].sort());
    expect(schemas['vn.dvc.dossier.received'].$id).toBe('vn.dvc.dossier.received.json');
  });
});
