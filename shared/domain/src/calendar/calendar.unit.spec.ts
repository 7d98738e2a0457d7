import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { createDayIndexer } from '../windows/days.js';
import { CalendarDataError, createWorkCalendar, type CalendarYear } from './calendar.js';
import { statutoryDaysOff } from './statutory.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const days = createDayIndexer(ZONE);

/** infra/data/calendar, found upwards from the working directory (the package when run by npm/turbo). */
function calendarDir(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'infra', 'data', 'calendar');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`infra/data/calendar not found above ${process.cwd()}`);
  }
}

const DIR = calendarDir();
const loadYear = (year: number): CalendarYear => JSON.parse(readFileSync(join(DIR, `${year}.json`), 'utf8')) as CalendarYear;
const YEARS = [2022, 2023, 2024, 2025, 2026];
const data = YEARS.map(loadYear);
const calendar = createWorkCalendar(data, days);

const d = (iso: string): number => days.dayFromIso(iso);
const iso = (day: number): string => days.isoDate(day);
const weekday = (day: number): number => new Date(day * 86_400_000).getUTCDay();

describe('calendar data files (infra/data/calendar)', () => {
  it('holds at least 2022–2026, one file per year', () => {
    const files = readdirSync(DIR).filter((f) => /^\d{4}\.json$/.test(f));
    expect(files.map((f) => Number(f.slice(0, 4)))).toEqual(expect.arrayContaining(YEARS));
    expect(calendar.years).toEqual(YEARS);
  });

  it.each(YEARS)('%d is well formed: its zone, weekdays off inside the year, Saturdays that are Saturdays, no date twice', (year) => {
    const y = data[YEARS.indexOf(year)];
    if (y === undefined) throw new Error('missing year');
    expect(y.year).toBe(year);
    expect(y.zone).toBe(ZONE);
    const dates = [...y.daysOff, ...y.workingSaturdays].map((e) => e.date);
    expect(new Set(dates).size).toBe(dates.length);
    for (const off of y.daysOff) {
      expect(iso(d(off.date))).toBe(off.date);
      expect(off.date.startsWith(`${year}-`)).toBe(true);
      expect([1, 2, 3, 4, 5]).toContain(weekday(d(off.date)));
      expect(off.name).toMatch(/\(.+\)/); // Vietnamese name with the English one in parentheses
    }
    for (const sat of y.workingSaturdays) {
      expect(weekday(d(sat.date))).toBe(6);
      expect(sat.name).toMatch(/\(.+\)/);
    }
    expect(y.sources?.length ?? 0).toBeGreaterThan(0);
  });

  it('leaves the unconfirmed 2026 National Day adjacent day out, and says so', () => {
    expect(calendar.isWorkingDay(d('2026-09-02'))).toBe(false);
    expect(calendar.isWorkingDay(d('2026-09-01'))).toBe(true);
    expect(calendar.isWorkingDay(d('2026-09-03'))).toBe(true);
    expect(data[4]?.unconfirmed?.some((u) => u.includes('adjacent'))).toBe(true);
  });

  it('has 11 public holidays worth of weekdays off in 2022 and no make-up Saturday', () => {
    expect(data[0]?.daysOff.map((x) => x.date)).toEqual([
      '2022-01-03',
      '2022-01-31',
      '2022-02-01',
      '2022-02-02',
      '2022-02-03',
      '2022-02-04',
      '2022-04-11',
      '2022-05-02',
      '2022-05-03',
      '2022-09-01',
      '2022-09-02',
    ]);
    expect(data[0]?.workingSaturdays).toEqual([]);
  });
});

