import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createWorkCalendar, type CalendarYear, type WorkCalendar } from '../calendar/calendar.js';
import { EVENT_TYPES, type DvcEvent, type EventType } from '../events/schemas.js';
import { validateEvent } from '../events/validate.js';
import { evolve, type ProjectionContext, type SubjectState } from '../projection/state.js';
import { emptyDossier, type DossierState } from '../timeliness/dossier.js';
import { createDayIndexer } from '../windows/days.js';
import { INTEGRITY_REASONS, integrityFlags, resultReturnDeadline, workingDayDeadline, type IntegrityRules } from './rules.js';

const days = createDayIndexer('Asia/Ho_Chi_Minh');

/** The official 2022 calendar (infra/data/calendar/2022.json), found upwards from the working directory. */
const calendar = ((): WorkCalendar => {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, 'infra', 'data', 'calendar', '2022.json');
    if (existsSync(file)) return createWorkCalendar([JSON.parse(readFileSync(file, 'utf8')) as CalendarYear], days);
    if (dirname(dir) === dir) throw new Error('infra/data/calendar/2022.json not found');
  }
})();

const RULES: IntegrityRules = { resultReturnWorkingDays: 2, feeBearingProcedures: new Set(['FEE']) };
const ctx: ProjectionContext = { days, calendar, periods: [], horizonDay: Number.NEGATIVE_INFINITY, rules: { ...RULES, receiptWorkingDays: 1 } };

const ms = (local: string): number => Date.parse(`${local}+07:00`);
/** The last millisecond of a local day in Hồ Chí Minh City. */
const endOf = (date: string): number => ms(`${date}T23:59:59.999`);

const RECEIVED = ms('2022-06-20T08:00:00');
const RESOLVED = ms('2022-06-22T10:00:00');

const resolvedDossier = (patch: Partial<DossierState> = {}): DossierState & { resolvedAt: number } => ({
  ...emptyDossier(),
  procedureId: 'FREE',
  receivedAt: RECEIVED,
  channel: 'direct',
  lastActivityAt: RECEIVED,
  resolvedAt: RESOLVED,
  processedOnline: false,
  outcome: 'approved',
  ...patch,
});

const flags = (patch: Partial<DossierState> = {}, rules: IntegrityRules = RULES) => integrityFlags(resolvedDossier(patch), rules, days, calendar);

describe('workingDayDeadline', () => {
  const deadline = (at: string, n: number) => new Date(workingDayDeadline(ms(at), n, days, calendar)).toISOString();

  it('N = 0 is the end of the local day of the instant, whatever its time', () => {
    expect(deadline('2022-06-22T00:00:00', 0)).toBe('2022-06-22T16:59:59.999Z');
    expect(deadline('2022-06-22T23:59:59.999', 0)).toBe('2022-06-22T16:59:59.999Z');
    // 23:30Z on the 21st is already the 22nd in Hồ Chí Minh City.
    expect(new Date(workingDayDeadline(Date.parse('2022-06-21T23:30:00Z'), 0, days, calendar)).toISOString()).toBe('2022-06-22T16:59:59.999Z');
  });

  it('counts working days strictly after the local day: Wed + 1 = end of Thu, Fri + 1 = end of Mon', () => {
    expect(deadline('2022-06-22T10:00:00', 1)).toBe('2022-06-23T16:59:59.999Z');
    expect(deadline('2022-06-24T10:00:00', 1)).toBe('2022-06-27T16:59:59.999Z');
    expect(deadline('2022-06-24T10:00:00', 2)).toBe('2022-06-28T16:59:59.999Z');
    // From a Saturday, the next working day is Monday.
    expect(deadline('2022-06-25T10:00:00', 1)).toBe('2022-06-27T16:59:59.999Z');
  });

  it('skips the National Day holidays (Thu 1 and Fri 2 September 2022) and the weekend after them', () => {
    expect(deadline('2022-08-31T10:00:00', 1)).toBe('2022-09-05T16:59:59.999Z');
    expect(deadline('2022-08-31T10:00:00', 2)).toBe('2022-09-06T16:59:59.999Z');
    // An instant on a holiday itself: its own day is not counted.
    expect(deadline('2022-09-02T10:00:00', 1)).toBe('2022-09-05T16:59:59.999Z');
    expect(deadline('2022-09-02T10:00:00', 0)).toBe('2022-09-02T16:59:59.999Z');
  });

  it('skips Tết 2022: Friday 28 January + 1 is the end of Monday 7 February', () => {
    expect(deadline('2022-01-28T10:00:00', 1)).toBe('2022-02-07T16:59:59.999Z');
  });

  it('resultReturnDeadline is workingDayDeadline with resultReturnWorkingDays', () => {
    expect(resultReturnDeadline(ms('2022-08-31T10:00:00'), RULES, days, calendar)).toBe(endOf('2022-09-06'));
    expect(resultReturnDeadline(ms('2022-08-31T10:00:00'), { ...RULES, resultReturnWorkingDays: 0 }, days, calendar)).toBe(endOf('2022-08-31'));
  });
});

