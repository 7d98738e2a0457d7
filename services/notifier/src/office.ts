import type { DayIndexer, WorkCalendar } from '@dvc/domain';

/** When heads of units read their mail: from `open` to `close`, minutes after local midnight, on working days. */
export interface OfficeHours {
  open: number;
  close: number;
}

const MINUTE_MS = 60_000;
/** Longer than any run of days off the calendar can hold (Tết with its weekends is about 9 days). */
const LONGEST_CLOSURE_DAYS = 60;

const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** `07:30-17:00` as the configuration writes it. */
export function formatOfficeHours(hours: OfficeHours): string {
  return `${hhmm(hours.open)}-${hhmm(hours.close)}`;
}

/**
 * NOTIFIER_OFFICE_HOURS: `HH:MM-HH:MM` (opening and closing, local time, the opening first), or
 * `always` (no office hours: every notice goes out when it comes). Each mistake is named.
 */
export function parseOfficeHours(raw: string): { ok: true; value: OfficeHours | 'always' } | { ok: false; reason: string } {
  const text = raw.trim();
  if (text === 'always') return { ok: true, value: 'always' };
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text);
  if (match === null) return { ok: false, reason: `must be HH:MM-HH:MM (opening-closing, local time, e.g. 07:30-17:00) or 'always', got '${raw}'` };
  const minuteOf = (hour: string, minute: string): number | undefined =>
    Number(hour) <= 23 && Number(minute) <= 59 ? Number(hour) * 60 + Number(minute) : undefined;
  const [, openHour = '', openMinute = '', closeHour = '', closeMinute = ''] = match;
  const value = { open: minuteOf(openHour, openMinute), close: minuteOf(closeHour, closeMinute) };
  if (value.open === undefined || value.close === undefined) {
    const problems = [
      value.open === undefined ? 'the opening time is not a time of day' : '',
      value.close === undefined ? 'the closing time is not a time of day' : '',
    ];
    return { ok: false, reason: `${problems.filter((p) => p !== '').join(', ')} in '${raw}'` };
  }
  if (value.close <= value.open) return { ok: false, reason: `the office must open before it closes on the same day, got '${raw}'` };
  return { ok: true, value: { open: value.open, close: value.close } };
}

/** When people may be told: office hours on the working days of the calendar. */
export interface OfficeClock {
  readonly hours: OfficeHours;
  /** `ms` itself when it falls in office hours, else the next opening after it. */
  nextOpen(ms: number): number;
  /** The opening of the office hours `ms` falls in; undefined outside them. */
  openedAt(ms: number): number | undefined;
}

/**
 * Office hours on the calendar's working days (Monday to Friday less holidays and days off, plus
 * make-up Saturdays), in the calendar's zone. The calendar is asked each time, so a reloaded
 * calendar file counts from the next question on.
 */
export function officeClock(hours: OfficeHours, reference: () => { calendar: WorkCalendar; days: DayIndexer }): OfficeClock {
  const openedAt = (ms: number): number | undefined => {
    const { calendar, days } = reference();
    const day = days.dayOf(ms);
    const start = days.startOfDayMs(day);
    const minute = (ms - start) / MINUTE_MS;
    return calendar.isWorkingDay(day) && minute >= hours.open && minute < hours.close ? start + hours.open * MINUTE_MS : undefined;
  };
  const nextOpen = (ms: number): number => {
    if (openedAt(ms) !== undefined) return ms;
    const { calendar, days } = reference();
    const today = days.dayOf(ms);
    for (let day = today; day <= today + LONGEST_CLOSURE_DAYS; day += 1) {
      const opening = days.startOfDayMs(day) + hours.open * MINUTE_MS;
      if (opening > ms && calendar.isWorkingDay(day)) return opening;
    }
    throw new Error(`no working day in the ${LONGEST_CLOSURE_DAYS} days after ${days.isoDate(today)}: the calendar data is wrong`);
  };
  return { hours, nextOpen, openedAt };
}
