/**
 * RFC 3339 timestamps with a mandatory offset, parsed without Date.parse so that impossible
 * dates (30 February, hour 24) are refused instead of silently rolled over.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Years outside this range are treated as impossible values, not business times. */
export const MIN_YEAR = 1990;
export const MAX_YEAR = 2100;

/** Offsets of real time zones run from UTC−12:00 to UTC+14:00; anything else is a typo or a forgery. */
const MIN_OFFSET_MINUTES = -12 * 60;
const MAX_OFFSET_MINUTES = 14 * 60;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export type TimestampResult = { ok: true; ms: number } | { ok: false; reason: string };

/** Epoch milliseconds of an RFC 3339 timestamp, or the reason it is not one. */
export function parseTimestamp(text: string): TimestampResult {
  const m = RFC3339.exec(text);
  if (m === null) return { ok: false, reason: 'must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00' };
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, reason: `year ${year} is outside ${MIN_YEAR}–${MAX_YEAR}` };
  if (month < 1 || month > 12) return { ok: false, reason: `month ${month} does not exist` };
  const monthDays = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > monthDays) return { ok: false, reason: `day ${day} does not exist in ${year}-${m[2]}` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: `time ${m[4]}:${m[5]}:${m[6]} does not exist` };
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return { ok: false, reason: `offset ${m[9]}${m[10]}:${m[11]} does not exist` };
    offsetMinutes = (offHours * 60 + offMinutes) * (m[9] === '-' ? -1 : 1);
    if (offsetMinutes < MIN_OFFSET_MINUTES || offsetMinutes > MAX_OFFSET_MINUTES) {
      return { ok: false, reason: `offset ${m[9]}${m[10]}:${m[11]} is outside -12:00…+14:00` };
    }
  }
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
  return { ok: true, ms };
}

/** Parses a timestamp already accepted by validation; throws on a bug (an unvalidated value). */
export function timestampMs(text: string): number {
  const result = parseTimestamp(text);
  if (!result.ok) throw new Error(`unvalidated timestamp '${text}': ${result.reason}`);
  return result.ms;
}
