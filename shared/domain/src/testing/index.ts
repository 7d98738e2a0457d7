import { createDayIndexer, createWorkCalendar, type ProjectionContext } from '../index.js';

/**
 * A projection context for tests: Vietnam's zone, a calendar without days off, no retention
 * horizon, the statutory rules (results within 2 working days, online receipt within 1, no
 * fee-bearing procedure) and the target periods `periods` gives for the context's day indexer.
 */
export function testProjectionContext(periods: (days: ProjectionContext['days']) => ProjectionContext['periods'] = () => []): ProjectionContext {
  const days = createDayIndexer('Asia/Ho_Chi_Minh');
  return {
    days,
    calendar: createWorkCalendar([], days),
    periods: periods(days),
    horizonDay: Number.NEGATIVE_INFINITY,
    rules: { resultReturnWorkingDays: 2, receiptWorkingDays: 1, feeBearingProcedures: new Set<string>() },
  };
}
