import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createDayIndexer } from '../windows/days.js';
import type { CalendarYear } from './calendar.js';
import { lunarNewYearDay, lunarToSolarDay, newMoonJde, sunLongitude } from './lunar.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const iso = (day: number): string => days.isoDate(day);
const weekday = (day: number): number => new Date(day * 86_400_000).getUTCDay();

function calendarFile(year: number): CalendarYear {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, 'infra', 'data', 'calendar', `${year}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CalendarYear;
    if (dirname(dir) === dir) throw new Error(`infra/data/calendar/${year}.json not found above ${process.cwd()}`);
  }
}

describe('astronomy (Meeus, Astronomical Algorithms, 2nd ed.)', () => {
  it('new moon of 1977 February (example 49.a): JDE 2443192.65118', () => {
    expect(newMoonJde(-283)).toBeCloseTo(2_443_192.65118, 4);
  });

  it('apparent solar longitude on 1992 October 13.0 TD (example 25.a): 199.90895°', () => {
    expect(sunLongitude(2_448_908.5)).toBeCloseTo(199.90895, 3);
  });
});

describe('Tết and Hùng Kings’ day, as the official calendars 2022–2026 have them', () => {
  const official: [number, string, string][] = [
    [2022, '2022-02-01', '2022-04-10'],
    [2023, '2023-01-22', '2023-04-29'],
    [2024, '2024-02-10', '2024-04-18'],
    [2025, '2025-01-29', '2025-04-07'],
    [2026, '2026-02-17', '2026-04-26'],
  ];

  it.each(official)('%d: Tết %s, Hùng Kings %s', (year, tet, hung) => {
    expect(iso(lunarNewYearDay(year))).toBe(tet);
    expect(iso(lunarToSolarDay(year, 3, 10))).toBe(hung);
  });

  it.each(official)(
    "%d: the data file's days off agree: every weekday of the lunar Tết days is off, and Hùng Kings' day or its compensatory day",
    (year, tet, hung) => {
      const file = calendarFile(year);
      const tetOff = file.daysOff.filter((d) => d.name.startsWith('Tết Nguyên đán')).map((d) => d.date);
      const lunarTet = [-1, 0, 1, 2, 3].map((offset) => days.dayFromIso(tet) + offset);
      expect(
        lunarTet
          .filter((d) => weekday(d) >= 1 && weekday(d) <= 5)
          .map(iso)
          .every((date) => tetOff.includes(date)),
      ).toBe(true);
      const hungDay = days.dayFromIso(hung);
      const hungOff = file.daysOff.filter((d) => d.name.includes('Giỗ Tổ Hùng Vương'));
      if (weekday(hungDay) >= 1 && weekday(hungDay) <= 5) {
        expect(hungOff.map((d) => d.date)).toEqual([hung]);
      } else {
        // On a weekend: a compensatory day ("Nghỉ bù") within the next week.
        expect(hungOff.length).toBeGreaterThan(0);
        for (const d of hungOff) {
          expect(d.name).toMatch(/^Nghỉ bù/);
          expect(days.dayFromIso(d.date) - hungDay).toBeGreaterThan(0);
          expect(days.dayFromIso(d.date) - hungDay).toBeLessThan(7);
        }
      }
    },
  );
});

describe('lunar dates of the public record', () => {
  it.each([
    // Vietnam (UTC+7) and China (UTC+8) disagree when the new moon falls between 23:00 and 24:00 UTC+7.
    [1985, '1985-01-21'], // China: 20 February 1985
    [2007, '2007-02-17'], // China: 18 February 2007
    [2012, '2012-01-23'],
    [2020, '2020-01-25'],
    [2021, '2021-02-12'],
    [2027, '2027-02-06'],
  ])('Tết %d: %s', (year, date) => {
    expect(iso(lunarNewYearDay(year))).toBe(date);
  });

  it.each([
    [2012, '2012-03-31'],
    [2019, '2019-04-14'],
    [2021, '2021-04-21'],
    [2027, '2027-04-16'],
  ])('Hùng Kings %d: %s', (year, date) => {
    expect(iso(lunarToSolarDay(year, 3, 10))).toBe(date);
  });

  it.each([
    [2017, 6, '2017-07-23'],
    [2020, 4, '2020-05-23'],
    [2023, 2, '2023-03-22'],
    [2025, 6, '2025-07-25'],
    [2033, 11, '2033-12-22'], // a leap month 11, after the solstice: the next Tết is still two months on
  ])('leap month %d/%d begins %s', (year, month, date) => {
    expect(iso(lunarToSolarDay(year, month, 1, true))).toBe(date);
  });

  it('months 11 and 12 belong to the year before the next Tết: the last day of 12/2025 is the eve of Tết 2026', () => {
    expect(iso(lunarToSolarDay(2025, 11, 1))).toBe('2025-12-20');
    expect(iso(lunarToSolarDay(2025, 12, 29))).toBe('2026-02-16');
    expect(iso(lunarNewYearDay(2034))).toBe('2034-02-19');
  });

  it('refuses dates the lunar calendar does not have', () => {
    expect(() => lunarToSolarDay(2024, 6, 1, true)).toThrow(new RangeError('lunar year 2024 has no leap month 6'));
    expect(() => lunarToSolarDay(2025, 12, 30)).toThrow(new RangeError('lunar month 12 of 2025 has 29 days, not day 30'));
    expect(() => lunarToSolarDay(2025, 13, 1)).toThrow(RangeError);
    expect(() => lunarToSolarDay(2025, 1, 0)).toThrow(RangeError);
  });

  it('from 1950 to 2200 a lunar year lasts 354, 355, 383, 384 or 385 days and Tết falls between 21/1 and 20/2', () => {
    for (let year = 1950; year <= 2200; year++) {
      const tet = lunarNewYearDay(year);
      expect([354, 355, 383, 384, 385]).toContain(lunarNewYearDay(year + 1) - tet);
      expect(iso(tet).slice(5) >= '01-21' && iso(tet).slice(5) <= '02-20').toBe(true);
    }
  });
});
