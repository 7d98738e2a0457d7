import type { DvcEvent, EventType } from '../events/schemas.js';
import { timestampMs } from '../events/timestamp.js';
import type { Problem } from '../events/validate.js';
import { validOn, validityText, type UnitDirectory } from '../units/directory.js';
import type { DayIndexer } from '../windows/days.js';

/**
 * Admission: what a valid event must also satisfy to be counted. Validation says an event is
 * well-formed; admission says it is believable here and now: it happened neither in the future
 * nor before the deployment's history, its due times are plausible promises, and its unit exists
 * (on the event's date). One event refused here cannot move a clock, empty a window or add a
 * series. Pure: the clock and the unit directory are passed in.
 */

/** Why an event is not admitted, as a machine code (metric label, dead-letter header, 400 answer). In priority order. */
export const ADMISSION_CODES = ['future-time', 'before-history-start', 'due-too-far', 'unknown-unit'] as const;
export type AdmissionCode = (typeof ADMISSION_CODES)[number];

/** One reason an event is not admitted: where (JSON Pointer), what (a sentence) and its code. */
export interface AdmissionProblem extends Problem {
  code: AdmissionCode;
}

/** The deployment's admission limits: everything but the reference instant. */
export interface AdmissionLimits {
  /** How far ahead of the reference instant a "happened at" time may be. */
  maxFutureSkewMs: number;
  /** No time of an event may be before this instant (the start of HISTORY_START, local). */
  historyStartMs: number;
  /** A due time may be at most this many days after the event's own business time. */
  maxDueHorizonDays: number;
  units: UnitDirectory;
  /** Pilot mode: a unit missing from the directory is admitted (a unit outside its validity is not). */
  acceptUnknownUnits: boolean;
  /** Local days of the deployment's zone: unit validity dates are local dates. */
  days: DayIndexer;
}

export interface AdmissionPolicy extends AdmissionLimits {
  /** "Now" for this event: the wall clock of whoever admits it (see each entry point). */
  referenceMs: number;
}

/** `code` is the first code of ADMISSION_CODES among the problems: the one a dead letter is filed under. */
export type AdmissionResult = { ok: true } | { ok: false; code: AdmissionCode; problems: AdmissionProblem[] };

/**
 * The timestamps of each event type's data: `happened` records when something happened (the
 * first is the event's business time), `due` are promises about the future. Every date-time of
 * the schemas is in exactly one of them (a unit test walks the schemas to keep it so).
 */
export const EVENT_TIME_FIELDS: Record<EventType, { happened: readonly string[]; due: readonly string[] }> = {
  'vn.dvc.dossier.submitted': { happened: ['submittedAt'], due: [] },
  'vn.dvc.dossier.received': { happened: ['receivedAt'], due: ['dueAt'] },
  'vn.dvc.dossier.supplement_requested': { happened: ['at'], due: [] },
  'vn.dvc.dossier.supplement_received': { happened: ['at'], due: [] },
  'vn.dvc.dossier.deadline_extended': { happened: ['at'], due: ['newDueAt'] },
  'vn.dvc.dossier.resolved': { happened: ['resolvedAt'], due: ['dueAt'] },
  'vn.dvc.dossier.result_returned': { happened: ['at'], due: [] },
  'vn.dvc.dossier.withdrawn': { happened: ['at'], due: [] },
  'vn.dvc.dossier.digitized': { happened: ['at'], due: [] },
  'vn.dvc.dossier.reopened': { happened: ['at'], due: [] },
  'vn.dvc.payment.completed': { happened: ['paidAt'], due: [] },
  'vn.dvc.report.submitted': { happened: ['submittedAt'], due: [] },
  'vn.dvc.procedure.published': { happened: [], due: [] },
  'vn.dvc.community_team.registered': { happened: [], due: [] },
};

const SECOND_MS = 1000;
const DAY_MS = 86_400_000;

const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const plural = (n: number, unit: string): string => `${grouped(n)} ${unit}${n === 1 ? '' : 's'}`;

/**
 * A duration as people read it: whole days from two days on ("26,745 days"), otherwise every
 * non-zero part down to seconds, rounded up ("5 minutes 1 second"), so a value just past a limit
 * never reads like the limit itself.
 */
export function describeDuration(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  if (days >= 2) return plural(days, 'day');
  let seconds = Math.ceil(ms / SECOND_MS);
  if (seconds <= 0) return '0 seconds';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['day', 86_400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ] as const) {
    const n = Math.floor(seconds / size);
    seconds -= n * size;
    if (n > 0) parts.push(plural(n, unit));
  }
  return parts.join(' ');
}

