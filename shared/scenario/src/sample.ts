// A small sample of dossier, payment and report events for the ten days before today, so the
// dashboards of a fresh `npm start` are not empty. It reads as a working office's days do: a
// dossier is received on a working day of the official calendar, in office hours, its due time
// follows from its procedure's processing days by the system's own working-day rule, and it is
// resolved in office hours; only online submissions and payments come at any hour.
import { ZONE } from '@dvc/config';
import { createDayIndexer, createWorkCalendar, type CalendarYear } from '@dvc/domain';
import { loadCalendarYears } from './generate.js';
import { createRng, type Rng } from './rng.js';
import type { ScenarioEvent } from './event.js';

export interface SampleOptions {
  /** How many dossiers (default 240). */
  dossiers?: number;
  /** PRNG seed (default 2022): same seed and day, same sample. */
  seed?: number;
  /** The official calendar years (default: the repository's infra/data/calendar, the services' default DATA_DIR, whose units the sample uses too). */
  calendarYears?: readonly CalendarYear[];
  /**
   * The wall clock (ms). The sample ends at the start of its local day (Asia/Ho_Chi_Minh), so
   * every instant of one day gives the same events, ids included: a second `npm start` the same
   * day sends events the projector and the event store already hold, and they count once.
   */
  now: number;
}

/**
 * Units of today's Đồng Nai (valid from 2025-07-01): the pre-reform Bình Phước units are refused
 * for recent dates (unknown-unit: not valid on the event's date).
 */
export const SAMPLE_UNITS = ['dn.snnmt', 'dn.stc', 'dn.sxd', 'dn.dongxoai', 'dn.tranbien'] as const;

const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms + 7 * HOUR).toISOString().replace(/\.\d{3}Z$/, '+07:00');
/** The deployment's local days (the domain's, as the services count them). */
const DAYS = createDayIndexer(ZONE);

/** Office hours of a working day, in minutes after local midnight: 07:30–11:30 and 13:30–17:00. */
const OFFICE_HOURS: readonly (readonly [number, number])[] = [
  [7 * 60 + 30, 11 * 60 + 30],
  [13 * 60 + 30, 17 * 60],
];
const OFFICE_MINUTES = OFFICE_HOURS.reduce((sum, [from, to]) => sum + to - from, 0);
/** Processing times of the sample's procedures, in working days. */
const PROCESSING_DAYS = [1, 2, 3, 5, 7, 10] as const;

/** A random instant (whole minutes) in the office hours of local day `day`. */
function officeInstant(day: number, rng: Rng): number {
  let minute = rng.int(0, OFFICE_MINUTES - 1);
  for (const [from, to] of OFFICE_HOURS) {
    if (minute < to - from) return DAYS.startOfDayMs(day) + (from + minute) * 60_000;
    minute -= to - from;
  }
  throw new Error('unreachable: the minute is inside the office hours');
}

/** The start (00:00 local) of the local day holding `ms`. */
export function localDayStart(ms: number): number {
  return DAYS.startOfDayMs(DAYS.dayOf(ms));
}

/** The local day (YYYY-MM-DD) whose sample `now` gives. */
export function sampleDay(now: number): string {
  return DAYS.isoDate(DAYS.dayOf(now));
}