describe('isWorkingDay', () => {
  it.each([
    ['2022-06-22', true], // Wednesday
    ['2022-06-25', false], // Saturday
    ['2022-06-26', false], // Sunday
    ['2022-09-02', false], // National Day
    ['2022-09-01', false], // adjacent day
    ['2022-01-03', false], // compensatory for New Year on a Saturday
    ['2022-01-04', true],
    ['2022-02-07', true], // first day back after Tết 2022
    ['2022-04-11', false],
    ['2023-01-02', false],
    ['2023-05-03', false],
    ['2024-04-29', false], // swapped with Saturday 4 May
    ['2024-05-04', true], // make-up working Saturday
    ['2024-05-11', false], // an ordinary Saturday
    ['2025-04-26', true], // make-up working Saturday
    ['2025-05-02', false],
    ['2026-01-02', false],
    ['2026-01-10', true], // make-up working Saturday
    ['2026-02-16', false],
    ['2026-04-27', false],
    ['2027-01-01', false], // New Year's Day, a Friday of a year without data: off by the Labour Code
    ['2027-01-04', true],
    ['2027-02-05', false], // the last day of the lunar year
    ['2027-05-03', false], // compensatory day for 1/5 on a Saturday
  ])('%s -> %s', (date, expected) => {
    expect(calendar.isWorkingDay(d(date))).toBe(expected);
  });

  it('without data, is Monday to Friday less the Labour Code days off of each year', () => {
    const plain = createWorkCalendar([], days);
    expect(plain.years).toEqual([]);
    const fallbackOff = (day: number) => statutoryDaysOff(new Date(day * 86_400_000).getUTCFullYear()).some((x) => x.day === day);
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 40_000 }), (day) => {
        expect(plain.isWorkingDay(day)).toBe(weekday(day) >= 1 && weekday(day) <= 5 && !fallbackOff(day));
      }),
    );
  });
});

describe('official and fallback years', () => {
  it('without data, puts every day of 1971–2100 in its own year: 1/1 off on a weekday, 31/12 worked on a weekday', () => {
    const plain = createWorkCalendar([], days);
    for (let year = 1971; year <= 2100; year++) {
      const newYear = d(`${year}-01-01`);
      const lastDay = d(`${year - 1}-12-31`);
      if (weekday(newYear) >= 1 && weekday(newYear) <= 5) expect(plain.isWorkingDay(newYear)).toBe(false);
      if (weekday(lastDay) >= 1 && weekday(lastDay) <= 5) expect(plain.isWorkingDay(lastDay)).toBe(true);
    }
  });

  it('knows which years are official and where the official data ends', () => {
    expect(calendar.sourceOf(2022)).toBe('official');
    expect(calendar.sourceOf(2026)).toBe('official');
    expect(calendar.sourceOf(2021)).toBe('fallback');
    expect(calendar.sourceOf(2027)).toBe('fallback');
    expect(calendar.officialUntilDay).toBe(d('2026-12-31'));
  });

  it('a missing year ends the official data, and no file means no official data', () => {
    const gap = createWorkCalendar(
      [data[0], data[2], data[3]].map((y) => y as CalendarYear),
      days,
    );
    expect(gap.years).toEqual([2022, 2024, 2025]);
    expect(gap.officialUntilDay).toBe(d('2022-12-31'));
    expect(gap.sourceOf(2023)).toBe('fallback');
    expect(gap.isWorkingDay(d('2023-01-02'))).toBe(false); // the fallback's compensatory day for 1/1 on a Sunday
    expect(createWorkCalendar([], days).officialUntilDay).toBeUndefined();
  });

  it('shows a year as it is used: the file of an official year, the Labour Code days of a fallback year', () => {
    expect(calendar.yearData(2024)).toEqual({ ...data[2], source: 'official' });
    const y2027 = calendar.yearData(2027);
    expect(y2027.source).toBe('fallback');
    expect(y2027.zone).toBe(ZONE);
    expect(y2027.daysOff.map((x) => x.date)).toEqual(statutoryDaysOff(2027).map((x) => iso(x.day)));
    expect(y2027.daysOff[0]).toEqual({ date: '2027-01-01', name: "Tết Dương lịch (New Year's Day)" });
    expect(y2027.workingSaturdays).toEqual([]);
    expect(y2027.unconfirmed?.some((u) => u.includes('adjacent'))).toBe(true);
    expect(y2027.unconfirmed?.some((u) => u.includes('24/11'))).toBe(true);
  });
});

