import fc from 'fast-check';
import { EVENT_TYPE_NAMES } from './schemas.js';
import { jsonBytesProblem, parseJson, validateEvent, type Problem } from './validate.js';

/** Hostile input against the contract: never a throw, always a reason with a JSON Pointer. */

const T = '2022-06-22T08:30:00+07:00';
const valid = () => ({
  specversion: '1.0',
  id: 'evt-1',
  source: 'igate.binhphuoc',
  type: 'vn.dvc.dossier.withdrawn',
  time: T,
  subject: 'H01.2022.0001',
  unitid: 'bp.stnmt',
  data: { dossierId: 'H01.2022.0001', unitId: 'bp.stnmt', at: T },
});

function problemsOf(value: unknown): Problem[] {
  const result = validateEvent(value);
  if (result.ok) throw new Error(`expected ${JSON.stringify(value).slice(0, 200)} to be rejected`);
  return result.problems;
}

function deeplyNested(levels: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
}

/** RFC 6901: '' or '/'-separated reference tokens where '~' is only ever '~0' or '~1'. */
const JSON_POINTER = /^(\/([^~/]|~[01])*)*$/;

function tokensOf(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** True when every token but the last resolves in `value`: the pointer names a real place (or a missing member of a real object). */
function parentResolves(value: unknown, pointer: string): boolean {
  let node = value;
  for (const token of tokensOf(pointer).slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return false;
    node = (node as Record<string, unknown>)[token];
  }
  return true;
}

describe('validateEvent: envelope extension attributes', () => {
  it('refuses a nested object, naming the attribute', () => {
    expect(problemsOf({ ...valid(), traceinfo: { a: 1 } })).toEqual([
      { path: '/traceinfo', message: 'an extension attribute must be a string of at most 2048 characters, a 32-bit integer or a boolean' },
    ]);
  });

  it('refuses a 100,000-level nested attribute without throwing, so nothing downstream has to serialise it', () => {
    const event = { ...valid(), deep: deeplyNested(100_000) };
    expect(() => JSON.stringify(event)).toThrow(RangeError);
    expect(problemsOf(event).map((p) => p.path)).toEqual(['/deep']);
  });

  it('refuses arrays, floats, huge strings and too many attributes', () => {
    expect(problemsOf({ ...valid(), list: [1] })[0]?.path).toBe('/list');
    expect(problemsOf({ ...valid(), ratio: 0.5 })[0]?.path).toBe('/ratio');
    expect(problemsOf({ ...valid(), blob: 'x'.repeat(2049) })[0]?.path).toBe('/blob');
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`ext${i}`, i]));
    expect(problemsOf({ ...valid(), ...many })).toEqual([{ path: '', message: 'expected object to have no more than 32 properties' }]);
  });

  it('carries scalar extensions', () => {
    const event = { ...valid(), traceparent: '00-abc-01', sequence: 7, replayed: false };
    expect(validateEvent(event)).toEqual({ ok: true, event });
  });
});