/** Received, digitized, supplements, resolutions on time and overdue, results returned, withdrawals, payments, six reports and five online submissions never received. */
export function sampleEvents({ dossiers = 240, seed = 2022, now, calendarYears = loadCalendarYears() }: SampleOptions): ScenarioEvent[] {
  const rng = createRng(seed);
  const calendar = createWorkCalendar(calendarYears, DAYS);
  const end = localDayStart(now);
  const today = DAYS.dayOf(end);
  // The working days of the ten days before today (every one of them in the unlikely case that
  // none is, so the sample is never empty).
  const tenDays = Array.from({ length: 10 }, (_, i) => today - 10 + i);
  const workDays = tenDays.filter((day) => calendar.isWorkingDay(day));
  const receiptDays = workDays.length > 0 ? workDays : tenDays;
  // The day's tag in every id: one day's sample is one set of events, another day's another
  // (HS-, hồ sơ; BC-, báo cáo: not the SAMPLE- and REPORT- of the earlier sample, whose
  // dossiers a start on the day of an upgrade would otherwise receive twice).
  const run = sampleDay(now).replaceAll('-', '');
  const events: ScenarioEvent[] = [];
  const push = (type: string, subject: string, unit: string, time: number, data: Record<string, unknown>): void => {
    events.push({
      specversion: '1.0',
      // One event of a type per subject, so its id needs no sequence number: a sample that a later
      // version of this tool makes differently the same day repeats ids, which count once.
      id: `${subject}-${type.split('.').pop()}`,
      source: 'sample/portal',
      type,
      time: iso(time),
      subject,
      unitid: unit,
      data: { ...data, unitId: unit },
    });
  };
  for (let i = 0; i < dossiers; i++) {
    const unit = SAMPLE_UNITS[i % SAMPLE_UNITS.length] as string;
    const id = `HS-${run}-${String(i).padStart(4, '0')}`;
    const receiptDay = receiptDays[rng.int(0, receiptDays.length - 1)] as number;
    const received = officeInstant(receiptDay, rng);
    const processingDays = PROCESSING_DAYS[rng.int(0, PROCESSING_DAYS.length - 1)] as number;
    // The due time the system derives from processingDays: the end of the Nth working day after
    // the receipt day (the portal sends no dueAt, so the services' calendar decides it).
    const dueDay = calendar.addWorkingDays(receiptDay, processingDays);
    push('vn.dvc.dossier.received', id, unit, received, {
      dossierId: id,
      procedureId: `P${i % 12}`,
      channel: rng.chance(0.6) ? 'online' : 'direct',
      receivedAt: iso(received),
      processingDays,
    });
    if (rng.chance(0.7)) push('vn.dvc.dossier.digitized', id, unit, received + HOUR / 2, { dossierId: id, at: iso(received + HOUR / 2) });
    const roll = rng.next();
    if (roll < 0.1) {
      push('vn.dvc.dossier.supplement_requested', id, unit, received + HOUR, { dossierId: id, at: iso(received + HOUR) });
    } else if (roll < 0.13) {
      push('vn.dvc.dossier.withdrawn', id, unit, received + 2 * HOUR, { dossierId: id, at: iso(received + 2 * HOUR) });
    } else if (roll < 0.8) {
      // Mostly on time (a working day from the receipt day to the due day); about one in thirty
      // a working day or two late. A resolution after the sample's end is not sent (still open).
      const day = rng.chance(0.033) ? calendar.addWorkingDays(dueDay, rng.int(1, 2)) : calendar.addWorkingDays(receiptDay, rng.int(0, processingDays));
      const resolved = Math.max(officeInstant(day, rng), received + HOUR);
      if (resolved < end) {
        push('vn.dvc.dossier.resolved', id, unit, resolved, {
          dossierId: id,
          resolvedAt: iso(resolved),
          outcome: 'approved',
          processedOnline: rng.chance(0.4),
        });
        // The result handed back the same or the next working day, for nine in ten; the others
        // stay with the office (the board's "result not returned" signal once past the deadline).
        if (rng.chance(0.9)) {
          const returned = Math.max(officeInstant(calendar.addWorkingDays(DAYS.dayOf(resolved), rng.int(0, 1)), rng), resolved + HOUR / 2);
          if (returned < end) push('vn.dvc.dossier.result_returned', id, unit, returned, { dossierId: id, at: iso(returned) });
        }
      }
    }
    if (i % 4 === 0) {
      const paid = received + HOUR;
      const kind = i % 8 === 0 ? 'land_obligation' : 'fee';
      push('vn.dvc.payment.completed', `PAY-${id}`, unit, paid, {
        paymentId: `PAY-${id}`,
        dossierId: id,
        kind,
        amountVnd: kind === 'fee' ? 150_000 : 15_000_000,
        channel: rng.chance(0.5) ? 'online' : 'offline',
        paidAt: iso(paid),
      });
    }
  }
  // Six reports sent at 16:00 on the last working days (the office's, not an hour of the night).
  for (let r = 0; r < 6; r++) {
    const at = DAYS.startOfDayMs(receiptDays[receiptDays.length - 1 - (r % receiptDays.length)] as number) + 16 * HOUR;
    push('vn.dvc.report.submitted', `BC-${run}-${r}`, SAMPLE_UNITS[r % SAMPLE_UNITS.length] as string, at, {
      reportId: `BC-${run}-${r}`,
      channel: r % 3 === 0 ? 'offline' : 'online',
      submittedAt: iso(at),
    });
  }
  // Five online submissions never officially received, submitted 3 to 7 days before the end: past
  // their receipt deadline (one working day) unless a weekend or holiday still covers it, so the
  // board's late-receipt list and its notice have something to show.
  for (let r = 0; r < 5; r++) {
    const at = end - (3 + r) * 24 * HOUR - 3 * HOUR;
    const id = `HS-${run}-online-${r}`;
    push('vn.dvc.dossier.submitted', id, SAMPLE_UNITS[r % SAMPLE_UNITS.length] as string, at, { dossierId: id, procedureId: `P${r}`, submittedAt: iso(at) });
  }
  return events;
}
