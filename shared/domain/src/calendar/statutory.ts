import { lunarNewYearDay, lunarToSolarDay } from './lunar.js';

/**
 * The days off the Labour Code 2019 fixes by date (Art. 112(1)), for a year without an official
 * notice, with the compensatory days of Art. 111(3): a holiday on a Saturday or Sunday gives a
 * day off on the next working day.
 *
 * Not in these rules, because the law does not fix them by date:
 * - the exact five days of Tết: the Prime Minister fixes them each year; here they are the last
 *   day of the lunar year and days 1–4 of the first lunar month;
 * - the National Day day adjacent to 2/9 (1/9 or 3/9), fixed yearly by the Prime Minister;
 * - swapped days and make-up working Saturdays, decided yearly;
 * - 24/11 Vietnamese Culture Day, announced as a future paid holiday but not law yet.
 */

export type HolidayId = 'new_year' | 'tet' | 'hung_kings' | 'reunification' | 'labour_day' | 'national_day';

/** Each holiday's name as the calendar files write it: Vietnamese, then English in parentheses. */
export const HOLIDAYS: Readonly<Record<HolidayId, { vi: string; en: string }>> = {
  new_year: { vi: 'Tết Dương lịch', en: "New Year's Day" },
  tet: { vi: 'Tết Nguyên đán', en: 'Lunar New Year' },
  hung_kings: { vi: 'Giỗ Tổ Hùng Vương', en: "Hùng Kings' Commemoration Day" },
  reunification: { vi: 'Ngày Giải phóng miền Nam, thống nhất đất nước', en: 'Reunification Day' },
  labour_day: { vi: 'Ngày Quốc tế Lao động', en: 'International Labour Day' },
  national_day: { vi: 'Quốc khánh', en: 'National Day' },
};

/** A day off of the fallback rules; `compensatory` for the day given for a holiday on a weekend. */
export interface StatutoryDayOff {
  day: number;
  holiday: HolidayId;
  compensatory: boolean;
  name: string;
}

const DAY_MS = 86_400_000;
const dayOf = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day) / DAY_MS;
const isWeekend = (day: number): boolean => {
  const weekday = new Date(day * DAY_MS).getUTCDay();
  return weekday === 0 || weekday === 6;
};

/**
 * The holidays the Labour Code fixes by date in a Gregorian year, weekends included, in date
 * order. They never share a date: from 1950 to 2200 Hùng Kings' day falls between 30/3 and 29/4
 * and the last day of the lunar year between 20/1 and 19/2 (checked in the tests).
 */
export function statutoryHolidays(year: number): { day: number; holiday: HolidayId }[] {
  const tet = lunarNewYearDay(year);
  const list: { day: number; holiday: HolidayId }[] = [
    { day: dayOf(year, 1, 1), holiday: 'new_year' },
    ...[-1, 0, 1, 2, 3].map((offset) => ({ day: tet + offset, holiday: 'tet' as const })),
    { day: lunarToSolarDay(year, 3, 10), holiday: 'hung_kings' },
    { day: dayOf(year, 4, 30), holiday: 'reunification' },
    { day: dayOf(year, 5, 1), holiday: 'labour_day' },
    { day: dayOf(year, 9, 2), holiday: 'national_day' },
  ];
  return list.sort((a, b) => a.day - b.day);
}

/**
 * The weekdays off of a year by the fallback rules, in date order: every statutory holiday on a
 * weekday, and for each one on a Saturday or Sunday the next weekday that is neither a holiday
 * nor already given as a compensatory day.
 */
export function statutoryDaysOff(year: number): StatutoryDayOff[] {
  const holidays = statutoryHolidays(year);
  const holidayDays = new Set(holidays.map((h) => h.day));
  const given = new Set<number>();
  const out: StatutoryDayOff[] = [];
  for (const { day, holiday } of holidays) {
    const { vi, en } = HOLIDAYS[holiday];
    if (!isWeekend(day)) {
      out.push({ day, holiday, compensatory: false, name: `${vi} (${en})` });
      continue;
    }
    let next = day + 1;
    while (isWeekend(next) || holidayDays.has(next) || given.has(next)) next += 1;
    given.add(next);
    out.push({ day: next, holiday, compensatory: true, name: `Nghỉ bù ${vi} (${en}, compensatory day off)` });
  }
  return out.sort((a, b) => a.day - b.day);
}

/** The `sources` and `unconfirmed` notes of a year computed by the fallback rules. */
export const FALLBACK_SOURCES: readonly string[] = [
  'Bộ luật Lao động 2019, Điều 111(3), 112(1) (Labour Code 2019, Art. 111(3), 112(1)): fallback rules for a year without an official notice',
];
export const FALLBACK_UNCONFIRMED: readonly string[] = [
  'Tết Nguyên đán: the Prime Minister fixes the five days each year; the fallback takes the last day of the lunar year and days 1–4 of the first lunar month.',
  'Quốc khánh (National Day): the adjacent day off (1/9 or 3/9) is fixed yearly by the Prime Minister and is not in the fallback.',
  'Swapped days off and make-up working Saturdays are decided yearly and are not in the fallback.',
  'Ngày Văn hóa Việt Nam 24/11 (Vietnamese Culture Day) is not law yet and is not in the fallback.',
];