describe('validateEvent: identifiers', () => {
  it.each([
    ['/id', { id: 'evt\n1' }],
    ['/source', { source: 'portal\u0000' }],
    ['/subject', { subject: 'H01\r\n.0001' }],
    ['/data/dossierId', { data: { ...valid().data, dossierId: 'H01\u0085' } }],
  ])('a control character is refused at %s', (path, patch) => {
    const problems = problemsOf({ ...valid(), ...patch });
    expect(problems).toContainEqual({ path, message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)' });
  });

  it.each([
    'bp.stnmт', // Cyrillic т
    'bp.ѕtnmt', // Cyrillic ѕ
    'bp.stnmt\n',
    'bp"}',
    'bp{x="1"}',
    'bp.stnmt\u200b', // zero-width space
    'b'.repeat(65),
  ])('unit id %j is refused with the rule it breaks', (unitid) => {
    const problems = problemsOf({ ...valid(), unitid, data: { ...valid().data, unitId: unitid } });
    expect(problems.map((p) => p.path)).toEqual(['/unitid', '/data/unitId']);
    expect(problems[0]?.message).toMatch(/^must be a unit id: 1 to 64 characters of a-z, 0-9/);
  });
});

describe('validateEvent: impossible times and amounts', () => {
  it.each([
    ['2022-02-30T08:00:00+07:00', 'day 30 does not exist in 2022-02'],
    ['2022-06-22T24:00:00+07:00', 'time 24:00:00 does not exist'],
    ['2016-12-31T23:59:60Z', 'time 23:59:60 does not exist'],
    ['2022-06-22T08:00:00+15:00', 'offset +15:00 is outside -12:00…+14:00'],
    ['2022-06-22T08:00:00 Asia/Ho_Chi_Minh', 'must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00'],
  ])('data.at %s: %s', (at, message) => {
    expect(problemsOf({ ...valid(), data: { ...valid().data, at } })).toEqual([{ path: '/data/at', message }]);
  });

  it.each([-1, 1.5, 1e16, 1e300, '100', null])('amountVnd %j is refused at /data/amountVnd', (amountVnd) => {
    const payment = {
      ...valid(),
      type: 'vn.dvc.payment.completed',
      subject: 'PAY-1',
      data: { paymentId: 'PAY-1', unitId: 'bp.stnmt', kind: 'fee', amountVnd, channel: 'online', paidAt: T },
    };
    expect(problemsOf(payment).map((p) => p.path)).toEqual(['/data/amountVnd']);
  });
});

describe('validateEvent: properties over arbitrary input', () => {
  const checkProblems = (value: unknown) => {
    const result = validateEvent(value);
    if (result.ok) {
      expect(() => JSON.stringify(result.event)).not.toThrow();
      return;
    }
    expect(result.problems.length).toBeGreaterThan(0);
    for (const problem of result.problems) {
      expect(problem.path).toMatch(JSON_POINTER);
      expect(parentResolves(value, problem.path)).toBe(true);
      expect(problem.message.length).toBeGreaterThan(0);
    }
  };

  it('never throws on arbitrary JSON values, and every problem names a JSON Pointer into the value', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), checkProblems), { numRuns: 1000 });
  });

  const field = fc.constantFrom('specversion', 'id', 'source', 'type', 'time', 'subject', 'unitid', 'data', 'ext', '__proto__', 'a/b~c');
  const dataField = fc.constantFrom('dossierId', 'unitId', 'at', 'amountVnd', 'receivedAt', 'constructor', 'x~1');
  const hostileValue = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom(...EVENT_TYPE_NAMES, '2022-02-30T00:00:00Z', '2022-06-22T24:00:00Z', '', 'x'.repeat(5000), -1, 1e308, 0.1),
  );

  it('never throws on valid events with fields replaced, removed or added, and names the path of each problem', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ at: field, value: hostileValue }),
            fc.record({ at: dataField, value: hostileValue, inData: fc.constant(true) }),
            fc.record({ at: field, remove: fc.constant(true) }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          const event: Record<string, unknown> = valid();
          const data: Record<string, unknown> = { ...valid().data };
          event.data = data;
          for (const edit of edits) {
            const target = 'inData' in edit ? data : event;
            if ('remove' in edit) delete target[edit.at];
            else Object.defineProperty(target, edit.at, { value: edit.value, enumerable: true, writable: true, configurable: true });
          }
          checkProblems(JSON.parse(JSON.stringify(event)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('jsonBytesProblem', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);

  it.each([
    ['empty', bytes(), 'empty: a JSON value is required'],
    ['UTF-16LE with BOM', Buffer.from('\ufeff{}', 'utf16le'), 'starts with a UTF-16 byte order mark: send UTF-8'],
    ['UTF-16BE with BOM', bytes(0xfe, 0xff, 0, 0x7b, 0, 0x7d), 'starts with a UTF-16 byte order mark: send UTF-8'],
    ['UTF-16LE without BOM', Buffer.from('{}', 'utf16le'), 'NUL byte at offset 1 (this looks like UTF-16 or UTF-32): send UTF-8 JSON'],
    ['a NUL byte inside', Buffer.from('{"id":"a\u0000"}'), 'NUL byte at offset 8: send UTF-8 JSON'],
    ['a stray 0xFF', bytes(0x7b, 0xff, 0x7d), 'not valid UTF-8 at byte offset 1'],
    ['an overlong NUL', bytes(0x22, 0xc0, 0x80, 0x22), 'not valid UTF-8 at byte offset 1'],
    ['a UTF-16 surrogate', bytes(0x22, 0xed, 0xa0, 0x80, 0x22), 'not valid UTF-8 at byte offset 1'],
    ['a code point past U+10FFFF', bytes(0x22, 0xf4, 0x90, 0x80, 0x80, 0x22), 'not valid UTF-8 at byte offset 1'],
    ['a truncated sequence', bytes(0x22, 0x61, 0xe1, 0xba), 'not valid UTF-8 at byte offset 2'],
  ])('%s: %s', (_name, input, message) => {
    expect(jsonBytesProblem(input)).toEqual({ path: '', message });
  });

  it('accepts UTF-8 with or without a byte order mark, Vietnamese and emoji included', () => {
    expect(jsonBytesProblem(Buffer.from('{"lý do":"khiếu nại 📄"}'))).toBeUndefined();
    expect(jsonBytesProblem(Buffer.from('\ufeff{}'))).toBeUndefined();
  });

  it('agrees with a strict UTF-8 decoder on arbitrary bytes', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (input) => {
        const utf16Bom = (input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff);
        let decodes = true;
        try {
          strict.decode(input);
        } catch {
          decodes = false;
        }
        expect(jsonBytesProblem(input) === undefined).toBe(decodes && !input.includes(0) && !utf16Bom);
      }),
      { numRuns: 5000 },
    );
  });

  it('parseJson ignores a leading byte order mark', () => {
    expect(parseJson('\ufeff{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
  });
});
