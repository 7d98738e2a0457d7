import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createDayIndexer } from '../windows/days.js';
import type { CalendarYear } from './calendar.js';
import { statutoryDaysOff, statutoryHolidays } from './statutory.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');
const iso = (day: number): string => days.isoDate(day);

function calendarFile(year: number): CalendarYear {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, 'infra', 'data', 'calendar', `${year}.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CalendarYear;
    if (dirname(dir) === dir) throw new Error(`infra/data/calendar/${year}.json not found above ${process.cwd()}`);
  }
}

describe('the Labour Code fallback against the official calendars 2022–2026', () => {
  /**
   * What the Prime Minister's yearly decisions change and the Labour Code does not fix by date:
   * the National Day adjacent day, Tết days moved before the holiday instead of compensatory days
   * after it, swapped days off with their make-up Saturdays.
   */
  const expected: Record<number, { onlyOfficial: string[]; onlyFallback: string[]; workingSaturdays: string[] }> = {
    2022: { onlyOfficial: ['2022-09-01'], onlyFallback: [], workingSaturdays: [] }, // adjacent day
    2023: {
      onlyOfficial: ['2023-01-20', '2023-09-01'], // Tết from Friday 20/1 instead of Friday 27/1; adjacent day
      onlyFallback: ['2023-01-27'],
      workingSaturdays: [],
    },
    2024: {
      onlyOfficial: ['2024-02-08', '2024-04-29', '2024-09-03'], // Tết from Thursday 8/2 instead of Thursday 15/2; swap; adjacent day
      onlyFallback: ['2024-02-15'],
      workingSaturdays: ['2024-05-04'],
    },
    2025: {
      onlyOfficial: ['2025-01-27', '2025-05-02', '2025-09-01'], // Tết from Monday 27/1 instead of Monday 3/2; swap; adjacent day
      onlyFallback: ['2025-02-03'],
      workingSaturdays: ['2025-04-26'],
    },
    2026: { onlyOfficial: ['2026-01-02'], onlyFallback: [], workingSaturdays: ['2026-01-10'] }, // swap (adjacent day not fixed yet)
  };

  it.each([2022, 2023, 2024, 2025, 2026])('%d: the same weekdays off but for the decisions of the Prime Minister', (year) => {
    const file = calendarFile(year);
    const official = file.daysOff.map((d) => d.date);
    const fallback = statutoryDaysOff(year).map((d) => iso(d.day));
    expect(official.filter((d) => !fallback.includes(d))).toEqual(expected[year]?.onlyOfficial);
    expect(fallback.filter((d) => !official.includes(d))).toEqual(expected[year]?.onlyFallback);
    expect(file.workingSaturdays.map((d) => d.date)).toEqual(expected[year]?.workingSaturdays);
  });
});

describe('statutoryDaysOff', () => {
  it('2027, the first year without an official notice: every day and its name', () => {
    expect(statutoryDaysOff(2027).map((d) => [iso(d.day), d.holiday, d.compensatory, d.name])).toEqual([
      ['2027-01-01', 'new_year', false, "Tết Dương lịch (New Year's Day)"],
      ['2027-02-05', 'tet', false, 'Tết Nguyên đán (Lunar New Year)'], // the last day of the lunar year (Friday)
      ['2027-02-08', 'tet', false, 'Tết Nguyên đán (Lunar New Year)'],
      ['2027-02-09', 'tet', false, 'Tết Nguyên đán (Lunar New Year)'],
      ['2027-02-10', 'tet', true, 'Nghỉ bù Tết Nguyên đán (Lunar New Year, compensatory day off)'], // for Saturday 6/2, day 1
      ['2027-02-11', 'tet', true, 'Nghỉ bù Tết Nguyên đán (Lunar New Year, compensatory day off)'], // for Sunday 7/2
      ['2027-04-16', 'hung_kings', false, "Giỗ Tổ Hùng Vương (Hùng Kings' Commemoration Day)"],
      ['2027-04-30', 'reunification', false, 'Ngày Giải phóng miền Nam, thống nhất đất nước (Reunification Day)'],
      ['2027-05-03', 'labour_day', true, 'Nghỉ bù Ngày Quốc tế Lao động (International Labour Day, compensatory day off)'],
      ['2027-09-02', 'national_day', false, 'Quốc khánh (National Day)'],
    ]);
  });

  it('a compensatory day skips the weekend, other holidays and days already given (2023: Hùng Kings on Saturday, 30/4 on Sunday)', () => {
    const may2023 = statutoryDaysOff(2023).filter((d) => iso(d.day) >= '2023-04-01' && iso(d.day) <= '2023-05-31');
    expect(may2023.map((d) => [iso(d.day), d.holiday, d.compensatory])).toEqual([
      ['2023-05-01', 'labour_day', false],
      ['2023-05-02', 'hung_kings', true],
      ['2023-05-03', 'reunification', true],
    ]);
  });

  it('New Year on a Saturday gives Monday 3 January (2022), on a Sunday Monday 2 January (2023)', () => {
    expect(
      statutoryDaysOff(2022)
        .filter((d) => d.holiday === 'new_year')
        .map((d) => iso(d.day)),
    ).toEqual(['2022-01-03']);
    expect(
      statutoryDaysOff(2023)
        .filter((d) => d.holiday === 'new_year')
        .map((d) => iso(d.day)),
    ).toEqual(['2023-01-02']);
  });

  it('from 1950 to 2200: ten holidays on ten different days, one weekday off for each, all inside the year', () => {
    for (let year = 1950; year <= 2200; year++) {
      const holidays = statutoryHolidays(year);
      expect(new Set(holidays.map((h) => h.day)).size).toBe(10);
      const off = statutoryDaysOff(year);
      expect(off).toHaveLength(10);
      expect(new Set(off.map((d) => d.day)).size).toBe(10);
      for (const d of off) {
        expect(iso(d.day).startsWith(`${year}-`)).toBe(true);
        expect([1, 2, 3, 4, 5]).toContain(new Date(d.day * 86_400_000).getUTCDay());
      }
    }
  });
});
