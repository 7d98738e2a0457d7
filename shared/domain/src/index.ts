export { DvcError } from './errors/dvc-error.js';
export {
  EVENT_TYPES,
  EVENT_TYPE_NAMES,
  UNIT_ID_PATTERN,
  envelopeSchema,
  type DvcEvent,
  type EventOf,
  type EventType,
  type DossierChannelName,
  type PaymentChannelName,
  type PaymentKindName,
  type ReportChannelName,
} from './events/schemas.js';
export { validateEvent, parseJson, jsonBytesProblem, eventJsonSchemas, type Problem, type ValidationResult, type ParseResult } from './events/validate.js';
export { parseTimestamp, timestampMs, type TimestampResult } from './events/timestamp.js';
export { closestEventType, isUnitId, parseEventTypes } from './events/names.js';
export {
  admitEvent,
  describeDuration,
  ADMISSION_CODES,
  EVENT_TIME_FIELDS,
  type AdmissionCode,
  type AdmissionLimits,
  type AdmissionPolicy,
  type AdmissionProblem,
  type AdmissionResult,
} from './admission/admission.js';
export { createDayIndexer, rollingWindowDays, type DayIndexer } from './windows/days.js';
export { createWorkCalendar, CalendarDataError, type CalendarSource, type CalendarYear, type WorkCalendar } from './calendar/calendar.js';
export { lunarNewYearDay, lunarToSolarDay } from './calendar/lunar.js';
export {
  HOLIDAYS,
  FALLBACK_SOURCES,
  FALLBACK_UNCONFIRMED,
  statutoryDaysOff,
  statutoryHolidays,
  type HolidayId,
  type StatutoryDayOff,
} from './calendar/statutory.js';
export {
  emptyDossier,
  effectiveDueMs,
  resolutionTimeliness,
  openMembership,
  isOverdueAt,
  isDueSoonAt,
  isPaused,
  daysOverdueAt,
  DUE_SOON_MS,
  type DossierState,
  type Timeliness,
  type OpenMembership,
} from './timeliness/dossier.js';
export {
  evolve,
  subjectKindOf,
  linkPayment,
  StateKindMismatchError,
  type Period,
  type SubjectState,
  type SubjectKind,
  type PaymentState,
  type ReportState,
  type ProcedureState,
  type TeamState,
  type ProjectionContext,
} from './projection/state.js';
export {
  contributions,
  memberships,
  projectUnit,
  beyondRetention,
  groupByUnit,
  subjectKey,
  subjectKeyOf,
  subjectKeysOf,
  periodBucket,
  Field,
  SETS,
  CURRENT_BUCKET,
  type Bucket,
  type SetName,
  type SetChanges,
  type UnitChanges,
} from './projection/project.js';
export { laneOf, routingKeyOf } from './projection/routing.js';
export {
  closestUnitId,
  createUnitDirectory,
  UnitDirectoryError,
  UNKNOWN_UNIT,
  validOn,
  validityText,
  type UnitDirectory,
  type UnitInfo,
  type UnitRecord,
} from './units/directory.js';
export {
  INTEGRITY_REASONS,
  INTEGRITY_REASON_NAMES_VI,
  integrityFlags,
  resultReturnDeadline,
  workingDayDeadline,
  type IntegrityReason,
  type IntegrityRules,
} from './integrity/rules.js';
