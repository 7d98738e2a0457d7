import type { DayIndexer } from '../windows/days.js';

/**
 * One year of the official working-day calendar as published data (infra/data/calendar):
 * days off on weekdays (holidays, compensatory days) and make-up working Saturdays.
 */
export interface CalendarYear {
  year: number;
  zone: string;
  daysOff: { date: string; name: string }[];
  workingSaturdays: { date: string; name: string }[];
  sources?: string[];
  unconfirmed?: string[];
}

export interface WorkCalendar {
  readonly years: readonly number[];
  isWorkingDay(day: number): boolean;
  /** The day number reached after counting n working days strictly after `day`. */
  addWorkingDays(day: number, n: number): number;
}

/** Thrown when calendar data contradicts itself (a date twice, a Saturday that is no Saturday). */
export class CalendarDataError extends Error {}

const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7; // 0 = Sunday; 1970-01-01 was a Thursday

export function createWorkCalendar(years: readonly CalendarYear[], days: DayIndexer): WorkCalendar {
  const off = new Set<number>();
  const extra = new Set<number>();
  const seen = new Set<number>();
  const once = (year: number, date: string): number => {
    const day = days.dayFromIso(date);
    if (seen.has(day)) throw new CalendarDataError(`calendar ${year}: ${date} is listed twice`);
    seen.add(day);
    return day;
  };
  for (const y of years) {
    if (y.zone !== days.zone) throw new CalendarDataError(`calendar ${y.year} is for zone ${y.zone}, expected ${days.zone}`);
    for (const { date } of y.daysOff) {
      if (!date.startsWith(`${y.year}-`) && !date.startsWith(`${y.year - 1}-12-`)) {
        throw new CalendarDataError(`calendar ${y.year}: day off ${date} is outside the year`);
      }
      off.add(once(y.year, date));
    }
    for (const { date } of y.workingSaturdays) {
      const day = once(y.year, date);
      if (weekday(day) !== 6) throw new CalendarDataError(`calendar ${y.year}: make-up working day ${date} is not a Saturday`);
      extra.add(day);
    }
  }
  const isWorkingDay = (day: number): boolean => {
    if (extra.has(day)) return true;
    const wd = weekday(day);
    return wd !== 0 && wd !== 6 && !off.has(day);
  };
  const cache = new Map<number, number>();
  return {
    years: years.map((y) => y.year).sort(),
    isWorkingDay,
    addWorkingDays(day, n) {
      const key = day * 1000 + n;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      let d = day;
      for (let counted = 0; counted < n; ) {
        d += 1;
        if (isWorkingDay(d)) counted += 1;
      }
      if (cache.size > 100_000) cache.clear();
      cache.set(key, d);
      return d;
    },
  };
}