/** The local date (YYYY-MM-DD) of an instant. */
const localDate = (ms: number, days: DayIndexer): string => days.isoDate(days.dayOf(ms));

/**
 * admitEvent(event, policy): whether a valid event may be counted, or every reason it may not.
 * Runs after validateEvent succeeded (its timestamps are well-formed); each is parsed once.
 */
export function admitEvent(event: DvcEvent, policy: AdmissionPolicy): AdmissionResult {
  const problems: AdmissionProblem[] = [];
  const envelopeMs = timestampMs(event.time);
  const envelopeProblem = happenedProblem(undefined, event.time, envelopeMs, policy);
  if (envelopeProblem !== undefined) problems.push(envelopeProblem);
  const fields = EVENT_TIME_FIELDS[event.type];
  const data = event.data as Record<string, unknown>;
  let businessMs = envelopeMs;
  let businessName: string | undefined;
  for (let i = 0; i < fields.happened.length; i++) {
    const name = fields.happened[i]!;
    const text = data[name];
    if (typeof text !== 'string') continue;
    const ms = timestampMs(text);
    if (i === 0) {
      businessMs = ms;
      businessName = name;
    }
    const problem = happenedProblem(name, text, ms, policy);
    if (problem !== undefined) problems.push(problem);
  }
  for (const name of fields.due) {
    const text = data[name];
    if (typeof text !== 'string') continue;
    const ms = timestampMs(text);
    if (ms < policy.historyStartMs) {
      problems.push({ path: pathOf(name), code: 'before-history-start', message: beforeHistory(text, policy) });
    } else if (ms > businessMs + policy.maxDueHorizonDays * DAY_MS) {
      problems.push({
        path: pathOf(name),
        code: 'due-too-far',
        message:
          `${text} is ${describeDuration(ms - businessMs)} after the event's business time (${pathOf(businessName)}); ` +
          `a due time at most ${plural(policy.maxDueHorizonDays, 'day')} after it is accepted (EVENT_MAX_DUE_DAYS)`,
      });
    }
  }

  const unitProblem = unitAdmission(event.unitid, localDate(businessMs, policy.days), policy);
  if (unitProblem !== undefined) problems.push(unitProblem);
  if (problems.length === 0) return { ok: true };
  const code = ADMISSION_CODES.find((c) => problems.some((p) => p.code === c)) ?? 'unknown-unit';
  return { ok: false, code, problems };
}

/** The JSON Pointer of an event time: the envelope's (no name) or a data field's. Built only for a refusal. */
function pathOf(name: string | undefined): string {
  return name === undefined ? '/time' : `/data/${name}`;
}

/** Why a time of something that happened is refused (ahead of the clock, or before the history start), or undefined. */
function happenedProblem(name: string | undefined, text: string, ms: number, policy: AdmissionPolicy): AdmissionProblem | undefined {
  if (ms > policy.referenceMs + policy.maxFutureSkewMs) {
    return {
      path: pathOf(name),
      code: 'future-time',
      message:
        `${text} is ${describeDuration(ms - policy.referenceMs)} ahead of the clock; ` +
        `at most ${describeDuration(policy.maxFutureSkewMs)} ahead is accepted (EVENT_MAX_FUTURE_SKEW_SECONDS)`,
    };
  }
  if (ms < policy.historyStartMs) return { path: pathOf(name), code: 'before-history-start', message: beforeHistory(text, policy) };
  return undefined;
}

function beforeHistory(text: string, policy: AdmissionPolicy): string {
  return `${text} is before the history start ${localDate(policy.historyStartMs, policy.days)} (HISTORY_START): the figures and the working-day calendar begin there`;
}

/** The unit must be listed and valid on the event's local business date; pilot mode admits unlisted units only. */
function unitAdmission(unitId: string, date: string, policy: AdmissionPolicy): AdmissionProblem | undefined {
  const record = policy.units.record(unitId);
  if (record === undefined) {
    if (policy.acceptUnknownUnits) return undefined;
    return { path: '/unitid', code: 'unknown-unit', message: `unit '${unitId}' is not in the unit directory (${directoryVersion(policy)})` };
  }
  if (validOn(record, date)) return undefined;
  return { path: '/unitid', code: 'unknown-unit', message: `unit '${unitId}' is not valid on ${date} (${validityText(record)}; ${directoryVersion(policy)})` };
}

/** Names the directory a unit refusal was judged against. Built only for a refusal. */
function directoryVersion(policy: AdmissionPolicy): string {
  return `unit directory version ${policy.units.version}`;
}
