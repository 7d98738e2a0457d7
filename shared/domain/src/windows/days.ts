import { DateTime } from 'luxon';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Maps instants to local calendar days of one time zone. Luxon answers the zone offset
 * (about 70k calls/s here), so offsets are cached per UTC hour and the hot path costs one
 * Map lookup per timestamp.
 */
export interface DayIndexer {
  readonly zone: string;
  /** Local day number (days since 1970-01-01 in the zone) of an instant. */
  dayOf(ms: number): number;
  /** 'YYYY-MM-DD' of a day number. */
  isoDate(day: number): string;
  /** Day number of a 'YYYY-MM-DD' date. */
  dayFromIso(date: string): number;
  /** The first millisecond of a local day. */
  startOfDayMs(day: number): number;
  /** The last millisecond of a local day. */
  endOfDayMs(day: number): number;
}

export function createDayIndexer(zone: string): DayIndexer {
  if (!DateTime.local().setZone(zone).isValid) throw new Error(`unknown time zone '${zone}'`);
  const offsets = new Map<number, number>();
  const isoDates = new Map<number, string>();
  const offsetMs = (ms: number): number => {
    const hour = Math.floor(ms / HOUR_MS);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      offset = DateTime.fromMillis(hour * HOUR_MS, { zone }).offset * 60_000;
      if (offsets.size > 200_000) offsets.clear();
      offsets.set(hour, offset);
    }
    return offset;
  };
  const startOfDayMs = (day: number): number => {
    const guess = day * DAY_MS;
    return guess - offsetMs(guess - offsetMs(guess));
  };
  return {
    zone,
    dayOf: (ms) => Math.floor((ms + offsetMs(ms)) / DAY_MS),
    isoDate: (day) => {
      let iso = isoDates.get(day);
      if (iso === undefined) {
        iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
        if (isoDates.size > 100_000) isoDates.clear();
        isoDates.set(day, iso);
      }
      return iso;
    },
    dayFromIso: (date) => {
      const ms = Date.parse(`${date}T00:00:00Z`);
      // V8 rolls 2022-02-30 over to 2022-03-02 instead of refusing it; the round trip catches that.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
        throw new Error(`'${date}' is not a YYYY-MM-DD date`);
      }
      return ms / DAY_MS;
    },
    startOfDayMs,
    endOfDayMs: (day) => startOfDayMs(day + 1) - 1,
  };
}

/** Day numbers of a rolling window ending today: today and the (length - 1) previous days. */
export function rollingWindowDays(today: number, length: number): number[] {
  return Array.from({ length }, (_, i) => today - length + 1 + i);
}
