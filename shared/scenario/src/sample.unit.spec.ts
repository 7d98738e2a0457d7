import { ZONE } from '@dvc/config';
import { createDayIndexer, createWorkCalendar, validateEvent } from '@dvc/domain';
import { loadCalendarYears } from './generate.js';
import { referenceDueRule } from './reference.js';
import { SAMPLE_UNITS, localDayStart, sampleDay, sampleEvents } from './sample.js';
import type { ScenarioEvent } from './event.js';

const at = (iso: string): number => Date.parse(iso);

/** The start-up sample of a plain `npm start` (sample.ts). */
describe('the start-up sample', () => {
  const morning = sampleEvents({ now: at('2026-12-05T08:00:00+07:00') });

  it('is the same events, ids included, at every instant of one local day: a second start that day counts nothing twice', () => {
    expect(sampleEvents({ now: at('2026-12-05T00:00:00+07:00') })).toEqual(morning);
    expect(sampleEvents({ now: at('2026-12-05T23:59:59.999+07:00') })).toEqual(morning);
    expect(morning[0]!.id).toBe('HS-20261205-0000-received');
  });

  it("is another set of events on another day (the day's tag in every id)", () => {
    const next = sampleEvents({ now: at('2026-12-06T00:00:00+07:00') });
    expect(next[0]!.id).toBe('HS-20261206-0000-received');
    const ids = new Set(morning.map((e) => e.id));
    expect(next.filter((e) => ids.has(e.id))).toEqual([]);
  });

  it('covers the ten days before the local day, every event valid under the contract, each id once', () => {
    expect(morning).toHaveLength(725);
    expect(morning.filter((e) => e.type === 'vn.dvc.dossier.submitted').map((e) => e.subject)).toEqual([0, 1, 2, 3, 4].map((r) => `HS-20261205-online-${r}`));
    const times = morning.map((e) => Date.parse(e.time));
    expect(Math.max(...times)).toBeLessThan(at('2026-12-05T00:00:00+07:00'));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(at('2026-11-25T00:00:00+07:00'));
    expect(new Set(morning.map((e) => e.id)).size).toBe(morning.length);
    expect(morning.filter((e) => !validateEvent(e).ok)).toEqual([]);
    expect(new Set(morning.map((e) => e.unitid))).toEqual(new Set(SAMPLE_UNITS));
  });

  it('takes the day in Vietnam (UTC+7), not in UTC', () => {
    // 17:00 UTC on 4 December is 00:00 on 5 December in Vietnam.
    expect(localDayStart(at('2026-12-04T17:00:00Z'))).toBe(at('2026-12-05T00:00:00+07:00'));
    expect(localDayStart(at('2026-12-04T16:59:59.999Z'))).toBe(at('2026-12-04T00:00:00+07:00'));
    expect(sampleDay(at('2026-12-04T17:00:00Z'))).toBe('2026-12-05');
  });

  /** Minutes after local midnight (UTC+7) of an event's time. */
  const minuteOf = (e: ScenarioEvent): number => {
    const local = new Date(Date.parse(e.time) + 7 * 3_600_000);
    return local.getUTCHours() * 60 + local.getUTCMinutes();
  };
  const days = createDayIndexer(ZONE);
  const calendar = createWorkCalendar(loadCalendarYears(), days);
  const dateOf = (e: ScenarioEvent): string => e.time.slice(0, 10);
  const workingDay = (e: ScenarioEvent): boolean => calendar.isWorkingDay(days.dayFromIso(dateOf(e)));
  const ofType = (events: ScenarioEvent[], type: string): ScenarioEvent[] => events.filter((e) => e.type === `vn.dvc.${type}`);

  it("reads as an office's days: receipts and resolutions on working days in office hours, due times by the working-day rule", () => {
    const received = ofType(morning, 'dossier.received');
    expect(received).toHaveLength(240);
    // Received 07:30–11:30 or 13:30–17:00 on a working day of the official calendar; no dueAt:
    // the processing days, which the services turn into a due time with the same calendar.
    expect(received.filter((e) => !workingDay(e))).toEqual([]);
    expect(received.filter((e) => !((minuteOf(e) >= 450 && minuteOf(e) < 690) || (minuteOf(e) >= 810 && minuteOf(e) < 1020)))).toEqual([]);
    expect(received.filter((e) => e.data.dueAt !== undefined || ![1, 2, 3, 5, 7, 10].includes(e.data.processingDays as number))).toEqual([]);
    // Saturday 28 and Sunday 29 November 2026 are not working days: nothing is received then.
    expect(new Set(received.map(dateOf))).toEqual(
      new Set(['2026-11-25', '2026-11-26', '2026-11-27', '2026-11-30', '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04']),
    );
    const resolved = ofType(morning, 'dossier.resolved');
    expect(resolved.filter((e) => !workingDay(e) || minuteOf(e) < 450 || minuteOf(e) >= 18 * 60)).toEqual([]);
    expect(ofType(morning, 'report.submitted').filter((e) => !workingDay(e) || minuteOf(e) !== 16 * 60)).toEqual([]);
    const resolvedAt = new Map(resolved.map((e) => [e.subject, Date.parse(e.time)]));
    const returned = ofType(morning, 'dossier.result_returned');
    expect(returned).toHaveLength(92);
    expect(returned.filter((e) => !workingDay(e) || !(Date.parse(e.time) > resolvedAt.get(e.subject)!))).toEqual([]);
    // Late by the system's rule (the end of the Nth working day after the receipt day): a few.
    const due = referenceDueRule(loadCalendarYears());
    const byId = new Map(received.map((e) => [e.subject, e]));
    const late = resolved.filter((e) => {
      const r = byId.get(e.subject)!;
      return Date.parse(e.data.resolvedAt as string) > due(Date.parse(r.data.receivedAt as string), r.data.processingDays as number);
    });
    expect([resolved.length, late.length]).toEqual([116, 2]);
  });

  it('receives nothing on the days off of Tết: ten days before 24 February 2026 hold one working day, the 23rd', () => {
    const tet = sampleEvents({ now: at('2026-02-24T09:00:00+07:00') });
    expect(new Set(ofType(tet, 'dossier.received').map(dateOf))).toEqual(new Set(['2026-02-23']));
    expect(new Set(ofType(tet, 'report.submitted').map(dateOf))).toEqual(new Set(['2026-02-23']));
    expect(tet.filter((e) => !validateEvent(e).ok)).toEqual([]);
  });
});
