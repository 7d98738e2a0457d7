import fc from 'fast-check';
import { MAX_YEAR, MIN_YEAR, parseTimestamp, timestampMs, validTimestampMs } from './timestamp.js';

const ms = (text: string): number => {
  const r = parseTimestamp(text);
  if (!r.ok) throw new Error(`expected ${text} to parse: ${r.reason}`);
  return r.ms;
};

const reason = (text: string): string => {
  const r = parseTimestamp(text);
  if (r.ok) throw new Error(`expected ${text} to be refused, got ${r.ms}`);
  return r.reason;
};

describe('parseTimestamp: valid forms', () => {
  it.each([
    ['2022-06-22T01:30:00Z', 1_655_861_400_000],
    ['2022-06-22T01:30:00z', 1_655_861_400_000],
    ['2022-06-22t01:30:00Z', 1_655_861_400_000],
    ['2022-06-22T08:30:00+07:00', 1_655_861_400_000],
    ['2022-06-21T20:30:00-05:00', 1_655_861_400_000],
    ['2022-06-22T01:30:00+00:00', 1_655_861_400_000],
    ['2022-06-22T01:30:00-00:00', 1_655_861_400_000],
    ['2022-06-22T06:00:00+04:30', 1_655_861_400_000],
    ['2022-06-22T01:30:00.5Z', 1_655_861_400_500],
    ['2022-06-22T01:30:00.123Z', 1_655_861_400_123],
    ['2022-06-22T08:30:00.007+07:00', 1_655_861_400_007],
    // sub-millisecond digits are truncated, never rounded up into the next millisecond
    ['2022-06-22T01:30:00.999999999Z', 1_655_861_400_999],
    ['2022-06-22T01:30:00.0001Z', 1_655_861_400_000],
    ['1990-01-01T07:00:00+07:00', 631_152_000_000],
    ['2024-02-29T00:00:00Z', 1_709_164_800_000],
    ['2000-02-29T12:00:00Z', 951_825_600_000],
    ['2022-12-31T23:59:59Z', 1_672_531_199_000],
    ['2022-01-01T00:00:00+14:00', 1_640_944_800_000],
    ['2022-01-01T00:00:00-12:00', 1_641_038_400_000],
  ])('%s -> %d', (text, expected) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, ms: expected });
    expect(timestampMs(text)).toBe(expected);
  });

  it('agrees with Date.UTC for every millisecond fraction of three digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.integer({ min: -12 * 60, max: 14 * 60 }), (fraction, offset) => {
        const sign = offset < 0 ? '-' : '+';
        const abs = Math.abs(offset);
        const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        const text = `2023-03-15T10:20:30.${String(fraction).padStart(3, '0')}${off}`;
        expect(ms(text)).toBe(Date.UTC(2023, 2, 15, 10, 20, 30, fraction) - offset * 60_000);
      }),
    );
  });

  it('round-trips any instant of the allowed range through toISOString', () => {
    const from = Date.UTC(MIN_YEAR, 0, 1);
    const to = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999);
    fc.assert(
      fc.property(fc.integer({ min: from, max: to }), (instant) => {
        expect(ms(new Date(instant).toISOString())).toBe(instant);
      }),
    );
  });
});

