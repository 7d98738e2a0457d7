import type { WorkCalendar } from '../calendar/calendar.js';
import type { DossierState } from '../timeliness/dossier.js';
import type { DayIndexer } from '../windows/days.js';

/**
 * Signals of the "finish clicked before finished" problem (bấm kết thúc hồ sơ khi chưa hoàn
 * thành). Each rule is a pure function of the dossier's state; the windowed ones are counted
 * on the day of the resolution.
 */
export const INTEGRITY_REASONS = [
  'multiple_supplement_requests',
  'activity_after_resolution',
  'resolved_before_last_activity',
  'fee_unpaid',
  'result_returned_late',
  'result_not_returned',
] as const;
export type IntegrityReason = (typeof INTEGRITY_REASONS)[number];

/** What each signal means, in the words a head of unit reads in a notice. */
export const INTEGRITY_REASON_NAMES_VI: Readonly<Record<IntegrityReason, string>> = {
  multiple_supplement_requests: 'Yêu cầu bổ sung nhiều lần',
  activity_after_resolution: 'Có thao tác sau khi đã giải quyết',
  resolved_before_last_activity: 'Kết thúc trước thao tác cuối cùng',
  fee_unpaid: 'Chưa có thanh toán phí, lệ phí',
  result_returned_late: 'Trả kết quả trễ',
  result_not_returned: 'Chưa trả kết quả',
};

export interface IntegrityRules {
  /** Working days after the resolution day within which the result must be handed back. */
  resultReturnWorkingDays: number;
  /** Procedures whose dossiers must be paid for before they can be resolved. */
  feeBearingProcedures: ReadonlySet<string>;
}

/** End of the Nth working day after the local day of `ms` (N = 0: end of that same day). */
export function workingDayDeadline(ms: number, workingDays: number, days: DayIndexer, calendar: WorkCalendar): number {
  return days.endOfDayMs(calendar.addWorkingDays(days.dayOf(ms), workingDays));
}

/** The instant by which a resolved dossier's result must have been returned. */
export function resultReturnDeadline(resolvedAt: number, rules: IntegrityRules, days: DayIndexer, calendar: WorkCalendar): number {
  return workingDayDeadline(resolvedAt, rules.resultReturnWorkingDays, days, calendar);
}

/**
 * The windowed flags of a resolved dossier (result_not_returned depends on the clock and is
 * counted from the awaiting-result set instead).
 */
export function integrityFlags(
  state: DossierState & { resolvedAt: number },
  rules: IntegrityRules,
  days: DayIndexer,
  calendar: WorkCalendar,
): IntegrityReason[] {
  const flags: IntegrityReason[] = [];
  // More than one supplement request (Decision 766 also counts such dossiers overdue).
  if (state.supplementRequests > 1) flags.push('multiple_supplement_requests');
  // A supplement request or receipt, or a reopening, recorded after the finish click.
  if (state.activityAfterResolution === true) flags.push('activity_after_resolution');
  // The resolution is dated before something that must precede it.
  if (state.lastActivityAt !== undefined && state.resolvedAt < state.lastActivityAt) flags.push('resolved_before_last_activity');
  // Fee-bearing procedure resolved although no payment was ever linked to the dossier.
  if (state.procedureId !== undefined && rules.feeBearingProcedures.has(state.procedureId) && state.paidAt === undefined) {
    flags.push('fee_unpaid');
  }
  // Result handed back, but later than N working days after the resolution day.
  if (state.returnedAt !== undefined && state.returnedAt > resultReturnDeadline(state.resolvedAt, rules, days, calendar)) {
    flags.push('result_returned_late');
  }
  return flags;
}