describe('integrityFlags', () => {
  it('a clean resolved dossier raises no flag', () => {
    expect(flags()).toEqual([]);
  });

  it('result_not_returned is never a windowed flag (it comes from the awaiting_result set)', () => {
    expect(INTEGRITY_REASONS).toContain('result_not_returned');
    expect(flags()).not.toContain('result_not_returned'); // resolved long ago, never returned
  });

  describe('multiple_supplement_requests', () => {
    it('one request: no flag; two: flagged', () => {
      expect(flags({ supplementRequests: 1 })).toEqual([]);
      expect(flags({ supplementRequests: 2 })).toEqual(['multiple_supplement_requests']);
    });
  });

  describe('resolved_before_last_activity', () => {
    it('resolved at the same instant as the last activity: no flag; 1 ms before it: flagged', () => {
      expect(flags({ lastActivityAt: RESOLVED })).toEqual([]);
      expect(flags({ lastActivityAt: RESOLVED + 1 })).toEqual(['resolved_before_last_activity']);
    });

    it('no recorded activity: no flag', () => {
      const { lastActivityAt: _, ...noActivity } = resolvedDossier();
      expect(integrityFlags(noActivity, RULES, days, calendar)).toEqual([]);
    });
  });

  describe('fee_unpaid', () => {
    it('a fee-bearing procedure without a linked payment is flagged; with one it is not', () => {
      expect(flags({ procedureId: 'FEE' })).toEqual(['fee_unpaid']);
      expect(flags({ procedureId: 'FEE', paidAt: RESOLVED + 86_400_000 })).toEqual([]);
      expect(flags({ procedureId: 'FEE', paidAt: RECEIVED })).toEqual([]);
    });

    it('a procedure that bears no fee, or an unknown procedure, is never flagged', () => {
      expect(flags({ procedureId: 'FREE' })).toEqual([]);
      expect(flags({ procedureId: 'FREE', paidAt: RECEIVED })).toEqual([]);
      const { procedureId: _, ...unknown } = resolvedDossier();
      expect(integrityFlags(unknown, RULES, days, calendar)).toEqual([]);
      expect(flags({ procedureId: 'FEE' }, { ...RULES, feeBearingProcedures: new Set() })).toEqual([]);
    });
  });

  describe('result_returned_late', () => {
    // Resolved Wed 31 August 2022; Thu 1 and Fri 2 September are days off, then the weekend:
    // the 2nd working day after is Tue 6 September.
    const resolvedAt = ms('2022-08-31T16:00:00');
    const deadline = endOf('2022-09-06');

    it('returned exactly at the deadline: no flag; 1 ms after: flagged', () => {
      expect(deadline).toBe(Date.parse('2022-09-06T16:59:59.999Z'));
      expect(flags({ resolvedAt, returnedAt: deadline })).toEqual([]);
      expect(flags({ resolvedAt, returnedAt: deadline + 1 })).toEqual(['result_returned_late']);
    });

    it('without the holidays the deadline would be Fri 2 September: a return on Mon 5 September is on time only thanks to them', () => {
      expect(flags({ resolvedAt, returnedAt: ms('2022-09-05T10:00:00') })).toEqual([]);
      // 2022 as a data file with no day off (without any file the Labour Code's 2/9 would be off).
      const weekendsOnly = createWorkCalendar([{ year: 2022, zone: days.zone, daysOff: [], workingSaturdays: [] }], days);
      expect(integrityFlags(resolvedDossier({ resolvedAt, returnedAt: ms('2022-09-05T10:00:00') }), RULES, days, weekendsOnly)).toEqual([
        'result_returned_late',
      ]);
    });

    it('the deadline counts from the local day of the resolution, not the UTC one', () => {
      // 17:30Z on 30 August is 00:30 on the 31st locally: same deadline as above.
      const lateEvening = Date.parse('2022-08-30T17:30:00Z');
      expect(flags({ resolvedAt: lateEvening, lastActivityAt: lateEvening, returnedAt: deadline })).toEqual([]);
      expect(flags({ resolvedAt: lateEvening, lastActivityAt: lateEvening, returnedAt: deadline + 1 })).toEqual(['result_returned_late']);
      // 16:59:59.999Z on 30 August is still the 30th locally: one working day earlier (Mon 5 September).
      const lastMsOf30th = Date.parse('2022-08-30T16:59:59.999Z');
      expect(flags({ resolvedAt: lastMsOf30th, lastActivityAt: lastMsOf30th, returnedAt: endOf('2022-09-05') + 1 })).toEqual(['result_returned_late']);
    });

    it('not returned yet: no flag', () => {
      expect(flags({ resolvedAt })).toEqual([]);
    });
  });

  it('reports every applicable reason, in the order of INTEGRITY_REASONS', () => {
    const all = flags({
      procedureId: 'FEE',
      supplementRequests: 3,
      activityAfterResolution: true,
      lastActivityAt: RESOLVED + 1,
      returnedAt: endOf('2022-06-24') + 1,
    });
    expect(all).toEqual(INTEGRITY_REASONS.filter((r) => r !== 'result_not_returned'));
  });
});