describe('parseTimestamp: impossible or incomplete values', () => {
  it.each([
    ['2022-02-29T00:00:00Z', 'day 29 does not exist in 2022-02'],
    ['2024-02-30T00:00:00Z', 'day 30 does not exist in 2024-02'],
    ['1900-02-29T00:00:00Z', 'year 1900 is outside 1990–2100'],
    ['2100-02-29T00:00:00Z', 'day 29 does not exist in 2100-02'],
    ['2022-04-31T00:00:00Z', 'day 31 does not exist in 2022-04'],
    ['2022-06-00T00:00:00Z', 'day 0 does not exist in 2022-06'],
    ['2022-13-01T00:00:00Z', 'month 13 does not exist'],
    ['2022-00-10T00:00:00Z', 'month 0 does not exist'],
    ['2022-06-22T24:00:00Z', 'time 24:00:00 does not exist'],
    ['2022-06-22T23:60:00Z', 'time 23:60:00 does not exist'],
    ['2022-06-22T23:59:60Z', 'time 23:59:60 does not exist'],
    ['2022-06-22T08:00:00+25:00', 'offset +25:00 does not exist'],
    ['2022-06-22T08:00:00-24:00', 'offset -24:00 does not exist'],
    ['2022-06-22T08:00:00+07:60', 'offset +07:60 does not exist'],
    ['2022-06-22T08:00:00+14:01', 'offset +14:01 is outside -12:00…+14:00'],
    ['2022-06-22T08:00:00-12:30', 'offset -12:30 is outside -12:00…+14:00'],
    ['2022-06-22T08:00:00+23:59', 'offset +23:59 is outside -12:00…+14:00'],
    ['1989-12-31T23:59:59Z', 'year 1989 is outside 1990–2100'],
    ['2101-01-01T00:00:00Z', 'year 2101 is outside 1990–2100'],
  ])('%s is refused: %s', (text, expected) => {
    expect(reason(text)).toBe(expected);
    expect(() => timestampMs(text)).toThrow(`unvalidated timestamp '${text}': ${expected}`);
  });

  it('accepts the first and last instants of the year bounds', () => {
    expect(ms('1990-01-01T00:00:00Z')).toBe(Date.UTC(1990, 0, 1));
    expect(ms('2100-12-31T23:59:59.999Z')).toBe(Date.UTC(2100, 11, 31, 23, 59, 59, 999));
  });

  it.each([
    '2022-06-22T08:30:00', // missing offset
    '2022-06-22T08:30:00.123', // missing offset, with a fraction
    '2022-06-22 08:30:00Z', // space instead of T
    '2022-06-22',
    '2022-06-22T08:30Z', // no seconds
    '2022-06-22T08:30:00+0700', // offset without colon
    '2022-06-22T08:30:00+07',
    '2022-6-22T08:30:00Z',
    '22-06-22T08:30:00Z',
    '2022-06-22T08:30:00.Z', // empty fraction
    '2022-06-22T08:30:00.1234567890Z', // more than nine fraction digits
    ' 2022-06-22T08:30:00Z',
    '2022-06-22T08:30:00Z ',
    '',
  ])('%j is not an RFC 3339 date-time with an offset', (text) => {
    expect(reason(text)).toBe('must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00');
  });
});

describe('parseTimestamp: the character parser accepts exactly the RFC 3339 grammar', () => {
  // The grammar as a regular expression: the oracle the one-pass parser is checked against.
  const GRAMMAR = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
  const alphabet = fc.constantFrom(...'0123456789-:+.TtZz x'.split(''));
  const mutated = fc
    .tuple(
      fc.constantFrom('2022-06-22T08:30:00+07:00', '2022-06-22T01:30:00Z', '2022-06-22T01:30:00.123456789-05:30'),
      fc.array(fc.tuple(fc.nat(40), alphabet, fc.constantFrom('replace', 'insert', 'delete')), { maxLength: 3 }),
    )
    .map(([base, edits]) =>
      edits.reduce<string>((text, [at, ch, op]) => {
        const i = at % (text.length + 1);
        if (op === 'insert') return text.slice(0, i) + ch + text.slice(i);
        if (op === 'delete') return text.slice(0, i) + text.slice(i + 1);
        return text.slice(0, i) + ch + text.slice(i + 1);
      }, base),
    );

  it('refuses every string outside the grammar and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 40 })), (text) => {
        const result = parseTimestamp(text);
        if (!GRAMMAR.test(text)) expect(result.ok).toBe(false);
        else if (result.ok) expect(Number.isFinite(result.ms)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the instant Date.parse gives for every valid string in the grammar', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        const result = parseTimestamp(text);
        if (!result.ok || !/\.\d{0,3}[^\d]|:\d{2}[^.]/.test(text)) return;
        expect(result.ms).toBe(Date.parse(text.toUpperCase()));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('validTimestampMs and timestampMs: the same parser without a result object', () => {
  it('answer what parseTimestamp answers for any string', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom('2022-06-22T08:30:00+07:00', '2022-02-30T08:30:00Z', '2022-06-22T08:30:00+15:00'), fc.string({ maxLength: 30 })),
        (text) => {
          const parsed = parseTimestamp(text);
          expect(validTimestampMs(text)).toBe(parsed.ok ? parsed.ms : undefined);
          if (parsed.ok) expect(timestampMs(text)).toBe(parsed.ms);
          else expect(() => timestampMs(text)).toThrow(`unvalidated timestamp '${text}': ${parsed.reason}`);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
