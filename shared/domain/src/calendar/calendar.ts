import type { DayIndexer } from '../windows/days.js';
import { FALLBACK_SOURCES, FALLBACK_UNCONFIRMED, statutoryDaysOff } from './statutory.js';
import { DvcError } from '../errors/dvc-error.js';

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

/** Where a year's days off come from: its data file, or the Labour Code fallback rules. */
export type CalendarSource = 'official' | 'fallback';

export interface WorkCalendar {
  /** The years with official data (a data file), ascending. */
  readonly years: readonly number[];
  /**
   * The last day with official data: 31 December of the last year of the unbroken run of data
   * files that starts at the first one (a missing year ends it); undefined without any file.
   */
  readonly officialUntilDay: number | undefined;
  /** `official` for a year with a data file, `fallback` for any other year. */
  sourceOf(year: number): CalendarSource;
  /** A year's weekdays off and make-up Saturdays as the calendar uses them, and their source. */
  yearData(year: number): CalendarYear & { source: CalendarSource };
  isWorkingDay(day: number): boolean;
  /** The day number reached after counting n working days strictly after `day`. */
  addWorkingDays(day: number, n: number): number;
}

/** Thrown when calendar data contradicts itself (a date twice, a Saturday that is no Saturday). */
export class CalendarDataError extends DvcError {
  readonly code = 'DVC_CALENDAR_DATA';
}

const weekday = (day: number): number => (((day + 4) % 7) + 7) % 7; // 0 = Sunday; 1970-01-01 was a Thursday
const yearStart = (year: number): number => Date.UTC(year, 0, 1) / 86_400_000;
const yearFromDay = (day: number): number => {
  const guess = 1970 + Math.floor(day / 365.2425);
  if (day < yearStart(guess)) return guess - 1;
  return day >= yearStart(guess + 1) ? guess + 1 : guess;
};

/**
 * The working days: Monday to Friday, less the days off and plus the make-up Saturdays of each
 * year's data file; for a year without a file, less the Labour Code's days off
 * (statutoryDaysOff: the holidays fixed by date and their compensatory days).
 */
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
  const official = new Map(years.map((y) => [y.year, y]));
  const sorted = [...official.keys()].sort((a, b) => a - b);
  let lastOfficial = sorted[0];
  while (lastOfficial !== undefined && official.has(lastOfficial + 1)) lastOfficial += 1;
  // Fallback days off per year without a file, computed when a day of that year is first asked.
  const fallbackOff = new Map<number, Set<number>>();
  const fallbackDays = (year: number): Set<number> => {
    let set = fallbackOff.get(year);
    if (set === undefined) {
      set = new Set(statutoryDaysOff(year).map((d) => d.day));
      fallbackOff.set(year, set);
    }
    return set;
  };
  // Days of the unbroken official run need no year lookup.
  const runFirst = sorted[0] === undefined ? 0 : yearStart(sorted[0]);
  const runEnd = lastOfficial === undefined ? 0 : yearStart(lastOfficial + 1);
  // The year of the last day looked up outside that run: days are mostly asked in sequence.
  let cached = { year: 0, first: 0, end: 0 };
  const yearOf = (day: number): number => {
    if (day < cached.first || day >= cached.end) {
      const year = yearFromDay(day);
      cached = { year, first: yearStart(year), end: yearStart(year + 1) };
    }
    return cached.year;
  };
  const isWorkingDay = (day: number): boolean => {
    if (extra.has(day)) return true;
    const wd = weekday(day);
    if (wd === 0 || wd === 6 || off.has(day)) return false;
    if (day >= runFirst && day < runEnd) return true;
    const year = yearOf(day);
    return official.has(year) || !fallbackDays(year).has(day);
  };
  const cache = new Map<number, number>();
  return {
    years: sorted,
    officialUntilDay: lastOfficial === undefined ? undefined : days.dayFromIso(`${lastOfficial}-12-31`),
    sourceOf: (year) => (official.has(year) ? 'official' : 'fallback'),
    yearData(year) {
      const file = official.get(year);
      if (file !== undefined) return { ...file, source: 'official' };
      return {
        year,
        zone: days.zone,
        daysOff: statutoryDaysOff(year).map((d) => ({ date: days.isoDate(d.day), name: d.name })),
        workingSaturdays: [],
        sources: [...FALLBACK_SOURCES],
        unconfirmed: [...FALLBACK_UNCONFIRMED],
        source: 'fallback',
      };
    },
    isWorkingDay,
    addWorkingDays(day, n) {
      const key = day * 1000 + n;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      let d = day;
      for (let counted = 0; counted < n;) {
        d += 1;
        if (isWorkingDay(d)) counted += 1;
      }
      if (cache.size > 100_000) cache.clear();
      cache.set(key, d);
      return d;
    },
  };
}
