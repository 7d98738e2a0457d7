/**
 * RFC 3339 timestamps with a mandatory offset, parsed without Date.parse so that impossible
 * dates (30 February, hour 24) are refused instead of silently rolled over.
 */

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

const SHAPE_REASON = 'must be an RFC 3339 date-time with an offset, e.g. 2022-06-22T08:30:00+07:00';

/** The value of `count` ASCII digits at `at`, or -1 when any of them is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Epoch milliseconds of an RFC 3339 timestamp, or the reason it is not one. One pass over the
 * characters (no regular expression, no intermediate strings): every event carries several
 * timestamps and each is read on the hot path.
 */
export function parseTimestamp(text: string): TimestampResult {
  const length = text.length;
  if (length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return { ok: false, reason: SHAPE_REASON };
  }
  const t = text.charCodeAt(10);
  if (t !== 84 && t !== 116) return { ok: false, reason: SHAPE_REASON };
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return { ok: false, reason: SHAPE_REASON };
  let at = 19;
  let fraction = 0;
  if (text.charCodeAt(at) === 46) {
    // 1 to 9 fraction digits; milliseconds keep the first three.
    let n = 0;
    let scale = 100;
    at++;
    for (; at < length; at++, n++) {
      const d = text.charCodeAt(at) - 48;
      if (d < 0 || d > 9) break;
      fraction += d * scale;
      scale /= 10;
    }
    if (n < 1 || n > 9) return { ok: false, reason: SHAPE_REASON };
    fraction = Math.floor(fraction);
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(at);
  if (zone === 90 || zone === 122) {
    if (at + 1 !== length) return { ok: false, reason: SHAPE_REASON };
  } else if (zone === 43 || zone === 45) {
    if (at + 6 !== length || text.charCodeAt(at + 3) !== 58) return { ok: false, reason: SHAPE_REASON };
    const offHours = digits(text, at + 1, 2);
    const offMinutes = digits(text, at + 4, 2);
    if (offHours < 0 || offMinutes < 0) return { ok: false, reason: SHAPE_REASON };
    // Built only for a refusal: a valid timestamp allocates no string.
    const shown = () => `${zone === 45 ? '-' : '+'}${text.slice(at + 1, at + 3)}:${text.slice(at + 4, at + 6)}`;
    if (offHours > 23 || offMinutes > 59) return { ok: false, reason: `offset ${shown()} does not exist` };
    offsetMinutes = (offHours * 60 + offMinutes) * (zone === 45 ? -1 : 1);
    if (offsetMinutes < MIN_OFFSET_MINUTES || offsetMinutes > MAX_OFFSET_MINUTES) {
      return { ok: false, reason: `offset ${shown()} is outside -12:00…+14:00` };
    }
  } else {
    return { ok: false, reason: SHAPE_REASON };
  }
  if (year < MIN_YEAR || year > MAX_YEAR) return { ok: false, reason: `year ${year} is outside ${MIN_YEAR}–${MAX_YEAR}` };
  if (month < 1 || month > 12) return { ok: false, reason: `month ${month} does not exist` };
  const monthDays = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > monthDays) return { ok: false, reason: `day ${day} does not exist in ${year}-${text.slice(5, 7)}` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, reason: `time ${text.slice(11, 19)} does not exist` };
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
  return { ok: true, ms };
}

/** Parses a timestamp already accepted by validation; throws on a bug (an unvalidated value). */
export function timestampMs(text: string): number {
  const result = parseTimestamp(text);
  if (!result.ok) throw new Error(`unvalidated timestamp '${text}': ${result.reason}`);
  return result.ms;
}