describe('addWorkingDays', () => {
  it.each([
    ['2022-01-28', 1, '2022-02-07'], // Friday before Tết -> first Monday after
    ['2022-01-28', 2, '2022-02-08'],
    ['2022-01-27', 1, '2022-01-28'],
    ['2022-01-27', 2, '2022-02-07'],
    ['2022-01-29', 1, '2022-02-07'], // from a Saturday
    ['2022-02-01', 1, '2022-02-07'], // from inside the holiday
    ['2022-01-28', 5, '2022-02-11'],
    ['2022-06-22', 0, '2022-06-22'],
    ['2022-06-22', 1, '2022-06-23'],
    ['2022-06-22', 3, '2022-06-27'],
    ['2022-06-22', 15, '2022-07-13'],
    ['2022-08-31', 1, '2022-09-05'], // across National Day 2022
    ['2024-05-03', 1, '2024-05-04'], // Friday -> make-up Saturday
    ['2024-04-26', 1, '2024-05-02'], // across 27/4–1/5 2024
    ['2024-04-26', 2, '2024-05-03'],
    ['2024-04-26', 3, '2024-05-04'],
    ['2024-04-26', 4, '2024-05-06'],
    ['2025-12-31', 1, '2026-01-05'], // across the year boundary and New Year 2026
    ['2026-01-09', 1, '2026-01-10'],
    // Only the files of 2022–2026: the first year without one still keeps 1/1 off (the done-when of issue 10).
    ['2026-12-31', 1, '2027-01-04'],
    ['2026-12-31', 2, '2027-01-05'],
    ['2027-02-04', 1, '2027-02-12'], // across Tết 2027 by the fallback: 5/2, 8/2–11/2 off
  ])('%s + %d -> %s', (from, n, expected) => {
    expect(iso(calendar.addWorkingDays(d(from), n))).toBe(expected);
  });

  it('gives the same answer twice (cache) and distinguishes n from day', () => {
    const start = d('2022-01-28');
    expect(calendar.addWorkingDays(start, 1)).toBe(calendar.addWorkingDays(start, 1));
    expect(calendar.addWorkingDays(start + 1, 0)).toBe(start + 1);
    expect(calendar.addWorkingDays(start, 1)).not.toBe(calendar.addWorkingDays(start + 1, 0));
  });

  it('lands on a working day strictly after the start, with exactly n working days in (start, result]', () => {
    const first = d('2022-01-01');
    const last = d('2026-12-31');
    fc.assert(
      fc.property(fc.integer({ min: first, max: last }), fc.integer({ min: 1, max: 30 }), (start, n) => {
        const result = calendar.addWorkingDays(start, n);
        expect(result).toBeGreaterThan(start);
        expect(calendar.isWorkingDay(result)).toBe(true);
        let counted = 0;
        for (let day = start + 1; day <= result; day++) if (calendar.isWorkingDay(day)) counted++;
        expect(counted).toBe(n);
      }),
      { numRuns: 500 },
    );
  });
});

describe('calendar data errors', () => {
  const year = (patch: Partial<CalendarYear>): CalendarYear => ({ year: 2024, zone: ZONE, daysOff: [], workingSaturdays: [], ...patch });

  it('a make-up working day that is not a Saturday', () => {
    const bad = year({ workingSaturdays: [{ date: '2024-05-05', name: 'Sunday' }] });
    expect(() => createWorkCalendar([bad], days)).toThrow(CalendarDataError);
    expect(() => createWorkCalendar([bad], days)).toThrow('calendar 2024: make-up working day 2024-05-05 is not a Saturday');
  });

  it('a calendar for another zone', () => {
    expect(() => createWorkCalendar([year({ zone: 'Asia/Bangkok' })], days)).toThrow(
      new CalendarDataError('calendar 2024 is for zone Asia/Bangkok, expected Asia/Ho_Chi_Minh'),
    );
  });

  it('a day off outside its year (the last days of December before are allowed)', () => {
    expect(() => createWorkCalendar([year({ daysOff: [{ date: '2025-01-01', name: 'x' }] })], days)).toThrow(
      'calendar 2024: day off 2025-01-01 is outside the year',
    );
    expect(() => createWorkCalendar([year({ daysOff: [{ date: '2023-11-30', name: 'x' }] })], days)).toThrow(CalendarDataError);
    const cal = createWorkCalendar([year({ daysOff: [{ date: '2023-12-29', name: 'x' }] })], days);
    expect(cal.isWorkingDay(d('2023-12-29'))).toBe(false);
  });

  it('a date both off and a make-up working Saturday', () => {
    const bad = year({ daysOff: [{ date: '2024-05-04', name: 'off' }], workingSaturdays: [{ date: '2024-05-04', name: 'work' }] });
    expect(() => createWorkCalendar([bad], days)).toThrow(CalendarDataError);
  });

  it('a date listed twice', () => {
    const twice = year({
      daysOff: [
        { date: '2024-04-18', name: 'a' },
        { date: '2024-04-18', name: 'b' },
      ],
    });
    expect(() => createWorkCalendar([twice], days)).toThrow(CalendarDataError);
  });

  it('a date that does not exist', () => {
    expect(() => createWorkCalendar([year({ daysOff: [{ date: '2024-02-30', name: 'x' }] })], days)).toThrow();
  });
});