// --- activity_after_resolution: decided by delivery order, through evolve ---------------------------

const U = 'so-tu-phap';
const TIME_FIELD: Partial<Record<EventType, string>> = { 'vn.dvc.dossier.received': 'receivedAt', 'vn.dvc.dossier.resolved': 'resolvedAt' };

function ev(type: EventType, id: string, data: Record<string, unknown>): DvcEvent {
  const raw = {
    specversion: '1.0',
    id,
    source: 'test',
    type,
    time: data[TIME_FIELD[type] ?? 'at'],
    subject: data[EVENT_TYPES[type].subjectField],
    unitid: U,
    data: { unitId: U, ...data },
  };
  const result = validateEvent(raw);
  if (!result.ok) throw new Error(`test built an invalid event: ${JSON.stringify(result.problems)}`);
  return result.event;
}

const received = ev('vn.dvc.dossier.received', 'e1', { dossierId: 'D1', procedureId: 'FREE', channel: 'direct', receivedAt: '2022-06-20T08:00:00+07:00' });
const resolved = ev('vn.dvc.dossier.resolved', 'e2', { dossierId: 'D1', resolvedAt: '2022-06-22T10:00:00+07:00', outcome: 'approved', processedOnline: false });
const supReq = (at: string) => ev('vn.dvc.dossier.supplement_requested', 'e3', { dossierId: 'D1', at });
const supRcv = (at: string) => ev('vn.dvc.dossier.supplement_received', 'e4', { dossierId: 'D1', at });
const reopened = (at: string) => ev('vn.dvc.dossier.reopened', 'e5', { dossierId: 'D1', at });

/** Folds events in delivery order and returns the flags of the resolved result. */
function flagsAfter(events: DvcEvent[]): string[] {
  let state: SubjectState | undefined;
  for (const e of events) state = evolve(state, e, ctx);
  if (state?.kind !== 'dossier' || state.resolvedAt === undefined) throw new Error('not a resolved dossier');
  return integrityFlags({ ...state, resolvedAt: state.resolvedAt }, RULES, days, calendar);
}

describe('activity_after_resolution (delivery order, via evolve)', () => {
  it('a supplement requested and received before the resolution is applied: no flag', () => {
    expect(flagsAfter([received, supReq('2022-06-21T08:00:00+07:00'), supRcv('2022-06-21T09:00:00+07:00'), resolved])).toEqual([]);
  });

  it('the same supplement request applied after the resolution: flagged, even though its business time is earlier', () => {
    expect(flagsAfter([received, resolved, supReq('2022-06-21T08:00:00+07:00')])).toEqual(['activity_after_resolution']);
  });

  it('a supplement received after the resolution is applied: flagged', () => {
    expect(flagsAfter([received, supReq('2022-06-21T08:00:00+07:00'), resolved, supRcv('2022-06-21T09:00:00+07:00')])).toEqual(['activity_after_resolution']);
  });

  it('an activity dated after the resolution also shows the resolution was dated before it', () => {
    expect(flagsAfter([received, resolved, supReq('2022-06-22T10:00:00.001+07:00')])).toEqual(['activity_after_resolution', 'resolved_before_last_activity']);
    // Dated exactly at the resolution: only the delivery-order signal.
    expect(flagsAfter([received, resolved, supReq('2022-06-22T10:00:00+07:00')])).toEqual(['activity_after_resolution']);
  });

  it('a reopening before any resolution: no flag; after it: flagged', () => {
    expect(flagsAfter([received, reopened('2022-06-21T08:00:00+07:00'), resolved])).toEqual([]);
    expect(flagsAfter([received, resolved, reopened('2022-06-23T08:00:00+07:00')])).toEqual(['activity_after_resolution']);
  });

  it('a deadline extension or a digitization after the resolution is no processing activity signal', () => {
    const extended = ev('vn.dvc.dossier.deadline_extended', 'e6', { dossierId: 'D1', at: '2022-06-21T08:00:00+07:00', newDueAt: '2022-06-30T17:00:00+07:00' });
    const digitized = ev('vn.dvc.dossier.digitized', 'e7', { dossierId: 'D1', at: '2022-06-23T08:00:00+07:00' });
    expect(flagsAfter([received, resolved, extended, digitized])).toEqual([]);
  });
});
