import type { AdmissionLimits } from '@dvc/domain';
import { ConfigError, bool, int, optionalDate, type ConfigOf } from './env.js';
import type { ReferenceData } from './data.js';

/** The admission settings every entry that admits events shares (ingest, projector, archiver, rebuild). */
export const admissionSpec = {
  EVENT_MAX_FUTURE_SKEW_SECONDS: int('how far ahead of the clock an event time may be, in seconds; later ones are refused (future-time)', 300, 0, 86_400),
  HISTORY_START: optionalDate(
    'first local day (YYYY-MM-DD) of the history: event times and due times before it are refused (before-history-start); the calendar files must cover it',
    '1 January of the first year file in DATA_DIR/calendar',
  ),
  EVENT_MAX_DUE_DAYS: int("most days a due time (dueAt, newDueAt) may lie after the event's business time (due-too-far)", 366, 1, 3660),
  ACCEPT_UNKNOWN_UNITS: bool('pilot mode: admit events of units missing from units.json (a unit outside its validity dates is still refused)', false),
};

export type AdmissionConfig = ConfigOf<typeof admissionSpec>;

/**
 * The admission limits for one snapshot of the reference data. The history starts at
 * HISTORY_START, or on 1 January of the first calendar year file; a HISTORY_START before the first
 * day the calendar files cover is refused (ConfigError naming it): figures before it would be
 * computed on a calendar we do not have.
 */
export function admissionLimits(config: AdmissionConfig, reference: ReferenceData): AdmissionLimits {
  const { days, calendar } = reference;
  const firstYear = calendar.years[0];
  if (firstYear === undefined) throw new ConfigError(['the working-day calendar has no year: HISTORY_START cannot be checked']);
  const covered = `${firstYear}-01-01`;
  const start = config.HISTORY_START ?? covered;
  if (start < covered) {
    throw new ConfigError([
      `HISTORY_START ${start} is before ${covered}, the first day the working-day calendar files cover (calendar/${firstYear}.json): ` +
        `figures before it would be computed on a calendar we do not have; add the calendar file of ${Number(start.slice(0, 4))} or set HISTORY_START to ${covered} or later`,
    ]);
  }
  return {
    maxFutureSkewMs: config.EVENT_MAX_FUTURE_SKEW_SECONDS * 1000,
    historyStartMs: days.startOfDayMs(days.dayFromIso(start)),
    maxDueHorizonDays: config.EVENT_MAX_DUE_DAYS,
    units: reference.units,
    acceptUnknownUnits: config.ACCEPT_UNKNOWN_UNITS,
    days,
  };
}
