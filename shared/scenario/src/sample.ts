// A small sample of dossier, payment and report events for the ten days before today, so the
// dashboards of a fresh `npm start` are not empty.
import { ZONE } from '@dvc/config';
import { createDayIndexer } from '@dvc/domain';
import { createRng } from './rng.js';
import type { ScenarioEvent } from './event.js';

export interface SampleOptions {
  /** How many dossiers (default 240). */
  dossiers?: number;
  /** PRNG seed (default 2022): same seed and day, same sample. */
  seed?: number;
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

/** The start (00:00 local) of the local day holding `ms`. */
export function localDayStart(ms: number): number {
  return DAYS.startOfDayMs(DAYS.dayOf(ms));
}

/** The local day (YYYY-MM-DD) whose sample `now` gives. */
export function sampleDay(now: number): string {
  return DAYS.isoDate(DAYS.dayOf(now));
}

/** Received, digitized, supplements, resolutions on time and overdue, withdrawals, payments, six reports and five online submissions never received. */
export function sampleEvents({ dossiers = 240, seed = 2022, now }: SampleOptions): ScenarioEvent[] {
  const rng = createRng(seed);
  const end = localDayStart(now);
  // The day's tag in every id: one day's sample is one set of events, another day's another.
  const run = sampleDay(now).replaceAll('-', '');
  const events: ScenarioEvent[] = [];
  const push = (type: string, subject: string, unit: string, time: number, data: Record<string, unknown>): void => {
    events.push({
      specversion: '1.0',
      id: `${subject}-${type.split('.').pop()}-${events.length}`,
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
    const id = `SAMPLE-${run}-${i}`;
    const received = end - rng.int(0, 10 * 24 - 1) * HOUR - HOUR;
    const due = received + rng.int(2, 6) * 24 * HOUR;
    push('vn.dvc.dossier.received', id, unit, received, {
      dossierId: id,
      procedureId: `P${i % 12}`,
      channel: rng.chance(0.6) ? 'online' : 'direct',
      receivedAt: iso(received),
      dueAt: iso(due),
    });
    if (rng.chance(0.7)) push('vn.dvc.dossier.digitized', id, unit, received + HOUR / 2, { dossierId: id, at: iso(received + HOUR / 2) });
    const roll = rng.next();
    if (roll < 0.1) {
      push('vn.dvc.dossier.supplement_requested', id, unit, received + HOUR, { dossierId: id, at: iso(received + HOUR) });
    } else if (roll < 0.13) {
      push('vn.dvc.dossier.withdrawn', id, unit, received + 2 * HOUR, { dossierId: id, at: iso(received + 2 * HOUR) });
    } else if (roll < 0.8) {
      // Mostly on time; about one in thirty a little late.
      const resolved = rng.chance(0.033) ? due + 3 * HOUR : received + Math.floor(rng.next() * (due - received) * 0.9);
      if (resolved < end)
        push('vn.dvc.dossier.resolved', id, unit, resolved, {
          dossierId: id,
          resolvedAt: iso(resolved),
          outcome: 'approved',
          processedOnline: rng.chance(0.4),
        });
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
  for (let r = 0; r < 6; r++) {
    const at = end - r * 24 * HOUR - HOUR;
    push('vn.dvc.report.submitted', `REPORT-${run}-${r}`, SAMPLE_UNITS[r % SAMPLE_UNITS.length] as string, at, {
      reportId: `REPORT-${run}-${r}`,
      channel: r % 3 === 0 ? 'offline' : 'online',
      submittedAt: iso(at),
    });
  }
  // Five online submissions never officially received, submitted 3 to 7 days before the end: past
  // their receipt deadline (one working day) unless a weekend or holiday still covers it, so the
  // board's late-receipt list and its notice have something to show.
  for (let r = 0; r < 5; r++) {
    const at = end - (3 + r) * 24 * HOUR - 3 * HOUR;
    const id = `SAMPLE-${run}-online-${r}`;
    push('vn.dvc.dossier.submitted', id, SAMPLE_UNITS[r % SAMPLE_UNITS.length] as string, at, { dossierId: id, procedureId: `P${r}`, submittedAt: iso(at) });
  }
  return events;
}
