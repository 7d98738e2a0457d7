import fc from 'fast-check';
import { createDayIndexer, rollingWindowDays } from './days.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const utc = (text: string): number => Date.parse(text);
const local = (text: string): string => days.isoDate(days.dayOf(utc(text)));

describe('createDayIndexer(Asia/Ho_Chi_Minh)', () => {
  it('keeps its zone and refuses an unknown one', () => {
    expect(days.zone).toBe('Asia/Ho_Chi_Minh');
    expect(() => createDayIndexer('Asia/Saigon_Nowhere')).toThrow("unknown time zone 'Asia/Saigon_Nowhere'");
  });

  it.each([
    ['2022-06-21T23:30:00Z', '2022-06-22'],
    ['2022-06-21T16:59:59.999Z', '2022-06-21'],
    ['2022-06-21T17:00:00.000Z', '2022-06-22'],
    ['2022-06-22T16:59:59.999Z', '2022-06-22'],
    ['2022-06-22T17:00:00.000Z', '2022-06-23'],
    ['2021-12-31T17:00:00Z', '2022-01-01'],
    ['2021-12-31T16:59:59.999Z', '2021-12-31'],
    ['2024-02-28T17:00:00Z', '2024-02-29'],
  ])('%s falls on local day %s', (instant, expected) => {
    expect(local(instant)).toBe(expected);
  });

  it('numbers days from 1970-01-01', () => {
    expect(days.dayFromIso('1970-01-01')).toBe(0);
    expect(days.dayFromIso('2022-06-22')).toBe(19_165);
    expect(days.isoDate(19_165)).toBe('2022-06-22');
    expect(days.dayOf(utc('2022-06-21T17:00:00Z'))).toBe(19_165);
  });

  it('gives the exact first and last millisecond of a local day', () => {
    const day = days.dayFromIso('2022-06-22');
    expect(days.startOfDayMs(day)).toBe(utc('2022-06-21T17:00:00.000Z'));
    expect(days.endOfDayMs(day)).toBe(utc('2022-06-22T16:59:59.999Z'));
    expect(days.dayOf(days.startOfDayMs(day))).toBe(day);
    expect(days.dayOf(days.endOfDayMs(day))).toBe(day);
    expect(days.dayOf(days.startOfDayMs(day) - 1)).toBe(day - 1);
    expect(days.dayOf(days.endOfDayMs(day) + 1)).toBe(day + 1);
  });

  it('start and end of day bracket every instant of 2020–2030', () => {
    fc.assert(
      fc.property(fc.integer({ min: utc('2020-01-01T00:00:00Z'), max: utc('2030-12-31T23:59:59.999Z') }), (instant) => {
        const day = days.dayOf(instant);
        expect(days.startOfDayMs(day)).toBeLessThanOrEqual(instant);
        expect(days.endOfDayMs(day)).toBeGreaterThanOrEqual(instant);
        expect(days.endOfDayMs(day) - days.startOfDayMs(day)).toBe(86_400_000 - 1);
        expect(days.dayFromIso(days.isoDate(day))).toBe(day);
      }),
    );
  });

  it.each(['2022-6-22', '2022-06-22T00:00:00Z', '22-06-2022', '', '2022-13-01', '2022-02-30', '2022-02-29', '2023-04-31'])('dayFromIso refuses %j', (text) => {
    expect(() => days.dayFromIso(text)).toThrow(`'${text}' is not a YYYY-MM-DD date`);
  });

  it('dayFromIso accepts 29 February in a leap year', () => {
    expect(days.isoDate(days.dayFromIso('2024-02-29'))).toBe('2024-02-29');
  });

  it('works in a zone with daylight saving time (Europe/Berlin)', () => {
    const berlin = createDayIndexer('Europe/Berlin');
    const springDay = berlin.dayFromIso('2022-03-27'); // 23-hour day
    expect(berlin.startOfDayMs(springDay)).toBe(utc('2022-03-26T23:00:00Z'));
    expect(berlin.endOfDayMs(springDay)).toBe(utc('2022-03-27T21:59:59.999Z'));
    const autumnDay = berlin.dayFromIso('2022-10-30'); // 25-hour day
    expect(berlin.startOfDayMs(autumnDay)).toBe(utc('2022-10-29T22:00:00Z'));
    expect(berlin.endOfDayMs(autumnDay)).toBe(utc('2022-10-30T22:59:59.999Z'));
  });
});

describe('rollingWindowDays', () => {
  it('is today and the 13 previous days for 14', () => {
    const today = days.dayFromIso('2022-07-05');
    const window = rollingWindowDays(today, 14);
    expect(window).toHaveLength(14);
    expect(window[0]).toBe(today - 13);
    expect(window[13]).toBe(today);
    expect(window.map((d) => days.isoDate(d))).toEqual([
      '2022-06-22',
      '2022-06-23',
      '2022-06-24',
      '2022-06-25',
      '2022-06-26',
      '2022-06-27',
      '2022-06-28',
      '2022-06-29',
      '2022-06-30',
      '2022-07-01',
      '2022-07-02',
      '2022-07-03',
      '2022-07-04',
      '2022-07-05',
    ]);
  });

  it('is consecutive and ends today for any length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 1, max: 400 }), (today, length) => {
        const window = rollingWindowDays(today, length);
        expect(window).toHaveLength(length);
        expect(window[length - 1]).toBe(today);
        window.forEach((d, i) => expect(d).toBe(today - length + 1 + i));
      }),
    );
  });
});
