import fc from 'fast-check';
import { BYTE_MUTATIONS, mutateBytes, testEvent } from '@dvc/testing';
import { MAX_LISTED_INVALID, parseBody, type BodyKind, type ParsedBody } from './parse.js';

const event = (id: string, patch: Record<string, unknown> = {}) => ({
  ...testEvent(
    'vn.dvc.report.submitted',
    id,
    { id, source: 'portal', unit: 'u1', time: '2022-06-20T08:00:00+07:00' },
    { reportId: id, channel: 'online', submittedAt: '2022-06-20T08:00:00+07:00' },
  ),
  ...patch,
});

const kinds: BodyKind[] = ['single', 'batch', 'ndjson'];
const JSON_POINTER = /^(\/([^~/]|~[01])*)*$/;

/** The invariants of any answer: ok with events, or a status, a reason, a message and located problems. */
function expectWellFormed(parsed: ParsedBody) {
  if (parsed.ok) {
    expect(parsed.events.length).toBeGreaterThan(0);
    return;
  }
  expect([400, 413]).toContain(parsed.status);
  expect(parsed.message.length).toBeGreaterThan(0);
  expect(parsed.invalid.length).toBeLessThanOrEqual(MAX_LISTED_INVALID);
  expect(parsed.invalidCount).toBeGreaterThanOrEqual(parsed.invalid.length);
  for (const entry of parsed.invalid) {
    expect(entry.problems.length).toBeGreaterThan(0);
    for (const problem of entry.problems) expect(problem.path).toMatch(JSON_POINTER);
  }
}

describe('parseBody on hostile bodies', () => {
  it('never throws on arbitrary bytes, whatever the declared kind', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...kinds), (bytes, kind) => {
        expectWellFormed(parseBody(Buffer.from(bytes), kind, 50));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary strings and JSON values, whatever the declared kind', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
      fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }).map((vs) => vs.map((v) => JSON.stringify(v)).join('\n')),
    );
    fc.assert(
      fc.property(text, fc.constantFrom(...kinds), (body, kind) => {
        expectWellFormed(parseBody(Buffer.from(body), kind, 50));
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on valid batches with one byte flipped, cut or inserted, and what it accepts survives a JSON round trip', () => {
    const base = Buffer.from(JSON.stringify([event('a'), event('b')]));
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom(...BYTE_MUTATIONS), (at, byte, how) => {
        const mutated = mutateBytes(base, at, byte, how);
        const parsed = parseBody(mutated, 'batch', 50);
        expectWellFormed(parsed);
        if (parsed.ok) for (const e of parsed.events) expect(JSON.parse(JSON.stringify(e))).toEqual(e);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['UTF-16', Buffer.from(JSON.stringify(event('a')), 'utf16le'), 'encoding', 'body NUL byte at offset 1 (this looks like UTF-16 or UTF-32): send UTF-8 JSON'],
    ['an empty body', Buffer.alloc(0), 'empty', 'body empty: a JSON value is required'],
    [
      'a truncated body',
      Buffer.from(JSON.stringify(event('a')).slice(0, 50)),
      'malformed_json',
      'malformed JSON: Unterminated string in JSON at position 50 (line 1 column 51)',
    ],
  ])('%s is refused as %s with the reason', (_name, body, reason, message) => {
    expect(parseBody(body, 'single', 10)).toEqual({ ok: false, status: 400, reason, codes: [], message, invalid: [], invalidCount: 0, eventCount: 1 });
  });

  it('accepts a UTF-8 byte order mark', () => {
    const parsed = parseBody(Buffer.from(`\ufeff${JSON.stringify(event('a'))}`), 'single', 10);
    expect(parsed.ok && parsed.events.map((e) => e.id)).toEqual(['a']);
  });

  it('refuses 100,000 levels of nesting with the path, not a stack overflow', () => {
    const deep = `${JSON.stringify(event('a')).slice(0, -1)},"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseBody(Buffer.from(deep), 'single', 10)).toMatchObject({
      status: 400,
      reason: 'invalid_events',
      invalid: [{ index: 0, id: 'a', problems: [{ path: '/deep' }] }],
    });
    expect(parseBody(Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'batch', 10)).toMatchObject({
      status: 400,
      invalid: [{ index: 0, problems: [{ path: '', message: 'an event must be a JSON object' }] }],
    });
  });

  it('in NDJSON, reports lines that are not JSON and events that break the contract together, with line numbers', () => {
    const body = [JSON.stringify(event('a')), '', '{oops', JSON.stringify(event('b', { unitid: 'U"}' })), JSON.stringify(event('c'))].join('\n');
    const parsed = parseBody(Buffer.from(body), 'ndjson', 10);
    expect(parsed).toMatchObject({
      ok: false,
      status: 400,
      reason: 'invalid_events',
      message: '2 of 4 events are invalid; nothing was accepted',
      invalidCount: 2,
      eventCount: 4,
      invalid: [
        { index: 1, line: 3, problems: [{ path: '', message: expect.stringMatching(/^malformed JSON/) }] },
        { index: 2, line: 4, id: 'b', problems: [{ path: '/unitid' }] },
      ],
    });
  });

  it(`lists at most ${MAX_LISTED_INVALID} invalid events and counts them all`, () => {
    const body = Array.from({ length: 5000 }, (_, i) => `{"n":${i}}`).join('\n');
    const parsed = parseBody(Buffer.from(body), 'ndjson', 10_000);
    expect(parsed).toMatchObject({
      status: 400,
      message: `5000 of 5000 events are invalid; nothing was accepted (the first ${MAX_LISTED_INVALID} are listed)`,
      invalidCount: 5000,
    });
    expect(!parsed.ok && parsed.invalid).toHaveLength(MAX_LISTED_INVALID);
  });

  it('refuses too many NDJSON lines before validating any of them', () => {
    const body = Array.from({ length: 11 }, (_, i) => JSON.stringify(event(`e${i}`))).join('\n');
    expect(parseBody(Buffer.from(body), 'ndjson', 10)).toMatchObject({ status: 413, reason: 'too_many_events', eventCount: 11 });
  });
});
