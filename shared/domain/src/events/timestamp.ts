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

/** Why a text is not a timestamp: the negative results of `scan`, each turned into a sentence by `reasonOf`. */
const SHAPE = -1;
const OFFSET_UNKNOWN = -2;
const OFFSET_RANGE = -3;
const YEAR_RANGE = -4;
const NO_MONTH = -5;
const NO_DAY = -6;
const NO_TIME = -7;

/**
 * Epoch milliseconds of an RFC 3339 timestamp (never negative: years start at MIN_YEAR), or a
 * negative code saying why it is not one. One pass over the characters, no regular expression,
 * no intermediate string and no result object: every event carries several timestamps and each
 * is read on the hot path.
 */
function scan(text: string): number {
  const length = text.length;
  if (length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return SHAPE;
  const t = text.charCodeAt(10);
  if (t !== 84 && t !== 116) return SHAPE;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return SHAPE;
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
    if (n < 1 || n > 9) return SHAPE;
    fraction = Math.floor(fraction);
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(at);
  if (zone === 90 || zone === 122) {
    if (at + 1 !== length) return SHAPE;
  } else if (zone === 43 || zone === 45) {
    // The offset is then the text's last six characters (reasonOf relies on it).
    if (at + 6 !== length || text.charCodeAt(at + 3) !== 58) return SHAPE;
    const offHours = digits(text, at + 1, 2);
    const offMinutes = digits(text, at + 4, 2);
    if (offHours < 0 || offMinutes < 0) return SHAPE;
    if (offHours > 23 || offMinutes > 59) return OFFSET_UNKNOWN;
    offsetMinutes = (offHours * 60 + offMinutes) * (zone === 45 ? -1 : 1);
    if (offsetMinutes < MIN_OFFSET_MINUTES || offsetMinutes > MAX_OFFSET_MINUTES) return OFFSET_RANGE;
  } else {
    return SHAPE;
  }
  if (year < MIN_YEAR || year > MAX_YEAR) return YEAR_RANGE;
  if (month < 1 || month > 12) return NO_MONTH;
  const monthDays = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
  if (day < 1 || day > monthDays) return NO_DAY;
  if (hour > 23 || minute > 59 || second > 59) return NO_TIME;
  return (((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes) * 60 + second) * 1000 + fraction;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (year ≥ 0), in integer arithmetic: the
 * calendar counted in 400-year eras of 146,097 days, years starting on 1 March so that the leap
 * day ends them. Date.UTC gives the same number and costs several times more per call.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The sentence for a negative result of `scan`, its values read back from the text's fixed positions. */
function reasonOf(code: number, text: string): string {
  const offset = () => text.slice(-6);
  switch (code) {
    case OFFSET_UNKNOWN:
      return `offset ${offset()} does not exist`;
    case OFFSET_RANGE:
      return `offset ${offset()} is outside -12:00…+14:00`;
    case YEAR_RANGE:
      return `year ${Number(text.slice(0, 4))} is outside ${MIN_YEAR}–${MAX_YEAR}`;
    case NO_MONTH:
      return `month ${Number(text.slice(5, 7))} does not exist`;
    case NO_DAY:
      return `day ${Number(text.slice(8, 10))} does not exist in ${text.slice(0, 4)}-${text.slice(5, 7)}`;
    case NO_TIME:
      return `time ${text.slice(11, 19)} does not exist`;
    default:
      return SHAPE_REASON;
  }
}

/** Epoch milliseconds of an RFC 3339 timestamp, or the reason it is not one. */
export function parseTimestamp(text: string): TimestampResult {
  const ms = scan(text);
  return ms >= 0 ? { ok: true, ms } : { ok: false, reason: reasonOf(ms, text) };
}

/** Epoch milliseconds of a valid timestamp, undefined when it is not one (parseTimestamp says why); allocates nothing. */
export function validTimestampMs(text: string): number | undefined {
  const ms = scan(text);
  return ms >= 0 ? ms : undefined;
}

/** Parses a timestamp already accepted by validation; throws on a bug (an unvalidated value). */
export function timestampMs(text: string): number {
  const ms = scan(text);
  if (ms < 0) throw new Error(`unvalidated timestamp '${text}': ${reasonOf(ms, text)}`);
  return ms;
}
